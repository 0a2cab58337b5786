"""Entry points for the CDK Provider framework: ``on_event`` and ``is_complete``.

The same lifecycle serves a run (``Custom::HealthOmicsRun``) and a batch
(``Custom::HealthOmicsRunBatch``); ``kinds`` holds what differs.

| event                                            | outcome                                                      |
|--------------------------------------------------|--------------------------------------------------------------|
| Create                                           | StartRun / StartRunBatch with a requestId from the settings; |
|                                                  | a run cancelled or deleted since is never taken over         |
| Update naming the current run or the one it      | that run, without StartRun; succeeds whatever its status     |
| replaced (no setting changed, rollback, revert)  | (``run_ref`` records which settings each run ran with)       |
| Update of other settings                         | a new run, recorded as replacing the current one             |
| Delete, RETAIN                                   | nothing touched                                              |
| Delete, CANCEL                                   | CancelRun / CancelRunBatch if still active (same uuid)       |

Only a run this event started can fail it (FAILED, CANCELLED, or ``wait_for`` not reached in time).
Whatever HealthOmics throttles is not a failure: ``on_event`` hands the step to ``is_complete``
(``PHASE``), which tries again at each poll with the same ``requestId`` until the resource's timeout.
"""

from __future__ import annotations

import functools
import random
import time
from typing import Any, Callable, Optional

from . import budget, clients, completion, fields, kinds, reasons, runs
from .fingerprint import request_id
from .kinds import Kind
from .log import log
from .run_ref import RunRef
from .runs import RetryLater, RunError

# Passed from on_event to is_complete (the framework merges on_event's result into the event).
WAIT_DEADLINE = "WaitDeadline"  # epoch seconds
PHASE = "Phase"  # what is_complete still has to do:
START = "start"  # start the run: HealthOmics throttled on_event
WAIT = "wait"  # wait for ``wait_for`` of the run this event started
DESCRIBE = "describe"  # report the run the settings name: HealthOmics throttled on_event
KEPT = "kept"  # nothing: the settings name a run that exists, already reported
CHECKED = "ParametersChecked"  # the settings were checked against the workflow's template
MAX_FRESH_STARTS = 10  # requestIds tried past runs cancelled or deleted, before giving up
# Resources deployed together poll together: a start retried after throttling first waits a random part
# of the query interval, so that they spread over it instead of all meeting the quota in the same second.
RETRY_SPREAD_SECONDS = 20


