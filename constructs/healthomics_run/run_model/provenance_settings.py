"""What the constructs and the provenance writer share: names of the record, the writer's environment and
its configuration. Pure Python (no boto3), so the constructs and ``healthomics-run provenance`` import it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

RECORD_NAME = "ro-crate-metadata.json"
# HealthOmics' end states of a run that has something to record (DELETED leaves nothing to read).
ENDED_STATUSES = ("COMPLETED", "FAILED", "CANCELLED")
RUN_RESOURCE_TYPES = ("Custom::HealthOmicsRun", "Custom::HealthOmicsRunBatch")

# The writer's environment (set by ``healthomics_run.after_run.provenance_writer.ProvenanceWriter``).
STACK_ID_ENV = "HEALTHOMICS_RUN_STACK_ID"
CONFIG_ENV = "HEALTHOMICS_RUN_PROVENANCE"  # the choices themselves: stacks synthesized before 0.x (4 KB limit)
CONFIG_URI_ENV = "HEALTHOMICS_RUN_PROVENANCE_URI"  # s3://... of the choices' JSON (an asset of the stack)
SOURCE_REVISION_CONTEXT = "healthomics-run:source-revision"
CALLS_PER_SECOND_CONTEXT = "healthomics-run:provenance-calls-per-second"
QUEUE_URL_ENV = "HEALTHOMICS_RUN_PROVENANCE_QUEUE"  # the writer's queue, to which a sweep sends the runs it finds
# HealthOmics API quotas ("HealthOmics API quotas", https://docs.aws.amazon.com/omics/latest/dev/api-quotas.html):
# GetRun, GetRunTask, ListRunTasks and ListRuns 10 TPS each by default per account and Region. The writer takes a
# share of each (half by default, the rest for the deploy handler and people), split between its containers.
QUOTA_TPS = 10.0
CALLS_PER_SECOND = QUOTA_TPS / 2
MAX_CONCURRENCY = 2  # the SQS event source's MaximumConcurrency: at most this many writers at once
# The hourly sweep looks at runs that stopped in the hour that ended GRACE_SECONDS before it fired: their events
# have had that long to be written; earlier ones were the previous sweep's.
SWEEP_PERIOD_SECONDS = 3_600
SWEEP_GRACE_SECONDS = 3_600
HISTORY_FOLDER = ".healthomics-run/history"


@dataclass(frozen=True)
class Config:
    """Per-resource choices that differ from the defaults, by logical id: most stacks carry an empty one.

    ``off``: resources whose runs get no record; ``locations``: where records go instead of beside the
    outputs (an ``s3://bucket/prefix``, to which ``<runId>/`` is added); ``values``: resources whose records
    carry parameter values (default: their digest only); ``details``: resources whose records describe each
    task's image (one GetRunTask per task; default: the run's images, GetRun's ``resourceDigests``);
    ``batches``: each batch resource's batch name (a batch run is known by its batch's name: GetBatch);
    ``revision``: the app's source revision of the deploy (``-c healthomics-run:source-revision=...``), when it
    gives one; ``chains``: the steps after the stack's cohorts (``run_model.chaining``), advanced by the same
    function after each SQS batch of ended runs. ``names``: resources whose records carry the run's name (names often
    hold sample ids; default: none); ``license``: the records' licence (a URI, e.g. an SPDX one; default: none);
    ``agent``: who ran the runs, as a Person or Organization entity (``{"@id": ..., "@type": ..., "name": ...}``;
    default: the deploying stack's account, named by the stack).
    """

    off: frozenset[str] = frozenset()
    locations: dict[str, str] = field(default_factory=dict)
    values: frozenset[str] = frozenset()
    details: frozenset[str] = frozenset()
    batches: dict[str, str] = field(default_factory=dict)
    revision: Optional[str] = None
    calls_per_second: float = CALLS_PER_SECOND  # per operation, all the writers of the stack together
    chains: tuple[dict[str, Any], ...] = ()  # the stack's run chains (``ChainSpec.to_json()``, refs for tokens)
    names: frozenset[str] = frozenset()
    license: Optional[str] = None
    agent: Optional[dict[str, str]] = None

    def per_container(self) -> float:
        """Calls per second and operation one writer container may make: the share split between them."""
        return self.calls_per_second / MAX_CONCURRENCY

    def to_json(self) -> str:
        data: dict[str, Any] = {"off": sorted(self.off), "locations": self.locations, "values": sorted(self.values),
                                "details": sorted(self.details), "batches": self.batches}
        if self.revision:
            data["revision"] = self.revision
        if self.calls_per_second != CALLS_PER_SECOND:
            data["calls_per_second"] = self.calls_per_second
        if self.chains:
            data["chains"] = list(self.chains)
        data.update(names=sorted(self.names), license=self.license, agent=self.agent)
        return json.dumps({k: v for k, v in data.items() if v}, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: Optional[str]) -> "Config":
        data = json.loads(text) if text else {}
        return cls(off=frozenset(data.get("off", ())), locations=dict(data.get("locations", {})),
                   values=frozenset(data.get("values", ())),
                   details=frozenset(data.get("details", ())), batches=dict(data.get("batches", {})),
                   revision=data.get("revision"),
                   calls_per_second=float(data.get("calls_per_second", CALLS_PER_SECOND)),
                   chains=tuple(data.get("chains", ())), names=frozenset(data.get("names", ())),
                   license=data.get("license"), agent=data.get("agent"))

    def record_uri(self, logical_id: str, run: dict[str, Any]) -> str:
        """Where the record of ``run`` (GetRun's answer) goes: beside its outputs, or under the location."""
        location = self.locations.get(logical_id)
        beside = run.get("runOutputUri") or f"{run['outputUri'].rstrip('/')}/{run['id']}"  # as HealthOmics names it
        folder = f"{location.rstrip('/')}/{run['id']}" if location else beside.rstrip("/")
        return f"{folder}/{RECORD_NAME}"

    def history_uri(self, logical_id: str, run: dict[str, Any], day: str) -> str:
        """Where the run's history record goes: ``<record location or output>/.healthomics-run/history/<yyyy-mm-dd>/
        <run uuid>.json``, one small object per run (never one growing object), in a folder the user owns."""
        base = self.locations.get(logical_id) or run["outputUri"]
        return f"{base.rstrip('/')}/{HISTORY_FOLDER}/{day}/{run['uuid']}.json"
