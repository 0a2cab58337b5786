"""A Custom::HealthOmicsRunBatch through its CloudFormation lifecycle, against the HealthOmics fake."""

from __future__ import annotations

import json

import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.handlers.start_run.handler import WAIT_DEADLINE
from healthomics_run.service_calls.runs import RunError
from tests.world import BATCH_TEMPLATE, SAMPLES, batch_event, batch_properties, sheet_properties, stage_sheet


@pytest.fixture
def batch_props(props):
    return batch_properties(props)


def create(props):
    return handler.on_event(batch_event("Create", props))


@pytest.fixture
def omics(omics):
    omics.workflows["1234567"]["parameterTemplate"] = BATCH_TEMPLATE
    return omics


def test_create_starts_one_batch_with_typed_shared_and_per_sample_settings(omics, batch_props):
    result = create(batch_props)
    (request,) = omics.params_of("StartRunBatch")
    assert request["requestId"].startswith("hr-") and request["batchName"] == "CohortStack/Cohort/Batch"
    default = request["defaultRunSetting"]
    assert default["workflowId"] == "1234567" and default["parameters"] == {"reference": "s3://example-reference-bucket/ref.fa"}
    inline = request["batchRunSettings"]["inlineSettings"]
    assert inline[0] == {"runSettingId": "S1", "name": "sample-1", "priority": 10,
                         "parameters": {"sample_name": "SAMPLE-0001", "threads": 4}}
    (batch_id,) = omics.batches
    assert result["PhysicalResourceId"].startswith("cohort-")
    assert result["Data"]["BatchId"] == batch_id and result["Data"]["BatchArn"].endswith(f":runBatch/{batch_id}")
    assert (result["Data"]["SampleCount"], result["Data"]["RunsStarted"]) == (2, 2)


def test_tags_reach_the_batch_and_every_run(omics, batch_props):
    create({**batch_props, "Tags": {"project": "cohort-a"}})
    (request,) = omics.params_of("StartRunBatch")
    assert request["tags"] == {"project": "cohort-a"}
    assert request["defaultRunSetting"]["runTags"] == {"project": "cohort-a"}


def test_retried_create_finds_the_same_batch_and_reports_what_it_started(omics, batch_props):
    request = batch_event("Create", batch_props)
    first, second = handler.on_event(request), handler.on_event(request)
    assert first["PhysicalResourceId"] == second["PhysicalResourceId"]
    assert second["Data"]["RunsStarted"] == 2 and second["WaitBatch"] == first["WaitBatch"]
    assert len(omics.batches) == 1 and omics.count("StartRunBatch") == 1


def test_changed_sample_starts_one_batch_of_that_sample_only(omics, batch_props):
    first = create(batch_props)
    changed = json.loads(json.dumps(batch_props))
    changed["Samples"][1]["parameters"]["sample_name"] = "SAMPLE-0003"
    update = batch_event("Update", changed, physical_id=first["PhysicalResourceId"], old_props=batch_props)
    second, again = handler.on_event(update), handler.on_event(update)
    assert second["PhysicalResourceId"] != first["PhysicalResourceId"]
    assert again["PhysicalResourceId"] == second["PhysicalResourceId"] and len(omics.batches) == 2
    started = omics.params_of("StartRunBatch")[1]["batchRunSettings"]["inlineSettings"]
    assert [s["runSettingId"] for s in started] == ["S2"]


def test_reordered_samples_start_nothing(omics, batch_props):
    first = create(batch_props)
    reordered = {**batch_props, "Samples": list(reversed(SAMPLES)),
                 "SampleTypes": {"/1/parameters/threads": "number", "/1/priority": "number"}}
    result = handler.on_event(batch_event("Update", reordered, physical_id=first["PhysicalResourceId"],
                                          old_props=batch_props))
    assert result["PhysicalResourceId"] == first["PhysicalResourceId"] and omics.count("StartRunBatch") == 1


