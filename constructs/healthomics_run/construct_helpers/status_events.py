"""HealthOmics status change events on EventBridge, matched for one run or one batch.

HealthOmics sends ``Run Status Change`` for runs and ``RunBatch Status Change`` for batches
(source ``aws.omics``); both carry the resource's ``uuid`` in their detail, which never repeats,
unlike run ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from aws_cdk import aws_events as events

from healthomics_run.run_model import reasons, service_model


@dataclass(frozen=True)
class StatusEvents:
    detail_type: str
    status_shape: str  # the service model's enum of statuses
    ended: tuple[str, ...]  # statuses after which nothing changes
    noun: str
    said_elsewhere: Mapping[str, str]  # words other services use -> this resource's status

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(service_model.shape(self.status_shape)["enum"])

    def errors(self, statuses: Sequence[str]) -> list[str]:
        unknown = [status for status in statuses if status not in self.statuses]
        if not unknown:
            return []
        named = [f"{status!r} (did you mean {self.said_elsewhere[status]}?)" if status in self.said_elsewhere
                 else reasons.with_suggestion(repr(status), map(repr, self.statuses)) for status in unknown]
        return [f"statuses of a {self.noun} must be among {', '.join(self.statuses)} ({self.status_shape} has them); "
                f"got {', '.join(named)}"]

    def pattern(self, uuid: str, statuses: Sequence[str] = ()) -> events.EventPattern:
        detail = {"uuid": [uuid]}
        if statuses:
            detail["status"] = list(statuses)
        return events.EventPattern(source=["aws.omics"], detail_type=[self.detail_type], detail=detail)


RUN_EVENTS = StatusEvents("Run Status Change", "RunStatus", ("COMPLETED", "FAILED", "CANCELLED", "DELETED"), "run",
                          {"SUCCEEDED": "COMPLETED", "SUCCESS": "COMPLETED", "CANCELED": "CANCELLED"})
BATCH_EVENTS = StatusEvents("RunBatch Status Change", "BatchStatus", ("PROCESSED", "FAILED", "CANCELLED"), "batch",
                            {"SUCCEEDED": "PROCESSED", "COMPLETED": "PROCESSED", "RUNNING": "INPROGRESS",
                             "IN_PROGRESS": "INPROGRESS", "CANCELED": "CANCELLED"})
