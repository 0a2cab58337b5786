"""Permissions a real account checks: the configuration, tags of any run, ECR repository policies,
and a created service role that outlives its stack while a run may still need it."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

from healthomics_run import DeletePolicy, HealthOmicsRun, HealthOmicsRunBatch, RunCache, RunServiceRole
from healthomics_run.infrastructure.ecr_access import WARNING_ID
from tests.synth import new_stack, template

PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]


def statements(stack) -> list[dict]:
    policies = template(stack).find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def handler_statement(stack, action: str) -> dict:
    (statement,) = [s for s in statements(stack) if ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])[0]
                    == action]  # starting goes with reading the workflow: one statement (RunProvider.allow)
    return statement


def cohort(count: int, **sample) -> list[dict]:
    return [{"run_setting_id": f"S{i:05d}", **sample} for i in range(count)]


@pytest.mark.parametrize("make, action", [
    (lambda stack: HealthOmicsRun(stack, "Run", workflow_id="1234567", configuration_name="vpc-config"),
     "omics:StartRun"),
    (lambda stack: HealthOmicsRunBatch(stack, "Run", workflow_id="1234567", configuration_name="vpc-config",
                                       samples=cohort(1)), "omics:StartRunBatch"),
])
def test_starting_with_a_configuration_is_allowed_on_that_configuration(make, action):
    """StartRun (and StartRunBatch) is authorized against the ``configuration`` resource, ARN
    ``arn:${Partition}:omics:${Region}:${Account}:configuration/${Name}``, when ``configurationName`` is
    given: Service Authorization Reference, "Actions, resources, and condition keys for AWS HealthOmics",
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthomics.html."""
    stack = new_stack()
    make(stack)
    resources = json.dumps(handler_statement(stack, action)["Resource"])
    assert ':omics:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":configuration/vpc-config"' in resources


def test_no_configuration_no_configuration_resource():
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567")
    assert ":configuration/" not in json.dumps(handler_statement(stack, "omics:StartRun")["Resource"])


def _tagging(stack) -> list[dict]:
    return [s for s in statements(stack) if s["Action"] == ["omics:TagResource", "omics:UntagResource"]]


@pytest.mark.parametrize("count", [2, 150])  # inline samples, and a sheet staged to S3
def test_the_handler_may_tag_and_untag_runs_and_batches(count):
    """Tags in a request are authorized with ``omics:TagResource``, and a later change of tags re-tags the
    run (batch) in place with ``omics:TagResource`` / ``omics:UntagResource``, both on the ``run`` and
    ``runBatch`` resource types (Service Authorization Reference, "Actions, resources, and condition keys for
    AWS HealthOmics", https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthomics.html);
    a batch's runs are created, and tagged, as the batch submits them (AWS HealthOmics User Guide, "Batch runs
    in HealthOmics", IAM permissions for batch operations, https://docs.aws.amazon.com/omics/latest/dev/workflows-batch.html)."""
    stack = new_stack()
    samples = cohort(count)
    samples[-1]["tags"] = {"site": "lab-a"}
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=samples)
    (statement,) = _tagging(stack)
    resources = json.dumps(statement["Resource"])
    assert ":run/*" in resources and ":runBatch/*" in resources


def test_an_untagged_run_may_still_be_tagged_later():
    """Tags come from ``Tags.of`` at synth, and removing a run's last tag in a later deploy needs
    ``omics:UntagResource`` though the template then has no tags: the grant never depends on the tags."""
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567")
    (statement,) = _tagging(stack)
    assert ":run/*" in json.dumps(statement["Resource"])


def _repository_policies(stack) -> list[dict]:
    repositories = template(stack).find_resources("AWS::ECR::Repository")
    return [r["Properties"].get("RepositoryPolicyText") for r in repositories.values()]


OMICS_PULL_STATEMENT = {"Effect": "Allow", "Principal": {"Service": "omics.amazonaws.com"}, "Action": PULL}


