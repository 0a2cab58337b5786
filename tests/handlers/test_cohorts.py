"""Cohorts that grow: a deploy runs only the samples that are new or changed.

Driven as CloudFormation drives a custom resource: an Update whose answer has a new physical id is
followed, once the stack update succeeded, by a Delete of the old one carrying the old properties; a
rollback sends the Update back (new -> old) and then deletes what the failed update answered
(CloudFormation User Guide, "Custom resource response objects",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html: "If the value returned
is different, CloudFormation recognizes the update as a replacement and sends a delete request to the old
resource"; aws-cdk issue #17040 and PR #29581 for the rollback sequence). StartRunBatch takes up to 100 runs
inline and up to 100,000 in an S3 JSON settings file; ListRunsInBatch filters by run setting id (HealthOmics
User Guide, "Run batches", https://docs.aws.amazon.com/omics/latest/dev/workflows-batch.html; API Reference,
ListRunsInBatch). How long HealthOmics remembers a requestId is not documented: the fake forgets on demand.
"""

from __future__ import annotations

import copy
import json

import boto3
import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.service_calls.runs import RunError
from tests.fake_omics import REGION
from tests.world import BATCH_TEMPLATE, LEDGER_URI, batch_event, batch_properties, sheet_properties, stage_sheet


@pytest.fixture
def omics(omics):
    omics.workflows["1234567"]["parameterTemplate"] = BATCH_TEMPLATE
    return omics


def sample(index: int, **changes) -> dict:
    return {"runSettingId": f"SAMPLE-{index:04d}", "parameters": {"sample_name": f"SAMPLE-{index:04d}"}, **changes}


def cohort(props, samples: list[dict]) -> dict:
    return {**batch_properties(props), "Samples": samples, "SampleTypes": {}, "SampleCount": str(len(samples))}


class CloudFormation:
    """One cohort resource, deployed as CloudFormation would: updates followed by the cleanup Delete."""

    def __init__(self, props: dict) -> None:
        self.props = props
        self.answer = handler.on_event(batch_event("Create", props))

    def update(self, props: dict, *, cleanup: bool = True) -> dict:
        old_props, old_physical = self.props, self.answer["PhysicalResourceId"]
        self.answer = handler.on_event(batch_event("Update", props, physical_id=old_physical, old_props=old_props))
        self.props = props
        if cleanup and self.answer["PhysicalResourceId"] != old_physical:
            handler.on_event(batch_event("Delete", old_props, physical_id=old_physical))
        return self.answer

    def delete(self) -> dict:
        return handler.on_event(batch_event("Delete", self.props, physical_id=self.answer["PhysicalResourceId"]))


def started(omics, nth: int = -1) -> list[str]:
    """The run setting ids of the nth StartRunBatch (inline, or read from its S3 settings file)."""
    settings = omics.params_of("StartRunBatch")[nth]["batchRunSettings"]
    if "inlineSettings" in settings:
        return [s["runSettingId"] for s in settings["inlineSettings"]]
    bucket, _, key = settings["s3UriSettings"].removeprefix("s3://").partition("/")
    body = boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
    return [s["runSettingId"] for s in json.loads(body)]


def run_of(omics, run_setting_id: str, batch_id: str) -> dict:
    (run,) = [r for r in omics.batch_runs(batch_id) if r["runSettingId"] == run_setting_id]
    return run


# -- the table -----------------------------------------------------------------------------------

def test_a_sample_added_starts_that_sample_only(omics, props):
    deploy = CloudFormation(cohort(props, [sample(1), sample(2)]))
    answer = deploy.update(cohort(props, [sample(1), sample(2), sample(3)]))
    assert started(omics) == ["SAMPLE-0003"] and answer["Data"]["RunsStarted"] == 1
    assert answer["Data"]["SampleCount"] == 3 and answer["Data"]["BatchCount"] == 2


@pytest.mark.parametrize("change", [
    {"parameters": {"sample_name": "SAMPLE-0002-RESEQUENCED"}}, {"name": "renamed"}, {"priority": 7},
    {"outputUri": "s3://example-output-bucket/elsewhere/"}])
