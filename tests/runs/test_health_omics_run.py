"""HealthOmicsRun and WorkflowRun, as synthesized templates."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match

from healthomics_run import (
    DeletePolicy,
    HealthOmicsRun,
    RunGroup,
    RunServiceRole,
    StorageType,
    ValidationError,
    WaitFor,
    WorkflowRun,
)
from tests.synth import new_stack, only_run_properties, runs, template

PARAMETERS = {"sample_name": "NA12878", "threads": 8, "use_gpu": False, "intervals": ["chr1", "chr2"]}


def germline(stack, **props):
    reference = s3.Bucket.from_bucket_name(stack, "Reference", "example-reference-bucket")
    return HealthOmicsRun(stack, "Germline", workflow_id="1234567", parameters=PARAMETERS, inputs=[reference], **props)


def test_creates_role_bucket_run_group_and_one_run():
    stack = new_stack()
    germline(stack)
    t = template(stack)
    t.resource_count_is("Custom::HealthOmicsRun", 1)
    t.resource_count_is("AWS::Omics::RunGroup", 1)
    t.has_resource_properties("AWS::IAM::Role", {"AssumeRolePolicyDocument": Match.object_like(
        {"Statement": [Match.object_like({"Principal": {"Service": "omics.amazonaws.com"}})]})})
    t.has_resource_properties("AWS::S3::Bucket", Match.object_like({"VersioningConfiguration": {"Status": "Enabled"}}))


def test_run_properties_are_start_run_fields_with_parameters_readable_and_typed():
    stack = new_stack()
    germline(stack, priority=3, wait_for=WaitFor.RUNNING, delete_policy=DeletePolicy.CANCEL)
    properties = only_run_properties(stack)
    assert properties["WorkflowId"] == "1234567"
    assert properties["Parameters"] == PARAMETERS
    assert properties["ParameterTypes"] == {"/threads": "number", "/use_gpu": "boolean"}
    assert properties["Priority"] == 3 and properties["StorageType"] == "DYNAMIC"
    assert ((properties["WaitFor"], properties["DeletePolicy"], properties["TimeoutSeconds"])
            == ("RUNNING", "CANCEL", 3000))
    (group_id,) = template(stack).find_resources("AWS::Omics::RunGroup")
    assert properties["RunGroupId"] == {"Fn::GetAtt": [group_id, "Id"]}


def test_service_role_trust_policy_prevents_the_confused_deputy():
    stack = new_stack()
    germline(stack)
    template(stack).has_resource_properties("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [{
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "omics.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                      "ArnLike": {"aws:SourceArn": Match.any_value()}}}]}})


def _statements(stack) -> list[dict]:
    policies = template(stack).find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_no_policy_in_the_stack_allows_a_wildcard_action_and_no_role_uses_managed_policies_of_ours():
    stack = new_stack()
    germline(stack)
    for statement in _statements(stack):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a == "*" or a.endswith(":*") for a in actions), statement
    role = template(stack).find_resources("AWS::IAM::Role", {"Properties": {"Description": Match.string_like_regexp(
        "HealthOmics workflow runs")}})
    assert all("ManagedPolicyArns" not in r["Properties"] for r in role.values())


def test_service_role_reads_inputs_and_writes_only_under_the_output_prefix():
    stack = new_stack()
    germline(stack)
    statements = _statements(stack)
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]  # the service role's, the provenance writer's
    resources = [resource for w in writes
                 for resource in (w["Resource"] if isinstance(w["Resource"], list) else [w["Resource"]])]
    assert resources and all(resource["Fn::Join"][1][-1] in (
        "/TestStack/Germline/*",  # the service role's: the run's outputs
        "/TestStack/Germline/*/ro-crate-metadata.json",  # the provenance writer's: records only
        "/TestStack/Germline/*.healthomics-run/history/*")  # and the runs' history files
        for resource in resources)
    reads = [s for s in statements if s["Action"] == "s3:GetObject"]
    assert any("example-reference-bucket/*" in str(s["Resource"]) for s in reads)


def test_handler_may_start_runs_only_of_its_workflow_in_its_run_group_and_pass_only_its_role():
    stack = new_stack()
    germline(stack)
    statements = _statements(stack)
    (start,) = [s for s in statements
                if s["Action"] == ["omics:StartRun", "omics:GetWorkflow", "omics:GetWorkflowVersion"]]
    resources = str(start["Resource"])
    assert "workflow/1234567" in resources and ":run/*" in resources and "RunGroup" in resources
    (pass_role,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "omics.amazonaws.com"}}
    assert "ServiceRole" in str(pass_role["Resource"])
    assert all(s["Resource"] != "*" for s in statements if str(s["Action"]).startswith("omics"))


def test_output_bucket_is_encrypted_private_ssl_only_and_retained():
    stack = new_stack()
    germline(stack)
    t = template(stack)
    t.has_resource("AWS::S3::Bucket", {
        "Properties": Match.object_like({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                               "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "VersioningConfiguration": {"Status": "Enabled"}}),
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    t.has_resource_properties("AWS::S3::BucketPolicy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])}})


def test_bring_your_own_role_bucket_and_run_group_id():
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/omics-run-role")
    bucket = s3.Bucket.from_bucket_name(stack, "Out", "example-output-bucket")
    HealthOmicsRun(stack, "Germline", workflow_id="1234567", role=role, output_bucket=bucket, run_group="7654321",
                   output_prefix="germline/")
    t = template(stack)
    t.resource_count_is("AWS::S3::Bucket", 0)
    t.resource_count_is("AWS::Omics::RunGroup", 0)
    properties = only_run_properties(stack)
    assert properties["RunGroupId"] == "7654321"
    assert properties["RoleArn"] == "arn:aws:iam::123456789012:role/omics-run-role"
    assert properties["OutputUri"] == "s3://example-output-bucket/germline/"


def test_workflow_run_alone_synthesizes_one_custom_resource():
    stack = new_stack()
    role = RunServiceRole(stack, "Role")
    WorkflowRun(stack, "Run", role=role, output_uri="s3://example-output-bucket/out/", workflow_id="1234567")
    t = template(stack)
    t.resource_count_is("Custom::HealthOmicsRun", 1)
    t.resource_count_is("AWS::S3::Bucket", 0)
    assert "RunGroupId" not in only_run_properties(stack)


def test_one_provider_serves_every_run_in_a_stack():
    stack = new_stack()
    role = RunServiceRole(stack, "Role")
    for name in ("A", "B", "C"):
        WorkflowRun(stack, name, role=role, output_uri=f"s3://example-output-bucket/{name}/", workflow_id="1234567")
    t = template(stack)
    t.resource_count_is("Custom::HealthOmicsRun", 3)
    t.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    assert len({str(r["Properties"]["ServiceToken"]) for r in runs(stack).values()}) == 1


def test_handler_logs_expire():
    stack = new_stack()
    germline(stack)
    template(stack).has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})


def test_attributes_are_tokens_of_the_custom_resource():
    stack = new_stack()
    run = germline(stack)
    cdk.CfnOutput(stack, "RunId", value=run.run_id)
    cdk.CfnOutput(stack, "Uri", value=run.run_output_uri)
    outputs = template(stack).find_outputs("*")
    assert outputs["RunId"]["Value"]["Fn::GetAtt"][1] == "RunId"
    assert outputs["Uri"]["Value"]["Fn::GetAtt"][1] == "RunOutputUri"
    assert run.run_arn != run.run_uuid


def _digest(**props) -> str:
    stack = new_stack()
    germline(stack, **props)
    return only_run_properties(stack)["RunSettingsDigest"]


def test_settings_digest_shows_in_the_diff_exactly_when_a_run_setting_changes():
    base = _digest()
    assert _digest(priority=2) != base
    assert _digest(rerun_token="again") != base
    assert _digest(wait_for=WaitFor.RUNNING, delete_policy=DeletePolicy.CANCEL, timeout=cdk.Duration.minutes(5)) == base


def test_run_group_created_by_default_caps_compute_and_concurrency():
    stack = new_stack()
    germline(stack)
    template(stack).has_resource_properties("AWS::Omics::RunGroup", {"MaxCpus": 256, "MaxRuns": 5,
                                                                     "MaxDuration": 7 * 24 * 60})


def test_storage_default_is_dynamic():
    stack = new_stack()
    germline(stack)
    assert only_run_properties(stack)["StorageType"] == StorageType.DYNAMIC.value


def test_run_group_accepts_a_run_group_construct():
    stack = new_stack()
    group = RunGroup(stack, "Group", max_runs=1)
    germline(stack, run_group=group)
    template(stack).resource_count_is("AWS::Omics::RunGroup", 1)


def test_unknown_run_prop_is_a_validation_error_naming_it():
    with pytest.raises(ValidationError, match="TestStack/Germline: unknown run props: prioriti") as raised:
        germline(new_stack(), prioriti=1)
    assert raised.value.code == "UnknownProps"


def test_the_run_starts_only_after_the_service_role_policy_exists():
    stack = new_stack()
    run = germline(stack)
    (resource,) = runs(stack).values()
    policy = stack.resolve(run.role.node.find_child("DefaultPolicy").node.default_child.logical_id)
    assert policy in resource["DependsOn"]


def test_a_hundred_workflows_in_one_stack_add_arns_to_bounded_statements_not_statements_per_run():
    """IAM allows 10,240 characters of inline policy per role and managed policies of 6,144 characters, at
    most 10 per role by default (IAM User Guide, "IAM and AWS STS quotas",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); a statement cannot be split
    between policies. So each workflow adds one ARN to a statement of at most 40, whatever the runs."""
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/omics-run-role")
    for i in range(100):
        for copy in range(2):  # two runs of each workflow cost nothing more
            WorkflowRun(stack, f"Run{i}x{copy}", role=role, output_uri="s3://example-output-bucket/runs/",
                        workflow_id=str(2000001 + i), name=f"run-{i}-{copy}")
    statements = _statements(stack) + [s for p in template(stack).find_resources("AWS::IAM::ManagedPolicy").values()
                                       for s in p["Properties"]["PolicyDocument"]["Statement"]]
    starts = [s for s in statements
              if s["Action"] == ["omics:StartRun", "omics:GetWorkflow", "omics:GetWorkflowVersion"]]
    workflows = {json.dumps(r) for s in starts for r in s["Resource"] if "workflow/" in json.dumps(r)}
    assert len(workflows) == 100 and len(starts) == 3
    assert all(len(s["Resource"]) <= 40 for s in starts)
    assert len(template(stack).find_resources("AWS::IAM::ManagedPolicy")) <= 10
