"""Entry points for the CDK Provider framework: ``on_event`` and ``is_complete``.

This module's lifecycle serves a run (``Custom::HealthOmicsRun``); a cohort
(``Custom::HealthOmicsRunBatch``) has its own, in ``cohorts``.

| event                                            | outcome                                                      |
|--------------------------------------------------|--------------------------------------------------------------|
| Create                                           | StartRun / StartRunBatch with a requestId from the settings; |
|                                                  | a run cancelled or deleted since is never taken over         |
| Update naming the current run or the one it      | that run, without StartRun; succeeds whatever its status     |
| replaced (no setting changed, rollback, revert)  | (``run_ref`` records which settings each run ran with)       |
| Update of tags only                              | that run, re-tagged in place (TagResource / UntagResource)   |
| Update of other settings                         | a new run, recorded as replacing the current one             |
| Delete, RETAIN                                   | nothing touched                                              |
| Delete, CANCEL                                   | CancelRun / CancelRunBatch if still active (same uuid)       |

Only a run this event started can fail it (FAILED, CANCELLED, or ``wait_for`` not reached in time).
Whatever HealthOmics throttles is not a failure: ``on_event`` hands the step to ``is_complete``
(``PHASE``), which tries again at each poll with the same ``requestId`` until the resource's timeout.
"""

from __future__ import annotations

import functools
import time
from typing import Any, Callable, Optional

from healthomics_run.run_model import fields, reasons, service_model
from healthomics_run.run_model.properties import RunSettings
from healthomics_run.run_model.run_ref import RunRef
from healthomics_run.run_model.settings import CHECK_RESOURCE_TYPE
from healthomics_run.service_calls import budget, clients
from healthomics_run.service_calls.budget import RetryLater
from healthomics_run.service_calls.log import log
from healthomics_run.service_calls.runs import BadSettings, RunError

from . import cohorts, completion, fresh, kinds, phases, tagging
from .kinds import Kind
from .phases import CHECKED, DESCRIBE, HANDED_OVER_AT, KEPT, PHASE, START, WAIT, WAIT_DEADLINE, WAITING_FOR


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


def _delete_policy(event: dict[str, Any]) -> str:
    return event["ResourceProperties"].get(fields.DELETE_POLICY, "RETAIN")


# -- which run the settings name ---------------------------------------------------------------

def _current(kind: Kind, event: dict[str, Any]) -> Optional[RunRef]:
    """The run the resource names now, with the settings it ran with (see ``_legacy_settings`` when its
    physical id predates recording them)."""
    current = RunRef.parse(event.get("PhysicalResourceId"))
    if current is not None and not current.settings:
        current = RunRef(current.id, current.uuid, _legacy_settings(kind, event, current)[:16], current.replaced)
    return current


def _legacy_settings(kind: Kind, event: dict[str, Any], current: RunRef) -> str:
    """Which settings a run named by an ``id/uuid`` physical id ran with: normally the old properties; but in
    the rollback of an update that failed before answering, the old properties are the failed ones and the
    run ran with the new. HealthOmics says which: the one whose fields GetRun echoes back."""
    try:
        old = kind.read(event.get("OldResourceProperties") or {})
    except (ValueError, KeyError, TypeError):
        return ""
    try:
        new = kind.read(event["ResourceProperties"])
        if new.fingerprint() == old.fingerprint():
            return old.fingerprint()
        found = kind.describe(clients.omics(), current.id)
    except (ValueError, KeyError, TypeError, RetryLater):
        return old.fingerprint()
    if found is None or found["uuid"] != current.uuid:
        return old.fingerprint()
    return new.fingerprint() if _echoes(found, new.request) and not _echoes(found, old.request) else old.fingerprint()


def _echoes(found: dict[str, Any], request: dict[str, Any]) -> bool:
    """Whether every StartRun field GetRun answered with has this request's value."""
    echoed = service_model.output_members("GetRun").keys() & found.keys() & request.keys()
    return bool(echoed) and all(found[name] == request[name] for name in echoed)


def _naming(kind: Kind, event: dict[str, Any], settings: Any) -> list[str]:
    """The fingerprints under which a physical id may record the run these settings name: this release's; the
    form releases up to 0.2 recorded (tags included); and, when the old properties differ from these only in
    tags, the old properties' 0.2 form (an upgrade deployed together with a change of tags)."""
    named = [settings.fingerprint(), settings.legacy_fingerprint()]
    try:
        old = kind.read(event.get("OldResourceProperties") or {})
    except (ValueError, KeyError, TypeError):
        return named
    if old.fingerprint() == settings.fingerprint():
        named.append(old.legacy_fingerprint())
    return list(dict.fromkeys(named))


def _named(kind: Kind, event: dict[str, Any], settings: Any, current: RunRef) -> Optional[tuple[RunRef, str]]:
    """On Update: the run these settings already name, and the physical id to answer with."""
    named = next(filter(None, map(current.named_by, _naming(kind, event, settings))), None)
    if named is None:
        return None
    # The same run keeps the very physical id CloudFormation sent: a different one would be a replacement,
    # and the Delete of the "old" one would cancel this very run.
    same = named.id == current.id and named.uuid == current.uuid
    return named, event["PhysicalResourceId"] if same else str(named)


def _report(kind: Kind, event: dict[str, Any], named: RunRef, physical_id: str) -> dict[str, Any]:
    """The run the settings name, as it is now, re-tagged when only its tags changed: an Update that starts
    nothing never fails over its status."""
    found = kind.describe(clients.omics(), named.id)
    if found is None or found["uuid"] != named.uuid:
        log(f"{kind.noun} named by these settings is gone from HealthOmics; reported as DELETED",
            logical_id=event["LogicalResourceId"], id=named.id)
        found = kind.gone(event["StackId"], named.id, named.uuid)
    else:
        tagging.retag(clients.omics(), found["arn"], tagging.tags_of(event.get("OldResourceProperties")),
                      tagging.tags_of(event["ResourceProperties"]))
    log(f"{kind.noun} settings name an existing {kind.noun}; nothing started", logical_id=event["LogicalResourceId"],
        id=named.id, status=found["status"])
    return {"PhysicalResourceId": physical_id, "Data": kind.data(found), PHASE: KEPT}