def test_one_samples_settings_changed_starts_that_sample_only(omics, props, change):
    deploy = CloudFormation(cohort(props, [sample(1), sample(2)]))
    answer = deploy.update(cohort(props, [sample(1), sample(2, **change)]))
    assert started(omics) == ["SAMPLE-0002"] and answer["Data"]["RunsStarted"] == 1


@pytest.mark.parametrize("change", [{"Parameters": {"reference": "s3://example-reference-bucket/ref-v2.fa"}},
                                    {"StorageType": "STATIC", "StorageCapacity": "1200"},
                                    {"RerunToken": "2026-11-25"}])
def test_a_shared_setting_or_rerun_token_changed_starts_every_sample(omics, props, change):
    deploy = CloudFormation(cohort(props, [sample(1), sample(2)]))
    answer = deploy.update({**cohort(props, [sample(1), sample(2)]), **change})
    assert sorted(started(omics)) == ["SAMPLE-0001", "SAMPLE-0002"] and answer["Data"]["RunsStarted"] == 2


def test_a_sample_removed_starts_nothing_and_with_retain_its_run_keeps_going(omics, props):
    deploy = CloudFormation(cohort(props, [sample(1), sample(2)]))
    batch_id = deploy.answer["Data"]["BatchId"]
    answer = deploy.update(cohort(props, [sample(1)]))
    assert omics.count("StartRunBatch") == 1 and answer["Data"]["RunsStarted"] == 0
    assert run_of(omics, "SAMPLE-0002", batch_id)["status"] == "PENDING"


def test_a_sample_removed_with_cancel_has_its_run_cancelled_and_no_other(omics, props):
    keep = {"DeletePolicy": "CANCEL"}
    deploy = CloudFormation({**cohort(props, [sample(1), sample(2)]), **keep})
    batch_id = deploy.answer["Data"]["BatchId"]
    deploy.update({**cohort(props, [sample(1)]), **keep})
    assert run_of(omics, "SAMPLE-0002", batch_id)["status"] == "CANCELLED"
    assert run_of(omics, "SAMPLE-0001", batch_id)["status"] == "PENDING"
    assert omics.count("CancelRunBatch") == 0 and omics.count("StartRunBatch") == 1


def test_a_changed_sample_with_cancel_has_its_old_run_cancelled(omics, props):
    keep = {"DeletePolicy": "CANCEL"}
    deploy = CloudFormation({**cohort(props, [sample(1), sample(2)]), **keep})
    first = deploy.answer["Data"]["BatchId"]
    deploy.update({**cohort(props, [sample(1), sample(2, priority=5)]), **keep})
    assert run_of(omics, "SAMPLE-0002", first)["status"] == "CANCELLED"
    assert run_of(omics, "SAMPLE-0002", deploy.answer["Data"]["BatchId"])["status"] == "PENDING"


def test_rows_reordered_start_nothing_and_keep_the_physical_id(omics, props):
    deploy = CloudFormation(cohort(props, [sample(1), sample(2)]))
    physical = deploy.answer["PhysicalResourceId"]
    answer = deploy.update(cohort(props, [sample(2), sample(1)]))
    assert answer["PhysicalResourceId"] == physical and omics.count("StartRunBatch") == 1


def test_the_same_update_delivered_twice_starts_once_and_reports_the_same(omics, props):
    first = handler.on_event(batch_event("Create", cohort(props, [sample(1)])))
    grown = cohort(props, [sample(1), sample(2)])
    request = batch_event("Update", grown, physical_id=first["PhysicalResourceId"],
                          old_props=cohort(props, [sample(1)]))
    once, twice = handler.on_event(request), handler.on_event(copy.deepcopy(request))
    assert omics.count("StartRunBatch") == 2
    assert twice["Data"]["RunsStarted"] == once["Data"]["RunsStarted"] == 1 and twice["WaitBatch"] == once["WaitBatch"]


