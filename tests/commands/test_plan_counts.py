"""healthomics-run plan counts the runs a deploy starts: one for a run, and for a batch (a cohort)
only the samples whose run settings are new: its own or the shared ones."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from healthomics_run import DeletePolicy, HealthOmicsRunBatch, WorkflowRunBatch
from healthomics_run.commands.plan import Action, cli, plan
from healthomics_run.commands.plan.assembly import load
from healthomics_run.handlers.start_run import handler
from tests.commands.test_plan import _cli, _grouped, assembly, cohort, germline, only_row, samples
from tests.world import WORKFLOW_ID, batch_event

TEMPLATE = "PlanStack.template.json"
TAGS_CHANGED = "tags changed: re-tagged in place, no run starts"


def with_sample(rows: list[dict], index: int, **setting) -> list[dict]:
    """The rows with one sample's own settings changed."""
    return [{**row, **setting} if i == index else row for i, row in enumerate(rows)]


def bare_templates(tmp_path: Path, before, after) -> tuple[Path, Path]:
    """Base and head as template files: a staged sheet is not at hand, only its digest and count."""
    return (assembly(tmp_path, "base", before) / TEMPLATE, assembly(tmp_path, "head", after) / TEMPLATE)


# -- one row of README's table each: which samples run ------------------------------------------------

def test_an_added_sample_is_the_only_run_that_starts(tmp_path):
    row = only_row(tmp_path, cohort(samples(3)), cohort(samples(4)))
    assert row.action is Action.START and row.runs_to_start == 1 and row.samples.run_ids == ("S0003",)
    assert row.reason == "1 sample to run: 1 added"


@pytest.mark.parametrize("setting", [
    {"parameters": {"sample_name": "NA24385"}}, {"name": "renamed"}, {"priority": 7},
    {"output_uri": "s3://example-output-bucket/elsewhere/"}])
def test_a_sample_whose_own_settings_changed_is_the_only_run_that_starts(tmp_path, setting):
    row = only_row(tmp_path, cohort(samples(3)), cohort(with_sample(samples(3), 1, **setting)))
    assert row.action is Action.START and row.runs_to_start == 1 and row.samples.run_ids == ("S0001",)
    assert row.samples.changed == 1 and row.changes == ()


@pytest.mark.parametrize("change", [
    {"parameters": {"threads": 16}}, {"workflow_version_name": "v2"},
    {"storage_type": "STATIC", "storage_capacity": 2400}, {"cache_id": "1234567"}, {"rerun_token": "2026-11-24"}])
def test_a_changed_shared_setting_runs_every_sample_again(tmp_path, change):
    row = only_row(tmp_path, cohort(samples(3)), cohort(samples(3), **change))
    assert row.action is Action.START and row.runs_to_start == 3 and row.changes
    assert row.reason.endswith("; every sample runs again (3 runs)")


def test_a_change_of_a_samples_tags_alone_starts_nothing(tmp_path):
    row = only_row(tmp_path, cohort(samples(3)), cohort(with_sample(samples(3), 1, tags={"site": "b"})))
    assert row.action is Action.KEEP and row.runs_to_start == 0 and row.reason == TAGS_CHANGED


def test_a_change_of_shared_tags_alone_is_kept_as_tags_changed(tmp_path):
    row = only_row(tmp_path, cohort(samples(3), tags={"project": "a"}), cohort(samples(3), tags={"project": "b"}))
    assert row.action is Action.KEEP and row.runs_to_start == 0
    assert row.reason == TAGS_CHANGED
    assert [(c.setting, c.old, c.new) for c in row.changes] == [("tags.project", "a", "b")]


def test_tags_of_the_whole_app_added_to_a_run_and_a_cohort_start_nothing(tmp_path):
    """The tags reach the run group, role and bucket the runs refer to as well; their ``Ref`` values do not
    change, as ``Tags`` is not a create-only property of theirs (``test_tags_are_updated_in_place_...``)."""
    def app(tagged: bool):
        def build(stack):
            germline()(stack)
            cohort(samples(3))(stack)
            if tagged:
                cdk.Tags.of(stack).add("cost-center", "cc-42")
        return build
    rows = plan(load(assembly(tmp_path, "base", app(False))), load(assembly(tmp_path, "head", app(True))))
    assert [(row.kind, row.action, row.reason) for row in rows] == [
        ("batch", Action.KEEP, TAGS_CHANGED),
        ("run", Action.KEEP, TAGS_CHANGED)]


