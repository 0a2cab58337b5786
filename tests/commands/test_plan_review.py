"""What a pull-request reviewer reads in the plan besides the counts: renames that repeat runs, what a
rename leaves behind, which samples were removed or changed, deploy-time values, mismatched inputs, what
each START runs on, and the installed version."""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path
from typing import Callable

import aws_cdk as cdk
import pytest

from healthomics_run import DeletePolicy, HealthOmicsRun
from healthomics_run.commands.cli import console
from healthomics_run.commands.plan import Action, cli, plan, render
from healthomics_run.commands.plan.assembly import load
from healthomics_run.commands.plan.review import review
from tests.commands.test_plan import PARAMETERS, PATHS, _cli, _run_writing_to, assembly, cohort, samples
from tests.commands.test_plan_counts import with_sample
from tests.world import WORKFLOW_ID


def synthesized(tmp_path: Path, name: str, build: Callable[[cdk.Stack], None], *stacks: str) -> Path:
    """A cloud assembly with construct paths in the template metadata, as ``cdk synth`` writes them."""
    app = cdk.App(outdir=str(tmp_path / name), context=PATHS)
    for stack_name in stacks or ("PlanStack",):
        build(cdk.Stack(app, stack_name))
    app.synth()
    return tmp_path / name


def somatic(construct_id: str, **props) -> Callable[[cdk.Stack], None]:
    def build(stack):
        HealthOmicsRun(stack, construct_id, workflow_id=WORKFLOW_ID, parameters=PARAMETERS, **props)
    return build


@pytest.mark.parametrize("policy, fate", [(DeletePolicy.RETAIN, "keep going"), (DeletePolicy.CANCEL, "are cancelled")])
def test_a_renamed_construct_with_the_same_settings_is_a_duplicate_of_the_removed_run(tmp_path, policy, fate):
    base = load(synthesized(tmp_path, "base", somatic("Somatic", delete_policy=policy)))
    head = load(synthesized(tmp_path, "head", somatic("SomaticTumor", delete_policy=policy)))
    removed, started = sorted(plan(base, head), key=lambda row: row.action.value != policy.value)
    assert started.action is Action.START and started.duplicate_of == f"{policy.value} PlanStack/Somatic/Run"
    assert started.reason.endswith(f"duplicate of PlanStack/Somatic/Run (same settings), whose runs {fate} "
                                   f"({policy.value}): a rename starts the same runs again")
    assert removed.reason.endswith("; renamed to PlanStack/SomaticTumor/Run")


def test_a_rename_lists_the_resources_it_orphans(tmp_path):
    base = load(synthesized(tmp_path, "base", somatic("Somatic")))
    head = load(synthesized(tmp_path, "head", somatic("SomaticTumor")))
    (removed,) = [row for row in plan(base, head) if row.action is Action.RETAIN]
    orphans = "\n".join(removed.orphans)
    assert re.search(r"PlanStack/Somatic/OutputBucket \(AWS::S3::Bucket\): left in the account, no longer managed",
                     orphans)
    assert re.search(r"PlanStack/Somatic/ServiceRole \(AWS::IAM::Role\): left in the account", orphans)


def test_a_renamed_construct_with_other_settings_is_no_duplicate(tmp_path):
    base = load(synthesized(tmp_path, "base", somatic("Somatic")))
    head = load(synthesized(tmp_path, "head", somatic("SomaticTumor", priority=3)))
    assert all(row.duplicate_of is None and not row.orphans for row in plan(base, head))


def test_removed_samples_are_named_and_changed_samples_name_their_fields_only_with_show_values(tmp_path, capsys):
    base = assembly(tmp_path, "base", cohort(samples(4)))
    head = assembly(tmp_path, "head", cohort(with_sample(samples(3), 1, priority=7,
                                                         parameters={"sample_name": "SAMPLE-0001x"})))
    _, shown = _cli(capsys, base, head, "--show-values")
    _, default = _cli(capsys, base, head)
    assert "removed: S0003" in shown and "changed S0001: parameters.sample_name, priority" in shown
    assert "S0003" not in default and "S0001" not in default


def test_deploy_time_values_render_as_logical_attribute(tmp_path, capsys):
    _, text = _cli(capsys, assembly(tmp_path, "base", _run_writing_to("Outputs")),
                   assembly(tmp_path, "head", _run_writing_to("OtherOutputs")), "--show-values")
    assert re.search(r"output_uri: s3://\$\{Outputs[0-9A-F]{8}\}/out/ → s3://\$\{OtherOutputs[0-9A-F]{8}\}/out/", text)
    assert "Fn::Join" not in text


