"""Which chain step runs this stack started: the writer's owner of a run no run resource names.

A step's run is started by the after-run function (``chain_controller``), not by a resource of the stack, so
CloudFormation does not name it. Its name (``<chain>/<step>/<where>/<partition>``) says which state object
would hold its record, but a name is anyone's to give: a run is the chain's only when that object of *this
stack's* chain (beside the cohort's ledger, which is named by the stack's name and id) lists its run id among
the runs the controller started (``runs``: written after StartRun answered). A run of another stack or person
with a similar name is not in it, and is never claimed.

The state objects read (the last ``KEPT``) are kept for ``FRESH_SECONDS``: a shard's thousand runs ending in a
burst read it once a minute, not once a run. A run not in the copy kept is asked again from S3 (it may be newer
than the copy).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Sequence

from healthomics_run.run_model.chaining import ChainSpec

from . import chain_state
from .chain_controller import WIDE
from .provenance_owners import FRESH_SECONDS

KEPT = 8  # state objects a container keeps (a state shard holds up to 1,000 samples' output summaries)


@dataclass(frozen=True)
class StepRun:
    """A step run of one of the stack's chains, and the upstream runs whose outputs it was given (``None``: a run
    started before the controller kept them; ``chaining.input_runs`` otherwise). ``output_uri``: the chain's output
    location (the cohort's), under which each step run writes to a folder of its own."""

    chain: str
    step: str
    cohort_logical_id: str
    inputs: Optional[dict[str, Any]]
    output_uri: str


def cohort_logical_id(chain: ChainSpec) -> str:
    """The cohort resource's logical id: the name of its ledger (``run_model.ledger_location``)."""
    return chain.cohort_ledger_uri.rsplit("/", 1)[-1].removesuffix(".json")


class ChainRuns:
    """The step runs of the stack's chains, as their state (``chain_state``) names them."""

    def __init__(self, s3, chains: Sequence[ChainSpec], stack_id: str) -> None:
        name, _, stack_uuid = stack_id.rpartition(":stack/")[2].partition("/")
        mine = f"/{name}/{stack_uuid}/"  # a chain whose ledger is another stack's is not this stack's
        self.chains = [chain for chain in chains if mine in chain.cohort_ledger_uri]
        account = stack_id.split(":")[4] if stack_id.count(":") >= 5 else None
        self.objects = {chain.name: chain_state.Objects(s3, chain_state.folder(chain), account)
                        for chain in self.chains}
        self._kept: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}

    def of(self, run: dict[str, Any]) -> Optional[StepRun]:
        """The step run ``run`` (GetRun's answer) is, or None when no chain of this stack started it."""
        if run.get("batchId"):
            return None
        name = run.get("name") or ""
        for chain in self.chains:
            for step in chain.steps:
                prefix = f"{chain.name}/{step.name}/"
                if not name.startswith(prefix):
                    continue
                where = name[len(prefix):].split("/", 1)[0]
                state = chain_state.CENSUS if where == WIDE else \
                    chain_state.shard_name(int(where)) if where.isdigit() else None
                part = self._part(chain.name, state, run["id"]) if state else None
                if part is not None and (part["runs"].get(run["id"]) or [None])[0] == step.name:
                    return StepRun(chain=chain.name, step=step.name, cohort_logical_id=cohort_logical_id(chain),
                                   inputs=part.get("inputs", {}).get(run["id"]), output_uri=chain.output_uri)
        return None

    def _part(self, chain: str, state: str, run_id: str) -> Optional[dict[str, Any]]:
        read_at, part = self._kept.get((chain, state), (float("-inf"), None))
        if part is None or time.monotonic() - read_at > FRESH_SECONDS or run_id not in part.get("runs", {}):
            part = self.objects[chain].read(state)
            if part is None:
                return None
            self._kept.pop((chain, state), None)
            if len(self._kept) >= KEPT:  # the one read longest ago goes
                self._kept.pop(next(iter(self._kept)))
            self._kept[(chain, state)] = (time.monotonic(), part)
        return part

    def run_ids(self) -> Iterator[str]:
        """Every step run the stack's chains started (the sweep's: reads the census and every state shard)."""
        for chain in self.chains:
            census = self.objects[chain.name].read(chain_state.CENSUS) or {}
            yield from census.get("runs", {})
            for index in range(len(census.get("sizes", []))):
                yield from (self.objects[chain.name].read(chain_state.shard_name(index)) or {}).get("runs", {})
