"""Rollbacks, reverts and resources added back: sequences of CloudFormation requests through the handler.

How CloudFormation drives a custom resource, as these tests drive the handler:
- An Update carries ``PhysicalResourceId``, ``ResourceProperties`` and ``OldResourceProperties``
  (CloudFormation User Guide, "Update request for CloudFormation custom resources",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html).
- "If the value returned is different, CloudFormation recognizes the update as a replacement and sends a
  delete request to the old resource"; a physical id "can be up to 1 KB in size" (User Guide, "Custom resource
  response objects", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
- When a later resource fails, the rollback sends the custom resource another Update, new -> old
  (aws-cdk PR #29581 and issue #17040, https://github.com/aws/aws-cdk/issues/17040): its physical id is the
  one the failed update returned, or the earlier one where CloudFormation did not take the failed answer;
  both are driven here.
- How long HealthOmics remembers a ``requestId`` is not documented ("an idempotency token that HealthOmics uses
  to identify duplicate requests", HealthOmics User Guide, "Starting a run",
  https://docs.aws.amazon.com/omics/latest/dev/starting-a-run.html), and ``retentionMode REMOVE`` deletes old
  runs by itself: the tests make the fake forget and remove, and the handler must be right either way.
The sequences follow those of the CloudFormation CLI's contract tests that apply to a custom resource
(aws-cloudformation/cloudformation-cli, src/rpdk/core/contract/suite/resource/handler_create.py,
handler_delete.py, handler_update_invalid.py: create->delete->create, delete->delete, update without a
create), adapted where a custom resource must differ: its Delete of something already gone succeeds, since
a failed Delete leaves the stack stuck.
"""

from __future__ import annotations

import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model.run_ref import RunRef
from healthomics_run.service_calls.runs import RunError
from tests.world import event, run_settings

FAILED_CREATE_MARKER = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"


def create(props):
    return handler.on_event(event("Create", props))


def update(props, old_props, physical_id):
    return handler.on_event(event("Update", props, physical_id=physical_id, old_props=old_props))


def delete(props, physical_id):
    return handler.on_event(event("Delete", props, physical_id=physical_id))


def complete(request_type, props, answer, **kwargs):
    """is_complete on the event as the Provider framework passes it: the request merged with on_event's answer."""
    return handler.is_complete({**event(request_type, props, **kwargs), **answer})


def base(physical_id):
    return RunRef.parse(physical_id).alone()


@pytest.fixture
def changed(props):
    return {**props, "Parameters": {**props["Parameters"], "threads": "16"}}


# -- rollbacks ---------------------------------------------------------------------------------

