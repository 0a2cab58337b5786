"""healthomics-run plan: every row kind, the formats, the exit codes, and agreement with the handler."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from healthomics_run import (
    DeletePolicy,
    HealthOmicsRun,
    HealthOmicsRunBatch,
    RunCache,
    RunGroup,
    RunServiceRole,
    WaitFor,
    WorkflowRun,
    WorkflowRunBatch,
)
from healthomics_run.commands.cli import console
from healthomics_run.commands.plan import Action, cli, plan
from healthomics_run.commands.plan.assembly import load
from healthomics_run.handlers.start_run import handler
from tests.world import WORKFLOW_ID, event

PARAMETERS = {"sample_name": "NA12878", "threads": 8}


PATHS = {"aws:cdk:enable-path-metadata": True}  # construct paths in the template metadata, as `cdk synth` writes


def assembly(tmp_path: Path, name: str, build: Callable[[cdk.Stack], None], nested: bool = False,
             context: dict | None = None) -> Path:
    app = cdk.App(outdir=str(tmp_path / name), context=context)
    stack = cdk.Stack(app, "PlanStack")
    build(cdk.NestedStack(stack, "Runs") if nested else stack)
    app.synth()
    return tmp_path / name


def germline(**props) -> Callable[[cdk.Stack], None]:
    def build(stack):
        HealthOmicsRun(stack, "Germline", workflow_id=WORKFLOW_ID, **{"parameters": PARAMETERS, **props})
    return build


def only_row(tmp_path, before, after, **kwargs):
    (row,) = plan(load(assembly(tmp_path, "base", before, **kwargs)), load(assembly(tmp_path, "head", after, **kwargs)))
    return row


def test_a_new_run_starts(tmp_path):
    row = only_row(tmp_path, lambda stack: None, germline())
    assert (row.action, row.kind, row.reason) == (Action.START, "run", "new resource: deploying starts a new run")


def test_a_changed_parameter_starts_a_run_naming_the_parameter_but_not_its_value(tmp_path):
    row = only_row(tmp_path, germline(), germline(parameters={**PARAMETERS, "sample_name": "NA24385"}))
    assert row.action is Action.START and row.reason == "changed: parameters.sample_name"
    (change,) = row.changes
    assert (change.setting, change.old, change.new, change.sensitive) == (
        "parameters.sample_name", "NA12878", "NA24385", True)


def test_a_changed_rerun_token_starts_a_run(tmp_path):
    row = only_row(tmp_path, germline(), germline(rerun_token="2026-11-24"))
    assert row.action is Action.START and [c.setting for c in row.changes] == ["rerun_token"]


def test_nothing_changed_keeps_the_run(tmp_path):
    row = only_row(tmp_path, germline(), germline())
    assert row.action is Action.KEEP and row.changes == () and row.notes == ()


def test_wait_for_timeout_and_delete_policy_are_noted_but_start_nothing(tmp_path):
    row = only_row(tmp_path, germline(), germline(wait_for=WaitFor.RUNNING, timeout=cdk.Duration.minutes(30),
                                                  delete_policy=DeletePolicy.CANCEL))
    assert row.action is Action.KEEP
    assert {(c.setting, c.old, c.new) for c in row.notes} == {
        ("wait_for", "STARTED", "RUNNING"), ("timeout_seconds", 3000, 1800), ("delete_policy", "RETAIN", "CANCEL")}


@pytest.mark.parametrize("policy, action", [(DeletePolicy.CANCEL, Action.CANCEL), (DeletePolicy.RETAIN, Action.RETAIN)])
def test_a_removed_run_is_cancelled_or_retained_by_its_delete_policy(tmp_path, policy, action):
    row = only_row(tmp_path, germline(delete_policy=policy), lambda stack: None)
    assert row.action is action


def _run_writing_to(bucket_id: str) -> Callable[[cdk.Stack], None]:
    def build(stack):
        bucket = s3.Bucket(stack, bucket_id)
        role = RunServiceRole(stack, "Role", output_bucket=bucket)
        WorkflowRun(stack, "Run", role=role, output_uri=f"s3://{bucket.bucket_name}/out/", workflow_id=WORKFLOW_ID)
    return build


def test_a_setting_that_changes_to_a_deploy_time_value_is_decided_at_deploy_time(tmp_path):
    row = only_row(tmp_path, _run_writing_to("Outputs"), _run_writing_to("OtherOutputs"))
    assert row.action is Action.UNKNOWN and row.reason.startswith("decided at deploy time: output_uri changed")


def test_a_setting_added_with_a_deploy_time_value_starts_a_run(tmp_path):
    def cached(stack):
        HealthOmicsRun(stack, "Germline", workflow_id=WORKFLOW_ID, cache=RunCache(stack, "Cache"))

    row = only_row(tmp_path, germline(parameters=None), cached)
    assert row.action is Action.START and "cache_id" in row.reason


def _grouped(max_runs: int) -> Callable[[cdk.Stack], None]:
    def build(stack):
        HealthOmicsRun(stack, "Germline", workflow_id=WORKFLOW_ID,
                       run_group=RunGroup(stack, "Group", max_runs=max_runs))
    return build


def test_a_setting_that_refers_to_a_changing_resource_is_decided_at_deploy_time(tmp_path):
    row = only_row(tmp_path, _grouped(5), _grouped(10))
    assert row.action is Action.UNKNOWN and "refer to Group" in row.reason and row.may_start


def cohort(samples: list[dict], **props) -> Callable[[cdk.Stack], None]:
    def build(stack):
        HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=samples, **props)
    return build


def samples(count: int, changed: int | None = None) -> list[dict]:
    return [{"run_setting_id": f"S{i:04d}",
             "parameters": {"sample_name": f"SAMPLE-{i:04d}" + ("x" if i == changed else "")}}
            for i in range(count)]


@pytest.mark.parametrize("count", [3, 150])
def test_a_sheet_with_samples_added_removed_and_changed_runs_only_the_added_and_changed(tmp_path, count):
    before = samples(count)
    after = samples(count, changed=1)[1:] + [{"run_setting_id": "S9999"}]
    row = only_row(tmp_path, cohort(before), cohort(after))
    assert row.action is Action.START and row.kind == "batch"
    assert (row.samples.count, row.samples.added, row.samples.removed, row.samples.changed) == (count, 1, 1, 1)
    assert row.runs_to_start == 2 and row.samples.run_ids == ("S0001", "S9999")


def test_a_new_batch_with_a_deploy_time_number_is_planned_with_its_sample_count(tmp_path):
    def build(stack):
        priority = cdk.CfnParameter(stack, "Priority", type="Number", default=1).value_as_number
        HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=samples(3), priority=priority)

    row = only_row(tmp_path, lambda stack: None, build)
    assert row.action is Action.START and (row.samples.count, row.samples.added, row.runs_to_start) == (3, 3, 3)


def test_runs_in_nested_stacks_are_planned(tmp_path):
    row = only_row(tmp_path, germline(), germline(rerun_token="again"), nested=True)
    assert row.action is Action.START and row.stack.startswith("PlanStack/Runs")


def test_a_template_is_compared_with_the_deployed_stacks_get_template_output(tmp_path):
    head = assembly(tmp_path, "head", germline(rerun_token="again")) / "PlanStack.template.json"
    deployed = tmp_path / "deployed.json"
    base_template = json.loads((assembly(tmp_path, "base", germline()) / "PlanStack.template.json").read_text())
    deployed.write_text(json.dumps({"TemplateBody": base_template, "StagesAvailable": ["Original", "Processed"]}))
    (row,) = plan(load(deployed), load(head))
    assert row.action is Action.START


def _cli(capsys, *args) -> tuple[int, str]:
    code = cli.main([str(arg) for arg in args])
    return code, capsys.readouterr().out


def test_exit_code_0_when_no_run_starts_and_2_when_one_does(tmp_path, capsys):
    base = assembly(tmp_path, "base", germline())
    same = assembly(tmp_path, "same", germline())
    changed = assembly(tmp_path, "changed", germline(priority=5))
    assert _cli(capsys, base, same)[0] == cli.NO_RUN_STARTS
    assert _cli(capsys, base, changed)[0] == cli.RUNS_START


def test_exit_code_1_on_an_unreadable_input_or_bad_usage(tmp_path, capsys):
    assert _cli(capsys, tmp_path / "missing", tmp_path / "missing")[0] == cli.ERROR
    with pytest.raises(SystemExit) as usage:
        cli.main(["only-one-path"])
    assert usage.value.code == cli.ERROR


def test_formats_say_the_same_thing(tmp_path, capsys):
    base = assembly(tmp_path, "base", germline())
    head = assembly(tmp_path, "head", germline(parameters={**PARAMETERS, "threads": 16}))
    _, text = _cli(capsys, base, head)
    _, markdown = _cli(capsys, base, head, "--format", "markdown")
    _, document = _cli(capsys, base, head, "--format", "json", "--show-values")
    assert "START" in text and "parameters.threads: 8 → 16" in text
    assert "| **START** | run | `PlanStack/Germline" in markdown
    assert "**1 run will start; resources: 1 starting**" in markdown
    resource = json.loads(document)["resources"][0]
    assert json.loads(document)["summary"]["startsRuns"] is True and resource["runsToStart"] == 1
    assert resource["changes"] == [{"setting": "parameters.threads", "old": 8, "new": 16, "hidden": False}]


def test_by_default_numbers_show_and_free_text_hides(tmp_path, capsys):
    base = assembly(tmp_path, "base", germline())
    head = assembly(tmp_path, "head", germline(parameters={"sample_name": "NA24385", "threads": 16}, priority=5))
    _, text = _cli(capsys, base, head)
    assert "parameters.threads: 8 → 16" in text and "priority: (not set) → 5" in text
    assert "parameters.sample_name: (hidden; --show-values) → (hidden; --show-values)" in text
    assert "NA24385" not in text and "NA12878" not in text


def test_show_values_shows_everything_and_hide_values_nothing(tmp_path, capsys):
    base = assembly(tmp_path, "base", germline())
    head = assembly(tmp_path, "head", germline(parameters={"sample_name": "NA24385", "threads": 16}))
    _, shown = _cli(capsys, base, head, "--show-values")
    _, hidden = _cli(capsys, base, head, "--hide-values")
    assert "parameters.sample_name: NA12878 → NA24385" in shown and "parameters.threads: 8 → 16" in shown
    assert "parameters.threads: (hidden) → (hidden)" in hidden and "NA24385" not in hidden


def test_the_console_script_is_installed_with_the_package():
    (script,) = entry_points(group="console_scripts", name="healthomics-run")
    assert script.load() is console


# -- the plan and the deploy agree --------------------------------------------------------------------

def _literal_run(aws, **props) -> Callable[[cdk.Stack], None]:
    """A run whose settings are all literals, so the handler can take the template's properties as they are."""
    def build(stack):
        role = iam.Role.from_role_arn(stack, "Role", aws["role_arn"])
        WorkflowRun(stack, "Run", role=role, output_uri=aws["output_uri"], workflow_id=WORKFLOW_ID,
                    **{"parameters": {"sample_name": "NA12878"}, **props})
    return build


