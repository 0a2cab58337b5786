"""Starting a run or batch without ever taking over one that was stopped or removed on purpose.

The requestId is the same on every retry, so a retried deploy finds what it started. When it names a
run (batch) that was cancelled or deleted since (a resource removed with CANCEL and added back), the
next requestId in line, derived from that run's uuid, starts a fresh one: the same on retries too.
"""

from __future__ import annotations

import time
from typing import Any

from healthomics_run.run_model.fingerprint import request_id
from healthomics_run.service_calls import clients
from healthomics_run.service_calls.log import log
from healthomics_run.service_calls.runs import RunError

from .kinds import Kind

MAX_FRESH_STARTS = 10  # requestIds tried past runs cancelled or deleted, before giving up
READ_AFTER_WRITE_SECONDS = 1


def start_fresh(kind: Kind, event: dict[str, Any], request: dict[str, Any], fingerprint: str,
                ours_since: float | None = None) -> dict[str, Any]:
    """The run (batch) of ``request``, as HealthOmics describes it after starting (or finding) it.

    ``ours_since``: when this very request began starting it (a start handed over to is_complete): a
    run created since is this request's own, whatever its status, even cancelled while we waited.
    """
    omics = clients.omics()
    token = request_id(event["StackId"], event["LogicalResourceId"], fingerprint)
    for _ in range(MAX_FRESH_STARTS):
        started = kind.start(omics, request, token)
        found = _described(kind, omics, started)
        if found is None or found["uuid"] != started["uuid"]:
            found = kind.gone(event["StackId"], started["id"], started["uuid"])
        if found["status"] not in kind.not_adoptable or _created_since(found, ours_since):
            log(f"{kind.noun} started (or found by its requestId)", request_type=event["RequestType"],
                logical_id=event["LogicalResourceId"], id=found["id"], status=found["status"], request_id=token)
            return found
        log(f"requestId names a {kind.noun} that was {found['status']}; starting a fresh one",
            logical_id=event["LogicalResourceId"], id=found["id"])
        token = request_id(event["StackId"], event["LogicalResourceId"], f"{fingerprint}/after/{found['uuid']}")
    raise RunError(f"{MAX_FRESH_STARTS} {kind.noun}s with these settings were cancelled or deleted; "
                   f"change rerun_token to start another.")


def _described(kind: Kind, omics, started: dict[str, Any]) -> dict[str, Any] | None:
    """The run just started, as GetRun says (StartRun may answer a repeated requestId with its first status).
    A run only just created may not be readable yet: one NotFound is asked again after a second, so that
    a read-after-write miss is never taken for a deleted run (which would start a second one)."""
    found = kind.describe(omics, started["id"])
    if found is None:
        time.sleep(READ_AFTER_WRITE_SECONDS)
        found = kind.describe(omics, started["id"])
    return found


CLOCK_SKEW_SECONDS = 5


def _created_since(found: dict[str, Any], since: float | None) -> bool:
    created = found.get("creationTime")
    return since is not None and created is not None and created.timestamp() >= since - CLOCK_SKEW_SECONDS
