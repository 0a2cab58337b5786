"""Entry points for the CDK Provider framework: ``on_event`` and ``is_complete``.

The same lifecycle serves a run (``Custom::HealthOmicsRun``) and a batch
(``Custom::HealthOmicsRunBatch``); ``kinds`` holds what differs.

| event                               | outcome                                                    |
|-------------------------------------|------------------------------------------------------------|
| Create, or Update of its settings   | StartRun / StartRunBatch with a requestId from the settings |
| Update of anything else             | nothing started; same PhysicalResourceId                   |
| Delete, RETAIN                      | nothing touched                                            |
| Delete, CANCEL                      | CancelRun / CancelRunBatch if still active (same uuid)     |
"""

from __future__ import annotations

import time
from typing import Any

from . import clients, completion, fields, kinds, runs
from .fingerprint import request_id
from .kinds import Kind
from .log import log
from .run_ref import RunRef

WAIT_DEADLINE = "WaitDeadline"  # epoch seconds, passed from on_event to is_complete


def _settings(kind: Kind, props: dict[str, Any]) -> Any:
    try:
        settings = kind.read(props)
    except ValueError as error:
        raise runs.RunError(f"Invalid {kind.noun} settings: {error}") from error
    errors = kind.errors(settings)
    if errors:
        raise runs.RunError(f"Invalid {kind.noun} settings: " + "; ".join(errors))
    return settings


def _deadline(timeout_seconds: int) -> int:
    return int(time.time()) + timeout_seconds


def _delete_policy(event: dict[str, Any]) -> str:
    return event["ResourceProperties"].get(fields.DELETE_POLICY, "RETAIN")


def _start(kind: Kind, event: dict[str, Any], settings: Any) -> dict[str, Any]:
    omics = clients.omics()
    errors = kind.fit_errors(omics, settings)
    if errors:
        raise runs.RunError(f"The {kind.noun} does not fit the workflow: " + "; ".join(errors))
    token = request_id(event["StackId"], event["LogicalResourceId"], settings.fingerprint())
    started = kind.start(omics, settings.request, token)
    ref = RunRef(started["id"], started["uuid"])
    log(f"{kind.noun} started (or found by its requestId)", request_type=event["RequestType"],
        logical_id=event["LogicalResourceId"], id=ref.id, status=started["status"], request_id=token)
    return {"PhysicalResourceId": str(ref), "Data": kind.data(started),
            WAIT_DEADLINE: _deadline(settings.timeout_seconds)}


def _keep(kind: Kind, event: dict[str, Any], settings: Any) -> dict[str, Any]:
    """An update that changes no setting that names the run or batch: report it, start nothing."""
    ref = RunRef.parse(event["PhysicalResourceId"])
    found = kind.describe(clients.omics(), ref.id) if ref else None
    if found is None or found["uuid"] != ref.uuid:
        raise runs.RunError(
            f"The {kind.noun} {event['PhysicalResourceId']} no longer exists in HealthOmics (deleted, or removed by "
            f"retention_mode REMOVE). Change rerun_token to start a new {kind.noun} with these settings.")
    log(f"{kind.noun} settings unchanged; nothing started", logical_id=event["LogicalResourceId"],
        id=ref.id, status=found["status"])
    return {"PhysicalResourceId": str(ref), "Data": kind.data(found),
            WAIT_DEADLINE: _deadline(settings.timeout_seconds)}


def _delete(kind: Kind, event: dict[str, Any]) -> dict[str, Any]:
    physical_id = event["PhysicalResourceId"]
    ref = RunRef.parse(physical_id)
    outcome = "retained"
    if ref is None:
        outcome = f"no {kind.noun} was started (failed create); nothing to do"
    elif _delete_policy(event) == "CANCEL":
        outcome = _cancel(kind, ref)
    log("delete", logical_id=event["LogicalResourceId"], physical_id=physical_id, outcome=outcome)
    return {"PhysicalResourceId": physical_id, WAIT_DEADLINE: _deadline(_timeout_or_max(event))}