def test_a_rollback_starts_nothing_and_cancels_what_the_failed_update_started(omics, props):
    keep = {"DeletePolicy": "CANCEL"}
    old, new = {**cohort(props, [sample(1)]), **keep}, {**cohort(props, [sample(1), sample(2)]), **keep}
    deploy = CloudFormation(old)
    first_physical, first_batch = deploy.answer["PhysicalResourceId"], deploy.answer["Data"]["BatchId"]
    failed = deploy.update(new, cleanup=False)  # a later resource fails: CloudFormation rolls back
    omics.forget_request_ids()
    rollback = handler.on_event(batch_event("Update", old, physical_id=failed["PhysicalResourceId"], old_props=new))
    assert rollback["PhysicalResourceId"] == first_physical and rollback["Data"]["RunsStarted"] == 0
    handler.on_event(batch_event("Delete", new, physical_id=failed["PhysicalResourceId"]))  # rollback cleanup
    assert run_of(omics, "SAMPLE-0002", failed["Data"]["BatchId"])["status"] == "CANCELLED"
    assert run_of(omics, "SAMPLE-0001", first_batch)["status"] == "PENDING"
    assert omics.count("StartRunBatch") == 2


def test_forgotten_request_ids_start_nothing_again(omics, props):
    deploy = CloudFormation(cohort(props, [sample(1), sample(2)]))
    omics.forget_request_ids()
    deploy.update({**cohort(props, [sample(1), sample(2)]), "WaitFor": "RUNNING"})
    assert omics.count("StartRunBatch") == 1


# -- deletes, and a cohort added back ------------------------------------------------------------

def test_delete_with_cancel_cancels_every_active_batch_of_the_cohort(omics, props):
    keep = {"DeletePolicy": "CANCEL"}
    deploy = CloudFormation({**cohort(props, [sample(1)]), **keep})
    deploy.update({**cohort(props, [sample(1), sample(2)]), **keep})
    deleting = batch_event("Delete", deploy.props, physical_id=deploy.answer["PhysicalResourceId"])
    deleting = {**deleting, **handler.on_event(deleting)}
    assert sorted(omics.params_of("CancelRunBatch"), key=str) == sorted(
        [{"batchId": batch_id} for batch_id in omics.batches], key=str)
    assert handler.is_complete(deleting) == {"IsComplete": False}  # STOPPING
    for batch_id in omics.batches:
        omics.set_batch_status(batch_id, "CANCELLED")
    assert handler.is_complete(deleting) == {"IsComplete": True}


def test_a_cohort_removed_with_cancel_and_added_back_runs_every_sample_again(omics, props):
    keep = {**cohort(props, [sample(1), sample(2)]), "DeletePolicy": "CANCEL"}
    deploy = CloudFormation(keep)
    deploy.delete()
    omics.set_batch_status(deploy.answer["Data"]["BatchId"], "CANCELLED")
    again = handler.on_event(batch_event("Create", keep))
    assert again["Data"]["RunsStarted"] == 2 and len(omics.batches) == 2


def test_a_cohort_removed_with_retain_and_added_back_starts_nothing(omics, props):
    deploy = CloudFormation(cohort(props, [sample(1), sample(2)]))
    deploy.delete()
    again = handler.on_event(batch_event("Create", deploy.props))
    assert again["Data"]["RunsStarted"] == 0 and len(omics.batches) == 1


# -- waiting -------------------------------------------------------------------------------------

def test_wait_for_waits_for_the_runs_this_deploy_started(omics, props):
    waits = {"WaitFor": "COMPLETED"}
    deploy = CloudFormation({**cohort(props, [sample(1)]), **waits})
    omics.set_batch_status(deploy.answer["Data"]["BatchId"], "PROCESSED", completedRunCount=1)
    grown = {**cohort(props, [sample(1), sample(2)]), **waits}
    request = batch_event("Update", grown, physical_id=deploy.answer["PhysicalResourceId"], old_props=deploy.props)
    waiting = {**request, **handler.on_event(request)}
    assert handler.is_complete(waiting) == {"IsComplete": False}
    omics.set_batch_status(waiting["Data"]["BatchId"], "PROCESSED", completedRunCount=1)
    done = handler.is_complete(waiting)
    assert done["IsComplete"] is True and done["Data"]["CompletedRunCount"] == 2 and done["Data"]["RunsStarted"] == 1


def test_an_update_that_starts_nothing_completes_at_once_even_after_a_failed_batch(omics, props):
    deploy = CloudFormation({**cohort(props, [sample(1)]), "WaitFor": "COMPLETED"})
    omics.set_batch_status(deploy.answer["Data"]["BatchId"], "FAILED", failure_reason="ETag changed")
    longer = {**deploy.props, "TimeoutSeconds": "1800"}
    request = batch_event("Update", longer, physical_id=deploy.answer["PhysicalResourceId"], old_props=deploy.props)
    answer = handler.on_event(request)
    assert handler.is_complete({**request, **answer}) == {"IsComplete": True}
    assert answer["Data"]["Status"] == "FAILED"


