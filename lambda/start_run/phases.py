"""What ``on_event`` hands to ``is_complete`` (the Provider framework merges on_event's answer into the
event is_complete receives), and the checks both lifecycles, runs and cohorts, make on it."""

from __future__ import annotations

import random
import time
from typing import Any

from healthomics_run.run_model import fields
from healthomics_run.run_model.run_ref import RunRef
from healthomics_run.service_calls import clients
from healthomics_run.service_calls.budget import RetryLater
from healthomics_run.service_calls.log import log
from healthomics_run.service_calls.runs import BadSettings, EndedBadly, Gone, RunError

from .kinds import RERUN_ADVICE, Kind

# Passed from on_event to is_complete (the framework merges on_event's result into the event).
WAIT_DEADLINE = "WaitDeadline"  # epoch seconds
PHASE = "Phase"  # what is_complete still has to do:
START = "start"  # start the run: HealthOmics throttled on_event
WAIT = "wait"  # wait for ``wait_for`` of the run this event started
DESCRIBE = "describe"  # report the run the settings name: HealthOmics throttled on_event
KEPT = "kept"  # nothing: the settings name a run that exists, already reported
CHECKED = "ParametersChecked"  # the settings were checked against the workflow's template
WAITING_FOR = "WaitingFor"  # why on_event handed the start over (throttling, a workflow not ACTIVE yet)
HANDED_OVER_AT = "HandedOverAt"  # epoch seconds: when on_event handed a start over (fresh.start_fresh)
# Resources deployed together poll together: a start retried after throttling first waits a random part
# of the query interval, so that they spread over it instead of all meeting the quota in the same second.
RETRY_SPREAD_SECONDS = 20


def read(kind: Kind, props: dict[str, Any]) -> Any:
    try:
        return kind.read(props)
    except ValueError as error:
        raise BadSettings(f"Invalid {kind.noun} settings: {error}") from error


def deadline(timeout_seconds: int) -> int:
    return int(time.time()) + min(timeout_seconds, fields.MAX_TIMEOUT_SECONDS)


def past(event: dict[str, Any]) -> bool:
    return time.time() >= float(event.get(WAIT_DEADLINE) or 0)


def awaited(kind: Kind, event: dict[str, Any], settings: Any, found: dict[str, Any]) -> dict[str, Any]:
    """Whether the run this event started has reached ``wait_for``; it fails the deploy if it ended badly."""
    status = found["status"]
    if status in kind.ended_badly:
        raise EndedBadly(kind.failure(found))
    if status in kind.reached[settings.wait_for]:
        log(f"{kind.noun} reached the awaited status", id=found["id"], status=status, wait_for=settings.wait_for)
        return {"IsComplete": True, "Data": kind.data(found)}
    if past(event):
        raise RunError(
            f"The {kind.noun} {found['id']} is {status} and did not reach {settings.wait_for} within "
            f"{settings.timeout_seconds} seconds (timeout). It keeps going; raise timeout or wait_for less.")
    return {"IsComplete": False}


def throttled_past_deadline(kind: Kind, event: dict[str, Any], settings: Any, doing: str) -> RunError:
    why = event.get(WAITING_FOR) or "HealthOmics throttled it"
    return RunError(f"The handler could not {doing} this {kind.noun} within the timeout ({settings.timeout_seconds} "
                    f"seconds): {why}. Deploy again later (retries find the same {kind.noun}: nothing starts twice); "
                    "if HealthOmics was throttling, ask for a higher API quota.")


def spread() -> None:
    """Before a start retried after throttling (see RETRY_SPREAD_SECONDS)."""
    time.sleep(random.uniform(0, RETRY_SPREAD_SECONDS))


def wait_for(kind: Kind, event: dict[str, Any], settings: Any, ref: RunRef) -> dict[str, Any]:
    """``awaited`` for the run (batch) ``ref`` this event started, as HealthOmics describes it now."""
    try:
        found = kind.describe(clients.omics(), ref.id)
    except RetryLater:
        if past(event):
            raise throttled_past_deadline(kind, event, settings, "wait for") from None
        return {"IsComplete": False}
    if found is None or found["uuid"] != ref.uuid:
        raise Gone(f"The {kind.noun} {ref.id} no longer exists in HealthOmics; it was deleted while we waited "
                   f"(by hand, or by retention_mode REMOVE at the run-count maximum). {RERUN_ADVICE}")
    return awaited(kind, event, settings, found)
