"""Which resource of the stack started a run: the deploy half of the record.

CloudFormation names each run resource's run in its physical id (``run_ref``: run id, uuid and the
settings fingerprint it ran with); a batch run is known by its batch's name, which the batch resource
gave at StartRunBatch (``Config.batches``). The construct path comes from the resource's
``aws:cdk:path`` metadata. A chain step's run is the cohort resource's, when the chain's state names it
(``provenance_steps``: never by its name alone). Answers are kept for a minute per container: a cohort's
100,000 ends ask CloudFormation once a minute, not once per run.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any, Optional

from healthomics_run.run_model.provenance_settings import RUN_RESOURCE_TYPES, Config
from healthomics_run.run_model.run_ref import RunRef

FRESH_SECONDS = 60


@dataclass(frozen=True)
class Deploy:
    stackId: str
    stackName: str
    logicalId: str
    resourceType: str
    constructPath: str = ""
    settingsFingerprint: str = ""  # first 16 hex of the fingerprint the run's requestId derives from
    batchId: str = ""
    sourceRevision: str = ""
    chainStep: str = ""  # ``<chain>/<step>``: a step run the after-run function started for the resource's chain

    def as_dict(self) -> dict[str, str]:
        return {key: value for key, value in asdict(self).items() if value}


class Owners:
    """The run resources of one stack, asked of CloudFormation (``cfn``) at most once per ``FRESH_SECONDS``."""

    def __init__(self, cfn, stack_id: str, config: Config, chain_runs: Any = None) -> None:
        """``chain_runs``: the stack's chains' step runs (a ``provenance_steps.ChainRuns``), when it has chains."""
        self.cfn, self.stack_id, self.config, self.chain_runs = cfn, stack_id, config, chain_runs
        self._resources: list[dict[str, Any]] = []
        self._listed_at = float("-inf")
        self._paths: dict[str, str] = {}
        self._batch_names: dict[str, Optional[str]] = {}

    def batch_name(self, omics, batch_id: str) -> Optional[str]:
        """The name of a batch (GetBatch), asked once per batch: a cohort's runs share it, and it never changes."""
        if batch_id not in self._batch_names:
            try:
                self._batch_names[batch_id] = omics.get_batch(batchId=batch_id).get("name")
            except omics.exceptions.ResourceNotFoundException:
                self._batch_names[batch_id] = None
        return self._batch_names[batch_id]

    def resources(self, fresh: bool = False) -> list[dict[str, Any]]:
        if fresh or time.monotonic() - self._listed_at > FRESH_SECONDS:
            pages = self.cfn.get_paginator("list_stack_resources").paginate(StackName=self.stack_id)
            self._resources = [summary for page in pages for summary in page["StackResourceSummaries"]
                               if summary["ResourceType"] in RUN_RESOURCE_TYPES]
            self._listed_at = time.monotonic()
        return self._resources

    def of(self, run: dict[str, Any], batch_name: Optional[str]) -> Optional[Deploy]:
        """The deploy that started ``run`` (GetRun's answer), or None when no resource of this stack did.
        ``batch_name``: the name of the run's batch (GetBatch), for a batch run."""
        found = self._match(run, batch_name, self.resources())
        if found is None and time.monotonic() - self._listed_at > 1:  # a resource created since the listing
            found = self._match(run, batch_name, self.resources(fresh=True))
        if found is None:
            return None
        resource, settings = found
        logical_id = resource["LogicalResourceId"]
        return Deploy(stackId=self.stack_id, stackName=self.stack_id.split("/")[1], logicalId=logical_id,
                      resourceType=resource["ResourceType"], constructPath=self._path(logical_id),
                      settingsFingerprint=settings, batchId=run.get("batchId", ""),
                      sourceRevision=self.config.revision or "")

    def of_step(self, run: dict[str, Any]) -> Optional[tuple[Deploy, Any]]:
        """The deploy whose chain started step run ``run`` (GetRun's answer), and the step run as the chain's state
        names it (a ``provenance_steps.StepRun``); None when no chain of this stack started it."""
        found = self.chain_runs.of(run) if self.chain_runs is not None else None
        if found is None:
            return None
        logical_id = found.cohort_logical_id
        return Deploy(stackId=self.stack_id, stackName=self.stack_id.split("/")[1], logicalId=logical_id,
                      resourceType=RUN_RESOURCE_TYPES[1], constructPath=self._path(logical_id),
                      sourceRevision=self.config.revision or "", chainStep=f"{found.chain}/{found.step}"), found

    def _match(self, run: dict[str, Any], batch_name: Optional[str],
               resources: list[dict[str, Any]]) -> Optional[tuple[dict[str, Any], str]]:
        for resource in resources:
            if resource["ResourceType"] == RUN_RESOURCE_TYPES[0] and not run.get("batchId"):
                ref = RunRef.parse(resource.get("PhysicalResourceId"))
                for named in (ref, ref and ref.replaced):
                    if named is not None and named.uuid == run["uuid"]:
                        return resource, named.settings
            elif batch_name is not None and self.config.batches.get(resource["LogicalResourceId"]) == batch_name:
                return resource, ""
        return None

    def _path(self, logical_id: str) -> str:
        if logical_id not in self._paths:
            detail = self.cfn.describe_stack_resource(StackName=self.stack_id, LogicalResourceId=logical_id)
            metadata = detail["StackResourceDetail"].get("Metadata") or "{}"
            self._paths[logical_id] = json.loads(metadata).get("aws:cdk:path", "")
        return self._paths[logical_id]