@pytest.mark.parametrize("change", [
    {"parameters": {"sample_name": "NA24385"}}, {"priority": 3}, {"rerun_token": "again"},
    {"wait_for": WaitFor.RUNNING}, {"delete_policy": DeletePolicy.CANCEL}, {"tags": {"project": "b"}}, {}])
def test_the_plan_starts_a_run_exactly_when_the_handler_does(tmp_path, aws, omics, change):
    base = assembly(tmp_path, "base", _literal_run(aws))
    head = assembly(tmp_path, "head", _literal_run(aws, **change))
    (row,) = plan(load(base), load(head))
    old_props, new_props = (json.loads((path / "PlanStack.template.json").read_text())["Resources"][row.logical_id]
                            ["Properties"] for path in (base, head))
    created = handler.on_event(event("Create", old_props, logical_id=row.logical_id))
    updated = handler.on_event(event("Update", new_props, physical_id=created["PhysicalResourceId"],
                                     old_props=old_props, logical_id=row.logical_id))
    started = updated["PhysicalResourceId"] != created["PhysicalResourceId"]
    assert started == (row.action is Action.START)
    assert omics.count("StartRun") == 1 + started


def _handler_deploys(base: Path, head: Path, logical_ids: tuple[str, str]) -> tuple[dict, dict]:
    """CloudFormation's events for a run resource from base to head: Create, then Update under the same
    logical id, or Create under the new one (a rename: the old resource is deleted afterwards)."""
    old_id, new_id = logical_ids
    old_props, new_props = (json.loads((path / "PlanStack.template.json").read_text())["Resources"][logical_id]
                            ["Properties"] for path, logical_id in ((base, old_id), (head, new_id)))
    created = handler.on_event(event("Create", old_props, logical_id=old_id))
    if old_id != new_id:
        return created, handler.on_event(event("Create", new_props, logical_id=new_id))
    return created, handler.on_event(event("Update", new_props, physical_id=created["PhysicalResourceId"],
                                           old_props=old_props, logical_id=new_id))