# -- starting ----------------------------------------------------------------------------------

def _check_fit(settings: RunSettings) -> None:
    """A run's parameters against its workflow (a batch's samples are checked in ``cohorts``)."""
    errors = kinds.RUN.fit_errors(clients.omics(), settings)
    if errors:
        raise BadSettings(f"The {kinds.RUN.noun} does not fit the workflow: " + "; ".join(errors))


def _start(kind: Kind, event: dict[str, Any], settings: Any,
           current: Optional[RunRef]) -> tuple[dict[str, Any], Optional[dict[str, Any]]]:
    """Start the run of these settings, or hand the step over to ``is_complete`` when throttled.

    ``current``: on Update, the run the new one replaces (recorded in its physical id; see ``_current``).
    Returns the answer for the framework, and the run as HealthOmics describes it (None when handed over).
    """
    kind.checked(settings)  # only starts check: a rollback brings back settings an older version accepted
    checked = bool(event.get(CHECKED))
    try:
        if not checked:
            _check_fit(settings)
            checked = True
        found = fresh.start_fresh(kind, event, settings.request, settings.fingerprint(), event.get(HANDED_OVER_AT))
    except RetryLater as why:
        log("cannot start yet; is_complete tries again", logical_id=event["LogicalResourceId"], why=str(why))
        pending = event.get("PhysicalResourceId") or f"pending/{settings.fingerprint()[:16]}"
        handed_over_at = event.get(HANDED_OVER_AT) or time.time()
        return {"PhysicalResourceId": pending, PHASE: START, CHECKED: checked, HANDED_OVER_AT: handed_over_at,
                WAITING_FOR: str(why)}, None
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
    return {"PhysicalResourceId": physical_id, WAIT_DEADLINE: phases.deadline(_timeout_or_max(event))}


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
        if found is not None and not stopped and found["status"] in kind.active:
            # Not stopping yet: the cancel was throttled, or came too early to take (a batch still CREATING).
            kind.cancel(omics, ref.id)
    except RetryLater:
        stopped = False
    if not stopped and phases.past(event):
        log(f"{kind.noun} not known to have stopped at the deadline; delete goes on", id=ref.id)
        stopped = True
    return {"IsComplete": stopped}


# -- entry points ------------------------------------------------------------------------------


@_sized_for_cloudformation
def on_event(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("ResourceType") == CHECK_RESOURCE_TYPE:
        return completion.check(event)
    request_type = event["RequestType"]
    kind = kinds.of(event)
    log("event", request_type=request_type, resource_type=event.get("ResourceType"),
        logical_id=event["LogicalResourceId"], physical_id=event.get("PhysicalResourceId"))
    if kind is kinds.BATCH:
        return cohorts.on_event(event)
    if request_type == "Delete":
        return _delete(kind, event)
    settings = phases.read(kind, event["ResourceProperties"])
    deadline = {WAIT_DEADLINE: phases.deadline(settings.timeout_seconds)}
    current = _current(kind, event) if request_type == "Update" else None  # the run it replaces, if it starts one
    named = _named(kind, event, settings, current) if current else None
    if named is not None:
        try:
            return {**_report(kind, event, *named), **deadline}
        except RetryLater:
            return {"PhysicalResourceId": named[1], PHASE: DESCRIBE, **deadline}
    return {**_start(kind, event, settings, current)[0], **deadline}


@_sized_for_cloudformation
def is_complete(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("ResourceType") == CHECK_RESOURCE_TYPE:
        return {"IsComplete": True}
    kind = kinds.of(event)
    if kind is kinds.BATCH:
        return cohorts.is_complete(event)
    if event["RequestType"] == "Delete":
        return _wait_for_cancel(kind, event)
    phase = event.get(PHASE, WAIT)
    if phase == KEPT:
        return {"IsComplete": True}
    settings = phases.read(kind, event["ResourceProperties"])
    if phase == DESCRIBE:
        return _describe_later(kind, event)
    if phase == START:
        phases.spread()
        current = _current(kind, event) if event["RequestType"] == "Update" else None
        outcome, found = _start(kind, event, settings, current)
        if found is None:
            if phases.past(event):
                raise phases.throttled_past_deadline(kind, {**event, **outcome}, settings, "start (or wait for)")
            return {"IsComplete": False}
        done = phases.awaited(kind, event, settings, found)
        return {**done, "PhysicalResourceId": outcome["PhysicalResourceId"]} if done["IsComplete"] else done
    return phases.wait_for(kind, event, settings, RunRef.started(event["PhysicalResourceId"]))


def _describe_later(kind: Kind, event: dict[str, Any]) -> dict[str, Any]:
    """``_report`` for an Update that HealthOmics throttled in on_event. Never fails: at the deadline
    the attributes say UNKNOWN rather than leave a rollback stuck."""
    ref = RunRef.started(event["PhysicalResourceId"])
    try:
        return {"IsComplete": True, "Data": _report(kind, event, ref.alone(), event["PhysicalResourceId"])["Data"]}
    except RetryLater:
        if not phases.past(event):
            return {"IsComplete": False}
    unknown = {**kind.gone(event["StackId"], ref.id, ref.uuid), "status": "UNKNOWN"}
    return {"IsComplete": True, "Data": kind.data(unknown)}
