"""Workflows and workflow versions the app makes itself, as the plan prices and checks them.

- A workflow made in another stack of the app reaches a run as ``Fn::ImportValue`` of that stack's export, whose
  value is ``Fn::GetAtt [Workflow, Id]`` (CloudFormation User Guide, "Fn::ImportValue",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-importvalue.html).
  Its id is known only at deploy time; ListRuns items carry ``workflowName`` (HealthOmics API reference,
  RunListItem), so the earlier runs are those of workflows of its ``Name``, and the plan says so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_omics as omics_cfn

from healthomics_run import HealthOmicsRun
from healthomics_run.commands.plan import cli
from healthomics_run.commands.plan.assembly import load
from healthomics_run.commands.plan.history import History
from tests.commands.test_plan import _cli
from tests.commands.test_plan_cost import PRICES, recorded_history


def two_stacks(tmp_path: Path, name: str, definition: str = "s3://example-bucket/hello.zip",
               run: bool = True) -> Path:
    """Stack Workflows makes the workflow; stack Runs runs it: CDK passes the id as an export and an import."""
    app = cdk.App(outdir=str(tmp_path / name))
    made = omics_cfn.CfnWorkflow(cdk.Stack(app, "Workflows"), "Hello", name="hello-wf", definition_uri=definition)
    runs = cdk.Stack(app, "Runs")
    if run:
        HealthOmicsRun(runs, "Run", workflow_id=made.attr_id)
    app.synth()
    return tmp_path / name


def history_of_name(tmp_path: Path) -> Path:
    named = History(runs=tuple(dataclasses.replace(item, workflow_id="9999999", workflow_name="hello-wf")
                               for item in recorded_history().runs), prices=dict(PRICES))
    path = tmp_path / "history.json"
    path.write_text(named.to_json())
    return path


def test_a_workflow_made_in_another_stack_is_priced_by_its_name_and_says_so(tmp_path, capsys):
    base, head = two_stacks(tmp_path, "base", run=False), two_stacks(tmp_path, "head")
    assert "Fn::ImportValue" in str(load(head)["Runs"].resources)  # as CDK writes a cross-stack reference
    code, text = _cli(capsys, base, head, "--history", history_of_name(tmp_path), "--max-cost", "10")
    assert code == cli.RUNS_START
    assert "workflow Workflows/Hello (hello-wf) (default version)" in text
    assert "cost: 1 run × 1.40 USD median, 2.60 USD p90 = 1.40 USD median, 2.60 USD p90 (from 3 earlier runs" in text
    assert ("cost basis: workflow Workflows/Hello is made by the app (definition " in text
            and "); its id is known only at deploy time, so the forecast rests on the history's runs of workflows "
                "named hello-wf: the definition is unchanged from the base's" in text)


def test_a_workflow_new_or_changed_in_this_deploy_says_the_earlier_runs_may_have_run_another_definition(
        tmp_path, capsys):
    base, head = two_stacks(tmp_path, "base", run=False), two_stacks(tmp_path, "head", "s3://example-bucket/v2.zip")
    _, text = _cli(capsys, base, head, "--history", history_of_name(tmp_path))
    assert "named hello-wf: the workflow changes in this deploy (base: " in text
    assert "so those runs may have run another definition" in text
    _, text = _cli(capsys, assembly_without_stacks(tmp_path), head, "--history", history_of_name(tmp_path))
    assert "named hello-wf: the workflow is new in this deploy, so those runs may have run another definition" in text


def assembly_without_stacks(tmp_path: Path) -> Path:
    app = cdk.App(outdir=str(tmp_path / "empty"))
    app.synth()
    return tmp_path / "empty"


def test_a_workflow_made_in_another_stack_without_history_fails_the_gate_closed(tmp_path, capsys):
    path = tmp_path / "empty-history.json"
    path.write_text(History(prices=dict(PRICES)).to_json())
    code, text = _cli(capsys, two_stacks(tmp_path, "base", run=False), two_stacks(tmp_path, "head"),
                      "--history", path, "--max-cost", "10")
    assert code == cli.OVER_BUDGET
    assert "cost: no history: no earlier COMPLETED run of workflow hello-wf" in text

