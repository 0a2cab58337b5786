"""Throttling is waited out: never a failed deploy while the resource's timeout lasts, never a second run,
never an invocation past its function timeout.

Sources:
- HealthOmics API quotas are a few requests per second (StartRun 1 TPS, GetRun 10 TPS in the quota table;
  HealthOmics User Guide, "HealthOmics API quotas", https://docs.aws.amazon.com/omics/latest/dev/api-quotas.html);
  a throttled call fails with ``ThrottlingException``, HTTP 429 (HealthOmics API Reference, e.g.
  https://docs.aws.amazon.com/omics/latest/api/API_StartRun.html). The issue's figure, 2 StartRun a second,
  is used here.
- botocore's standard retry mode retries it a bounded number of times (``total_max_attempts`` counts the first
  request; boto/botocore botocore/retries/standard.py), then raises.
- A Lambda function that runs past its timeout is stopped, and that is a function error (Lambda Developer
  Guide, "Configure Lambda function timeout", https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html);
  the Provider framework fails the resource on any function error, and polls ``isComplete`` every query
  interval until its total timeout (framework.js in aws-cdk-lib's provider asset).
"""

from __future__ import annotations

import heapq
import random

import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.handlers.start_run.handler import PHASE, START, WAIT_DEADLINE
from healthomics_run.run_model import fields
from healthomics_run.run_model.run_ref import RunRef
from healthomics_run.service_calls.runs import RunError
from tests.virtual_time import LambdaContext, VirtualClock
from tests.world import event


@pytest.fixture
def clock(omics, monkeypatch):
    return VirtualClock(monkeypatch)


def test_start_run_throttled_past_retries_hands_over_to_is_complete_instead_of_failing(omics, props, clock):
    omics.fail_next("StartRun", "ThrottlingException", "Rate exceeded", times=3)
    created = event("Create", props)
    answer = handler.on_event(created, LambdaContext(clock, fields.FUNCTION_TIMEOUT_SECONDS))
    assert answer[PHASE] == START and not omics.runs
    done = handler.is_complete({**created, **answer}, LambdaContext(clock, fields.FUNCTION_TIMEOUT_SECONDS))
    (run,) = omics.runs.values()
    assert done["IsComplete"] is True and RunRef.parse(done["PhysicalResourceId"]).id == run["id"]


def test_is_complete_retries_the_same_request_id_so_nothing_starts_twice(omics, props, clock):
    omics.fail_next("StartRun", "ThrottlingException", "Rate exceeded", times=3)
    created = event("Create", {**props, "WaitFor": "RUNNING"})
    waiting = {**created, **handler.on_event(created)}
    assert handler.is_complete(waiting) == {"IsComplete": False}  # started, not RUNNING yet
    (run_id,) = omics.runs
    omics.set_status(run_id, "RUNNING")
    assert handler.is_complete(waiting)["IsComplete"] is True
    assert len(omics.runs) == 1 and len({p["requestId"] for p in omics.params_of("StartRun")}) == 1


def test_throttled_for_the_whole_timeout_fails_naming_the_throttling(omics, props, clock):
    omics.fail_next("StartRun", "ThrottlingException", "Rate exceeded", times=100)
    created = event("Create", props)
    waiting = {**created, **handler.on_event(created), WAIT_DEADLINE: 0}
    with pytest.raises(RunError, match="could not start \\(or wait for\\) this run within the timeout "
                                       "\\(3000 seconds\\): HealthOmics StartRun: ThrottlingException"):
        handler.is_complete(waiting)


def test_get_run_throttled_while_waiting_is_not_a_failure(omics, props, clock):
    created = event("Create", {**props, "WaitFor": "RUNNING"})
    waiting = {**created, **handler.on_event(created)}
    omics.fail_next("GetRun", "ThrottlingException", "Rate exceeded", times=3)
    assert handler.is_complete(waiting) == {"IsComplete": False}


def test_an_update_that_starts_nothing_reports_later_when_get_run_is_throttled(omics, props, clock):
    first = handler.on_event(event("Create", props))
    omics.fail_next("GetRun", "ThrottlingException", "Rate exceeded", times=3)
    updating = event("Update", {**props, "WaitFor": "RUNNING"}, physical_id=first["PhysicalResourceId"],
                     old_props=props)
    answer = handler.on_event(updating)
    assert answer["PhysicalResourceId"] == first["PhysicalResourceId"] and "Data" not in answer
    done = handler.is_complete({**updating, **answer})
    assert done == {"IsComplete": True, "Data": first["Data"]}


