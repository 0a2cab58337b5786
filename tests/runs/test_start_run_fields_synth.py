"""The newer StartRun and StartRunBatch fields as synthesized: properties, types, and the one object
``parameters_uri`` lets the service role and the handler read."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, ScratchStorageMode, WorkflowRun
from healthomics_run.run_model.batch_settings import BatchSettings
from healthomics_run.run_model.properties import RunSettings
from tests.synth import new_stack, only_run_properties, template

URI = "s3://example-params-bucket/cohort-a/run.json"
OBJECT_ARN = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::example-params-bucket/cohort-a/run.json"]]}


def stringified(value):
    """Properties as CloudFormation hands them to a custom resource: every scalar a string."""
    if isinstance(value, dict):
        return {key: stringified(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stringified(item) for item in value]
    return json.dumps(value) if isinstance(value, (bool, int, float)) or value is None else value


def statements(stack: cdk.Stack, policy_prefix: str) -> list[dict]:
    policies = template(stack).find_resources("AWS::IAM::Policy")
    return [statement for logical_id, policy in policies.items() if logical_id.startswith(policy_prefix)
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]]


def reads_exactly_the_parameters_file(statement: dict) -> bool:
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    return statement["Action"] == "s3:GetObject" and OBJECT_ARN in resources


def test_the_new_fields_stand_in_the_template_and_the_handler_reads_them_back_typed():
    """CloudFormation hands a custom resource's numbers and booleans over as strings (a known, open limitation:
    aws-cloudformation/cloudformation-coverage-roadmap issue #1037, "Lambda Backed CustomResource's
    ResourceProperties converts int and boolean properties to strings",
    https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1037); ``EngineSettingsTypes``
    brings their JSON types back, as ``ParameterTypes`` does for parameters."""
    stack = new_stack()
    policy = iam.PolicyDocument(statements=[iam.PolicyStatement(
        actions=["s3:GetObject"], resources=["arn:aws:s3:::example-input-bucket/*"])])
    HealthOmicsRun(stack, "Run", workflow_id="1234567", parameters={"sample_name": "NA12878"},
                   engine_settings={"profile": "docker", "resume": True, "max_forks": 4},
                   session_policy=policy, scratch_storage_mode=ScratchStorageMode.LOCAL, requester_pays_enabled=False)
    properties = only_run_properties(stack)
    assert properties["SessionPolicy"] == ('{"Statement":[{"Action":"s3:GetObject","Effect":"Allow",'
                                           '"Resource":"arn:aws:s3:::example-input-bucket/*"}],"Version":"2012-10-17"}')
    assert properties["EngineSettingsTypes"] == {"/resume": "boolean", "/max_forks": "number"}
    assert (properties["ScratchStorageMode"], properties["RequesterPaysEnabled"]) == ("LOCAL", False)
    request = RunSettings.from_properties(stringified(properties)).request
    assert request["engineSettings"] == {"profile": "docker", "resume": True, "max_forks": 4}
    assert request["requesterPaysEnabled"] is False and request["sessionPolicy"] == properties["SessionPolicy"]
    assert RunSettings.from_properties(stringified(properties)).fingerprint()[:16] == properties["RunSettingsDigest"]


def test_a_session_policy_holding_deploy_time_values_is_serialized_at_deploy_time():
    stack = new_stack()
    bucket = s3.Bucket(stack, "Inputs")
    policy = iam.PolicyDocument(statements=[iam.PolicyStatement(actions=["s3:GetObject"],
                                                                resources=[bucket.arn_for_objects("*")])])
    HealthOmicsRun(stack, "Run", workflow_id="1234567", session_policy=policy)
    serialized = only_run_properties(stack)["SessionPolicy"]
    assert "Fn::Join" in serialized and "Inputs" in json.dumps(serialized)


def test_parameters_uri_stands_in_the_template_and_the_service_role_and_handler_may_read_exactly_that_object():
    """HealthOmics reads the parameters file with the run's service role (User Guide, "HealthOmics run inputs",
    https://docs.aws.amazon.com/omics/latest/dev/workflows-run-inputs.html, linked from StartRun's
    parametersUri in the API Reference, https://docs.aws.amazon.com/omics/latest/api/API_StartRun.html)."""
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", parameters_uri=URI)
    properties = only_run_properties(stack)
    assert properties["ParametersUri"] == URI and "Parameters" not in properties and "ParameterTypes" not in properties
    assert any(map(reads_exactly_the_parameters_file, statements(stack, "RunServiceRole")))
    assert any(map(reads_exactly_the_parameters_file, statements(stack, "HealthOmicsRunProviderHandlerRole")))