def _timeout_or_max(event: dict[str, Any]) -> int:
    """The resource's timeout; a Delete must never fail over a malformed one, so fall back to the most."""
    raw = str(event["ResourceProperties"].get(fields.TIMEOUT_SECONDS, ""))
    return min(int(raw), fields.MAX_TIMEOUT_SECONDS) if raw.isdigit() else fields.MAX_TIMEOUT_SECONDS


def _cancel(kind: Kind, ref: RunRef) -> str:
    omics = clients.omics()
    found = kind.describe(omics, ref.id)
    if found is None:
        return f"{kind.noun} is gone; nothing to cancel"
    if found["uuid"] != ref.uuid:
        return f"{kind.noun} id now names another {kind.noun}; left it alone"
    if found["status"] not in kind.active:
        return f"{kind.noun} already {found['status']}; nothing to cancel"
    kind.cancel(omics, ref.id)
    return "cancel requested"


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if event.get("ResourceType") == completion.CHECK_RESOURCE_TYPE:
        return completion.check(event)
    request_type = event["RequestType"]
    kind = kinds.of(event)
    log("event", request_type=request_type, resource_type=event.get("ResourceType"),
        logical_id=event["LogicalResourceId"], physical_id=event.get("PhysicalResourceId"))
    if request_type == "Delete":
        return _delete(kind, event)
    settings = _settings(kind, event["ResourceProperties"])
    if request_type == "Update":
        old = kind.read(event["OldResourceProperties"])
        if old.fingerprint() == settings.fingerprint():
            return _keep(kind, event, settings)
    return _start(kind, event, settings)


def _wait_for_cancel(kind: Kind, event: dict[str, Any]) -> dict[str, Any]:
    """After CANCEL, wait until it has stopped, so that the role it uses outlives it."""
    ref = RunRef.parse(event["PhysicalResourceId"])
    if ref is None or _delete_policy(event) != "CANCEL":
        return {"IsComplete": True}
    omics = clients.omics()
    found = kind.describe(omics, ref.id)
    stopped = found is None or found["uuid"] != ref.uuid or found["status"] not in kind.active | kind.stopping
    if not stopped and found["status"] in kind.active:
        # Still not stopping: the cancel came too early to take (a batch still CREATING refuses it); ask again.
        kind.cancel(omics, ref.id)
    if not stopped and time.time() >= float(event.get(WAIT_DEADLINE) or 0):
        log(f"{kind.noun} still stopping at the deadline; delete goes on", id=ref.id, status=found["status"])
        stopped = True
    return {"IsComplete": stopped}


def is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if event.get("ResourceType") == completion.CHECK_RESOURCE_TYPE:
        return {"IsComplete": True}
    kind = kinds.of(event)
    if event["RequestType"] == "Delete":
        return _wait_for_cancel(kind, event)
    settings = _settings(kind, event["ResourceProperties"])
    ref = RunRef.parse(event["PhysicalResourceId"])
    found = kind.describe(clients.omics(), ref.id)
    if found is None or found["uuid"] != ref.uuid:
        raise runs.RunError(f"The {kind.noun} {ref} no longer exists in HealthOmics; it was deleted while we waited.")
    status = found["status"]
    if status in kind.ended_badly:
        raise runs.RunError(kind.failure(found))
    if status in kind.reached[settings.wait_for]:
        log(f"{kind.noun} reached the awaited status", id=ref.id, status=status, wait_for=settings.wait_for)
        return {"IsComplete": True, "Data": kind.data(found)}
    if time.time() >= float(event.get(WAIT_DEADLINE) or 0):
        raise runs.RunError(
            f"The {kind.noun} {ref.id} is {status} and did not reach {settings.wait_for} within "
            f"{settings.timeout_seconds} seconds (timeout). It keeps going; raise timeout or wait_for less.")
    return {"IsComplete": False}
