"""The PhysicalResourceId of a run or batch resource: which run it is, which settings it ran with,
and which run it replaced.

- Its HealthOmics id *and* its uuid: HealthOmics reuses the ids of deleted runs (and
  ``retentionMode=REMOVE`` deletes runs by itself), so an id alone could later name a stranger's
  run. The uuid never repeats: anything that acts on the run checks it first.
- The first 16 hex characters of the fingerprint of its settings: an Update whose settings are
  these names this run, whatever ``OldResourceProperties`` say.
- After ``+``, the same three for the run it replaced, when an Update started it. CloudFormation's
  rollback of that Update (and a user's revert) asks for the replaced run's settings again: the
  handler returns that run without calling StartRun, so a rollback never depends on HealthOmics
  still remembering an old ``requestId``.

``1000002/9b1d.../3f2a9c0d1e4b5a6f+1000001/5f0c.../0123456789abcdef``: at most 2 x 117 characters,
well inside the 1 KB CloudFormation allows a custom resource's physical id. Ids written by earlier
versions (``id/uuid``) still parse, with no settings recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional

SETTINGS_CHARS = 16
_ONE = r"(?P<{p}id>[0-9]{{1,18}})/(?P<{p}uuid>[0-9A-Za-z-]{{1,64}})(?:/(?P<{p}settings>[0-9a-f]{{16}}))?"
_FORMAT = re.compile(rf"^{_ONE.format(p='')}(?:\+{_ONE.format(p='replaced_')})?$")


@dataclass(frozen=True)
class RunRef:
    id: str
    uuid: str
    settings: str = ""  # fingerprint prefix of the settings it ran with ("" in ids written before 0.2)
    replaced: Optional["RunRef"] = None

    def __str__(self) -> str:
        own = "/".join(part for part in (self.id, self.uuid, self.settings) if part)
        return f"{own}+{self.replaced}" if self.replaced else own

    def alone(self) -> "RunRef":
        """This run, without the record of what it replaced."""
        return replace(self, replaced=None)

    def named_by(self, fingerprint: str) -> Optional["RunRef"]:
        """The run these settings already name: this one, or the one it replaced; else None."""
        settings = fingerprint[:SETTINGS_CHARS]
        if self.settings == settings:
            return self.alone()
        if self.replaced is not None and self.replaced.settings == settings:
            return self.replaced
        return None

    @classmethod
    def parse(cls, physical_id: str | None) -> "RunRef | None":
        """The run a PhysicalResourceId names, or None when it names none (a failed or pending create)."""
        match = _FORMAT.match(physical_id or "")
        if match is None:
            return None
        replaced = None
        if match["replaced_id"]:
            replaced = cls(match["replaced_id"], match["replaced_uuid"], match["replaced_settings"] or "")
        return cls(match["id"], match["uuid"], match["settings"] or "", replaced)

    @classmethod
    def started(cls, physical_id: str) -> "RunRef":
        """The run the PhysicalResourceId of a resource that has started one names (its wait, its report);
        a ``ValueError`` when it names none, without the id itself (it may reach the stack's events)."""
        ref = cls.parse(physical_id)
        if ref is None:
            raise ValueError("the PhysicalResourceId of a resource that started a run (batch) names none")
        return ref