def test_a_role_brought_along_is_given_the_parameters_file_too():
    stack = new_stack()
    role = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("omics.amazonaws.com"))
    WorkflowRun(stack, "Run", role=role, output_uri="s3://example-output-bucket/run/", workflow_id="1234567",
                parameters_uri=URI)
    assert any(map(reads_exactly_the_parameters_file, statements(stack, "MineDefaultPolicy")))


def test_a_batch_parameters_file_is_read_by_the_handler_only():
    """StartRunBatch's DefaultRunSetting has no parametersUri
    (https://docs.aws.amazon.com/omics/latest/api/API_DefaultRunSetting.html): the handler passes the file's
    content as the shared parameters, so HealthOmics, and the service role, never read the file."""
    stack = new_stack()
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", parameters_uri=URI, samples=[{"run_setting_id": "S1"}])
    (batch,) = template(stack).find_resources("Custom::HealthOmicsRunBatch").values()
    assert batch["Properties"]["ParametersUri"] == URI
    assert any(map(reads_exactly_the_parameters_file, statements(stack, "HealthOmicsRunProviderHandlerRole")))
    assert not any(map(reads_exactly_the_parameters_file, statements(stack, "CohortServiceRole")))


def test_parameters_uri_passes_cdk_nag(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "RunStack")
    HealthOmicsRun(stack, "Run", workflow_id="1234567", parameters_uri=URI)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert all(r["conclusion"] == "success" for r in report["pluginReports"]), report


def test_batch_only_and_per_sample_fields_stand_in_the_batch_with_their_types(tmp_path):
    sheet = tmp_path / "cohort.csv"
    sheet.write_text("run_setting_id,parameters.sample_name,engine_settings.profile,engine_settings.max_forks,"
                     "output_bucket_owner_id\nS1,SAMPLE-0001,gpu,2,012345678901\nS2,SAMPLE-0002,,,\n")
    stack = new_stack()
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", sample_sheet=str(sheet),
                        output_bucket_owner_id="123456789012", engine_settings={"resume": True})
    (batch,) = template(stack).find_resources("Custom::HealthOmicsRunBatch").values()
    properties = batch["Properties"]
    assert properties["OutputBucketOwnerId"] == "123456789012" and properties["EngineSettings"] == {"resume": True}
    assert properties["Samples"][0] == {"runSettingId": "S1", "parameters": {"sample_name": "SAMPLE-0001"},
                                        "engineSettings": {"profile": "gpu", "max_forks": "2"},
                                        "outputBucketOwnerId": "012345678901"}
    assert properties["Samples"][1] == {"runSettingId": "S2", "parameters": {"sample_name": "SAMPLE-0002"}}
    settings = BatchSettings.from_properties(stringified(properties))
    assert settings.request["defaultRunSetting"]["engineSettings"] == {"resume": True}
    assert settings.fingerprint()[:16] == properties["RunSettingsDigest"]


@pytest.mark.parametrize("sample", [{"engine_settings": {"max_forks": 2}}, {"output_bucket_owner_id": "210987654321"}])
def test_a_samples_new_setting_changes_the_settings_digest(sample):
    def digest(**extra) -> str:
        stack = new_stack()
        HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=[{"run_setting_id": "S1", **extra}])
        (batch,) = template(stack).find_resources("Custom::HealthOmicsRunBatch").values()
        return batch["Properties"]["RunSettingsDigest"]
    assert digest(**sample) != digest()