def test_a_template_against_an_assembly_of_other_stacks_reports_them_as_not_compared(tmp_path, capsys):
    one = synthesized(tmp_path, "one", somatic("Somatic"), "GermlineRunStack") / "GermlineRunStack.template.json"
    two = synthesized(tmp_path, "two", somatic("Somatic"), "GermlineRunStack", "CohortRunStack")
    code, text = _cli(capsys, one, two)
    assert code == cli.RUNS_START and "\nSTART" not in text  # its runs may start: never "nothing" with exit 0
    assert re.search(r"\nUNCOMPARED +run +CohortRunStack/Somatic/Run +stack CohortRunStack is not in the base's", text)
    assert ("Note: stack CohortRunStack is only in head (GermlineRunStack on the other side): not compared; give "
            "both sides as cloud assemblies, or the same stack's templates") in text


def test_assemblies_that_share_no_stack_are_reported_not_planned_as_new(tmp_path, capsys):
    base = synthesized(tmp_path, "base", somatic("Somatic"), "StackA", "StackB")
    head = synthesized(tmp_path, "head", somatic("Somatic"), "StackC", "StackD")
    code, text = _cli(capsys, base, head)
    assert code == cli.RUNS_START and "\nSTART" not in text and "stack StackC is only in head" in text
    assert "0 runs will start, more may in stacks not compared; resources: 2 not compared" in text


def test_a_stack_added_to_an_assembly_is_planned_as_new(tmp_path, capsys):
    base = synthesized(tmp_path, "base", somatic("Somatic"), "StackA")
    head = synthesized(tmp_path, "head", somatic("Somatic"), "StackA", "StackB")
    code, text = _cli(capsys, base, head)
    assert code == cli.RUNS_START and "\nSTART StackB/Somatic/Run\n" in text and "Note:" not in text


def test_each_start_says_its_workflow_version_storage_and_run_group(tmp_path, capsys):
    def build(stack):
        HealthOmicsRun(stack, "Somatic", workflow_id=WORKFLOW_ID, workflow_version_name="v2", storage_type="STATIC",
                       storage_capacity=2400)

    _, text = _cli(capsys, synthesized(tmp_path, "base", lambda stack: None), synthesized(tmp_path, "head", build))
    assert re.search(r"workflow 1234567 version v2; storage STATIC 2400 GiB; run group \$\{SomaticRunGroup[0-9A-F]{8}"
                     r"\.Id\} \(max_runs 5, max_cpus 256, max_duration 7\.0 days\); wait_for STARTED", text)