def test_rollback_returns_the_earlier_run_without_start_run_even_when_request_ids_are_forgotten(omics, props, changed):
    first = create(props)
    second = update(changed, props, first["PhysicalResourceId"])
    omics.forget_request_ids()
    starts = omics.count("StartRun")
    rollback = update(props, changed, second["PhysicalResourceId"])
    assert rollback["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert rollback["Data"]["RunId"] == first["Data"]["RunId"]
    assert omics.count("StartRun") == starts and len(omics.runs) == 2
    assert complete("Update", props, rollback, physical_id=second["PhysicalResourceId"]) == {"IsComplete": True}


def test_rollback_that_cloudformation_sends_with_the_earlier_physical_id_keeps_it(omics, props, changed):
    first = create(props)
    update(changed, props, first["PhysicalResourceId"])  # its answer was not taken: the update failed
    omics.forget_request_ids()
    rollback = update(props, changed, first["PhysicalResourceId"])
    assert rollback["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert omics.count("StartRun") == 2


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED"])
def test_rollback_to_a_run_that_ended_badly_succeeds_and_reports_its_status(omics, props, changed, status):
    first = create(props)
    omics.set_status(first["Data"]["RunId"], status, failure_reason="OUT_OF_MEMORY")
    second = update(changed, props, first["PhysicalResourceId"])
    rollback = update(props, changed, second["PhysicalResourceId"])
    assert rollback["Data"]["Status"] == status
    assert complete("Update", props, rollback, physical_id=second["PhysicalResourceId"]) == {"IsComplete": True}


def test_rollback_to_a_run_removed_by_retention_succeeds_reporting_it_deleted(omics, props, changed):
    first = create(props)
    second = update(changed, props, first["PhysicalResourceId"])
    omics.delete_run(first["Data"]["RunId"])
    omics.forget_request_ids()
    rollback = update(props, changed, second["PhysicalResourceId"])
    assert rollback["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert rollback["Data"]["Status"] == "DELETED" and rollback["Data"]["RunId"] == first["Data"]["RunId"]
    assert omics.count("StartRun") == 2


def test_rollback_of_an_update_whose_settings_no_longer_pass_todays_rules_still_succeeds(omics, props, changed):
    """Rollback runs the new handler code on the old properties; an Update that starts nothing checks nothing."""
    old = {**props, "TimeoutSeconds": "3600"}  # accepted before the 50-minute limit
    first = create(props)
    second = update(changed, props, first["PhysicalResourceId"])
    rollback = handler.on_event(event("Update", old, physical_id=second["PhysicalResourceId"], old_props=changed))
    assert rollback["PhysicalResourceId"] == first["PhysicalResourceId"]


# -- updates that start nothing ----------------------------------------------------------------

def test_update_of_only_the_timeout_after_the_run_failed_succeeds_and_so_does_its_rollback(omics, props):
    first = create(props)
    omics.set_status(first["Data"]["RunId"], "FAILED", failure_reason="OUT_OF_MEMORY")
    longer = {**props, "TimeoutSeconds": "1800"}
    kept = update(longer, props, first["PhysicalResourceId"])
    assert kept["PhysicalResourceId"] == first["PhysicalResourceId"] and kept["Data"]["Status"] == "FAILED"
    assert complete("Update", longer, kept, physical_id=first["PhysicalResourceId"]) == {"IsComplete": True}
    rollback = update(props, longer, first["PhysicalResourceId"])
    assert complete("Update", props, rollback, physical_id=first["PhysicalResourceId"]) == {"IsComplete": True}
    assert omics.count("StartRun") == 1


def test_update_that_starts_nothing_answers_with_the_very_physical_id_it_was_sent(omics, props, changed):
    """A different id would be a replacement: CloudFormation would Delete the "old" one, the same run."""
    first = create(props)
    second = update(changed, props, first["PhysicalResourceId"])
    assert "+" in second["PhysicalResourceId"]  # it records the run it replaced
    kept = update({**changed, "WaitFor": "RUNNING"}, changed, second["PhysicalResourceId"])
    assert kept["PhysicalResourceId"] == second["PhysicalResourceId"]


def test_user_reverting_to_the_previous_settings_gets_the_previous_run_back(omics, props, changed):
    first = create(props)
    second = update(changed, props, first["PhysicalResourceId"])
    omics.forget_request_ids()
    reverted = update(props, changed, second["PhysicalResourceId"])
    assert base(reverted["PhysicalResourceId"]) == base(first["PhysicalResourceId"])
    assert omics.count("StartRun") == 2


def test_update_recorded_before_settings_were_in_the_physical_id_still_keeps_its_run(omics, props):
    """Physical ids written by 0.1 are ``id/uuid``: the old properties tell which settings they ran with."""
    first = create(props)
    legacy = str(base(first["PhysicalResourceId"])).rsplit("/", 1)[0]
    kept = update({**props, "WaitFor": "RUNNING"}, props, legacy)
    assert kept["PhysicalResourceId"] == legacy and omics.count("StartRun") == 1


def test_update_from_a_legacy_physical_id_that_starts_a_run_records_what_it_replaced(omics, props, changed):
    first = create(props)
    legacy = str(base(first["PhysicalResourceId"])).rsplit("/", 1)[0]
    second = update(changed, props, legacy)
    replaced = RunRef.parse(second["PhysicalResourceId"]).replaced
    assert replaced == RunRef(first["Data"]["RunId"], first["Data"]["RunUuid"], run_settings(props))


# -- which failures fail the deploy ------------------------------------------------------------

def test_a_run_this_update_started_fails_the_deploy_when_it_fails_and_says_how_to_run_again(omics, props, changed):
    first = create(props)
    second = update({**changed, "WaitFor": "COMPLETED"}, props, first["PhysicalResourceId"])
    omics.set_status(second["Data"]["RunId"], "FAILED", failure_reason="OUT_OF_MEMORY")
    with pytest.raises(RunError, match="ended FAILED: OUT_OF_MEMORY.*change rerun_token"):
        complete("Update", {**changed, "WaitFor": "COMPLETED"}, second, physical_id=first["PhysicalResourceId"])


# -- resources added back and retried creates --------------------------------------------------

def test_a_resource_removed_with_cancel_and_added_back_starts_a_fresh_run(omics, props):
    props = {**props, "DeletePolicy": "CANCEL"}
    first = create(props)
    delete(props, first["PhysicalResourceId"])
    assert omics.runs[first["Data"]["RunId"]]["status"] == "CANCELLED"
    again = create(props)
    assert again["Data"]["RunId"] != first["Data"]["RunId"] and again["Data"]["Status"] == "PENDING"
    assert create(props)["PhysicalResourceId"] == again["PhysicalResourceId"]  # and its retry finds it
    assert len(omics.runs) == 2


def test_a_resource_added_back_after_its_run_was_deleted_starts_a_fresh_run(omics, props):
    first = create(props)
    omics.runs[first["Data"]["RunId"]]["status"] = "DELETED"
    again = create(props)
    assert again["Data"]["RunId"] != first["Data"]["RunId"]


@pytest.mark.parametrize("status", ["PENDING", "RUNNING", "COMPLETED"])
def test_a_retried_create_adopts_the_active_or_completed_run_of_an_earlier_attempt(omics, props, status):
    first = create(props)
    omics.set_status(first["Data"]["RunId"], status)
    assert create(props)["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert len(omics.runs) == 1


def test_create_delete_create_with_retain_adopts_the_run_still_going(omics, props):
    first = create(props)
    delete(props, first["PhysicalResourceId"])
    assert create(props)["PhysicalResourceId"] == first["PhysicalResourceId"]


def test_delete_delete_succeeds_both_times(omics, props):
    props = {**props, "DeletePolicy": "CANCEL"}
    first = create(props)
    assert delete(props, first["PhysicalResourceId"])["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert delete(props, first["PhysicalResourceId"])["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert omics.count("CancelRun") == 1


@pytest.mark.parametrize("physical_id", [FAILED_CREATE_MARKER, "pending/0123456789abcdef"])
def test_update_after_a_failed_create_starts_the_run(omics, props, physical_id):
    result = update(props, props, physical_id)
    assert omics.count("StartRun") == 1
    assert base(result["PhysicalResourceId"]).id == result["Data"]["RunId"]


@pytest.mark.parametrize("first_status", ["FAILED", "PENDING"])
def test_rollback_of_a_first_update_from_a_legacy_physical_id_keeps_the_run(omics, props, changed, first_status):
    """A 0.1 physical id (``id/uuid``) records no settings. When the update fails before answering, the
    rollback (props old, old props the failed ones) must find the run by what GetRun echoes back, not start
    one, nor fail over it: GetRun returns the run's parameters and name (HealthOmics API Reference, GetRun,
    https://docs.aws.amazon.com/omics/latest/api/API_GetRun.html)."""
    first = create(props)
    omics.set_status(first["Data"]["RunId"], first_status)
    legacy = str(base(first["PhysicalResourceId"])).rsplit("/", 1)[0]
    omics.forget_request_ids()
    rollback = update(props, changed, legacy)
    assert rollback["PhysicalResourceId"] == legacy and omics.count("StartRun") == 1
    assert complete("Update", props, rollback, physical_id=legacy) == {"IsComplete": True}


def test_an_update_from_a_legacy_physical_id_asks_getrun_of_the_old_run_once(omics, props, changed):
    """Which settings a legacy run ran with is asked of HealthOmics once per event (API quotas are a few calls
    a second: HealthOmics User Guide, "HealthOmics API quotas", https://docs.aws.amazon.com/omics/latest/dev/api-quotas.html)."""
    first = create(props)
    legacy = str(base(first["PhysicalResourceId"])).rsplit("/", 1)[0]
    before = len(omics.params_of("GetRun"))
    update(changed, props, legacy)
    asked = [p["id"] for p in omics.params_of("GetRun")[before:]]
    assert asked.count(first["Data"]["RunId"]) == 1
