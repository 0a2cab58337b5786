"""The HealthOmics batch calls the handler makes (StartRunBatch, GetBatch, CancelRunBatch)."""

from __future__ import annotations

from typing import Any

from .runs import call, cancel_if_there, find

# CancelRunBatch stops a batch in these; STOPPING is on its way to CANCELLED.
ACTIVE_STATUSES = frozenset({"CREATING", "PENDING", "SUBMITTING", "INPROGRESS"})
STOPPING_STATUSES = frozenset({"STOPPING"})
ENDED_BADLY = frozenset({"FAILED", "CANCELLED"})
# Statuses after PROCESSED: the runs are being (or were) deleted by DeleteRunBatch.
AFTER_PROCESSED = frozenset({"PROCESSED", "RUNS_DELETING", "RUNS_DELETE_FAILED", "RUNS_DELETED"})
# A fresh start never takes over a batch cancelled, failed (its samples did not run), or whose runs were
# deleted: the samples of such a batch start again in a new one.
NOT_ADOPTABLE = frozenset({"CANCELLED", "FAILED", "RUNS_DELETING", "RUNS_DELETE_FAILED", "RUNS_DELETED", "DELETED"})
# (DELETED is no batch status: ``Kind.gone`` says it of a batch HealthOmics no longer has.)


def start(omics, request: dict[str, Any], request_id: str) -> dict[str, Any]:
    return call("StartRunBatch", omics.start_run_batch, **request, requestId=request_id)


def describe(omics, batch_id: str) -> dict[str, Any] | None:
    return find("GetBatch", omics.get_batch, batchId=batch_id)


def cancel(omics, batch_id: str) -> None:
    cancel_if_there("CancelRunBatch", omics.cancel_run_batch, batchId=batch_id)