def test_a_batch_this_deploy_started_that_fails_fails_the_deploy(omics, props):
    waits = {"WaitFor": "COMPLETED"}
    deploy = CloudFormation({**cohort(props, [sample(1)]), **waits})
    grown = {**cohort(props, [sample(1), sample(2)]), **waits}
    request = batch_event("Update", grown, physical_id=deploy.answer["PhysicalResourceId"], old_props=deploy.props)
    waiting = {**request, **handler.on_event(request)}
    omics.set_batch_status(waiting["Data"]["BatchId"], "FAILED", failure_reason="ETag changed")
    with pytest.raises(RunError, match="ended FAILED: a failure reason in words"):  # its words: in the log
        handler.is_complete(waiting)


# -- staged sheets -------------------------------------------------------------------------------

def _staged(props, settings, key):
    return sheet_properties(batch_properties(props), settings, stage_sheet(settings, key))


def test_a_staged_cohort_of_150_grown_to_152_starts_the_2_new_samples_inline(omics, props):
    deploy = CloudFormation(_staged(props, [sample(i) for i in range(150)], "sheet-150.json"))
    assert omics.params_of("StartRunBatch")[0]["batchRunSettings"] == {
        "s3UriSettings": "s3://example-assets-bucket/sheet-150.json"}  # every sample new: the staged sheet itself
    answer = deploy.update(_staged(props, [sample(i) for i in range(152)], "sheet-152.json"))
    assert started(omics) == ["SAMPLE-0150", "SAMPLE-0151"] and answer["Data"]["RunsStarted"] == 2


def test_more_than_100_new_samples_go_in_a_settings_file_beside_the_ledger(omics, props):
    deploy = CloudFormation(_staged(props, [sample(i) for i in range(150)], "sheet-150.json"))
    deploy.update(_staged(props, [sample(i) for i in range(300)], "sheet-300.json"))
    settings = omics.params_of("StartRunBatch")[-1]["batchRunSettings"]
    assert settings["s3UriSettings"].startswith(LEDGER_URI.removesuffix(".json") + "/")
    assert started(omics) == [f"SAMPLE-{i:04d}" for i in range(150, 300)]


def test_a_staged_samples_parameters_are_checked_against_the_workflow_before_anything_starts(omics, props):
    bad = [sample(i) for i in range(150)]
    bad[42]["parameters"] = {"sampel_name": "typo"}
    with pytest.raises(RunError, match="sample 'SAMPLE-0042': parameters not in the workflow's parameter template"):
        handler.on_event(batch_event("Create", _staged(props, bad, "sheet-bad.json")))
    assert omics.count("StartRunBatch") == 0


# -- upgrading from a batch resource without a ledger --------------------------------------------

def test_a_batch_deployed_before_ledgers_grown_by_one_sample_starts_only_that_sample(omics, props):
    legacy = cohort(props, [sample(1), sample(2)])
    batch = omics.client.start_run_batch(**handler.kinds.BATCH.read(legacy).request, requestId="hr-legacy")
    deploy = CloudFormation.__new__(CloudFormation)
    deploy.props, deploy.answer = legacy, {"PhysicalResourceId": f"{batch['id']}/{batch['uuid']}"}
    answer = deploy.update(cohort(props, [sample(1), sample(2), sample(3)]))
    assert started(omics) == ["SAMPLE-0003"] and answer["Data"]["RunsStarted"] == 1


def test_a_batch_deployed_before_ledgers_keeps_its_wanted_runs_when_its_old_id_is_deleted(omics, props):
    legacy = {**cohort(props, [sample(1), sample(2)]), "DeletePolicy": "CANCEL"}
    batch = omics.client.start_run_batch(**handler.kinds.BATCH.read(legacy).request, requestId="hr-legacy")
    deploy = CloudFormation.__new__(CloudFormation)
    deploy.props, deploy.answer = legacy, {"PhysicalResourceId": f"{batch['id']}/{batch['uuid']}"}
    deploy.update({**cohort(props, [sample(1), sample(2), sample(3)]), "DeletePolicy": "CANCEL"})
    assert omics.count("CancelRunBatch") == 0 and omics.batches[batch["id"]]["status"] == "PENDING"