def test_rerun_token_starts_a_new_batch_with_the_same_samples(omics, batch_props):
    first = create(batch_props)
    rerun = {**batch_props, "RerunToken": "2026-11-24"}
    second = handler.on_event(batch_event("Update", rerun, physical_id=first["PhysicalResourceId"],
                                          old_props=batch_props))
    assert second["PhysicalResourceId"] != first["PhysicalResourceId"] and len(omics.batches) == 2
    assert second["Data"]["RunsStarted"] == 2


def test_a_large_sheet_is_read_by_the_service_from_s3(omics, batch_props):
    settings = [{"runSettingId": f"S{i:04d}", "parameters": {"sample_name": f"SAMPLE-{i:04d}"}} for i in range(250)]
    create(sheet_properties(batch_props, settings, stage_sheet(settings, "sheet-a.json")))
    (request,) = omics.params_of("StartRunBatch")
    assert request["batchRunSettings"] == {"s3UriSettings": "s3://example-assets-bucket/sheet-a.json"}
    (batch,) = omics.batches.values()
    assert batch["totalRuns"] == 250


def test_the_same_sheet_staged_elsewhere_starts_nothing(omics, batch_props):
    settings = [{"runSettingId": f"S{i:04d}", "parameters": {"sample_name": f"SAMPLE-{i:04d}"}} for i in range(150)]
    old = sheet_properties(batch_props, settings, stage_sheet(settings, "sheet-a.json"))
    first = create(old)
    moved = sheet_properties(batch_props, settings, stage_sheet(settings, "sheet-b.json"))
    result = handler.on_event(batch_event("Update", moved, physical_id=first["PhysicalResourceId"], old_props=old))
    assert result["PhysicalResourceId"] == first["PhysicalResourceId"] and omics.count("StartRunBatch") == 1
    assert result["Data"]["RunsStarted"] == 0


def test_delete_with_cancel_cancels_an_active_batch_and_waits_until_it_stops(omics, batch_props):
    props = {**batch_props, "DeletePolicy": "CANCEL"}
    first = create(props)
    batch_id = first["Data"]["BatchId"]
    omics.set_batch_status(batch_id, "INPROGRESS")
    deleting = {**batch_event("Delete", props, physical_id=first["PhysicalResourceId"])}
    handler.on_event(deleting)
    assert omics.count("CancelRunBatch") == 1 and omics.batches[batch_id]["status"] == "STOPPING"
    waiting = {**deleting, WAIT_DEADLINE: 4102444800}
    assert handler.is_complete(waiting) == {"IsComplete": False}
    omics.set_batch_status(batch_id, "CANCELLED")
    assert handler.is_complete(waiting) == {"IsComplete": True}


def test_delete_with_retain_leaves_the_batch_alone(omics, batch_props):
    first = create(batch_props)
    calls = len(omics.calls)
    handler.on_event(batch_event("Delete", batch_props, physical_id=first["PhysicalResourceId"]))
    assert len(omics.calls) == calls


def test_delete_with_cancel_of_a_processed_batch_cancels_nothing(omics, batch_props):
    props = {**batch_props, "DeletePolicy": "CANCEL"}
    first = create(props)
    omics.set_batch_status(first["Data"]["BatchId"], "PROCESSED", completedRunCount=2)
    handler.on_event(batch_event("Delete", props, physical_id=first["PhysicalResourceId"]))
    assert omics.count("CancelRunBatch") == 0


def _waiting(props, result):
    """The event is_complete receives: the request merged with on_event's answer (framework.js)."""
    return {**batch_event("Create", props), **result}


def test_wait_for_completed_ends_when_the_batch_is_processed_and_reports_the_counts(omics, batch_props):
    props = {**batch_props, "WaitFor": "COMPLETED"}
    result = create(props)
    batch_id = result["Data"]["BatchId"]
    omics.set_batch_status(batch_id, "INPROGRESS", runningRunCount=2)
    assert handler.is_complete(_waiting(props, result)) == {"IsComplete": False}
    omics.set_batch_status(batch_id, "PROCESSED", runningRunCount=0, completedRunCount=1, failedRunCount=1)
    done = handler.is_complete(_waiting(props, result))
    assert done["IsComplete"] is True
    assert (done["Data"]["Status"], done["Data"]["CompletedRunCount"], done["Data"]["FailedRunCount"]) == (
        "PROCESSED", 1, 1)