@pytest.mark.parametrize("make", [
    lambda stack, repo: HealthOmicsRun(stack, "Run", workflow_id="1234567", ecr_repositories=[repo]),
    lambda stack, repo: HealthOmicsRunBatch(stack, "Run", workflow_id="1234567", ecr_repositories=[repo],
                                            samples=cohort(1)),
    lambda stack, repo: RunServiceRole(stack, "Role", ecr_repositories=[repo]),
    lambda stack, repo: HealthOmicsRun(stack, "Run", workflow_id="1234567", ecr_repositories=[repo], role=iam.Role.
                                       from_role_arn(stack, "Own", "arn:aws:iam::123456789012:role/omics-run-role")),
], ids=["run", "batch", "service-role", "own-role"])
def test_repositories_let_healthomics_pull_through_their_repository_policy(make):
    """HealthOmics pulls a workflow's images as the service principal ``omics.amazonaws.com``, which
    each private repository's policy must allow ``ecr:BatchGetImage``, ``ecr:GetDownloadUrlForLayer``
    and ``ecr:BatchCheckLayerAvailability`` (the guide's statement, without conditions): AWS HealthOmics User
    Guide, "Amazon ECR permissions", https://docs.aws.amazon.com/omics/latest/dev/permissions-ecr.html."""
    stack = new_stack()
    make(stack, ecr.Repository(stack, "Images"))
    (policy,) = _repository_policies(stack)
    assert policy == {"Statement": [OMICS_PULL_STATEMENT], "Version": "2012-10-17"}


def test_an_imported_repository_gets_a_warning_saying_what_to_add():
    """An imported repository's policy cannot be changed by the stack; the statement is the one in
    the AWS HealthOmics User Guide, "Amazon ECR permissions",
    https://docs.aws.amazon.com/omics/latest/dev/permissions-ecr.html."""
    stack = new_stack()
    repository = ecr.Repository.from_repository_name(stack, "Images", "genomics/bwa")
    HealthOmicsRun(stack, "Run", workflow_id="1234567", ecr_repositories=[repository])
    Annotations.from_stack(stack).has_warning("/TestStack/Run/ServiceRole", Match.string_like_regexp(
        "ECR repository 'genomics/bwa' is imported.*" + json.dumps(OMICS_PULL_STATEMENT).replace("[", r"\[")
        .replace("]", r"\]") + f".*permissions-ecr.html.*{WARNING_ID}"))


def _retained(stack, resource_type: str) -> list[bool]:
    resources = template(stack).find_resources(resource_type)
    return [r.get("DeletionPolicy") == "Retain" and r.get("UpdateReplacePolicy") == "Retain"
            for r in resources.values()]