def test_an_update_that_starts_nothing_never_fails_even_if_throttled_to_its_deadline(omics, props, clock):
    first = handler.on_event(event("Create", props))
    omics.fail_next("GetRun", "ThrottlingException", "Rate exceeded", times=100)
    updating = event("Update", {**props, "WaitFor": "RUNNING"}, physical_id=first["PhysicalResourceId"],
                     old_props=props)
    done = handler.is_complete({**updating, **handler.on_event(updating), WAIT_DEADLINE: 0})
    assert done["IsComplete"] is True and done["Data"]["Status"] == "UNKNOWN"


def test_delete_with_cancel_throttled_succeeds_and_is_complete_cancels(omics, props, clock):
    props = {**props, "DeletePolicy": "CANCEL"}
    first = handler.on_event(event("Create", props))
    omics.fail_next("GetRun", "ThrottlingException", "Rate exceeded", times=3)
    deleting = event("Delete", props, physical_id=first["PhysicalResourceId"])
    deleting = {**deleting, **handler.on_event(deleting)}
    assert omics.count("CancelRun") == 0
    assert handler.is_complete(deleting) == {"IsComplete": False}
    assert omics.runs[first["Data"]["RunId"]]["status"] == "CANCELLED"


def test_an_invocation_with_too_little_time_left_calls_nothing_and_hands_over(omics, props, clock):
    created = event("Create", props)
    answer = handler.on_event(created, LambdaContext(clock, 30))
    assert answer[PHASE] == START and omics.calls == []


def _drive(resources: list[dict], clock: VirtualClock) -> dict:
    """The Provider framework for many resources at once, in virtual time: on_event at t=0, then is_complete
    every query interval until it completes, fails, or the waiter's total timeout passes. Invocations that
    overlap in time run one after another, each from its own start time."""
    timeout = fields.FUNCTION_TIMEOUT_SECONDS
    queue = [(clock.time() + index * 0.01, index, None) for index in range(len(resources))]
    started = {index: at for at, index, _ in queue}
    outcome = {"physical_ids": {}, "failed": {}, "longest": 0.0, "invocations": 0, "finished_after": 0.0}
    while queue:
        at, index, waiting = heapq.heappop(queue)
        clock.set(at)
        context = LambdaContext(clock, timeout)
        try:
            if waiting is None:
                waiting = {**resources[index], **handler.on_event(resources[index], context)}
                answer = {"IsComplete": False}
            else:
                answer = handler.is_complete(waiting, context)
        except RunError as error:
            outcome["failed"][index] = str(error)
            continue
        finally:
            outcome["longest"] = max(outcome["longest"], context.elapsed())
            outcome["invocations"] += 1
        if answer["IsComplete"]:
            outcome["physical_ids"][index] = answer.get("PhysicalResourceId", waiting["PhysicalResourceId"])
            outcome["finished_after"] = max(outcome["finished_after"], clock.time() - started[index])
        elif clock.time() - started[index] > fields.PROVIDER_TOTAL_TIMEOUT_SECONDS:
            outcome["failed"][index] = "Operation timed out"
        else:
            heapq.heappush(queue, (clock.time() + fields.QUERY_INTERVAL_SECONDS, index, waiting))
    return outcome


def test_250_concurrent_creates_against_2_start_runs_a_second_start_250_runs_once_each(omics, props, clock):
    random.seed(250)  # the spread of retried starts; any seed must pass
    omics.limit("StartRun", per_second=2, clock=clock)
    omics.limit("GetRun", per_second=10, clock=clock)
    resources = [event("Create", props, logical_id=f"Run{index}") for index in range(250)]
    outcome = _drive(resources, clock)
    assert outcome["failed"] == {}
    assert len(omics.runs) == 250
    assert len({run["request"]["requestId"] for run in omics.runs.values()}) == 250
    named = {RunRef.parse(physical_id).id for physical_id in outcome["physical_ids"].values()}
    assert named == set(omics.runs)
    assert outcome["longest"] <= fields.FUNCTION_TIMEOUT_SECONDS
    print(f"\n250 creates: {len(omics.runs)} runs, {outcome['invocations']} invocations, "
          f"{omics.count('StartRun')} StartRun calls, longest invocation {outcome['longest']:.1f} s, "
          f"all done after {outcome['finished_after']:.0f} s (virtual)")


def test_a_run_started_after_a_hand_over_and_cancelled_while_waiting_fails_the_deploy_not_starts_another(
        omics, props, clock):
    """The requestId names the run this very request started; a cancelled one from an earlier deploy is
    not ours, but this one is (created after the hand-over)."""
    omics.fail_next("StartRun", "ThrottlingException", "Rate exceeded", times=3)
    created = event("Create", {**props, "WaitFor": "COMPLETED"})
    waiting = {**created, **handler.on_event(created)}
    assert handler.is_complete(waiting) == {"IsComplete": False}
    (run_id,) = omics.runs
    omics.set_status(run_id, "CANCELLED")
    with pytest.raises(RunError, match="ended CANCELLED"):
        handler.is_complete(waiting)
    assert len(omics.runs) == 1