@pytest.mark.parametrize("tags", [{"project": "b"}, {}])
def test_the_plan_keeps_a_cohort_whose_tags_alone_changed_and_so_does_the_handler(tmp_path, aws, omics, tags):
    """Parity: the plan's KEEP for a tags-only change is what the handler does (no StartRunBatch)."""
    omics.workflows[WORKFLOW_ID]["parameterTemplate"] = {"sample_name": {}}
    def build(batch_tags):
        def make(stack):
            role = iam.Role.from_role_arn(stack, "Role", aws["role_arn"])
            WorkflowRunBatch(stack, "Cohort", role=role, output_uri=aws["output_uri"], workflow_id=WORKFLOW_ID,
                             samples=samples(3), tags=batch_tags)
        return make
    base, head = assembly(tmp_path, "base", build({"project": "a"})), assembly(tmp_path, "head", build(tags))
    (row,) = plan(load(base), load(head))
    old_props, new_props = (json.loads((path / TEMPLATE).read_text())["Resources"][row.logical_id]["Properties"]
                            for path in (base, head))
    created = handler.on_event(batch_event("Create", old_props))
    updated = handler.on_event(batch_event("Update", new_props, physical_id=created["PhysicalResourceId"],
                                           old_props=old_props))
    assert row.action is Action.KEEP and updated["Data"]["RunsStarted"] == 0 and omics.count("StartRunBatch") == 1


@pytest.mark.parametrize("policy, fate", [(DeletePolicy.CANCEL, "their runs are cancelled if still active"),
                                          (DeletePolicy.RETAIN, "their runs keep going")])
def test_removed_samples_start_nothing_and_their_runs_follow_the_delete_policy(tmp_path, policy, fate):
    row = only_row(tmp_path, cohort(samples(4), delete_policy=policy), cohort(samples(2), delete_policy=policy))
    assert row.action is Action.KEEP and row.runs_to_start == 0 and row.samples.removed == 2
    assert row.reason == f"2 samples removed: {fate} (delete_policy {policy.value})"


def test_reordered_rows_start_nothing(tmp_path):
    row = only_row(tmp_path, cohort(samples(3)), cohort(list(reversed(samples(3)))))
    assert row.action is Action.KEEP and row.runs_to_start == 0 and row.reason == "no sample's run settings changed"


def test_a_new_batch_name_starts_nothing_and_is_noted(tmp_path):
    row = only_row(tmp_path, cohort(samples(3), batch_name="cohort-a"), cohort(samples(3), batch_name="cohort-b"))
    assert row.action is Action.KEEP and row.runs_to_start == 0
    assert [(note.setting, note.old, note.new) for note in row.notes] == [("batch_name", "cohort-a", "cohort-b")]


# -- new resources ------------------------------------------------------------------------------------

def test_a_new_batch_runs_every_sample(tmp_path):
    row = only_row(tmp_path, lambda stack: None, cohort(samples(3)))
    assert row.action is Action.START and row.runs_to_start == 3 and row.samples.run_ids == ("S0000", "S0001", "S0002")
    assert row.reason == "new resource: every sample runs (3 runs)"


def test_a_run_counts_one_when_it_starts_and_none_when_kept(tmp_path):
    assert only_row(tmp_path / "new", lambda stack: None, germline()).runs_to_start == 1
    assert only_row(tmp_path / "same", germline(), germline()).runs_to_start == 0


def test_a_removed_resource_starts_no_run(tmp_path):
    assert only_row(tmp_path, cohort(samples(3)), lambda stack: None).runs_to_start == 0


# -- staged sheets (more than 100 samples) ------------------------------------------------------------

def test_a_staged_cohort_grown_from_150_to_152_samples_starts_2_runs(tmp_path):
    row = only_row(tmp_path, cohort(samples(150)), cohort(samples(152)))
    assert row.action is Action.START and row.runs_to_start == 2 and row.samples.run_ids == ("S0150", "S0151")


def test_a_staged_sheet_changed_between_bare_templates_is_known_only_from_the_cloud_assembly(tmp_path):
    (row,) = plan(*map(load, bare_templates(tmp_path, cohort(samples(150)), cohort(samples(152)))))
    assert row.action is Action.UNKNOWN and row.runs_to_start is None and row.may_start
    assert "which samples run is known only from the cloud assembly" in row.reason


def test_a_shared_change_between_bare_templates_runs_every_staged_sample(tmp_path):
    (row,) = plan(*map(load, bare_templates(tmp_path, cohort(samples(150)), cohort(samples(152), rerun_token="2"))))
    assert row.action is Action.START and row.runs_to_start == 152 and row.samples.run_ids is None


def test_an_unchanged_staged_sheet_between_bare_templates_starts_nothing(tmp_path):
    (row,) = plan(*map(load, bare_templates(tmp_path, cohort(samples(150)), cohort(samples(150)))))
    assert row.action is Action.KEEP and row.runs_to_start == 0


def test_a_100000_sample_staged_cohort_grown_by_1000_starts_1000_runs(tmp_path):
    """How fast the plan is at this size is measured by the benchmark (bench/cohort_delta.py), not here:
    a wall-clock limit in a test fails on a loaded machine."""
    def sheet(count: int) -> list[dict]:
        return [{"run_setting_id": f"S{i:06d}", "parameters": {"fastq": f"s3://example-input/S{i:06d}_R1.fastq.gz"}}
                for i in range(count)]

    base = load(assembly(tmp_path, "base", cohort(sheet(99_000))))
    head = load(assembly(tmp_path, "head", cohort(sheet(100_000))))
    (row,) = plan(base, head)
    assert row.runs_to_start == 1_000 and row.samples.run_ids[0] == "S099000"