def test_the_created_role_and_all_its_policies_are_retained_with_retain(tmp_path):
    """With RETAIN the run goes on after its stack is deleted and still uses its service role
    (AWS HealthOmics User Guide, "Service roles for AWS HealthOmics",
    https://docs.aws.amazon.com/omics/latest/dev/permissions-service.html); ``DeletionPolicy: Retain``
    keeps a resource when its stack is deleted (AWS CloudFormation, "DeletionPolicy attribute",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
    Grants added after the role (the run cache's, the staged sample sheet's) are kept too."""
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "TestStack")
    cohort_ = HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=cohort(150),
                                  cache=RunCache(stack, "Cache"))
    role_policy = stack.resolve(cohort_.role.node.find_child("DefaultPolicy").node.default_child.logical_id)
    policy = template(stack).to_json()["Resources"][role_policy]
    granted = json.dumps(policy["Properties"]["PolicyDocument"])
    assert "s3:PutObject" in granted and cohort_.batch.sample_sheet_asset.s3_object_key in granted
    assert (policy["DeletionPolicy"], policy["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert _retained(stack, "AWS::IAM::Role").count(True) == 1  # the service role, not the handler's roles


def test_with_cancel_the_role_is_deleted_with_the_stack():
    """CANCEL cancels the run, and waits until it has stopped, before the role goes: the run resource
    depends on the role (AWS CloudFormation, "DeletionPolicy attribute",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html)."""
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", delete_policy=DeletePolicy.CANCEL, cache=RunCache(stack, "C"))
    assert not any(_retained(stack, "AWS::IAM::Role")) and not any(_retained(stack, "AWS::IAM::Policy"))


def test_with_retain_the_run_group_and_run_cache_the_runs_use_are_retained_too():
    """HealthOmics refuses to delete a run group while runs that use it are PENDING, STARTING, RUNNING or STOPPING
    (HealthOmics guide, "Deleting runs and run groups") and a run cache while active runs use it ("Deleting a run
    cache"): with RETAIN the runs outlive the stack, so deleting these with it would end in DELETE_FAILED."""
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", cache=RunCache(stack, "Cache"))
    assert _retained(stack, "AWS::Omics::RunGroup") == [True]
    assert _retained(stack, "AWS::Omics::RunCache") == [True]


def test_with_cancel_the_run_group_and_run_cache_go_with_the_stack():
    """CANCEL waits until the runs have stopped before the run group and cache are deleted."""
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", cache=RunCache(stack, "Cache"),
                   delete_policy=DeletePolicy.CANCEL)
    assert _retained(stack, "AWS::Omics::RunGroup") == [False]
    assert _retained(stack, "AWS::Omics::RunCache") == [False]


def test_the_service_role_may_list_every_bucket_it_reads_or_writes():
    """The HealthOmics guide's service-role policy ("Service roles for AWS HealthOmics",
    https://docs.aws.amazon.com/omics/latest/dev/permissions-service.html) grants s3:ListBucket on the buckets a
    run reads and writes beside s3:GetObject / s3:PutObject on their objects. Which of the service's calls need
    it is not documented, so the account world does not model it (tests/test_every_statement_is_needed.py):
    this test pins it."""
    stack = new_stack()
    inputs = s3.Bucket(stack, "Inputs")
    run = HealthOmicsRun(stack, "Run", workflow_id="1234567", inputs=[inputs])
    policies = template(stack).find_resources("AWS::IAM::Policy")
    listed = [json.dumps(s["Resource"]) for name, p in policies.items() if "ServiceRole" in name
              for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "s3:ListBucket"]
    assert sorted(listed) == sorted(json.dumps(stack.resolve(bucket.bucket_arn))
                                    for bucket in (inputs, run.output_bucket))


@pytest.mark.parametrize("run_metrics", [True, False])
def test_run_metrics_are_allowed_to_the_created_role_unless_turned_off(run_metrics):
    """HealthOmics publishes run metrics "whenever the service role for a run has the cloudwatch:PutMetricData
    permission"; the page shows it on Resource "*" (HealthOmics guide, "Run metrics for Private Workflows",
    https://docs.aws.amazon.com/omics/latest/dev/monitoring-run-metrics.html). The action has no resource types."""
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", run_metrics=run_metrics)
    metrics = [s for s in statements(stack) if s["Action"] == "cloudwatch:PutMetricData"]
    assert metrics == ([{"Action": "cloudwatch:PutMetricData", "Effect": "Allow", "Resource": "*"}]
                       if run_metrics else [])


def test_a_role_you_bring_is_left_alone():
    stack = new_stack()
    role = iam.Role(stack, "Own", assumed_by=iam.ServicePrincipal("omics.amazonaws.com"))
    HealthOmicsRun(stack, "Run", workflow_id="1234567", role=role)
    assert not any(_retained(stack, "AWS::IAM::Role")) and not any(_retained(stack, "AWS::IAM::Policy"))


def test_cdk_nag_finds_nothing_unacknowledged_with_repositories_configuration_and_sample_tags(tmp_path):
    """The statements above add no unreviewed finding (Service Authorization Reference, "Actions, resources, and
    condition keys for AWS HealthOmics",
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthomics.html;
    AWS HealthOmics User Guide, "Amazon ECR permissions",
    https://docs.aws.amazon.com/omics/latest/dev/permissions-ecr.html)."""
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "CohortStack")
    reference = s3.Bucket.from_bucket_name(stack, "Reference", "example-reference-bucket")
    images = ecr.Repository(stack, "Images", image_scan_on_push=True)
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", inputs=[reference], ecr_repositories=[images],
                        configuration_name="vpc-config", networking_mode="VPC", cache=RunCache(stack, "Cache"),
                        samples=cohort(150, tags={"site": "lab-a"}))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert all(r["conclusion"] == "success" for r in report["pluginReports"]), report


def test_the_functions_that_explain_a_failed_run_may_read_its_tasks_on_runs_only():
    """GetRun, ListRunTasks and GetRunTask are authorized against the ``run`` resource type (Service Authorization
    Reference, "Actions, resources, and condition keys for AWS HealthOmics",
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthomics.html). The handler says
    why a run failed, and so does the signaller of a wait past the Provider framework's hour; each may read run/* of
    the stack's account and Region, and nothing wider."""
    import aws_cdk as cdk

    from healthomics_run import WaitFor

    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.hours(3))
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=cohort(2))
    policies = template(stack).find_resources("AWS::IAM::Policy")
    reading = [s for name, p in policies.items() if "HandlerRole" in name or "SignallerRole" in name
               for s in p["Properties"]["PolicyDocument"]["Statement"] if "omics:GetRunTask" in s["Action"]]
    assert len(reading) == 2  # the handler's, the signaller's (the provenance writer's are its own test's)
    for statement in reading:
        assert {"omics:GetRun", "omics:ListRunTasks", "omics:GetRunTask"} <= set(statement["Action"])
        resources = json.dumps(statement["Resource"])
        assert ":run/*" in resources and '"*"' not in resources
