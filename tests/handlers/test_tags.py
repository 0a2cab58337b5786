"""Tags change nothing a run computes: ``Tags.of`` and the ``tags`` prop reach every run, a change of tags
alone starts no run (it re-tags in place), and a stack deployed with 0.2, whose physical ids and ledger keys
were computed with tags, starts nothing when deployed again with this release.

AWS facts relied on:
- HealthOmics tags a run or a run batch by its ARN with ``TagResource`` and removes tags with
  ``UntagResource`` (AWS HealthOmics API Reference, TagResource and UntagResource,
  https://docs.aws.amazon.com/omics/latest/api/API_TagResource.html,
  https://docs.aws.amazon.com/omics/latest/api/API_UntagResource.html); in IAM both are actions
  ``omics:TagResource`` / ``omics:UntagResource`` on the ``run`` and ``runBatch`` resource types (Service
  Authorization Reference, "Actions, resources, and condition keys for AWS HealthOmics",
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthomics.html).
- TagResource and UntagResource are limited to 5 TPS per Region ("HealthOmics API quotas",
  https://docs.aws.amazon.com/omics/latest/dev/api-quotas.html): a batch is re-tagged, its runs keep theirs.
- A custom resource is not taggable in aws-cdk-lib: ``Tags.of`` applies to constructs with a ``TagManager``
  (``ITaggable`` / ``ITaggableV2``, aws-cdk-lib docs "Tags", https://docs.aws.amazon.com/cdk/v2/guide/tagging.html).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import aws_cdk as cdk
import boto3
import pytest

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, WaitFor
from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model.properties import RunSettings
from tests.fake_omics import REGION
from tests.synth import new_stack, template
from tests.world import BATCH_TEMPLATE, LEDGER_URI, batch_event, event, run_properties

RELEASE_0_2 = json.loads((Path(__file__).parent.parent / "fixtures" / "release_0_2_tagged.json").read_text())


def _run_resources(stack) -> dict:
    return template(stack).find_resources("Custom::HealthOmicsRun")


def _batch_resources(stack) -> dict:
    return template(stack).find_resources("Custom::HealthOmicsRunBatch")


# -- synth: Tags.of reaches runs -------------------------------------------------------------------

def test_tags_of_an_app_reach_every_run_merged_with_the_tags_prop():
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", tags={"owner": "lab-a", "project": "own"})
    cdk.Tags.of(stack).add("project", "genomes")
    (resource,) = _run_resources(stack).values()
    assert resource["Properties"]["Tags"] == {"owner": "lab-a", "project": "genomes"}


def test_tags_of_an_app_reach_a_batch_and_every_run_of_it():
    """The ``Tags`` property of a batch is the batch's ``tags`` and every run's ``runTags`` (handler:
    ``batch_settings``; batch tags are not inherited by runs: HealthOmics guide "Run batches")."""
    stack = new_stack()
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=[{"run_setting_id": "S1"}])
    cdk.Tags.of(stack).add("cost-center", "cc-42")
    (resource,) = _batch_resources(stack).values()
    assert resource["Properties"]["Tags"] == {"cost-center": "cc-42"}


def test_tags_of_can_exclude_the_run_resource_type_as_for_any_resource():
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567")
    cdk.Tags.of(stack).add("project", "genomes", exclude_resource_types=["Custom::HealthOmicsRun"])
    (resource,) = _run_resources(stack).values()
    assert "Tags" not in resource["Properties"]


def test_an_untagged_run_has_no_tags_property_so_upgrading_changes_nothing_in_its_template():
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567")
    (resource,) = _run_resources(stack).values()
    assert "Tags" not in resource["Properties"]


def test_adding_a_tag_to_the_whole_app_leaves_the_run_settings_digest_alone():
    def digest(tagged: bool) -> str:
        stack = new_stack()
        HealthOmicsRun(stack, "Run", workflow_id="1234567")
        if tagged:
            cdk.Tags.of(stack).add("project", "genomes")
        (resource,) = _run_resources(stack).values()
        return resource["Properties"]["RunSettingsDigest"]
    assert digest(True) == digest(False)


# -- the handler: a change of tags alone re-tags in place --------------------------------------------

def test_a_change_of_tags_alone_starts_no_run_and_retags_it(aws, omics):
    old = {**run_properties(aws), "Tags": {"project": "a", "stale": "x"}}
    new = {**run_properties(aws), "Tags": {"project": "b", "owner": "lab"}}
    created = handler.on_event(event("Create", old))
    updated = handler.on_event(event("Update", new, physical_id=created["PhysicalResourceId"], old_props=old))
    assert updated["PhysicalResourceId"] == created["PhysicalResourceId"] and omics.count("StartRun") == 1
    assert omics.tags(updated["Data"]["RunArn"]) == {"project": "b", "owner": "lab"}
    assert omics.params_of("UntagResource")[0]["tagKeys"] == ["stale"]


def test_a_rollback_of_a_tags_only_change_restores_the_tags_and_starts_nothing(aws, omics):
    old, new = {**run_properties(aws), "Tags": {"project": "a"}}, {**run_properties(aws), "Tags": {"project": "b"}}
    created = handler.on_event(event("Create", old))
    physical = created["PhysicalResourceId"]
    handler.on_event(event("Update", new, physical_id=physical, old_props=old))
    rolled_back = handler.on_event(event("Update", old, physical_id=physical, old_props=new))
    assert rolled_back["PhysicalResourceId"] == physical and omics.count("StartRun") == 1
    assert omics.tags(rolled_back["Data"]["RunArn"]) == {"project": "a"}


def test_an_unchanged_update_calls_no_tagging_api(aws, omics):
    props = {**run_properties(aws), "Tags": {"project": "a"}}
    created = handler.on_event(event("Create", props))
    handler.on_event(event("Update", props, physical_id=created["PhysicalResourceId"], old_props=props))
    assert omics.count("TagResource") == omics.count("UntagResource") == 0


# -- upgrading from 0.2, whose run names included tags ----------------------------------------------

def _release_0_2_run(omics) -> tuple[dict, str]:
    """The 0.2 run's properties, and its physical id: the run's id and uuid in this fake, and the settings
    0.2 recorded (``tests/fixtures/release_0_2_tagged.json``, written by 0.2's own handler)."""
    props = RELEASE_0_2["run"]["properties"]
    recorded = RELEASE_0_2["run"]["physical_id"].rsplit("/", 1)[1]
    assert recorded != RunSettings.from_properties(props).fingerprint()[:16]  # 0.2 named it differently
    run = omics.client.start_run(**{**RunSettings.from_properties(props).request, "requestId": "made-by-0.2"})
    return props, f"{run['id']}/{run['uuid']}/{recorded}"


def test_a_tagged_run_deployed_with_0_2_starts_nothing_when_deployed_again_unchanged(aws, omics):
    props, physical = _release_0_2_run(omics)
    answer = handler.on_event(event("Update", props, physical_id=physical, old_props=props))
    assert answer["PhysicalResourceId"] == physical and omics.count("StartRun") == 1
    assert omics.count("TagResource") == 0


def test_a_tagged_run_deployed_with_0_2_is_retagged_when_upgraded_together_with_new_tags(aws, omics):
    props, physical = _release_0_2_run(omics)
    new = {**props, "Tags": {"project": "germline", "cost-center": "cc-43"}}
    answer = handler.on_event(event("Update", new, physical_id=physical, old_props=props))
    assert answer["PhysicalResourceId"] == physical and omics.count("StartRun") == 1
    assert omics.tags(answer["Data"]["RunArn"]) == {"project": "germline", "cost-center": "cc-43"}


# -- cohorts ---------------------------------------------------------------------------------------

@pytest.fixture
def cohort_omics(omics):
    omics.workflows["1234567"]["parameterTemplate"] = {**BATCH_TEMPLATE, "threads": {"optional": True}}
    return omics


def _release_0_2_cohort(omics, delete_policy: str) -> tuple[dict, str]:
    """The 0.2 cohort's properties, and its physical id, with the ledger 0.2 wrote (its batch id and uuid
    those of a batch this fake started for the same samples)."""
    props = {**copy.deepcopy(RELEASE_0_2["batch"]["properties"]), "DeletePolicy": delete_policy}
    handler.on_event(batch_event("Create", props))  # a batch of these samples in the fake (its ledger replaced)
    ((batch_id, batch),) = omics.batches.items()
    book = copy.deepcopy(RELEASE_0_2["batch"]["ledger"])
    (old_id,) = book["batches"]
    book["batches"] = {batch_id: batch["uuid"]}
    for entry in book["samples"].values():
        entry[1] = batch_id
    book["answers"] = {gen: {**answer, "batch": batch_id} for gen, answer in book["answers"].items()}
    bucket, key = LEDGER_URI.removeprefix("s3://").split("/", 1)
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=json.dumps(book).encode())
    return props, RELEASE_0_2["batch"]["physical_id"]