def test_a_batch_deployed_before_ledgers_removed_with_cancel_is_cancelled(omics, props):
    legacy = {**cohort(props, [sample(1)]), "DeletePolicy": "CANCEL"}
    batch = omics.client.start_run_batch(**handler.kinds.BATCH.read(legacy).request, requestId="hr-legacy")
    handler.on_event(batch_event("Delete", legacy, physical_id=f"{batch['id']}/{batch['uuid']}"))
    assert omics.batches[batch["id"]]["status"] == "STOPPING"


def test_the_rollback_of_a_failed_first_update_from_before_ledgers_starts_nothing(omics, props):
    """The failed update answered nothing, so the rollback (props old, old props the failed ones) still names
    the legacy batch: GetBatch's default run setting and run count tell which settings it ran with."""
    legacy = cohort(props, [sample(1), sample(2)])
    batch = omics.client.start_run_batch(**handler.kinds.BATCH.read(legacy).request, requestId="hr-legacy")
    physical = f"{batch['id']}/{batch['uuid']}"
    failed = cohort(props, [sample(1), sample(2), sample(3)])
    rollback = handler.on_event(batch_event("Update", legacy, physical_id=physical, old_props=failed))
    assert rollback["Data"]["RunsStarted"] == 0 and omics.count("StartRunBatch") == 1


def test_a_rollback_whose_old_sheet_cannot_be_read_starts_nothing(omics, props):
    """The handler may read the current sheet only; if CloudFormation rolls the cohort back before the handler's
    policy, the old sheet is out of reach (or removed by cdk gc): the ledger knows those settings were answered."""
    old = _staged(props, [sample(i) for i in range(150)], "sheet-150.json")
    deploy = CloudFormation(old)
    new = _staged(props, [sample(i) for i in range(152)], "sheet-152.json")
    failed = deploy.update(new, cleanup=False)
    boto3.client("s3", region_name=REGION).delete_object(Bucket="example-assets-bucket", Key="sheet-150.json")
    rollback = handler.on_event(batch_event("Update", old, physical_id=failed["PhysicalResourceId"], old_props=new))
    assert rollback["Data"]["RunsStarted"] == 0 and omics.count("StartRunBatch") == 2


def test_an_unreadable_ledger_of_a_batch_from_before_ledgers_whose_sheet_is_gone_fails_the_deploy(omics, props):
    """Nothing starts on a guess, and nothing is answered on one either: with the ledger unreadable, no
    generation in the physical id (a batch deployed before ledgers) and the sheet out of reach, the deploy
    fails naming the ledger."""
    legacy = _staged(props, [sample(1), sample(2)], "sheet-2.json")
    batch = omics.client.start_run_batch(**handler.kinds.BATCH.read(legacy).request, requestId="hr-legacy")
    bucket, _, key = LEDGER_URI.removeprefix("s3://").partition("/")
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=bucket, Key=key, Body=b"not a ledger")
    s3.delete_object(Bucket="example-assets-bucket", Key="sheet-2.json")
    with pytest.raises(RunError, match="ledger"):
        handler.on_event(batch_event("Update", legacy, physical_id=f"{batch['id']}/{batch['uuid']}", old_props=legacy))
    assert omics.count("StartRunBatch") == 1


def test_two_stacks_writing_to_one_output_prefix_keep_ledgers_of_their_own(omics, props):
    first = handler.on_event(batch_event("Create", cohort(props, [sample(1)])))
    other = {**batch_event("Create", cohort(props, [sample(1)])),
             "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/OtherStack/"
                        "00000000-0000-0000-0000-000000000002"}
    second = handler.on_event(other)
    assert first["Data"]["RunsStarted"] == second["Data"]["RunsStarted"] == 1 and len(omics.batches) == 2


