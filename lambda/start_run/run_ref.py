"""The PhysicalResourceId of a run or batch resource: its HealthOmics id *and* its uuid.

HealthOmics reuses the ids of deleted runs (and ``retentionMode=REMOVE`` deletes runs by
itself), so an id alone could later name a stranger's run. The uuid never repeats: anything
that acts on the run checks it first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FORMAT = re.compile(r"^(?P<id>[0-9]{1,18})/(?P<uuid>[0-9A-Za-z-]{1,64})$")


@dataclass(frozen=True)
class RunRef:
    id: str
    uuid: str

    def __str__(self) -> str:
        return f"{self.id}/{self.uuid}"

    @classmethod
    def parse(cls, physical_id: str | None) -> "RunRef | None":
        """The run a PhysicalResourceId names, or None when it names none (a failed create)."""
        match = _FORMAT.match(physical_id or "")
        return cls(match["id"], match["uuid"]) if match else None
