"""healthomics-run plan names the cascade a cohort's chain starts: per-sample runs, new and changed shards, the
merge and the re-emits, counted from the cloud assembly (the chain is in the after-run function's settings asset)."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from healthomics_run import HealthOmicsRunBatch, Workflow
from healthomics_run.chains import CohortStep, PerSample, Shards, StepOutputs, WholeSet
from healthomics_run.commands.plan import cli, plan
from healthomics_run.commands.plan.assembly import load
from healthomics_run.commands.plan.cascade import STORED_FULL, cascades, chains, count
from healthomics_run.commands.plan.history import History, Run
from healthomics_run.commands.plan.review import review
from healthomics_run.run_model.chaining import ChainSpec, StepSpec
from tests.commands.aws_prices import US_EAST_1

PATHS = {"aws:cdk:enable-path-metadata": True}


def sheet(count: int) -> list[dict]:
    return [{"run_setting_id": f"S{n:06d}", "parameters": {"sample_name": f"S{n:06d}"}} for n in range(count)]


def chained_app(outdir: Path, samples: int, re_emit: bool = True) -> Path:
    app = cdk.App(outdir=str(outdir), context=PATHS)
    stack = cdk.Stack(app, "ChainStack")
    cohort = HealthOmicsRunBatch(stack, "Germline", workflow_id="1234567", samples=sheet(samples))
    joint_workflow = Workflow.from_workflow_id(stack, "JointWf", "2345678", parameter_template={"gvcfs": {}})
    merge_workflow = Workflow.from_workflow_id(stack, "MergeWf", "3456789", parameter_template={"vcfs": {}})
    joint = CohortStep(stack, "Joint", after=cohort, workflow=joint_workflow, partition=Shards(size=1000),
                       parameters={"gvcfs": StepOutputs("gvcf", collected=True)}, cohort_outputs=["gvcf"],
                       outputs=["vcf"])
    merge = CohortStep(stack, "Merge", after=joint, workflow=merge_workflow, partition=WholeSet(),
                       parameters={"vcfs": StepOutputs("vcf", collected=True)}, outputs=["vcf"])
    if re_emit:
        annotate = Workflow.from_workflow_id(stack, "AnnotateWf", "4567890", parameter_template={"vcf": {}})
        CohortStep(stack, "Annotate", after=merge, workflow=annotate, partition=PerSample(),
                   parameters={"vcf": StepOutputs("vcf")})
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> tuple[Path, Path]:
    """A 10,000-sample cohort grown by 1,000, its chain: shards of 1,000, a merge, a per-sample re-emit."""
    root = tmp_path_factory.mktemp("cascade")
    return chained_app(root / "base", 10_000), chained_app(root / "head", 11_000)


def test_the_chain_is_read_from_the_settings_asset_in_the_cloud_assembly(grown):
    (stack,) = load(grown[1]).values()
    ((logical_id, chain),) = chains(stack).items()
    assert logical_id.startswith("GermlineBatch") and chain.name == "Batch"
    assert [(s.name, s.partition["kind"], s.workflow_id) for s in chain.steps] == [
        ("Joint", "shards", "2345678"), ("Merge", "whole-set", "3456789"), ("Annotate", "per-sample", "4567890")]


def test_10000_grown_by_1000_names_the_whole_cascade(grown):
    base, head = map(load, grown)
    rows = plan(base, head)
    (found,) = cascades(rows, base, head)
    assert found.said == "1,000 per-sample runs, 1 new shard run, 1 merge, 11,000 re-emits"
    assert found.runs == 11_002 and found.cohort == "ChainStack/Germline/Batch"
    assert any(STORED_FULL in basis for basis in found.bases)


def _cli(capsys, *arguments) -> tuple[int, str]:
    code = cli.main([*map(str, arguments)])
    return code, capsys.readouterr().out


def test_every_format_says_the_cascade_and_no_sample_id(grown, capsys):
    code, table = _cli(capsys, *grown)
    assert code == 2
    assert ("Cascade: after ChainStack/Germline/Batch (chain Batch): 1,000 per-sample runs, 1 new shard run, "
            "1 merge, 11,000 re-emits") in table
    assert "Joint (shards of 1,000; workflow 2345678): 1 new shard run" in table
    _, markdown = _cli(capsys, *grown, "--format", "markdown")
    assert "**Cascade**: after ChainStack/Germline/Batch" in markdown and "<b>CASCADE</b>" in markdown
    _, text = _cli(capsys, *grown, "--format", "json")
    document = json.loads(text)
    (chain,) = document["cascades"]
    assert document["summary"]["chainRunsAfterCohorts"] == 11_002
    assert [(s["step"], s["runs"], s["high"]) for s in chain["steps"]] == [
        ("cohort", "per-sample run", 1000), ("Joint", "new shard run", 1), ("Merge", "merge", 1),
        ("Annotate", "re-emit", 11_000)]
    for output in (table, markdown, text):
        assert "S010000" not in output and "S000001" not in output


def test_the_cascade_is_priced_when_the_history_prices_the_step_workflows(grown):
    base, head = map(load, grown)
    rows = plan(base, head)
    runs = tuple(Run(workflow_id=workflow, seconds=3600.0 * (n + 1), storage_capacity=1200)
                 for workflow in ("1234567", "2345678", "3456789") for n in range(3))
    history = History(runs=runs, prices=dict(US_EAST_1))
    report = review(rows, history, cascades=tuple(cascades(rows, base, head, history)))
    (found,) = report.cascades
    priced = {item.step: item.forecast for item in found.steps}
    assert priced["Joint"] is not None and priced["Joint"].per_run is not None
    assert priced["Annotate"].per_run is None  # no earlier run of 4567890: said, not made up
    assert report.total.runs_unpriced >= 11_000


def _chain(*steps: StepSpec) -> ChainSpec:
    return ChainSpec(name="c", role_arn="r", output_uri="s3://b/", cohort_ledger_uri="s3://b/l.json",
                     steps=list(steps))


JOINT = StepSpec("Joint", "2", "cohort", {"kind": "shards", "size": 1000})
MERGE = StepSpec("Merge", "3", "Joint", {"kind": "whole-set"})


def test_changed_samples_re_run_a_range_of_stored_shards():
    found = count(_chain(JOINT, MERGE), _chain(JOINT, MERGE), total=10_000, added=0, changed=5, removed=0)
    assert found.said == "5 per-sample runs, 1 to 5 changed shard runs, 1 merge"


def test_a_new_step_runs_every_partition_and_an_unchanged_cohort_starts_nothing_else():
    found = count(_chain(JOINT, MERGE), _chain(JOINT), total=10_000, added=0, changed=0, removed=0)
    assert found.said == "1 merge" and found.runs == 1
    assert count(_chain(JOINT, MERGE), _chain(JOINT, MERGE), 10_000, 0, 0, 0).runs == 0
    fresh = count(_chain(JOINT), None, total=10_000, added=10_000, changed=0, removed=0)
    assert fresh.said == "10,000 per-sample runs, 10 new shard runs"


def test_a_chain_switched_off_starts_nothing_after_the_cohort():
    chain = _chain(JOINT, MERGE)
    chain.enabled = False
    found = count(chain, chain, total=11_000, added=1_000, changed=0, removed=0)
    assert found.runs == 0 and "enabled=False" in found.said