def test_the_console_script_says_its_version(capsys):
    with pytest.raises(SystemExit) as done:
        console(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"healthomics-run {version('healthomics-run')}\n"


# -- the first deploy of an app, and inputs that do not match ------------------------------------

def test_an_empty_base_template_against_an_app_of_two_stacks_starts_every_run(tmp_path, capsys):
    """The README's first-deploy recipe: ``{"Resources": {}}`` is nothing deployed, in any stack."""
    nothing = tmp_path / "nothing-deployed.json"
    nothing.write_text('{"Resources": {}}')
    app = synthesized(tmp_path, "app", somatic("Somatic"), "GermlineRunStack", "CohortRunStack")
    code, text = _cli(capsys, nothing, app)
    assert code == cli.RUNS_START and text.startswith("healthomics-run plan: 2 runs will start; resources: 2 starting")
    assert "No HealthOmics runs" not in text and "Note:" not in text


def test_an_empty_base_assembly_against_an_app_of_two_stacks_starts_every_run(tmp_path, capsys):
    empty = tmp_path / "empty"
    cdk.App(outdir=str(empty)).synth()
    app = synthesized(tmp_path, "app", somatic("Somatic"), "GermlineRunStack", "CohortRunStack")
    code, text = _cli(capsys, empty, app)
    assert code == cli.RUNS_START and "2 runs will start" in text


def test_a_base_template_of_another_stack_against_an_app_never_says_nothing_starts(tmp_path, capsys):
    other = synthesized(tmp_path, "other", lambda stack: cdk.aws_s3.Bucket(stack, "Logs"), "NetworkStack")
    other = other / "NetworkStack.template.json"
    app = synthesized(tmp_path, "app", somatic("Somatic"), "GermlineRunStack", "CohortRunStack")
    code, text = _cli(capsys, other, app, "--format", "json")
    summary = json.loads(text)["summary"]
    assert code == cli.RUNS_START and summary["startsRuns"] and summary["UNCOMPARED"] == 2
    assert "No HealthOmics runs" not in summary["text"]


# -- a large change in one pull-request comment --------------------------------------------------

def _many_runs(tmp_path: Path, count: int) -> Path:
    """A template of ``count`` runs, each with its own sample: the one run ``cdk synth`` writes, repeated."""
    template = json.loads((synthesized(tmp_path, "one", somatic("Somatic")) / "PlanStack.template.json").read_text())
    (logical_id, run), = [(key, value) for key, value in template["Resources"].items()
                          if value["Type"] == "Custom::HealthOmicsRun"]
    del template["Resources"][logical_id]
    for index in range(count):
        copy = json.loads(json.dumps(run))
        copy["Properties"]["Parameters"]["sample_name"] = f"PATIENT-{index:04d}"
        copy["Metadata"]["aws:cdk:path"] = f"PlanStack/Sample{index:04d}/Run/Resource"
        template["Resources"][f"Sample{index:04d}Run"] = copy
    path = tmp_path / "PlanStack.template.json"
    path.write_text(json.dumps(template))
    return path


def test_a_300_run_change_fits_one_github_comment_saying_what_was_cut_and_how_to_see_it_all(tmp_path, capsys):
    """GitHub refuses a comment over 65,536 characters ("Body is too long (maximum is 65536 characters)", the REST
    API's 422 on creating an issue comment: danger/danger#424, telia-oss/github-pr-resource#259; some measure bytes,
    dead-claudia/github-limits#13): the markdown keeps to ``render.COMMENT_LIMIT`` UTF-8 bytes."""
    nothing = tmp_path / "nothing-deployed.json"
    nothing.write_text('{"Resources": {}}')
    head = _many_runs(tmp_path, 300)
    code, text = _cli(capsys, nothing, head, "--format", "markdown")
    assert code == cli.RUNS_START and len(text.encode()) <= render.COMMENT_LIMIT < 65_536
    assert "**300 runs will start; resources: 300 starting**" in text
    assert "| **START** | 300 runs | `PlanStack/Sample0000/Run` and 299 more | new resource: " in text  # grouped
    assert text.count("<details>") == 1 and "300 resources with the same details" in text  # folded, once
    assert "`healthomics-run plan BASE HEAD --format json`" in text
    assert "PATIENT-" not in text
    _, table = _cli(capsys, nothing, head)
    assert table.count("\nSTART PlanStack/Sample") == 300  # the table still shows every row


def test_details_that_do_not_fit_one_comment_are_counted_with_how_to_see_them(tmp_path, capsys):
    nothing = tmp_path / "nothing-deployed.json"
    nothing.write_text('{"Resources": {}}')
    head = _many_runs(tmp_path, 300)
    report = review(plan(load(nothing), load(head)))
    text = render.markdown(report, render.Display.SAFE, limit=2_000)
    assert len(text.encode()) <= 2_000 and "300 resources' details (1 folded section) cut" in text
    assert "cut to fit one GitHub comment" in text.replace("\n", " ")
    assert "--format json" in text


def test_json_rows_carry_every_field_the_text_shows(tmp_path, capsys):
    def build(stack):
        HealthOmicsRun(stack, "Somatic", workflow_id=WORKFLOW_ID, workflow_version_name="v2", storage_type="STATIC",
                       storage_capacity=2400)

    base, head = synthesized(tmp_path, "base", lambda stack: None), synthesized(tmp_path, "head", build)
    _, table = _cli(capsys, base, head)
    _, document = _cli(capsys, base, head, "--format", "json")
    (resource,) = json.loads(document)["resources"]
    target = resource["target"]
    assert (target["storageType"], target["storageCapacity"], target["version"], target["waitFor"]) == \
        ("STATIC", 2400, "v2", "STARTED")
    assert target["runGroupLimits"] == {"maxRuns": 5, "maxCpus": 256, "maxDurationMinutes": 10080}
    for line in resource["details"]:  # every line of the table's details, as the table shows it
        assert f"  {line}\n" in table
    assert len(resource["details"]) == table.split("START PlanStack/Somatic/Run\n", 1)[1].count("\n  ") + 1