def test_wait_for_started_is_satisfied_once_the_service_accepted_the_batch(omics, batch_props):
    result = create(batch_props)
    assert handler.is_complete(_waiting(batch_props, result))["IsComplete"] is True


def test_a_failed_batch_fails_the_deploy_with_its_reason(omics, batch_props):
    props = {**batch_props, "WaitFor": "COMPLETED"}
    result = create(props)
    omics.set_batch_status(result["Data"]["BatchId"], "FAILED", failure_reason="S3 settings file changed (ETag)")
    with pytest.raises(RunError, match=r"ended FAILED: a failure reason in words \(not shown here\).*ListRunsInBatch"):
        handler.is_complete(_waiting(props, result))


def test_a_sample_that_does_not_fit_the_workflow_is_named_before_anything_starts(omics, batch_props):
    bad = json.loads(json.dumps(batch_props))
    bad["Samples"][1]["parameters"]["sampel_name"] = "typo"
    with pytest.raises(RunError, match=r"sample 'S2': parameters not in the workflow's parameter template: "
                                       r"sampel_name \(did you mean sample_name\?\)"):
        create(bad)
    assert omics.count("StartRunBatch") == 0


@pytest.mark.parametrize("change, message", [
    ({"SourceRunId": "1000001"}, "source_run_id is not available for run batches"),
    ({"WorkflowType": "READY2RUN"}, "workflow_type READY2RUN: HealthOmics runs batches of PRIVATE workflows only"),
    ({"OutputUriPrefixMode": "NONE_WITH_OVERWRITE"}, "output_uri_prefix_mode is not available for run batches"),
])
def test_settings_a_batch_cannot_have_fail_before_any_call(omics, batch_props, change, message):
    with pytest.raises(RunError, match=message):
        create({**batch_props, **change})
    assert omics.calls == []


def test_a_bad_inline_sample_is_named_by_its_row(omics, batch_props):
    bad = json.loads(json.dumps(batch_props))
    bad["Samples"][1]["priority"] = "100001"
    bad["SampleTypes"]["/1/priority"] = "number"
    with pytest.raises(RunError, match=r"sample row 2: priority must be between 0 and 100000, got 100001"):
        create(bad)


def test_an_unknown_resource_type_is_refused(omics, batch_props):
    unknown = {**batch_event("Create", batch_props), "ResourceType": "Custom::Something"}
    with pytest.raises(RunError,
                       match="serves Custom::HealthOmicsRun, Custom::HealthOmicsRunBatch .*not Custom::Something"):
        handler.on_event(unknown)


def test_a_run_cache_applies_to_every_run_of_the_batch(omics, batch_props):
    omics.add_run_cache("7654321")
    create({**batch_props, "CacheId": "7654321"})
    (request,) = omics.params_of("StartRunBatch")
    assert request["defaultRunSetting"]["cacheId"] == "7654321"


def test_delete_with_cancel_asks_again_when_the_batch_was_too_young_to_cancel(omics, batch_props):
    props = {**batch_props, "DeletePolicy": "CANCEL"}
    first = create(props)
    batch_id = first["Data"]["BatchId"]
    omics.set_batch_status(batch_id, "CREATING")
    deleting = batch_event("Delete", props, physical_id=first["PhysicalResourceId"])
    handler.on_event(deleting)  # CancelRunBatch refuses a CREATING batch (ConflictException)
    omics.set_batch_status(batch_id, "INPROGRESS")
    waiting = {**deleting, WAIT_DEADLINE: 4102444800}
    assert handler.is_complete(waiting) == {"IsComplete": False}
    assert omics.count("CancelRunBatch") == 2 and omics.batches[batch_id]["status"] == "STOPPING"
