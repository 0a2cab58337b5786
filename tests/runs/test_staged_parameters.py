"""Parameters that never stand in the template: ``stage_parameters`` writes them to S3 as a JSON asset.

StartRun's ``parametersUri`` is the service's own answer for parameters too large to send ("use this field
instead of parameters when your parameters are too large": HealthOmics API Reference, StartRun,
https://docs.aws.amazon.com/omics/latest/api/API_StartRun.html); StartRunBatch's defaultRunSetting has no
such member (API Reference, DefaultRunSetting), so for a batch the handler passes the file's content.
CDK writes a file asset to the cloud assembly as ``asset.<hash>`` and uploads it to the bootstrap bucket
under its content hash (AWS CDK Developer Guide, "Assets", https://docs.aws.amazon.com/cdk/v2/guide/assets.html).
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_iam as iam

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, WorkflowRun
from healthomics_run.commands.plan import Action, plan
from healthomics_run.commands.plan.assembly import load
from healthomics_run.handlers.start_run import handler
from healthomics_run.service_calls.runs import RunError
from tests.commands.test_plan import _cli, assembly
from tests.fake_omics import REGION
from tests.synth import new_stack, only_run_properties
from tests.world import WORKFLOW_ID, event

SECRET = "PATIENT-0042-EXAMPLE"  # an example identifier; it must appear in no synthesized file but the asset
PARAMETERS = {"sample_name": SECRET, "threads": 8, "use_gpu": False}


def _germline(stack, **props):
    return HealthOmicsRun(stack, "Germline", workflow_id=WORKFLOW_ID, **{"parameters": PARAMETERS, **props})


def test_staged_parameters_stand_in_no_synthesized_file_but_their_asset(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    _germline(cdk.Stack(app, "Staged"), stage_parameters=True)
    app.synth()
    holding = [path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file()
               and SECRET.encode() in path.read_bytes()]
    assert len(holding) == 1 and str(holding[0]).startswith("asset.")
    assert json.loads((tmp_path / holding[0]).read_text()) == PARAMETERS  # JSON types kept


def test_the_template_holds_the_files_location_and_digest_only():
    stack = new_stack()
    _germline(stack, stage_parameters=True)
    properties = only_run_properties(stack)
    assert "Parameters" not in properties and "ParameterTypes" not in properties
    assert "Fn::Sub" in json.dumps(properties["ParametersUri"]) and len(properties["ParametersDigest"]) == 64


def test_the_service_role_and_the_handler_may_read_exactly_the_staged_file():
    stack = new_stack()
    run = _germline(stack, stage_parameters=True)
    key = run.run.parameters_asset.s3_object_key
    policies = cdk.assertions.Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    readers = [name for name, policy in policies.items() for s in policy["Properties"]["PolicyDocument"]["Statement"]
               if s["Action"] == "s3:GetObject" and key in json.dumps(stack.resolve(s["Resource"]))]
    assert any("ServiceRole" in name for name in readers) and any("HandlerRole" in name for name in readers)


def test_reordered_keys_name_the_same_run_and_a_changed_value_a_new_one():
    digests = []
    for parameters in (PARAMETERS, dict(reversed(list(PARAMETERS.items()))), {**PARAMETERS, "threads": 16}):
        stack = new_stack()
        _germline(stack, parameters=parameters, stage_parameters=True)
        digests.append(stack.resolve(only_run_properties(stack)["RunSettingsDigest"]))
    assert digests[0] == digests[1] != digests[2]


def test_parameters_over_32_kib_are_staged_unasked_with_an_info_message():
    stack = new_stack()
    _germline(stack, parameters={"intervals": ["chr1:1-1000"] * 30_000})  # about 400 KB
    assert "ParametersUri" in only_run_properties(stack)
    messages = cdk.assertions.Annotations.from_stack(stack).find_info("*", cdk.assertions.Match.string_like_regexp(
        "staged to S3 as a file"))
    assert messages


def test_small_parameters_stay_inline_unless_asked():
    stack = new_stack()
    _germline(stack)
    assert only_run_properties(stack)["Parameters"]["sample_name"] == SECRET


def test_null_leaves_survive_cloudformation_and_keep_their_place(omics, props):
    """CDK and CloudFormation drop nulls, from lists too; the construct writes them as "null" so the types map
    still names the right items."""
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Role", props["RoleArn"])
    WorkflowRun(stack, "Run", role=role, output_uri=props["OutputUri"], workflow_id=WORKFLOW_ID,
                parameters={"sample_name": "NA12878", "intervals": [None, "chr2"]})
    properties = stack.resolve(only_run_properties(stack))
    handler.on_event(event("Create", json.loads(json.dumps(properties))))
    assert omics.params_of("StartRun")[0]["parameters"]["intervals"] == [None, "chr2"]


# -- the handler ---------------------------------------------------------------------------------

def _staged_properties(props, parameters, key="staged/parameters.json"):
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket="example-output-bucket", Key=key, Body=json.dumps(parameters).encode())
    rest = {k: v for k, v in props.items() if k not in ("Parameters", "ParameterTypes")}
    return {**rest, "ParametersUri": f"s3://example-output-bucket/{key}", "ParametersDigest": "a" * 64}


def test_a_staged_run_starts_with_parameters_uri(omics, props):
    handler.on_event(event("Create", _staged_properties(props, PARAMETERS)))
    (sent,) = omics.params_of("StartRun")
    assert sent["parametersUri"] == "s3://example-output-bucket/staged/parameters.json" and "parameters" not in sent


def test_a_staged_runs_names_are_checked_against_the_workflow_without_echoing_values(omics, props):
    with pytest.raises(RunError) as raised:
        handler.on_event(event("Create", _staged_properties(props, {**PARAMETERS, "sampel": SECRET})))
    assert "sampel" in str(raised.value) and SECRET not in str(raised.value)
    assert omics.count("StartRun") == 0


def test_the_same_staged_content_elsewhere_names_the_same_run(omics, props):
    first = handler.on_event(event("Create", _staged_properties(props, PARAMETERS, "a/parameters.json")))
    moved = _staged_properties(props, PARAMETERS, "b/parameters.json")
    again = handler.on_event(event("Update", moved, physical_id=first["PhysicalResourceId"],
                                   old_props=_staged_properties(props, PARAMETERS, "a/parameters.json")))
    assert again["PhysicalResourceId"] == first["PhysicalResourceId"] and omics.count("StartRun") == 1


# -- the plan ------------------------------------------------------------------------------------

def test_the_plan_lists_the_staged_keys_that_changed_and_hides_their_values(tmp_path, capsys):
    base = assembly(tmp_path, "base", lambda stack: _germline(stack, stage_parameters=True))
    head = assembly(tmp_path, "head", lambda stack: _germline(
        stack, parameters={**PARAMETERS, "threads": 16}, stage_parameters=True))
    (row,) = plan(load(base), load(head))
    assert row.action is Action.START and [c.setting for c in row.changes] == ["parameters.threads"]
    _, text = _cli(capsys, base, head)
    assert SECRET not in text and "parameters.threads: 8 → 16" in text  # a number: shown by default


def test_the_plan_keeps_a_staged_run_whose_keys_were_only_reordered(tmp_path):
    base = assembly(tmp_path, "base", lambda stack: _germline(stack, stage_parameters=True))
    head = assembly(tmp_path, "head", lambda stack: _germline(
        stack, parameters=dict(reversed(list(PARAMETERS.items()))), stage_parameters=True))
    (row,) = plan(load(base), load(head))
    assert row.action is Action.KEEP


def test_a_batchs_shared_parameters_stage_too(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    HealthOmicsRunBatch(cdk.Stack(app, "Cohort"), "Cohort", workflow_id=WORKFLOW_ID, stage_parameters=True,
                        parameters={"reference": SECRET}, samples=[{"run_setting_id": "S1"}])
    app.synth()
    template = (Path(tmp_path) / "Cohort.template.json").read_text()
    assert SECRET not in template and "ParametersDigest" in template


def test_staging_the_same_values_names_the_same_run():
    """Parameters name a run by the digest of their content, inline or staged alike: turning staging on starts
    nothing (and, for a cohort, reruns no sample)."""
    digests = []
    for staged in (False, True):
        stack = new_stack()
        _germline(stack, stage_parameters=staged)
        digests.append(stack.resolve(only_run_properties(stack)["RunSettingsDigest"]))
    assert digests[0] == digests[1]


def test_a_number_known_only_at_deploy_time_is_never_staged():
    stack = new_stack()
    threads = cdk.CfnParameter(stack, "Threads", type="Number").value_as_number
    with pytest.raises(cdk_errors(), match="cannot hold deploy-time values"):
        _germline(stack, parameters={**PARAMETERS, "threads": threads}, stage_parameters=True)


def cdk_errors():
    from healthomics_run import ValidationError
    return ValidationError