def _sized_for_cloudformation(entry: Callable[[dict[str, Any]], dict[str, Any]]):
    """Count this invocation's time, and keep every failure message within what CloudFormation takes."""
    @functools.wraps(entry)
    def wrapped(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        budget.begin(context)
        try:
            return entry(event)
        except Exception as error:
            if len(str(error).encode("utf-8")) <= reasons.MAX_MESSAGE_BYTES:
                raise
            raise RunError(reasons.bounded(str(error))) from error
    return wrapped


def _read(kind: Kind, props: dict[str, Any]) -> Any:
    try:
        return kind.read(props)
    except ValueError as error:
        raise RunError(f"Invalid {kind.noun} settings: {error}") from error


def _checked(kind: Kind, settings: Any) -> Any:
    """``settings``, if a run may start with them. Only starts check: a rollback brings back settings an
    older version accepted, and an Update that starts nothing must not fail over rules made since."""
    errors = kind.errors(settings)
    if errors:
        raise RunError(f"Invalid {kind.noun} settings: " + "; ".join(errors))
    return settings


def _deadline(timeout_seconds: int) -> int:
    return int(time.time()) + min(timeout_seconds, fields.MAX_TIMEOUT_SECONDS)


def _past(event: dict[str, Any]) -> bool:
    return time.time() >= float(event.get(WAIT_DEADLINE) or 0)


def _delete_policy(event: dict[str, Any]) -> str:
    return event["ResourceProperties"].get(fields.DELETE_POLICY, "RETAIN")


# -- which run the settings name ---------------------------------------------------------------

def _old_fingerprint(kind: Kind, event: dict[str, Any]) -> Optional[str]:
    try:
        return kind.read(event.get("OldResourceProperties") or {}).fingerprint()
    except (ValueError, KeyError, TypeError):
        return None


def _current(kind: Kind, event: dict[str, Any]) -> Optional[RunRef]:
    """The run the resource names now, with the settings it ran with (read from the old properties
    when its physical id predates recording them)."""
    current = RunRef.parse(event.get("PhysicalResourceId"))
    if current is not None and not current.settings:
        old = _old_fingerprint(kind, event)
        current = RunRef(current.id, current.uuid, old[:16] if old else "", current.replaced)
    return current


def _named(kind: Kind, event: dict[str, Any], settings: Any) -> Optional[tuple[RunRef, str]]:
    """On Update: the run these settings already name, and the physical id to answer with."""
    current = _current(kind, event)
    named = current.named_by(settings.fingerprint()) if current else None
    if named is None:
        return None
    # The same run keeps the very physical id CloudFormation sent: a different one would be a replacement,
    # and the Delete of the "old" one would cancel this very run.
    same = named.id == current.id and named.uuid == current.uuid
    return named, event["PhysicalResourceId"] if same else str(named)


def _report(kind: Kind, event: dict[str, Any], named: RunRef, physical_id: str) -> dict[str, Any]:
    """The run the settings name, as it is now: an Update that starts nothing never fails over its status."""
    found = kind.describe(clients.omics(), named.id)
    if found is None or found["uuid"] != named.uuid:
        log(f"{kind.noun} named by these settings is gone from HealthOmics; reported as DELETED",
            logical_id=event["LogicalResourceId"], id=named.id)
        found = kind.gone(event["StackId"], named.id, named.uuid)
    log(f"{kind.noun} settings name an existing {kind.noun}; nothing started", logical_id=event["LogicalResourceId"],
        id=named.id, status=found["status"])
    return {"PhysicalResourceId": physical_id, "Data": kind.data(found), PHASE: KEPT}


# -- starting ----------------------------------------------------------------------------------

def _check_fit(kind: Kind, settings: Any) -> None:
    errors = kind.fit_errors(clients.omics(), settings)
    if errors:
        raise RunError(f"The {kind.noun} does not fit the workflow: " + "; ".join(errors))


def _start_fresh(kind: Kind, event: dict[str, Any], settings: Any) -> dict[str, Any]:
    """Start (or find, by requestId) the run of these settings; never take over one cancelled or deleted.

    The requestId is the same on every retry, so a retried deploy finds the run it started. When it
    names a run stopped or removed on purpose (a resource removed with CANCEL and added back), the
    next requestId in line, derived from that run's uuid, starts a fresh one: the same on retries too.
    """
    omics = clients.omics()
    fingerprint = settings.fingerprint()
    token = request_id(event["StackId"], event["LogicalResourceId"], fingerprint)
    for _ in range(MAX_FRESH_STARTS):
        started = kind.start(omics, settings.request, token)
        found = kind.describe(omics, started["id"])  # StartRun may answer a repeated requestId with its first status
        if found is None or found["uuid"] != started["uuid"]:
            found = kind.gone(event["StackId"], started["id"], started["uuid"])
        if found["status"] not in kind.not_adoptable:
            log(f"{kind.noun} started (or found by its requestId)", request_type=event["RequestType"],
                logical_id=event["LogicalResourceId"], id=found["id"], status=found["status"], request_id=token)
            return found
        log(f"requestId names a {kind.noun} that was {found['status']}; starting a fresh one",
            logical_id=event["LogicalResourceId"], id=found["id"])
        token = request_id(event["StackId"], event["LogicalResourceId"], f"{fingerprint}/after/{found['uuid']}")
    raise RunError(f"{MAX_FRESH_STARTS} {kind.noun}s with these settings were cancelled or deleted; "
                   f"change rerun_token to start another.")


def _start(kind: Kind, event: dict[str, Any], settings: Any) -> tuple[dict[str, Any], Optional[dict[str, Any]]]:
    """Start the run of these settings, or hand the step over to ``is_complete`` when throttled.

    Returns the answer for the framework, and the run as HealthOmics describes it (None when handed over).
    """
    _checked(kind, settings)
    checked = bool(event.get(CHECKED))
    try:
        if not checked:
            _check_fit(kind, settings)
            checked = True
        found = _start_fresh(kind, event, settings)
    except RetryLater as why:
        log("HealthOmics is throttling; is_complete tries again", logical_id=event["LogicalResourceId"], why=str(why))
        pending = event.get("PhysicalResourceId") or f"pending/{settings.fingerprint()[:16]}"
        return {"PhysicalResourceId": pending, PHASE: START, CHECKED: checked}, None
    current = _current(kind, event) if event["RequestType"] == "Update" else None
    ref = RunRef(found["id"], found["uuid"], settings.fingerprint()[:16], current.alone() if current else None)
    return {"PhysicalResourceId": str(ref), "Data": kind.data(found), PHASE: WAIT, CHECKED: True}, found


# -- deleting ----------------------------------------------------------------------------------

def _delete(kind: Kind, event: dict[str, Any]) -> dict[str, Any]:
    physical_id = event["PhysicalResourceId"]
    ref = RunRef.parse(physical_id)
    outcome = "retained"
    if ref is None:
        outcome = f"no {kind.noun} was started (failed create); nothing to do"
    elif _delete_policy(event) == "CANCEL":
        try:
            outcome = _cancel(kind, ref)
        except RetryLater:
            outcome = "HealthOmics is throttling; is_complete cancels"
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


def _wait_for_cancel(kind: Kind, event: dict[str, Any]) -> dict[str, Any]:
    """After CANCEL, wait until it has stopped, so that the role it uses outlives it. Never fails."""
    ref = RunRef.parse(event["PhysicalResourceId"])
    if ref is None or _delete_policy(event) != "CANCEL":
        return {"IsComplete": True}
    try:
        omics = clients.omics()
        found = kind.describe(omics, ref.id)
        stopped = found is None or found["uuid"] != ref.uuid or found["status"] not in kind.active | kind.stopping
        if not stopped and found["status"] in kind.active:
            # Not stopping yet: the cancel was throttled, or came too early to take (a batch still CREATING).
            kind.cancel(omics, ref.id)
    except RetryLater:
        stopped = False
    if not stopped and _past(event):
        log(f"{kind.noun} not known to have stopped at the deadline; delete goes on", id=ref.id)
        stopped = True
    return {"IsComplete": stopped}


# -- entry points ------------------------------------------------------------------------------

@_sized_for_cloudformation
def on_event(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("ResourceType") == completion.CHECK_RESOURCE_TYPE:
        return completion.check(event)
    request_type = event["RequestType"]
    kind = kinds.of(event)
    log("event", request_type=request_type, resource_type=event.get("ResourceType"),
        logical_id=event["LogicalResourceId"], physical_id=event.get("PhysicalResourceId"))
    if request_type == "Delete":
        return _delete(kind, event)
    settings = _read(kind, event["ResourceProperties"])
    deadline = {WAIT_DEADLINE: _deadline(settings.timeout_seconds)}
    named = _named(kind, event, settings) if request_type == "Update" else None
    if named is not None:
        try:
            return {**_report(kind, event, *named), **deadline}
        except RetryLater:
            return {"PhysicalResourceId": named[1], PHASE: DESCRIBE, **deadline}
    return {**_start(kind, event, settings)[0], **deadline}


def _awaited(kind: Kind, event: dict[str, Any], settings: Any, found: dict[str, Any]) -> dict[str, Any]:
    """Whether the run this event started has reached ``wait_for``; it fails the deploy if it ended badly."""
    status = found["status"]
    if status in kind.ended_badly:
        raise RunError(kind.failure(found))
    if status in kind.reached[settings.wait_for]:
        log(f"{kind.noun} reached the awaited status", id=found["id"], status=status, wait_for=settings.wait_for)
        return {"IsComplete": True, "Data": kind.data(found)}
    if _past(event):
        raise RunError(
            f"The {kind.noun} {found['id']} is {status} and did not reach {settings.wait_for} within "
            f"{settings.timeout_seconds} seconds (timeout). It keeps going; raise timeout or wait_for less.")
    return {"IsComplete": False}


def _throttled_past_deadline(kind: Kind, event: dict[str, Any], settings: Any, doing: str) -> RunError:
    return RunError(f"HealthOmics throttled the handler for the whole timeout ({settings.timeout_seconds} seconds) "
                    f"while it {doing} this {kind.noun}. Deploy again later (retries find the same {kind.noun}: "
                    f"nothing starts twice), or ask for a higher HealthOmics API quota.")


@_sized_for_cloudformation
def is_complete(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("ResourceType") == completion.CHECK_RESOURCE_TYPE:
        return {"IsComplete": True}
    kind = kinds.of(event)
    if event["RequestType"] == "Delete":
        return _wait_for_cancel(kind, event)
    phase = event.get(PHASE, WAIT)
    if phase == KEPT:
        return {"IsComplete": True}
    settings = _read(kind, event["ResourceProperties"])
    if phase == DESCRIBE:
        return _describe_later(kind, event)
    if phase == START:
        time.sleep(random.uniform(0, RETRY_SPREAD_SECONDS))
        outcome, found = _start(kind, event, settings)
        if found is None:
            if _past(event):
                raise _throttled_past_deadline(kind, event, settings, "started")
            return {"IsComplete": False}
        done = _awaited(kind, event, settings, found)
        return {**done, "PhysicalResourceId": outcome["PhysicalResourceId"]} if done["IsComplete"] else done
    ref = RunRef.parse(event["PhysicalResourceId"])
    try:
        found = kind.describe(clients.omics(), ref.id)
    except RetryLater:
        if _past(event):
            raise _throttled_past_deadline(kind, event, settings, "waited for") from None
        return {"IsComplete": False}
    if found is None or found["uuid"] != ref.uuid:
        raise RunError(f"The {kind.noun} {ref.id} no longer exists in HealthOmics; it was deleted while we waited.")
    return _awaited(kind, event, settings, found)


def _describe_later(kind: Kind, event: dict[str, Any]) -> dict[str, Any]:
    """``_report`` for an Update that HealthOmics throttled in on_event. Never fails: at the deadline
    the attributes say UNKNOWN rather than leave a rollback stuck."""
    ref = RunRef.parse(event["PhysicalResourceId"])
    try:
        return {"IsComplete": True, "Data": _report(kind, event, ref.alone(), event["PhysicalResourceId"])["Data"]}
    except RetryLater:
        if not _past(event):
            return {"IsComplete": False}
    unknown = {**kind.gone(event["StackId"], ref.id, ref.uuid), "status": "UNKNOWN"}
    return {"IsComplete": True, "Data": kind.data(unknown)}
