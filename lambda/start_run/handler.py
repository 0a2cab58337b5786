"""Entry points for the CDK Provider framework: ``on_event`` and ``is_complete``.

| event                               | outcome                                                  |
|-------------------------------------|----------------------------------------------------------|
| Create, or Update of run settings   | StartRun with a requestId derived from the settings      |
| Update of anything else             | nothing started; same PhysicalResourceId                 |
| Delete, RETAIN                      | nothing touched                                          |
| Delete, CANCEL                      | CancelRun if the run (same uuid) is still active         |
"""

from __future__ import annotations

import time
from typing import Any

from . import clients, fields, rules, runs
from .fingerprint import request_id
from .log import log
from .properties import RunSettings
from .run_ref import RunRef

# Statuses that satisfy each wait_for; a run that ended badly never does.
_REACHED = {
    "STARTED": frozenset({"PENDING", "STARTING", "RUNNING", "STOPPING", "COMPLETED"}),
    "RUNNING": frozenset({"RUNNING", "STOPPING", "COMPLETED"}),
    "COMPLETED": frozenset({"COMPLETED"}),
}
WAIT_DEADLINE = "WaitDeadline"  # epoch seconds, passed from on_event to is_complete


def _settings(props: dict[str, Any]) -> RunSettings:
    try:
        settings = RunSettings.from_properties(props)
    except ValueError as error:
        raise runs.RunError(f"Invalid run settings: {error}") from error
    errors = rules.run_errors(settings.request) + rules.control_errors(
        settings.delete_policy, settings.wait_for, settings.timeout_seconds)
    if errors:
        raise runs.RunError("Invalid run settings: " + "; ".join(errors))
    return settings


def _data(run: dict[str, Any]) -> dict[str, str]:
    return {"RunId": run["id"], "RunArn": run["arn"], "RunUuid": run["uuid"],
            "RunOutputUri": run.get("runOutputUri", ""), "Status": run["status"]}


def _deadline(timeout_seconds: int) -> int:
    return int(time.time()) + timeout_seconds


def _delete_policy(event: dict[str, Any]) -> str:
    return event["ResourceProperties"].get(fields.DELETE_POLICY, "RETAIN")


def _start(event: dict[str, Any], settings: RunSettings) -> dict[str, Any]:
    omics = clients.omics()
    if "workflowId" in settings.request:
        errors = runs.parameter_errors(runs.parameter_template(omics, settings.request),
                                       settings.request.get("parameters", {}))
        if errors:
            raise runs.RunError("The run does not fit the workflow: " + "; ".join(errors))
    token = request_id(event["StackId"], event["LogicalResourceId"], settings.fingerprint())
    run = runs.start(omics, settings.request, token)
    ref = RunRef(run["id"], run["uuid"])
    log("run started (or found by its requestId)", request_type=event["RequestType"],
        logical_id=event["LogicalResourceId"], run_id=run["id"], status=run["status"], request_id=token)
    return {"PhysicalResourceId": str(ref), "Data": _data(run), WAIT_DEADLINE: _deadline(settings.timeout_seconds)}


def _keep(event: dict[str, Any], settings: RunSettings) -> dict[str, Any]:
    """An update that changes no run setting: report the current run, start nothing."""
    ref = RunRef.parse(event["PhysicalResourceId"])
    run = runs.describe(clients.omics(), ref.run_id) if ref else None
    if run is None or run["uuid"] != ref.uuid:
        raise runs.RunError(
            f"The run {event['PhysicalResourceId']} no longer exists in HealthOmics (deleted, or removed by "
            "retention_mode REMOVE). Change rerun_token to start a new run with these settings.")
    log("run settings unchanged; nothing started", logical_id=event["LogicalResourceId"],
        run_id=ref.run_id, status=run["status"])
    return {"PhysicalResourceId": str(ref), "Data": _data(run), WAIT_DEADLINE: _deadline(settings.timeout_seconds)}