@pytest.mark.parametrize("delete_policy", ["RETAIN", "CANCEL"])
def test_a_tagged_cohort_deployed_with_0_2_starts_and_cancels_nothing_when_deployed_again(aws, cohort_omics,
                                                                                         delete_policy):
    """CloudFormation deletes the old generation after the update when the physical id changes: with
    CANCEL, that Delete must cancel nothing the cohort still wants."""
    props, physical = _release_0_2_cohort(cohort_omics, delete_policy)
    answer = handler.on_event(batch_event("Update", props, physical_id=physical, old_props=props))
    if answer["PhysicalResourceId"] != physical:
        handler.on_event(batch_event("Delete", props, physical_id=physical))
    assert cohort_omics.count("StartRunBatch") == 1 and answer["Data"]["RunsStarted"] == 0
    assert cohort_omics.count("CancelRunBatch") == cohort_omics.count("CancelRun") == 0


def test_a_tagged_cohort_deployed_with_0_2_upgraded_together_with_new_tags_starts_nothing(aws, cohort_omics):
    props, physical = _release_0_2_cohort(cohort_omics, "CANCEL")
    new = copy.deepcopy(props)
    new["Tags"] = {"project": "cohort-b"}
    new["Samples"][0]["runTags"] = {"sample": "uno"}
    answer = handler.on_event(batch_event("Update", new, physical_id=physical, old_props=props))
    if answer["PhysicalResourceId"] != physical:
        handler.on_event(batch_event("Delete", props, physical_id=physical))
    assert cohort_omics.count("StartRunBatch") == 1 and answer["Data"]["RunsStarted"] == 0
    assert cohort_omics.count("CancelRunBatch") == cohort_omics.count("CancelRun") == 0
    assert cohort_omics.tags(answer["Data"]["BatchArn"]) == {"project": "cohort-b"}


