"""Workflows and workflow versions the app makes itself, as the plan prices and checks them.

- A workflow made in another stack of the app reaches a run as ``Fn::ImportValue`` of that stack's export, whose
  value is ``Fn::GetAtt [Workflow, Id]`` (CloudFormation User Guide, "Fn::ImportValue",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-importvalue.html).
  Its id is known only at deploy time; ListRuns items carry ``workflowName`` (HealthOmics API reference,
  RunListItem), so the earlier runs are those of workflows of its ``Name``, and the plan says so.
- Workflow versions are immutable (HealthOmics guide, "Private workflows in HealthOmics": "Workflow versions are
  immutable"): a changed definition under the same ``VersionName`` replaces the version, and the new one cannot
  take the name the old one still holds.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

import aws_cdk as cdk
from aws_cdk import aws_omics as omics_cfn

from healthomics_run import HealthOmicsRun
from healthomics_run.commands.plan import cli
from healthomics_run.commands.plan.assembly import load
from healthomics_run.commands.plan.history import History
from healthomics_run.commands.plan.target import version_warnings
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
    assert "cost: 1 run × 1.33 USD median, 2.45 USD p90 = 1.33 USD median, 2.45 USD p90 (from 3 earlier runs" in text
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


# -- a workflow version changed under the same name --------------------------------------------------------------

def versioned(definition: str, logical_id: str = "V1") -> Callable[[cdk.Stack], None]:
    def build(stack):
        made = omics_cfn.CfnWorkflow(stack, "Hello", name="hello-wf", definition_uri="s3://example-bucket/hello.zip")
        version = omics_cfn.CfnWorkflowVersion(stack, logical_id, workflow_id=made.attr_id, version_name="v1",
                                               definition_uri=definition)
        HealthOmicsRun(stack, "Run", workflow_id=made.attr_id, workflow_version_name=version.version_name)
    return build


def synth(tmp_path: Path, name: str, build: Callable[[cdk.Stack], None]) -> Path:
    app = cdk.App(outdir=str(tmp_path / name))
    build(cdk.Stack(app, "Versions"))
    app.synth()
    return tmp_path / name


def test_a_version_whose_definition_changed_under_the_same_name_is_named_flag_or_no_flag(tmp_path, capsys):
    base = synth(tmp_path, "base", versioned("s3://example-bucket/v1.zip"))
    head = synth(tmp_path, "head", versioned("s3://example-bucket/v1-fixed.zip"))
    for flags in ((), ("--history", history_of_name(tmp_path))):
        _, text = _cli(capsys, base, head, *flags)
        assert ("Warning: Versions/V1: workflow version v1's definition changed (DefinitionUri) under the same "
                "version name: a version's name and definition are create-only in CloudFormation") in text
        assert "the deploy fails; give the changed definition a new version_name" in text


def test_a_version_moved_to_a_new_logical_id_under_the_same_name_is_named(tmp_path):
    base = load(synth(tmp_path, "base", versioned("s3://example-bucket/v1.zip")))
    head = load(synth(tmp_path, "head", versioned("s3://example-bucket/v1.zip", logical_id="Renamed")))
    (warning,) = version_warnings(base, head)
    assert warning.startswith("Versions/Renamed: workflow version v1 moves from Versions/V1 to a new logical id")


def test_an_unchanged_version_a_new_version_name_or_a_replaced_workflow_warn_nothing(tmp_path):
    base = load(synth(tmp_path, "base", versioned("s3://example-bucket/v1.zip")))
    assert version_warnings(base, base) == []

    def renamed(stack):
        made = omics_cfn.CfnWorkflow(stack, "Hello", name="hello-wf", definition_uri="s3://example-bucket/hello.zip")
        omics_cfn.CfnWorkflowVersion(stack, "V1", workflow_id=made.attr_id, version_name="v2",
                                     definition_uri="s3://example-bucket/v2.zip")

    def workflow_replaced(stack):
        made = omics_cfn.CfnWorkflow(stack, "Hello", name="hello-wf", definition_uri="s3://example-bucket/new.zip")
        omics_cfn.CfnWorkflowVersion(stack, "V1", workflow_id=made.attr_id, version_name="v1",
                                     definition_uri="s3://example-bucket/v1-fixed.zip")

    assert version_warnings(base, load(synth(tmp_path, "renamed", renamed))) == []
    assert version_warnings(base, load(synth(tmp_path, "replaced", workflow_replaced))) == []