def _delete(event: dict[str, Any]) -> dict[str, Any]:
    physical_id = event["PhysicalResourceId"]
    ref = RunRef.parse(physical_id)
    outcome = "retained"
    if ref is None:
        outcome = "no run was started (failed create); nothing to do"
    elif _delete_policy(event) == "CANCEL":
        outcome = _cancel(ref)
    log("delete", logical_id=event["LogicalResourceId"], physical_id=physical_id, outcome=outcome)
    return {"PhysicalResourceId": physical_id, WAIT_DEADLINE: _deadline(_timeout_or_max(event))}


def _timeout_or_max(event: dict[str, Any]) -> int:
    """The resource's timeout; a Delete must never fail over a malformed one, so fall back to the most."""
    raw = str(event["ResourceProperties"].get(fields.TIMEOUT_SECONDS, ""))
    return int(raw) if raw.isdigit() else fields.MAX_TIMEOUT_SECONDS


def _cancel(ref: RunRef) -> str:
    omics = clients.omics()
    run = runs.describe(omics, ref.run_id)
    if run is None:
        return "run is gone; nothing to cancel"
    if run["uuid"] != ref.uuid:
        return "run id now names another run; left it alone"
    if run["status"] not in runs.ACTIVE_STATUSES:
        return f"run already {run['status']}; nothing to cancel"
    runs.cancel(omics, ref.run_id)
    return "cancel requested"


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    request_type = event["RequestType"]
    log("event", request_type=request_type, logical_id=event["LogicalResourceId"],
        physical_id=event.get("PhysicalResourceId"))
    if request_type == "Delete":
        return _delete(event)
    settings = _settings(event["ResourceProperties"])
    if request_type == "Update":
        old = RunSettings.from_properties(event["OldResourceProperties"])
        if old.fingerprint() == settings.fingerprint():
            return _keep(event, settings)
    return _start(event, settings)


def _wait_for_cancel(event: dict[str, Any]) -> dict[str, Any]:
    """After CANCEL, wait until the run has stopped, so that the role it uses outlives it."""
    ref = RunRef.parse(event["PhysicalResourceId"])
    if ref is None or _delete_policy(event) != "CANCEL":
        return {"IsComplete": True}
    run = runs.describe(clients.omics(), ref.run_id)
    stopped = run is None or run["uuid"] != ref.uuid or run["status"] not in runs.ACTIVE_STATUSES | {"STOPPING"}
    if not stopped and time.time() >= float(event.get(WAIT_DEADLINE) or 0):
        log("run still stopping at the deadline; delete goes on", run_id=ref.run_id, status=run["status"])
        stopped = True
    return {"IsComplete": stopped}


def is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if event["RequestType"] == "Delete":
        return _wait_for_cancel(event)
    settings = _settings(event["ResourceProperties"])
    ref = RunRef.parse(event["PhysicalResourceId"])
    run = runs.describe(clients.omics(), ref.run_id)
    if run is None or run["uuid"] != ref.uuid:
        raise runs.RunError(f"The run {ref} no longer exists in HealthOmics; it was deleted while we waited.")
    status = run["status"]
    if status in runs.ENDED_BADLY:
        raise runs.RunError(
            f"The run {ref.run_id} ended {status}: {run.get('failureReason') or 'no failure reason given'}; "
            f"{run.get('statusMessage') or 'no status message'}. Its logs are in CloudWatch Logs under "
            f"/aws/omics/WorkflowLog/run/{ref.run_id}.")
    if status in _REACHED[settings.wait_for]:
        log("run reached the awaited status", run_id=ref.run_id, status=status, wait_for=settings.wait_for)
        return {"IsComplete": True, "Data": _data(run)}
    if time.time() >= float(event.get(WAIT_DEADLINE) or 0):
        raise runs.RunError(
            f"The run {ref.run_id} is {status} and did not reach {settings.wait_for} within "
            f"{settings.timeout_seconds} seconds (timeout). It keeps going; raise timeout or wait_for less.")
    return {"IsComplete": False}