def test_a_failed_batchs_samples_start_again_when_the_change_is_deployed_again(omics, props):
    """A batch that ended FAILED started nothing: deploying the same change again (after the rollback) starts its
    samples in a new batch, instead of finding them run or adopting the failed batch."""
    small, grown = cohort(props, [sample(1)]), cohort(props, [sample(1), sample(2)])
    created = handler.on_event(batch_event("Create", small))
    failed = handler.on_event(batch_event("Update", grown, physical_id=created["PhysicalResourceId"], old_props=small))
    omics.set_batch_status(failed["Data"]["BatchId"], "FAILED", failure_reason="ETag changed")
    rollback = handler.on_event(batch_event("Update", small, physical_id=failed["PhysicalResourceId"], old_props=grown))
    again = handler.on_event(batch_event("Update", grown, physical_id=rollback["PhysicalResourceId"], old_props=small))
    assert again["Data"]["RunsStarted"] == 1 and again["Data"]["BatchId"] != failed["Data"]["BatchId"]


def test_a_removed_samples_run_not_submitted_yet_is_cancelled_once_it_is(omics, props):
    """StartRunBatch submits runs gradually; ListRunsInBatch lists a sample without a run id until then
    (HealthOmics User Guide, "Run batches"). Its cancel is asked again at the next is_complete."""
    keep = {"DeletePolicy": "CANCEL"}
    omics.hold_submissions = True
    deploy = CloudFormation({**cohort(props, [sample(1), sample(2)]), **keep})
    old_props, old_physical = deploy.props, deploy.answer["PhysicalResourceId"]
    deploy.update({**cohort(props, [sample(1)]), **keep}, cleanup=False)
    cleanup = batch_event("Delete", old_props, physical_id=old_physical)
    cleanup = {**cleanup, **handler.on_event(cleanup)}
    assert handler.is_complete(cleanup) == {"IsComplete": False}  # its run is not there to cancel yet
    omics.submit_held()
    batch_id = deploy.answer["Data"]["BatchId"]
    assert handler.is_complete(cleanup) == {"IsComplete": True}
    assert run_of(omics, "SAMPLE-0002", batch_id)["status"] == "CANCELLED"
    assert run_of(omics, "SAMPLE-0001", batch_id)["status"] == "PENDING"


def test_cancelling_many_runs_saves_its_progress_before_the_invocation_runs_out(omics, props, monkeypatch):
    """No invocation outlives its timeout (Lambda Developer Guide, "Configure Lambda function timeout"): the
    cancels stop while there is time to save the ledger, and the next is_complete goes on from there."""
    from tests.virtual_time import LambdaContext, VirtualClock

    keep = {"DeletePolicy": "CANCEL"}
    deploy = CloudFormation({**cohort(props, [sample(i) for i in range(10)]), **keep})
    old_props, old_physical = deploy.props, deploy.answer["PhysicalResourceId"]
    deploy.update({**cohort(props, [sample(0)]), **keep}, cleanup=False)
    clock = VirtualClock(monkeypatch)
    omics.clock = clock
    monkeypatch.setattr(VirtualClock, "latency", 20.0)  # slow calls: a 120 s invocation has room for a few
    cleanup = batch_event("Delete", old_props, physical_id=old_physical)
    cleanup = {**cleanup, **handler.on_event(cleanup, LambdaContext(clock, 120))}
    def cancelled() -> int:
        return sum(r["status"] == "CANCELLED" for r in omics.batch_runs(deploy.answer["Data"]["BatchId"]))

    first = cancelled()
    assert 0 < first < 9
    for _ in range(20):
        if handler.is_complete({**cleanup, "WaitDeadline": clock.time() + 3000},
                               LambdaContext(clock, 120))["IsComplete"]:
            break
    assert cancelled() == 9


def test_an_update_asks_getbatch_once_per_earlier_batch(omics, props):
    """HealthOmics API quotas are a few calls a second (HealthOmics User Guide, "HealthOmics API quotas",
    https://docs.aws.amazon.com/omics/latest/dev/api-quotas.html): checking for batches that ended badly and
    reporting the cohort's counts share one GetBatch per batch."""
    deploy = CloudFormation(cohort(props, [sample(1)]))
    first = deploy.answer["Data"]["BatchId"]
    before = len(omics.params_of("GetBatch"))
    deploy.update(cohort(props, [sample(1), sample(2)]), cleanup=False)
    asked = [p["batchId"] for p in omics.params_of("GetBatch")[before:]]
    assert asked.count(first) == 1