def _renamed_run(aws, construct_id: str) -> Callable[[cdk.Stack], None]:
    def build(stack):
        role = iam.Role.from_role_arn(stack, "Role", aws["role_arn"])
        WorkflowRun(stack, construct_id, role=role, output_uri=aws["output_uri"], workflow_id=WORKFLOW_ID,
                    parameters={"sample_name": "NA12878"})
    return build


def test_a_renamed_run_starts_a_new_run_as_the_plan_says_while_the_old_one_keeps_going(tmp_path, aws, omics):
    """requestId is scoped to the stack and the logical id (``fingerprint.request_id``): a renamed resource's
    Create starts a run of its own; with RETAIN the removed resource's Delete leaves its run going."""
    base = assembly(tmp_path, "base", _renamed_run(aws, "Somatic"), context=PATHS)
    head = assembly(tmp_path, "head", _renamed_run(aws, "SomaticTumor"), context=PATHS)
    rows = plan(load(base), load(head))
    (started,) = [row for row in rows if row.action is Action.START]
    (kept,) = [row for row in rows if row.action is Action.RETAIN]
    created, renamed = _handler_deploys(base, head, (kept.logical_id, started.logical_id))
    assert renamed["PhysicalResourceId"] != created["PhysicalResourceId"] and omics.count("StartRun") == 2
    assert started.duplicate_of == f"RETAIN {kept.path}"


