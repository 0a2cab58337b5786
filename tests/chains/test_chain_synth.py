"""What a run chain adds to a stack: its steps in the after-run function's settings asset (never in its
environment), the deploy-time values they name in a small map, and what the controller calls.

- Lambda allows 4 KB for all of a function's environment variables ("Lambda quotas",
  https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
- StartRun is authorized against the workflow and the run ARNs (``run/*``), and starting a run passes its
  service role to HealthOmics: ``iam:PassRole`` with ``iam:PassedToService`` ``omics.amazonaws.com``
  ("Identity-based IAM policies for HealthOmics", https://docs.aws.amazon.com/omics/latest/dev/permissions-user.html).
- ``ListRunsInBatch`` is authorized on ``runBatch``; S3 ``GetObject``/``PutObject`` on ``object``, ``ListBucket``
  on ``bucket`` with ``s3:prefix`` (Service Authorization Reference, "Actions, resources, and condition keys for
  AWS HealthOmics", https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthomics.html,
  and "... for Amazon S3", https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
"""

from __future__ import annotations

import json

import pytest

from healthomics_run import HealthOmicsRunBatch, Workflow
from healthomics_run.chains import CohortStep, Shards, StepOutputs, WholeSet
from healthomics_run.run_model import chaining
from healthomics_run.run_model.chaining import ChainSpec
from tests.after_run.test_provenance_synth import config, writer_statements
from tests.synth import new_stack, template

SAMPLES = [{"run_setting_id": f"S{n}", "parameters": {"sample_name": f"S{n}"}} for n in range(1, 4)]


def chained_stack(**merge):
    stack = new_stack()
    cohort = HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=SAMPLES, provenance=False)
    joint_workflow = Workflow.from_workflow_id(stack, "JointWf", "2000001", parameter_template={"gvcfs": {}})
    merge_workflow = Workflow.from_workflow_id(stack, "MergeWf", "2000002", parameter_template={"vcfs": {}})
    joint = CohortStep(stack, "Joint", after=cohort, workflow=joint_workflow, partition=Shards(size=2),
                       parameters={"gvcfs": StepOutputs("gvcf", collected=True)}, outputs=["vcf"],
                       cohort_outputs=["gvcf"])
    CohortStep(stack, "Merge", after=joint, workflow=merge_workflow, partition=WholeSet(),
               **{"parameters": {"vcfs": StepOutputs("vcf", collected=True)}, **merge})
    return stack, cohort


def test_the_chain_is_in_the_settings_asset_and_the_environment_stays_small():
    stack, _ = chained_stack()
    (chain,) = config(stack).chains
    function = next(f for name, f in template(stack).find_resources("AWS::Lambda::Function").items()
                    if name.startswith("HealthOmicsRunProvenanceWriter"))
    variables = function["Properties"]["Environment"]["Variables"]
    assert sorted(variables) == ["HEALTHOMICS_RUN_CHAIN_REFS", "HEALTHOMICS_RUN_PROVENANCE_QUEUE",
                                 "HEALTHOMICS_RUN_PROVENANCE_URI", "HEALTHOMICS_RUN_STACK_ID"]
    assert "gvcfs" not in json.dumps(variables) and len(json.dumps(variables)) < 1_500
    spec = ChainSpec.from_json(chaining.resolve_refs(chain, {key: f"<{key}>" for key in map(str, range(10))}))
    assert [(s.name, s.after, s.partition, s.workflow_id) for s in spec.steps] == [
        ("Joint", "cohort", {"kind": "shards", "size": 2}, "2000001"),
        ("Merge", "Joint", {"kind": "whole-set"}, "2000002")]
    assert spec.steps[0].parameters == {"gvcfs": {"stepOutput": "gvcf", "collected": True, "type": "File"}}
    assert spec.role_arn.startswith("<") and spec.cohort_ledger_uri.startswith("<")  # deploy-time values: refs
    refs = json.dumps(variables["HEALTHOMICS_RUN_CHAIN_REFS"])
    assert "CohortServiceRole" in refs and "AWS::StackName" in refs


def test_the_after_run_function_may_start_the_steps_and_keep_the_chains_state():
    stack, _ = chained_stack()
    statements = writer_statements(stack)
    start = " ".join(statements["omics:StartRun"])
    assert ":workflow/2000001" in start and ":workflow/2000002" in start and ":run/*" in start
    assert any(":runBatch/*" in arn for actions, arns in statements.items() if "omics:ListRunsInBatch" in actions
               for arn in arns)
    assert any("CohortServiceRole" in arn for arn in statements["iam:PassRole"])
    policy = json.dumps(template(stack).find_resources("AWS::IAM::Policy"))
    assert '"iam:PassedToService": "omics.amazonaws.com"' in policy
    # the state beside the cohort's ledger (read and written), the ledger, and the outputs' output.json (read)
    assert [arn[-50:] for arn in statements["s3:PutObject"]] == ['"/TestStack/Cohort/.healthomics-run/*/chains/*"]]}']
    reads = " ".join(statements["s3:GetObject"])
    assert '"/TestStack/Cohort/.healthomics-run/*"' in reads and '"/TestStack/Cohort/*"' in reads


def test_a_step_naming_an_output_its_upstream_does_not_declare_fails_synth():
    stack, _ = chained_stack(parameters={"vcfs": StepOutputs("bam", collected=True)})
    with pytest.raises(Exception, match="declares no output 'bam'"):
        template(stack)