# -- what the formats say -----------------------------------------------------------------------------

@pytest.fixture
def pull_request(tmp_path) -> tuple[Path, Path]:
    """Base: a run and a 3-sample cohort. Head: the run changed (1 run), the cohort grown by one sample
    (1 run) and a new 2-sample cohort (2 runs): 4 runs start."""
    def base(stack):
        germline()(stack)
        cohort(samples(3))(stack)

    def head(stack):
        germline(rerun_token="again")(stack)
        cohort(samples(4))(stack)
        HealthOmicsRunBatch(stack, "NewCohort", workflow_id=WORKFLOW_ID, samples=samples(2))

    return assembly(tmp_path, "base", base), assembly(tmp_path, "head", head)


def test_json_gives_every_resource_its_runs_to_start_and_the_summary_their_total(pull_request, capsys):
    document = json.loads(_cli(capsys, *pull_request, "--format", "json")[1])
    assert {resource["logicalId"][:-8]: resource["runsToStart"] for resource in document["resources"]} == {
        "CohortBatch": 1, "GermlineRun": 1, "NewCohortBatch": 2}
    assert (document["summary"]["runsToStart"], document["summary"]["runsDecidedAtDeployTime"]) == (4, 0)


def test_json_counts_the_rows_whose_runs_are_decided_at_deploy_time(tmp_path, capsys):
    base, head = assembly(tmp_path, "base", _grouped(5)), assembly(tmp_path, "head", _grouped(10))
    document = json.loads(_cli(capsys, base, head, "--format", "json")[1])
    (resource,) = document["resources"]
    assert resource["runsToStart"] is None
    assert (document["summary"]["runsToStart"], document["summary"]["runsDecidedAtDeployTime"]) == (0, 1)


def test_the_summary_says_how_many_runs_will_start(pull_request, capsys):
    _, text = _cli(capsys, *pull_request)
    _, markdown = _cli(capsys, *pull_request, "--format", "markdown")
    assert text.startswith("healthomics-run plan: 4 runs will start; resources: 3 starting\n")
    assert "**4 runs will start; resources: 3 starting**" in markdown


def test_a_summary_with_rows_decided_at_deploy_time_says_more_runs_may_start(tmp_path, capsys):
    _, text = _cli(capsys, assembly(tmp_path, "base", _grouped(5)), assembly(tmp_path, "head", _grouped(10)))
    assert text.startswith("healthomics-run plan: 0 runs will start, more may at deploy time; "
                           "resources: 1 decided at deploy time\n")


def test_each_batch_says_how_many_of_its_samples_will_run(pull_request, capsys):
    _, text = _cli(capsys, *pull_request)
    _, markdown = _cli(capsys, *pull_request, "--format", "markdown")
    assert "  1 run will start (sample ids hidden; --show-values)" in text
    assert "- `2 runs will start (sample ids hidden; --show-values)`" in markdown


def test_sample_ids_that_will_run_are_shown_only_with_show_values(pull_request, capsys):
    outputs = {fmt: _cli(capsys, *pull_request, "--format", fmt)[1] for fmt in ("table", "markdown", "json")}
    assert not any("S0003" in output for output in outputs.values())
    shown = {fmt: _cli(capsys, *pull_request, "--format", fmt, "--show-values")[1] for fmt in ("table", "markdown")}
    assert all("1 run will start: S0003" in output for output in shown.values())
    assert "2 runs will start: S0000, S0001" in shown["table"]
    document = json.loads(_cli(capsys, *pull_request, "--format", "json", "--show-values")[1])
    assert [resource["samples"] and resource["samples"]["idsToRun"] for resource in document["resources"]] == [
        ["S0003"], None, ["S0000", "S0001"]]


def test_removing_samples_only_exits_0(tmp_path, capsys):
    base, head = assembly(tmp_path, "base", cohort(samples(4))), assembly(tmp_path, "head", cohort(samples(3)))
    code, text = _cli(capsys, base, head)
    assert code == cli.NO_RUN_STARTS and "0 runs will start; resources: 1 kept" in text


@pytest.mark.parametrize("resource_type", ["AWS::Omics::RunGroup", "AWS::Omics::RunCache", "AWS::Omics::Workflow",
                                           "AWS::Omics::WorkflowVersion", "AWS::Omics::Configuration",
                                           "AWS::IAM::Role", "AWS::S3::Bucket", "AWS::ECR::Repository"])
def test_tags_are_updated_in_place_on_every_resource_type_runs_refer_to(resource_type):
    """The plan ignores a change of tags on the resources a run refers to: CloudFormation updates ``Tags`` of
    these types in place (not in their resource schema's ``createOnlyProperties``), so the ids runs are named
    by stay. The schemas are those cfn-lint ships (from the CloudFormation registry)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    assert "Tags" in schema["properties"]
    assert not any(path.startswith("/properties/Tags") for path in schema.get("createOnlyProperties", []))
