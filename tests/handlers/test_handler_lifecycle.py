"""The CloudFormation lifecycle of Custom::HealthOmicsRun, driven through the handler."""

from __future__ import annotations

import json

import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.handlers.start_run.handler import WAIT_DEADLINE
from healthomics_run.run_model.run_ref import RunRef
from healthomics_run.service_calls.runs import RunError
from tests.world import event, run_settings

FAILED_CREATE_MARKER = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"


def create(props):
    return handler.on_event(event("Create", props))


def test_create_starts_one_run_and_returns_its_attributes(omics, props):
    result = create(props)
    assert omics.count("StartRun") == 1
    run = omics.runs[result["Data"]["RunId"]]
    assert RunRef.parse(result["PhysicalResourceId"]).alone() == RunRef(run["id"], run["uuid"], run_settings(props))
    assert result["Data"] == {"RunId": run["id"], "RunArn": run["arn"], "RunUuid": run["uuid"],
                              "RunOutputUri": run["runOutputUri"], "Status": "PENDING"}


def test_retried_create_starts_nothing_new_and_returns_the_same_physical_id(omics, props):
    first, second = create(props), create(props)
    assert second["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert len(omics.runs) == 1


def test_update_with_a_changed_parameter_starts_exactly_one_new_run(omics, props):
    first = create(props)
    new_props = {**props, "Parameters": {**props["Parameters"], "threads": "16"}}
    second = handler.on_event(event("Update", new_props, physical_id=first["PhysicalResourceId"], old_props=props))
    assert second["PhysicalResourceId"] != first["PhysicalResourceId"]
    assert len(omics.runs) == 2
    assert omics.runs[second["Data"]["RunId"]]["request"]["parameters"]["threads"] == 16


def test_update_of_only_wait_for_timeout_and_delete_policy_starts_nothing(omics, props):
    first = create(props)
    new_props = {**props, "WaitFor": "RUNNING", "TimeoutSeconds": "600", "DeletePolicy": "CANCEL",
                 "RunSettingsDigest": "ignored-by-the-handler"}
    second = handler.on_event(event("Update", new_props, physical_id=first["PhysicalResourceId"], old_props=props))
    assert second["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert second["Data"]["RunId"] == first["Data"]["RunId"]
    assert omics.count("StartRun") == 1


def test_update_rolled_back_returns_the_earlier_run_and_starts_nothing(omics, props):
    first = create(props)
    new_props = {**props, "Name": "renamed"}
    second = handler.on_event(event("Update", new_props, physical_id=first["PhysicalResourceId"], old_props=props))
    rollback = handler.on_event(event("Update", props, physical_id=second["PhysicalResourceId"], old_props=new_props))
    assert rollback["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert len(omics.runs) == 2


def test_changing_rerun_token_starts_a_fresh_run_with_identical_settings(omics, props):
    first = create(props)
    new_props = {**props, "RerunToken": "2026-11-24"}
    second = handler.on_event(event("Update", new_props, physical_id=first["PhysicalResourceId"], old_props=props))
    assert second["PhysicalResourceId"] != first["PhysicalResourceId"]
    assert omics.runs[second["Data"]["RunId"]]["request"]["parameters"] == \
        omics.runs[first["Data"]["RunId"]]["request"]["parameters"]


def test_update_that_keeps_a_run_deleted_meanwhile_succeeds_reporting_it_deleted(omics, props):
    first = create(props)
    omics.delete_run(first["Data"]["RunId"])
    kept = handler.on_event(event("Update", {**props, "WaitFor": "RUNNING"}, physical_id=first["PhysicalResourceId"],
                                  old_props=props))
    assert kept["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert kept["Data"] == {**first["Data"], "RunOutputUri": "", "Status": "DELETED"}
    assert omics.count("StartRun") == 1


def test_delete_with_retain_touches_nothing(omics, props):
    first = create(props)
    calls = len(omics.calls)
    handler.on_event(event("Delete", props, physical_id=first["PhysicalResourceId"]))
    assert len(omics.calls) == calls
    assert omics.runs[first["Data"]["RunId"]]["status"] == "PENDING"


def test_delete_with_cancel_cancels_an_active_run(omics, props):
    props = {**props, "DeletePolicy": "CANCEL"}
    first = create(props)
    omics.set_status(first["Data"]["RunId"], "RUNNING")
    handler.on_event(event("Delete", props, physical_id=first["PhysicalResourceId"]))
    assert omics.count("CancelRun") == 1
    assert omics.runs[first["Data"]["RunId"]]["status"] == "CANCELLED"


@pytest.mark.parametrize("status", ["COMPLETED", "FAILED", "CANCELLED", "STOPPING"])
def test_delete_with_cancel_succeeds_without_cancelling_a_finished_run(omics, props, status):
    props = {**props, "DeletePolicy": "CANCEL"}
    first = create(props)
    omics.set_status(first["Data"]["RunId"], status)
    handler.on_event(event("Delete", props, physical_id=first["PhysicalResourceId"]))
    assert omics.count("CancelRun") == 0


def test_delete_with_cancel_succeeds_when_the_run_is_gone(omics, props):
    props = {**props, "DeletePolicy": "CANCEL"}
    first = create(props)
    omics.delete_run(first["Data"]["RunId"])
    result = handler.on_event(event("Delete", props, physical_id=first["PhysicalResourceId"]))
    assert result["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert omics.count("CancelRun") == 0


def test_delete_with_cancel_never_cancels_a_stranger_run_that_inherited_the_id(omics, props):
    props = {**props, "DeletePolicy": "CANCEL"}
    first = create(props)
    run_id = first["Data"]["RunId"]
    omics.delete_run(run_id)
    omics.start_stranger_run(run_id)
    handler.on_event(event("Delete", props, physical_id=first["PhysicalResourceId"]))
    assert omics.count("CancelRun") == 0
    assert omics.runs[run_id]["status"] == "RUNNING"


def test_is_complete_after_delete_stops_waiting_at_the_deadline_without_failing(omics, props):
    props = {**props, "DeletePolicy": "CANCEL"}
    first = create(props)
    omics.set_status(first["Data"]["RunId"], "STOPPING")
    deleting = {**event("Delete", props, physical_id=first["PhysicalResourceId"]), WAIT_DEADLINE: 0}
    assert handler.is_complete(deleting) == {"IsComplete": True}


def test_delete_after_a_failed_create_succeeds_without_calling_the_service(omics, props):
    result = handler.on_event(event("Delete", {**props, "DeletePolicy": "CANCEL"}, physical_id=FAILED_CREATE_MARKER))
    assert result["PhysicalResourceId"] == FAILED_CREATE_MARKER
    assert omics.calls == []


def test_is_complete_after_delete_with_cancel_waits_until_the_run_has_stopped(omics, props):
    props = {**props, "DeletePolicy": "CANCEL"}
    first = create(props)
    omics.set_status(first["Data"]["RunId"], "RUNNING")
    deleting = event("Delete", props, physical_id=first["PhysicalResourceId"])
    deleting = {**deleting, **handler.on_event(deleting)}  # as the Provider framework passes it on
    omics.set_status(first["Data"]["RunId"], "STOPPING")
    assert handler.is_complete(deleting) == {"IsComplete": False}
    omics.set_status(first["Data"]["RunId"], "CANCELLED")
    assert handler.is_complete(deleting) == {"IsComplete": True}


def _waiting(props, result):
    return {**event("Create", props), **result}


def test_is_complete_for_started_is_done_as_soon_as_the_run_is_accepted(omics, props):
    result = create(props)
    assert handler.is_complete(_waiting(props, result))["IsComplete"] is True


@pytest.mark.parametrize("wait_for, not_yet, reached", [("RUNNING", "STARTING", "RUNNING"),
                                                         ("COMPLETED", "RUNNING", "COMPLETED")])
def test_is_complete_waits_for_the_requested_status(omics, props, wait_for, not_yet, reached):
    props = {**props, "WaitFor": wait_for}
    result = create(props)
    omics.set_status(result["Data"]["RunId"], not_yet)
    assert handler.is_complete(_waiting(props, result)) == {"IsComplete": False}
    omics.set_status(result["Data"]["RunId"], reached)
    done = handler.is_complete(_waiting(props, result))
    assert done["IsComplete"] is True and done["Data"]["Status"] == reached


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED"])
def test_is_complete_fails_the_deploy_with_the_failure_reason_but_not_the_status_message(omics, props, status):
    """The status message may name a task or an input: it goes to the log, not to stack events."""
    props = {**props, "WaitFor": "COMPLETED"}
    result = create(props)
    omics.set_status(result["Data"]["RunId"], status, failure_reason="OUT_OF_MEMORY",
                     status_message="Task HaplotypeCaller ran out of memory")
    with pytest.raises(RunError, match=f"ended {status}: OUT_OF_MEMORY\\.") as raised:
        handler.is_complete(_waiting(props, result))
    assert "HaplotypeCaller" not in str(raised.value)


def test_is_complete_fails_once_the_timeout_has_passed(omics, props):
    props = {**props, "WaitFor": "RUNNING", "TimeoutSeconds": "60"}
    result = {**create(props), WAIT_DEADLINE: 0}
    with pytest.raises(RunError, match="did not reach RUNNING within 60 seconds"):
        handler.is_complete(_waiting(props, result))


def test_physical_id_names_run_id_and_uuid():
    ref = RunRef.parse("1000001/5f0c4a56-8cf1-4a2c-9d35-0a0b6f7a1e11")
    assert ref == RunRef("1000001", "5f0c4a56-8cf1-4a2c-9d35-0a0b6f7a1e11")
    assert RunRef.parse(FAILED_CREATE_MARKER) is None


def test_deploy_logs_never_contain_parameter_values_or_tags(omics, props, capsys):
    props = {**props, "Tags": {"patient": "PT-0042"}, "Parameters": {**props["Parameters"], "sample_name": "NA12878"}}
    first = create(props)
    handler.is_complete(_waiting(props, first))
    handler.on_event(event("Delete", props, physical_id=first["PhysicalResourceId"]))
    logged = capsys.readouterr().out
    assert "NA12878" not in logged and "PT-0042" not in logged and "chr1" not in logged
    records = [json.loads(line) for line in logged.splitlines()]
    assert {r["message"] for r in records} >= {"event", "run started (or found by its requestId)", "delete"}
    assert any(r.get("id") == first["Data"]["RunId"] for r in records)
