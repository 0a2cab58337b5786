"""The provenance writer of a big stack deploys: its role, its function and the template stay within the limits
AWS sets, and a stack that would pass one fails at synth naming it.

Limits (each checked below against the synthesized template):
- IAM: a role's inline policies total at most 10,240 characters; at most 10 managed policies attached to a role;
  a managed policy at most 6,144 characters ("IAM and AWS STS quotas",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). The size counted here is the
  template's JSON without whitespace, intrinsic functions included: more than IAM counts once they are resolved.
- IAM resource ARNs take ``*`` anywhere within a segment, and ``*`` matches ``/`` too, so
  ``arn:aws:s3:::bucket/prefix*/ro-crate-metadata.json`` names the records under ``prefix`` and nothing else
  ("IAM JSON policy elements: Resource", "Using wildcards in resource ARNs",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
- Lambda: all environment variables of a function together at most 4 KB ("Lambda quotas",
  https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
- CloudFormation: a template at most 1 MB (from S3), at most 500 resources per stack ("Understand
  CloudFormation quotas", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from healthomics_run import WorkflowRun, WorkflowRunBatch
from healthomics_run.after_run.provenance_writer import ProvenanceWriter
from tests.synth import template

# 1,000 runs: a stack holds at most 500 resources (the CDK refuses more at synth, TooManyResourcesInStack), so
# 300 run resources and 100 cohorts of 7 samples, each run with its own output folder.
RUNS, COHORTS, SAMPLES_PER_COHORT = 300, 100, 7


def compact(value) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def big_stack() -> cdk.Stack:
    """1,000 runs (300 resources and 100 cohorts of 7) and 100 cohorts: outputs in 4 buckets under a folder each,
    some with parameter values in their records, some with their own record location, some (and their samples)
    in a bucket on a customer managed key."""
    stack = cdk.Stack(cdk.App(), "CohortScaleStack")
    role = iam.Role.from_role_arn(stack, "OmicsRole", "arn:aws:iam::123456789012:role/omics-run", mutable=False)
    key = kms.Key.from_key_arn(stack, "OutputKey",
                               "arn:aws:kms:us-east-1:123456789012:key/0f0f0f0f-aaaa-bbbb-cccc-0123456789ab")
    for number in range(RUNS):
        extra = {}
        if number % 10 == 0:
            extra["provenance_parameter_values"] = True
        if number % 7 == 0:
            extra["provenance_location"] = f"s3://provenance-records/project-{number % 5}/run-{number:04d}/"
        if number % 4 == 3:
            extra["provenance_kms_keys"] = [key]
        WorkflowRun(stack, f"Run{number:04d}", role=role,
                    output_uri=f"s3://outputs-{number % 4}/runs/run-{number:04d}/",
                    workflow_id=f"{1234500 + number % 10}", parameters={"sample_name": f"S{number}"}, **extra)
    for number in range(COHORTS):
        samples = [{"run_setting_id": f"S{sample}", "parameters": {"sample_name": f"S{sample}"},
                    "output_uri": f"s3://cohort-outputs/cohort-{number:03d}/sample-{sample}/"}
                   for sample in range(SAMPLES_PER_COHORT)]
        extra = {"provenance_kms_keys": [key]} if number % 3 == 0 else {}
        if number % 5 == 0:
            extra["provenance_location"] = f"s3://provenance-records/cohorts/cohort-{number:03d}/"
        WorkflowRunBatch(stack, f"Cohort{number:03d}", role=role,
                         output_uri=f"s3://outputs-{number % 4}/cohorts/{number:03d}/",
                         workflow_id="1234567", samples=samples, batch_name=f"cohort-{number:03d}-2026",
                         provenance_parameter_values=number % 2 == 0, **extra)
    return stack


@pytest.fixture(scope="module")
def synthesized():
    stack = big_stack()
    return stack, template(stack).to_json()


def writer_policies(found: dict) -> tuple[list[dict], list[dict]]:
    (role_id,) = [name for name, r in found["Resources"].items()
                  if r["Type"] == "AWS::IAM::Role" and name.startswith("HealthOmicsRunProvenanceRole")]
    attached = [r for r in found["Resources"].values() if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
                and {"Ref": role_id} in r["Properties"].get("Roles", [])]
    inline = [r["Properties"]["PolicyDocument"] for r in attached if r["Type"] == "AWS::IAM::Policy"]
    managed = [r["Properties"]["PolicyDocument"] for r in attached if r["Type"] == "AWS::IAM::ManagedPolicy"]
    return inline, managed


def test_a_stack_of_a_thousand_runs_and_a_hundred_cohorts_gives_the_writer_a_role_iam_accepts(synthesized):
    _, found = synthesized
    assert RUNS + COHORTS * SAMPLES_PER_COHORT == 1_000
    inline, managed = writer_policies(found)
    sizes = {"inline": sum(map(compact, inline)), "managed": [compact(d) for d in managed]}
    print(f"writer role at {RUNS} runs + {COHORTS} cohorts: {sizes}")
    assert sizes["inline"] <= 10_240
    assert len(managed) <= 10 and all(size <= 6_144 for size in sizes["managed"])


def test_records_and_run_history_are_the_only_objects_the_writer_may_put(synthesized):
    _, found = synthesized
    inline, managed = writer_policies(found)
    puts = [resource for document in inline + managed for statement in document["Statement"]
            if "s3:PutObject" in json.dumps(statement["Action"])
            for resource in (statement["Resource"] if isinstance(statement["Resource"], list)
                             else [statement["Resource"]])]
    allowed = ('*/ro-crate-metadata.json"]]}', '*.healthomics-run/history/*"]]}')
    assert puts and all(json.dumps(resource).endswith(allowed) for resource in puts)


def test_its_function_environment_and_the_template_stay_within_lambda_and_cloudformation_limits(synthesized):
    _, found = synthesized
    (function,) = [r for name, r in found["Resources"].items()
                   if r["Type"] == "AWS::Lambda::Function" and name.startswith("HealthOmicsRunProvenanceWriter")]
    variables = function["Properties"]["Environment"]["Variables"]
    print(f"writer environment {compact(variables)} bytes; template {compact(found):,} bytes, "
          f"{len(found['Resources'])} resources")
    assert compact(variables) <= 1_024
    assert compact(found) <= 1_000_000 and len(found["Resources"]) <= 500


def test_every_key_given_is_granted_once_to_the_writer(synthesized):
    _, found = synthesized
    inline, managed = writer_policies(found)
    kms_statements = [s for d in inline + managed for s in d["Statement"] if "kms:Decrypt" in json.dumps(s["Action"])]
    assert [s["Resource"] for s in kms_statements] == ["arn:aws:kms:us-east-1:123456789012:key/"
                                                       "0f0f0f0f-aaaa-bbbb-cccc-0123456789ab"]


def test_a_writer_role_that_would_pass_iams_limits_fails_synth_naming_them():
    """Outputs in 400 buckets: 3 statements each, beyond a role's 10,240 + 10 x 6,144 characters."""
    stack = cdk.Stack(cdk.App(), "ManyBucketsStack")
    role = iam.Role.from_role_arn(stack, "OmicsRole", "arn:aws:iam::123456789012:role/omics-run", mutable=False)
    for number in range(400):
        WorkflowRun(stack, f"Run{number:04d}", role=role, output_uri=f"s3://outputs-of-project-{number:04d}/runs/",
                    workflow_id="1234567")
    with pytest.raises(Exception, match="IAM allows a role 10,240 inline and 10 managed policies of 6,144"):
        cdk.App.of(stack).synth()
    assert ProvenanceWriter.of(stack) is not None
