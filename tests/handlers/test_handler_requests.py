"""What the handler sends to StartRun: types, checks, and how service errors read."""

from __future__ import annotations

import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model.fingerprint import content_digest, fingerprint, request_id
from healthomics_run.service_calls.runs import RunError
from tests.world import STACK_ID, WORKFLOW_ID, event


def start(props, **kwargs):
    return handler.on_event(event("Create", props, **kwargs))


def test_stringified_properties_reach_start_run_with_their_original_types(omics, props):
    props = {**props, "Priority": "5", "StorageType": "STATIC", "StorageCapacity": "1200",
             "Parameters": {**props["Parameters"], "options": {"min_qual": "20.5", "emit_ref": "true",
                                                               "ploidy": ["2", "1"], "note": "null"}},
             "ParameterTypes": {**props["ParameterTypes"], "/options/min_qual": "number",
                                "/options/emit_ref": "boolean", "/options/ploidy/0": "number",
                                "/options/ploidy/1": "number", "/options/note": "null"}}
    start(props)
    sent = omics.params_of("StartRun")[0]
    assert sent["priority"] == 5 and sent["storageCapacity"] == 1200
    assert sent["parameters"] == {"sample_name": "NA12878", "threads": 8, "use_gpu": False,
                                  "intervals": ["chr1", "chr2"],
                                  "options": {"min_qual": 20.5, "emit_ref": True, "ploidy": [2, 1], "note": None}}


def test_request_id_is_derived_from_stack_logical_id_and_settings(omics, props):
    start(props)
    sent = omics.params_of("StartRun")[0]
    settings = {k: v for k, v in sent.items() if k not in ("requestId", "parameters")}
    named = {**settings, "parameters": {"sha256": content_digest(sent["parameters"])}}  # parameters by their digest
    assert sent["requestId"] == request_id(STACK_ID, "GermlineRun1DD31D54", fingerprint(named))
    assert len(sent["requestId"]) <= 128


def test_two_resources_with_identical_settings_start_a_run_each(omics, props):
    start(props, logical_id="First")
    start(props, logical_id="Second")
    assert len(omics.runs) == 2


def test_unknown_and_missing_workflow_parameters_are_named_and_nothing_starts(omics, props):
    props = {**props, "Parameters": {"threads": "8", "sampel_name": "x"}, "ParameterTypes": {"/threads": "number"}}
    with pytest.raises(RunError) as raised:
        start(props)
    assert "sampel_name" in str(raised.value) and "missing: sample_name" in str(raised.value)
    assert omics.count("StartRun") == 0


def test_workflow_version_parameters_come_from_that_version(omics, props):
    omics.add_workflow(WORKFLOW_ID, {}, versions={"v2": {"sample_name": {}, "bam": {}}})
    with pytest.raises(RunError, match="missing: bam"):
        start({**props, "WorkflowVersionName": "v2"})
    assert omics.count("GetWorkflowVersion") == 1


def test_duplicating_a_run_skips_the_parameter_check_and_passes_run_id(omics, props):
    source = start(props)["Data"]["RunId"]
    duplicate = {k: v for k, v in props.items() if k not in ("WorkflowId", "Parameters", "ParameterTypes")}
    start({**duplicate, "SourceRunId": source}, logical_id="Duplicate")
    assert omics.params_of("StartRun")[-1]["runId"] == source
    assert omics.count("GetWorkflow") == 1


@pytest.mark.parametrize("code, advice", [
    ("AccessDeniedException", "iam:PassRole"),
    ("ServiceQuotaExceededException", "retention_mode REMOVE"),
    ("ValidationException", "trust omics.amazonaws.com"),
    ("ConflictException", "deploy again"),
])
def test_service_errors_quote_the_service_and_say_what_to_check(omics, props, code, advice):
    omics.fail_next("StartRun", code, "the service's own words")
    with pytest.raises(RunError) as raised:
        start(props)
    assert f"StartRun failed with {code}: the service's own words" in str(raised.value)
    assert advice in str(raised.value)


def test_a_role_that_does_not_exist_fails_with_the_service_message(omics, props):
    with pytest.raises(RunError, match="cannot be assumed"):
        start({**props, "RoleArn": "arn:aws:iam::123456789012:role/missing"})


def test_throttling_is_retried_with_backoff_and_starts_one_run(omics, props):
    """botocore's standard retry mode retries ThrottlingException with backoff; ``total_max_attempts`` counts
    the first request too (botocore: botocore/retries/standard.py; boto3 guide "Retries")."""
    omics.fail_next("StartRun", "ThrottlingException", "Rate exceeded", times=2)
    start(props)
    assert omics.count("StartRun") == 3
    assert len(omics.sleeps) == 2 and len(omics.runs) == 1


@pytest.mark.parametrize("change, named", [
    ({"StorageType": "FAST"}, "storage_type must be one of STATIC, DYNAMIC"),
    ({"Priority": "100001"}, "priority must be between 0 and 100000"),
    ({"StorageType": "STATIC"}, "storage_type STATIC needs storage_capacity"),
    ({"WaitFor": "FOREVER"}, "wait_for must be one of STARTED, RUNNING, COMPLETED"),
    ({"Priority": "high"}, "Priority: expected a whole number"),
])
def test_settings_known_only_at_deploy_time_are_checked_before_anything_starts(omics, props, change, named):
    with pytest.raises(RunError, match=named):
        start({**props, **change})
    assert omics.calls == []


def test_fields_newer_than_old_botocore_reach_the_service(omics, props):
    start({**props, "NetworkingMode": "VPC", "ConfigurationName": "private-subnets",
           "OutputUriPrefixMode": "NONE_WITH_OVERWRITE"})
    sent = omics.params_of("StartRun")[0]
    assert sent["networkingMode"] == "VPC" and sent["outputUriPrefixMode"] == "NONE_WITH_OVERWRITE"


def test_a_run_cache_and_its_behaviour_reach_start_run(omics, props):
    omics.add_run_cache("7654321")
    start({**props, "CacheId": "7654321", "CacheBehavior": "CACHE_ALWAYS"})
    sent = omics.params_of("StartRun")[0]
    assert (sent["cacheId"], sent["cacheBehavior"]) == ("7654321", "CACHE_ALWAYS")


def test_an_unknown_run_cache_fails_naming_what_to_check(omics, props):
    with pytest.raises(RunError, match="ResourceNotFoundException: Run cache 7654321 not found.*cache_id"):
        start({**props, "CacheId": "7654321"})
