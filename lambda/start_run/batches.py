"""The HealthOmics batch calls the handler makes (StartRunBatch, GetBatch, CancelRunBatch)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .runs import code_of, explain

# CancelRunBatch stops a batch in these; STOPPING is on its way to CANCELLED.
ACTIVE_STATUSES = frozenset({"CREATING", "PENDING", "SUBMITTING", "INPROGRESS"})
STOPPING_STATUSES = frozenset({"STOPPING"})
ENDED_BADLY = frozenset({"FAILED", "CANCELLED"})
# Statuses after PROCESSED: the runs are being (or were) deleted by DeleteRunBatch.
AFTER_PROCESSED = frozenset({"PROCESSED", "RUNS_DELETING", "RUNS_DELETE_FAILED", "RUNS_DELETED"})


def start(omics, request: dict[str, Any], request_id: str) -> dict[str, Any]:
    try:
        return omics.start_run_batch(**request, requestId=request_id)
    except ClientError as error:
        raise explain("StartRunBatch", error) from error


def describe(omics, batch_id: str) -> dict[str, Any] | None:
    """GetBatch, or None when no batch has this id any more."""
    try:
        return omics.get_batch(batchId=batch_id)
    except ClientError as error:
        if code_of(error) == "ResourceNotFoundException":
            return None
        raise explain("GetBatch", error) from error


def cancel(omics, batch_id: str) -> None:
    try:
        omics.cancel_run_batch(batchId=batch_id)
    except ClientError as error:
        # Gone, or every run ended between our GetBatch and this call: nothing left to cancel.
        if code_of(error) not in ("ResourceNotFoundException", "ConflictException"):
            raise explain("CancelRunBatch", error) from error