def test_a_change_of_a_cohorts_tags_alone_starts_no_run_and_retags_its_batches(aws, cohort_omics):
    props = {**copy.deepcopy(RELEASE_0_2["batch"]["properties"]), "Tags": {"project": "a"}}
    created = handler.on_event(batch_event("Create", props))
    new = copy.deepcopy(props)
    new["Tags"] = {"project": "b"}
    new["Samples"][1]["runTags"] = {"sample": "two"}
    answer = handler.on_event(batch_event("Update", new, physical_id=created["PhysicalResourceId"], old_props=props))
    assert answer["PhysicalResourceId"] == created["PhysicalResourceId"] and answer["Data"]["RunsStarted"] == 0
    assert cohort_omics.count("StartRunBatch") == 1
    assert cohort_omics.tags(answer["Data"]["BatchArn"]) == {"project": "b"}


def test_more_than_50_tags_with_those_tags_of_added_fail_synth_naming_the_limit():
    """HealthOmics takes at most 50 tags on a run (StartRun ``tags``, the service model's TagMap)."""
    app = cdk.App()
    stack = cdk.Stack(app, "Tagged")
    HealthOmicsRun(stack, "Run", workflow_id="1234567", tags={f"own-{i}": "x" for i in range(30)})
    for i in range(30):
        cdk.Tags.of(stack).add(f"app-{i}", "y")
    with pytest.raises(RuntimeError, match=r"tags may hold at most 50 tags, got 60 \(the tags prop with those Tags.of"):
        app.synth()


def _wait_conditions(tagged_app: bool) -> list[str]:
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", tags={"project": "germline"}, wait_for=WaitFor.COMPLETED,
                   timeout=cdk.Duration.hours(3))
    if tagged_app:
        cdk.Tags.of(stack).add("cost-center", "cc-42")
    return sorted(template(stack).find_resources("AWS::CloudFormation::WaitCondition"))


def test_a_tagged_run_waiting_for_completed_keeps_the_wait_0_2_made_and_tags_of_adds_none():
    """A wait condition cannot be updated: a new logical id is a new wait, which a run deleted since would fail
    (CloudFormation user guide, AWS::CloudFormation::WaitCondition). The id below is what 0.2 (commit 3150905)
    synthesized for this very run."""
    assert _wait_conditions(tagged_app=False) == _wait_conditions(tagged_app=True) == [
        "RunCompletionConditionb47357ec3e25a0e5T10800F63CB516"]


def test_tags_of_added_after_a_run_that_waits_past_the_hour_reach_its_tags_property():
    """The wait's name is computed at construction from the ``tags`` prop; the ``Tags`` property is rendered at
    synth, with what ``Tags.of`` added after the run was made. The tag manager's ``rendered_tags`` is a
    ``Lazy.any``, "the one-time calculation" of a value (aws-cdk-lib API reference, class Lazy,
    https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Lazy.html): rendered early, it would stay as it was."""
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", tags={"project": "germline"}, wait_for=WaitFor.COMPLETED,
                   timeout=cdk.Duration.hours(3))
    cdk.Tags.of(stack).add("cost-center", "cc-42")
    (resource,) = _run_resources(stack).values()
    assert resource["Properties"]["Tags"] == {"cost-center": "cc-42", "project": "germline"}


def test_a_tag_value_known_only_at_deploy_passes_the_synth_check_of_tags():
    """A deploy-time tag value stands in the template as an intrinsic function; HealthOmics sees the string it
    becomes, so synth judges only what it knows (the key)."""
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567")
    cdk.Tags.of(stack).add("stack", cdk.Aws.STACK_NAME)
    (resource,) = _run_resources(stack).values()
    assert resource["Properties"]["Tags"] == {"stack": {"Ref": "AWS::StackName"}}
