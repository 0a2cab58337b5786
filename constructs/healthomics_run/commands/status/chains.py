"""A cohort's chains step by step, from the chain state objects beside its ledger (``<ledger>/chains/<chain>/``,
written by ``service_calls.chain_controller``): each step's partitions and runs, what waits on what, what failed.

Only run ids and counts are said: the objects' sample ids (the cohort's runs by runSettingId) and outputs (URIs,
which may name samples) are not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from healthomics_run.run_model.chaining import COHORT


@dataclass(frozen=True)
class StepState:
    chain: str
    step: str  # "cohort", or the step's name
    after: str  # what it runs after ("" for the cohort; "?" when the object predates naming it)
    partition: str
    partitions: int  # started (a step), or samples completed (the cohort)
    completed: int
    running: int
    failed: tuple[str, ...]  # run ids, sorted
    waits: str = ""  # what it waits on, in words
    note: str = ""

    @property
    def state(self) -> str:
        return "FAILED" if self.failed else "ACTIVE" if self.running or self.waits else "DONE"

    @property
    def progress(self) -> str:
        if self.step == COHORT:
            said = f"{self.completed:,} samples' runs completed as the chain saw them, {len(self.failed):,} failed"
        else:
            said = (f"after {self.after}, {self.partition}: {self.partitions:,} partitions started, "
                    f"{self.completed:,} completed, {self.running:,} running, {len(self.failed):,} failed")
        return "; ".join(filter(None, [said, self.waits, self.note]))


def _partition(found: Any) -> str:
    if not isinstance(found, dict):
        return "partition not recorded"
    if found.get("kind") == "shards":
        return f"shards of {int(found.get('size', 0)):,}"
    return "whole set" if found.get("kind") == "whole-set" else "per sample"


def steps(chain: str, parts: dict[str, dict[str, Any]]) -> list[StepState]:
    """The chain's nodes, the cohort first, then the steps (each after what it runs after, when recorded)."""
    cohort = parts.get(COHORT, {})
    shards = ", ".join(f"{len(made):,} shards of {int(size):,}"
                       for size, made in sorted(cohort.get("shards", {}).items()))
    found = {COHORT: StepState(chain, COHORT, "", "per sample", len(cohort.get("samples", {})),
                               len(cohort.get("samples", {})), 0, tuple(sorted(cohort.get("failed", {}))),
                               note=f"shards made: {shards}" if shards else "")}
    pending = {name: part for name, part in parts.items() if name != COHORT}
    while pending:  # in the chain's order where recorded, else by name
        ready = sorted(name for name, part in pending.items() if part.get("after") in found) or sorted(pending)[:1]
        for name in ready:
            part = pending.pop(name)
            runs = {record["run"] for record in part.get("partitions", {}).values() if record.get("run")}
            done, failed = runs & set(part.get("outputs", {})), runs & set(part.get("failed", {}))
            after = part.get("after") or "?"
            upstream = found.get(after)
            waits = ""
            if upstream is not None and upstream.failed:
                waits = f"held back where inputs failed: {len(upstream.failed):,} failed runs of {after}"
            elif upstream is not None and upstream.step != COHORT and upstream.running:
                waits = f"waits on {after}: {upstream.running:,} running"
            found[name] = StepState(chain, name, after, _partition(part.get("partition")),
                                    len(part.get("partitions", {})), len(done), len(runs - done - failed),
                                    tuple(sorted(failed)), waits)
    return list(found.values())