@pytest.mark.parametrize("change", [
    {"storage_type": "STATIC", "storage_capacity": 2400}, {"workflow_version_name": "v2"},
    {"run_group": "7777777"}, {}])
def test_each_start_names_the_workflow_version_storage_and_run_group_the_handler_starts(tmp_path, aws, omics, change):
    omics.workflows[WORKFLOW_ID]["versions"]["v2"] = omics.workflows[WORKFLOW_ID]["parameterTemplate"]
    base = assembly(tmp_path, "base", lambda stack: None)
    head = assembly(tmp_path, "head", _literal_run(aws, **change))
    (row,) = plan(load(base), load(head))
    old_props = json.loads((head / "PlanStack.template.json").read_text())["Resources"][row.logical_id]["Properties"]
    handler.on_event(event("Create", old_props, logical_id=row.logical_id))
    (sent,) = omics.params_of("StartRun")
    assert (row.target.workflow, row.target.version, row.target.storage_type, row.target.storage_capacity,
            row.target.run_group) == (sent["workflowId"], sent.get("workflowVersionName"), sent.get("storageType"),
                                      sent.get("storageCapacity"), sent.get("runGroupId"))


def test_the_plan_needs_neither_aws_cdk_lib_nor_node(tmp_path):
    import subprocess
    import sys

    base = assembly(tmp_path, "base", germline())
    empty = tmp_path / "history.json"
    empty.write_text(json.dumps({"format": "healthomics-run-history/1", "prices": {}, "runs": []}))
    script = ("import sys; sys.modules['aws_cdk'] = sys.modules['jsii'] = sys.modules['boto3'] = None\n"
              "from healthomics_run.commands.plan import cli\n"
              f"sys.exit(cli.main([{str(base)!r}, {str(base)!r}, '--history', {str(empty)!r}, '--max-cost', '1']))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == cli.NO_RUN_STARTS, result.stderr
    assert "1 kept" in result.stdout


def _literal_cohort(aws, samples: list[dict], **props) -> Callable[[cdk.Stack], None]:
    """A cohort whose settings are all literals, inline, so the handler can take the template's properties."""
    def build(stack):
        role = iam.Role.from_role_arn(stack, "Role", aws["role_arn"])
        WorkflowRunBatch(stack, "Cohort", role=role, output_uri=aws["output_uri"], workflow_id=WORKFLOW_ID,
                         samples=samples, **props)
    return build


def _sample(index: int, **changes) -> dict:
    return {"run_setting_id": f"S{index}", "parameters": {"sample_name": f"SAMPLE-{index}"}, **changes}


@pytest.mark.parametrize("head_samples, props", [
    ([_sample(1), _sample(2), _sample(3)], {}), ([_sample(1), _sample(2, priority=5)], {}), ([_sample(1)], {}),
    ([_sample(2), _sample(1)], {}), ([_sample(1), _sample(2)], {"rerun_token": "again"}),
    ([_sample(1), _sample(2)], {"batch_name": "renamed"})])
def test_the_plan_counts_the_runs_the_handler_starts_for_a_cohort(tmp_path, aws, omics, head_samples, props):
    omics.workflows[WORKFLOW_ID]["parameterTemplate"] = {"sample_name": {}}
    base = assembly(tmp_path, "base", _literal_cohort(aws, [_sample(1), _sample(2)]))
    head = assembly(tmp_path, "head", _literal_cohort(aws, head_samples, **props))
    (row,) = plan(load(base), load(head))
    old_props, new_props = (json.loads((path / "PlanStack.template.json").read_text())["Resources"][row.logical_id]
                            ["Properties"] for path in (base, head))
    cohort_event = {"logical_id": row.logical_id, "resource_type": "Custom::HealthOmicsRunBatch"}
    created = handler.on_event(event("Create", old_props, **cohort_event))
    updated = handler.on_event(event("Update", new_props, physical_id=created["PhysicalResourceId"],
                                     old_props=old_props, **cohort_event))
    assert row.runs_to_start == updated["Data"]["RunsStarted"]
    assert (row.action is Action.START) == (updated["Data"]["RunsStarted"] > 0)
    if row.runs_to_start:  # the very samples the plan names are the ones the handler submits
        submitted = omics.params_of("StartRunBatch")[-1]["batchRunSettings"]["inlineSettings"]
        assert tuple(sorted(entry["runSettingId"] for entry in submitted)) == row.samples.run_ids
