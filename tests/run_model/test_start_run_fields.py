"""The StartRun and StartRunBatch fields added with the model of botocore 1.44: what the handler sends.

The fields and their types are those of the HealthOmics API Reference: "StartRun"
(https://docs.aws.amazon.com/omics/latest/api/API_StartRun.html: ``engineSettings`` a JSON value,
``sessionPolicy`` a string of at most 2,048 characters, ``scratchStorageMode`` LOCAL | SHARED,
``requesterPaysEnabled`` a boolean, ``parametersUri`` "specify either parameters or parametersUri, not
both"), "DefaultRunSetting" (https://docs.aws.amazon.com/omics/latest/api/API_DefaultRunSetting.html: the same
members but no ``parametersUri``, plus ``outputBucketOwnerId``, 12 digits) and "InlineSetting"
(https://docs.aws.amazon.com/omics/latest/api/API_InlineSetting.html: per-run ``engineSettings``, which
override the default ones, and ``outputBucketOwnerId``). The fake validates every request against the
shipped model, so a member in the wrong place, or of the wrong type, fails the test. CloudFormation hands
every scalar of a custom resource's properties over as a string (cloudformation-coverage-roadmap issue #1037,
https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1037), as ``tests.world`` does.
"""

from __future__ import annotations

import json

import boto3
import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.service_calls.runs import RunError
from tests.fake_omics import REGION
from tests.world import BATCH_TEMPLATE, batch_event, batch_properties, event

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-input-bucket/*"}]},
    separators=(",", ":"))
NEW_FIELDS = {"EngineSettings": {"profile": "docker", "resume": "true", "max_forks": "4", "trace": "null",
                                 "nested": {"ratio": "0.5"}},
              "EngineSettingsTypes": {"/resume": "boolean", "/max_forks": "number", "/trace": "null",
                                      "/nested/ratio": "number"},
              "SessionPolicy": POLICY, "ScratchStorageMode": "LOCAL", "RequesterPaysEnabled": "true"}
TYPED_ENGINE_SETTINGS = {"profile": "docker", "resume": True, "max_forks": 4, "trace": None, "nested": {"ratio": 0.5}}
SECRET = "PATIENT-0042-SECRET"


def start(props, **kwargs):
    return handler.on_event(event("Create", props, **kwargs))


def put_parameters(body: str | bytes, key: str = "params/run.json", bucket: str = "example-params-bucket") -> str:
    """A parameters file of the user's, in moto's S3."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)
    return f"s3://{bucket}/{key}"


def without_parameters(props: dict) -> dict:
    return {k: v for k, v in props.items() if k not in ("Parameters", "ParameterTypes")}


# -- a run ---------------------------------------------------------------------------------------

def test_the_new_fields_reach_start_run_with_their_json_types(omics, props):
    start({**props, **NEW_FIELDS})
    sent = omics.params_of("StartRun")[0]
    assert sent["engineSettings"] == TYPED_ENGINE_SETTINGS
    assert sent["requesterPaysEnabled"] is True
    assert (sent["sessionPolicy"], sent["scratchStorageMode"]) == (POLICY, "LOCAL")


@pytest.mark.parametrize("raw, sent", [("true", True), ("false", False), ("False", False), (True, True)])
def test_requester_pays_is_decoded_from_the_string_cloudformation_sends(omics, props, raw, sent):
    start({**props, "RequesterPaysEnabled": raw})
    assert omics.params_of("StartRun")[0]["requesterPaysEnabled"] is sent


@pytest.mark.parametrize("change, named", [
    ({"RequesterPaysEnabled": "yes"}, "RequesterPaysEnabled: expected true or false, got 'yes'"),
    ({"EngineSettings": {"resume": "maybe"}, "EngineSettingsTypes": {"/resume": "boolean"}},
     "engine_settings/resume: expected a boolean"),
    ({"ScratchStorageMode": "FAST"}, "scratch_storage_mode must be one of LOCAL, SHARED"),
    ({"SessionPolicy": "x" * 2049}, "session_policy must be 1 to 2048 characters long, got 2049"),
    ({"OutputBucketOwnerId": "123456789012"}, "output_bucket_owner_id is available to run batches only"),
    ({"ParametersUri": "s3://example-params-bucket/params/run.json"}, "give parameters or parameters_uri, not both"),
])
def test_bad_new_fields_known_only_at_deploy_time_fail_before_anything_starts(omics, props, change, named):
    with pytest.raises(RunError, match=named):
        start({**props, **change})
    assert omics.count("StartRun") == 0


def test_parameters_uri_reaches_start_run_once_its_names_fit_the_workflow(omics, props):
    """HealthOmics validates the parameters file only after StartRun returns, failing the run with
    INVALID_RUN_PARAMETERS (API Reference, "StartRun", parametersUri): the handler checks the names first."""
    uri = put_parameters(json.dumps({"sample_name": SECRET, "threads": 8}))
    start({**without_parameters(props), "ParametersUri": uri})
    sent = omics.params_of("StartRun")[0]
    assert sent["parametersUri"] == uri and "parameters" not in sent
    assert omics.count("GetWorkflow") == 1


def test_parameters_uri_with_a_name_the_workflow_lacks_fails_naming_it_and_never_its_value(omics, props):
    uri = put_parameters(json.dumps({"sample_name": SECRET, "sampel_nmae": f"{SECRET}-2"}))
    with pytest.raises(RunError) as raised:
        start({**without_parameters(props), "ParametersUri": uri})
    assert "sampel_nmae" in str(raised.value) and SECRET not in str(raised.value)
    assert omics.count("StartRun") == 0


def test_parameters_uri_missing_a_required_parameter_fails_naming_it(omics, props):
    uri = put_parameters(json.dumps({"threads": 8}))
    with pytest.raises(RunError, match="required workflow parameters missing: sample_name"):
        start({**without_parameters(props), "ParametersUri": uri})
    assert omics.count("StartRun") == 0


@pytest.mark.parametrize("body, named", [
    (None, "no such object"),
    (f'{{"sample_name": "{SECRET}",}}', "not valid JSON"),
    (json.dumps([SECRET]), "must hold a JSON object of parameter names to values, not a list"),
    (b"\xff\xfe{}", "must be UTF-8 JSON"),
])
def test_a_missing_or_unreadable_parameters_file_fails_naming_parameters_uri(omics, props, body, named):
    uri = put_parameters(body) if body is not None else "s3://example-output-bucket/params/run.json"
    with pytest.raises(RunError) as raised:
        start({**without_parameters(props), "ParametersUri": uri})
    assert f"parameters_uri {uri}" in str(raised.value) and named in str(raised.value)
    assert SECRET not in str(raised.value)
    assert omics.count("StartRun") == 0


def test_a_parameters_file_in_a_bucket_that_does_not_exist_fails_naming_parameters_uri(omics, props):
    uri = "s3://no-such-params-bucket/params/run.json"
    with pytest.raises(RunError, match=f"parameters_uri {uri}: the handler cannot read it \\(NoSuchBucket\\)"):
        start({**without_parameters(props), "ParametersUri": uri})
    assert omics.count("StartRun") == 0


# -- a batch -------------------------------------------------------------------------------------

@pytest.fixture
def batch_omics(omics):
    omics.workflows["1234567"]["parameterTemplate"] = BATCH_TEMPLATE
    return omics


def test_the_new_fields_reach_start_run_batch_shared_and_per_sample_with_their_json_types(batch_omics, props):
    samples = [{"runSettingId": "S1", "parameters": {"sample_name": "SAMPLE-0001"},
                "engineSettings": {"profile": "gpu", "max_forks": "2"}, "outputBucketOwnerId": "210987654321"},
               {"runSettingId": "S2", "parameters": {"sample_name": "SAMPLE-0002"}}]
    batch = {**batch_properties(props), **NEW_FIELDS, "OutputBucketOwnerId": "123456789012", "Samples": samples,
             "SampleTypes": {"/0/engineSettings/max_forks": "number"}, "SampleCount": "2"}
    handler.on_event(batch_event("Create", batch))
    (request,) = batch_omics.params_of("StartRunBatch")
    default = request["defaultRunSetting"]
    assert default["engineSettings"] == TYPED_ENGINE_SETTINGS and default["requesterPaysEnabled"] is True
    assert (default["sessionPolicy"], default["scratchStorageMode"]) == (POLICY, "LOCAL")
    assert default["outputBucketOwnerId"] == "123456789012"
    first, second = request["batchRunSettings"]["inlineSettings"]
    assert first["engineSettings"] == {"profile": "gpu", "max_forks": 2}
    assert first["outputBucketOwnerId"] == "210987654321" and "engineSettings" not in second


def test_a_batch_passes_the_parameters_file_as_its_shared_parameters(batch_omics, props):
    """DefaultRunSetting has no parametersUri (API Reference, "DefaultRunSetting"); its parameters are merged with
    each sample's, the sample's value winning (API Reference, "InlineSetting", parameters)."""
    shared = {"reference": "s3://example-reference-bucket/ref.fa", "threads": 16}
    uri = put_parameters(json.dumps(shared))
    handler.on_event(batch_event("Create", {**without_parameters(batch_properties(props)), "ParametersUri": uri}))
    (request,) = batch_omics.params_of("StartRunBatch")
    assert request["defaultRunSetting"]["parameters"] == shared
    assert "parametersUri" not in request["defaultRunSetting"]


def test_a_batch_whose_parameters_file_lacks_a_required_name_starts_nothing(batch_omics, props):
    uri = put_parameters(json.dumps({"referense": SECRET}))
    with pytest.raises(RunError) as raised:
        handler.on_event(batch_event("Create", {**without_parameters(batch_properties(props)), "ParametersUri": uri}))
    assert "referense" in str(raised.value) and "missing: reference" in str(raised.value)
    assert SECRET not in str(raised.value) and batch_omics.count("StartRunBatch") == 0


def test_a_batch_with_a_missing_parameters_file_fails_naming_parameters_uri(batch_omics, props):
    uri = "s3://example-output-bucket/params/missing.json"
    with pytest.raises(RunError, match=f"parameters_uri {uri}: no such object"):
        handler.on_event(batch_event("Create", {**without_parameters(batch_properties(props)), "ParametersUri": uri}))
    assert batch_omics.count("StartRunBatch") == 0
