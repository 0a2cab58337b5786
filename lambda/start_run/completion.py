"""Signals a CloudFormation wait condition when a run (or batch) has finished: waits past the
Provider framework's one hour.

Two paths lead here, so that no ending is missed:

- ``on_status_event``: the EventBridge rule for this run's status change events invokes it;
- ``check``: a ``Custom::HealthOmicsRunCompletionCheck``, created once that rule exists, looks
  once, for a run that ended before the rule could see it.

Both send the same signal (``UniqueId`` is the uuid), so a run seen twice counts once.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from healthomics_run.service_calls import clients
from healthomics_run.service_calls.budget import RetryLater
from healthomics_run.service_calls.log import log

from . import kinds
from .kinds import Kind

SIGNAL_TIMEOUT_SECONDS = 20


def outcome(kind: Kind, found: dict[str, Any]) -> dict[str, str] | None:
    """The wait condition signal for this run or batch, or None while it is still going."""
    status = found["status"]
    if status in kind.ended_badly:
        return {"Status": "FAILURE", "Reason": kind.failure(found)[:4000], "UniqueId": found["uuid"], "Data": status}
    if status in kind.reached["COMPLETED"]:
        return {"Status": "SUCCESS", "Reason": f"The {kind.noun} {found['id']} is {status}.",
                "UniqueId": found["uuid"], "Data": json.dumps(kind.data(found), default=str)}
    return None


def send(handle_url: str, signal: dict[str, str]) -> None:
    """PUT the signal to the wait condition handle's presigned URL (no content type, as it requires)."""
    request = urllib.request.Request(handle_url, data=json.dumps(signal).encode("utf-8"), method="PUT",
                                     headers={"Content-Type": ""})
    with urllib.request.urlopen(request, timeout=SIGNAL_TIMEOUT_SECONDS) as response:  # noqa: S310 (https presigned URL)
        response.read()


def _signal_if_ended(kind: Kind, resource_id: str, uuid: str, handle_url: str) -> str:
    found = kind.describe(clients.omics(), resource_id)
    if found is None or found["uuid"] != uuid:
        return f"{kind.noun} {resource_id} is gone or names another {kind.noun}; nothing signalled"
    signal = outcome(kind, found)
    if signal is None:
        return f"{kind.noun} {resource_id} is {found['status']}; waiting for its status change event"
    send(handle_url, signal)
    return f"signalled {signal['Status']} for {kind.noun} {resource_id} ({found['status']})"


def on_status_event(event: dict[str, Any], context: Any = None) -> dict[str, str]:
    """Target of the rule: ``{"ResourceType", "Id", "Uuid", "Handle"}`` (the event's detail is not needed:
    the service is asked again, since a run's event carries no failure reason)."""
    kind = kinds.BY_RESOURCE_TYPE[event["ResourceType"]]
    result = _signal_if_ended(kind, event["Id"], event["Uuid"], event["Handle"])
    log("status change", id=event["Id"], outcome=result)
    return {"Outcome": result}


def check(event: dict[str, Any]) -> dict[str, Any]:
    """``on_event`` of a Custom::HealthOmicsRunCompletionCheck (properties ``Kind``, ``Id``, ``Uuid``, ``Handle``)."""
    props = event["ResourceProperties"]
    physical_id = event.get("PhysicalResourceId") or f"check-{props['Uuid']}"
    if event["RequestType"] != "Delete":
        kind = kinds.BY_RESOURCE_TYPE[props["ResourceType"]]
        try:
            result = _signal_if_ended(kind, props["Id"], props["Uuid"], props["Handle"])
        except RetryLater:
            result = "HealthOmics is throttling; the run's status change event signals instead"
        log("completion check", id=props["Id"], outcome=result)
    return {"PhysicalResourceId": physical_id}
