"""Bad props fail synthesis with a message naming the prop and what it allows; tokens are left alone."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from healthomics_run import (
    HealthOmicsRun,
    HealthOmicsRunBatch,
    RunGroup,
    StorageType,
    ValidationError,
    WorkflowRun,
    WorkflowType,
)
from tests.synth import new_stack, only_run_properties


def synth_run(**props) -> cdk.Stack:
    stack = new_stack()
    HealthOmicsRun(stack, "Run", **{"workflow_id": "1234567", **props})
    cdk.App.of(stack).synth()
    return stack


@pytest.mark.parametrize("props, message", [
    ({"priority": 100001}, "priority must be between 0 and 100000, got 100001"),
    ({"storage_type": StorageType.STATIC}, "storage_type STATIC needs storage_capacity"),
    ({"storage_capacity": 1200}, "storage_capacity applies only to storage_type STATIC"),
    ({"storage_type": "FAST"}, "storage_type must be one of STATIC, DYNAMIC; got 'FAST'"),
    ({"log_level": "DEBUG"}, "log_level must be one of OFF, FATAL, ERROR, ALL"),
    ({"workflow_id": "wf-1"}, "workflow_id must match the pattern [0-9]+"),
    ({"workflow_id": None}, "workflow_id is required (or source_run_id"),
    ({"name": "x" * 129}, "name must be 1 to 128 characters long, got 129"),
    ({"name": "bad\u0000name"}, "name must match the pattern"),
    ({"workflow_version_name": "-v1"}, "workflow_version_name must match the pattern"),
    ({"workflow_owner_id": "12345"}, "workflow_owner_id must match the pattern [0-9]{12}"),
    ({"workflow_type": WorkflowType.READY2RUN, "workflow_owner_id": "123456789012"},
     "workflow_owner_id is for shared PRIVATE workflows"),
    ({"tags": {f"k{i}": "v" for i in range(51)}}, "tags may hold at most 50 tags, got 51"),
    ({"tags": {"aws:owner": "lab"}}, "reserved prefix 'aws:'"),
    ({"tags": {"k": "v" * 257}}, "must be 0 to 256 characters long"),
    ({"cache_behavior": "CACHE_ALWAYS"}, "cache_behavior needs cache_id"),
    ({"networking_mode": "VPC"}, "networking_mode VPC needs configuration_name"),
    ({"parameters": ["not", "a", "mapping"]}, "parameters must be a mapping"),
    ({"wait_for": "FOREVER"}, "wait_for must be one of STARTED, RUNNING, COMPLETED"),
    ({"delete_policy": "DESTROY"}, "delete_policy must be one of RETAIN, CANCEL"),
    ({"timeout": cdk.Duration.hours(2)}, "timeout must be between 1 second and 50 minutes"),
    ({"scratch_storage_mode": "FAST"}, "scratch_storage_mode must be one of LOCAL, SHARED; got 'FAST'"),
    ({"session_policy": '{"Statement":[]' + " " * 2048 + "}"},
     "session_policy must be 1 to 2048 characters long, got 2064"),
    ({"session_policy": "{not json"}, "session_policy must be an IAM policy document as JSON"),
    ({"session_policy": 42}, "session_policy must be an iam.PolicyDocument or a JSON string; got 42"),
    ({"engine_settings": ["-profile", "docker"]}, "engine_settings must be a mapping of setting names to values"),
    ({"engine_settings": {"ratio": float("nan")}}, "engine_settings/ratio: must be a finite number"),
    ({"requester_pays_enabled": "yes"}, "requester_pays_enabled must be True or False, got 'yes'"),
    ({"parameters_uri": "s3://example-params-bucket/run.json", "parameters": {"sample_name": "NA12878"}},
     "give parameters or parameters_uri, not both"),
    ({"parameters_uri": "https://example-params-bucket/run.json"}, "parameters_uri must match the pattern"),
    ({"output_bucket_owner_id": "123456789012"}, "output_bucket_owner_id is available to run batches only"),
])
def test_invalid_prop_fails_synthesis_naming_it(props, message):
    """The limits are the shipped model's; for the newer fields, as in the HealthOmics API Reference, "StartRun"
    (https://docs.aws.amazon.com/omics/latest/api/API_StartRun.html): sessionPolicy at most 2,048 characters,
    scratchStorageMode LOCAL | SHARED, parametersUri ``s3://...``, "either parameters or parametersUri, not
    both"; outputBucketOwnerId is a member of StartRunBatch's DefaultRunSetting only
    (https://docs.aws.amazon.com/omics/latest/api/API_DefaultRunSetting.html)."""
    with pytest.raises(ValidationError) as raised:
        synth_run(**props)
    assert message in str(raised.value)


def synth_batch(samples=({"run_setting_id": "S1"},), **props) -> cdk.Stack:
    stack = new_stack()
    HealthOmicsRunBatch(stack, "Cohort", samples=list(samples), **{"workflow_id": "1234567", **props})
    cdk.App.of(stack).synth()
    return stack


@pytest.mark.parametrize("props, samples, message", [
    ({"output_bucket_owner_id": "12345"}, [{"run_setting_id": "S1"}],
     "output_bucket_owner_id must be 12 characters long, got 5"),
    ({"output_bucket_owner_id": "12345678901x"}, [{"run_setting_id": "S1"}],
     "output_bucket_owner_id must match the pattern [0-9]+; got '12345678901x'"),
    ({}, [{"run_setting_id": "S1", "output_bucket_owner_id": "1234"}],
     "samples row 1: output_bucket_owner_id must be 12 characters long, got 4"),
    ({}, [{"run_setting_id": "S1", "engine_settings": "docker"}],
     "samples row 1: engine_settings must be a mapping of setting names to values"),
])
def test_invalid_batch_prop_or_sample_fails_synthesis_naming_it(props, samples, message):
    """DefaultRunSetting and InlineSetting ``outputBucketOwnerId``: "Fixed length of 12", pattern ``[0-9]+``
    (HealthOmics API Reference, "InlineSetting", https://docs.aws.amazon.com/omics/latest/api/API_InlineSetting.html)."""
    with pytest.raises(ValidationError) as raised:
        synth_batch(samples, **props)
    assert message in str(raised.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as raised:
        synth_run(priority=-1, log_level="LOUD")
    assert "priority" in str(raised.value) and "log_level" in str(raised.value)


def test_values_known_only_at_deploy_time_are_not_validated():
    stack = new_stack()
    workflow = cdk.CfnParameter(stack, "WorkflowId").value_as_string
    priority = cdk.CfnParameter(stack, "Priority", type="Number").value_as_number
    HealthOmicsRun(stack, "Run", workflow_id=workflow, priority=priority, tags={"sample": workflow})
    cdk.App.of(stack).synth()
    assert only_run_properties(stack)["WorkflowId"] == {"Ref": "WorkflowId"}


def test_new_fields_known_only_at_deploy_time_are_not_validated():
    stack = new_stack()
    mode = cdk.CfnParameter(stack, "Mode").value_as_string
    uri = cdk.CfnParameter(stack, "ParametersUri").value_as_string
    policy = cdk.CfnParameter(stack, "Policy").value_as_string
    HealthOmicsRun(stack, "Run", workflow_id="1234567", scratch_storage_mode=mode, parameters_uri=uri,
                   session_policy=policy, engine_settings={"profile": mode})
    cdk.App.of(stack).synth()
    properties = only_run_properties(stack)
    assert properties["ScratchStorageMode"] == {"Ref": "Mode"}
    assert properties["ParametersUri"] == {"Ref": "ParametersUri"}
    assert properties["SessionPolicy"] == {"Ref": "Policy"}
    assert properties["EngineSettings"] == {"profile": {"Ref": "Mode"}}


@pytest.mark.parametrize("props, message", [
    ({"max_cpus": 0}, "max_cpus must be a whole number from 1 to 100000, got 0"),
    ({"max_runs": 100001}, "max_runs must be a whole number from 1 to 100000"),
    ({"max_duration": cdk.Duration.seconds(90)},
     "max_duration must be a whole number from 1 to 100000 minutes, got 1.5"),
])
def test_run_group_limits_are_checked_against_the_service_ranges(props, message):
    stack = new_stack()
    RunGroup(stack, "Group", **props)
    with pytest.raises(Exception, match=message):
        cdk.App.of(stack).synth()


def test_duplicating_a_run_needs_no_workflow_id():
    stack = new_stack()
    role = cdk.aws_iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/omics-run-role")
    WorkflowRun(stack, "Again", role=role, output_uri="s3://example-output-bucket/again/", source_run_id="1000001")
    cdk.App.of(stack).synth()
    assert only_run_properties(stack)["SourceRunId"] == "1000001"
