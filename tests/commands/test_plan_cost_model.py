"""The cost model a budget owner can trust: what the pull request will run, priced as HealthOmics bills it.

Sources of the AWS behaviour these tests rely on:
- STATIC run storage rounding: StartRun API reference, ``storageCapacity`` ("The default run storage capacity is
  1200 GiB. If your requested storage capacity is unavailable, the system rounds up the value to the nearest
  1200 GiB multiple. If the requested storage capacity is still unavailable, the system rounds up the value to the
  nearest 2400 GiB multiple", https://docs.aws.amazon.com/omics/latest/api/API_StartRun.html); AWS's run analyzer
  (awslabs/aws-healthomics-tools, ``omics/cli/run_analyzer/utils.py``, ``get_static_storage_gib``: a minimum of
  1,200 GiB, then increments of 2,400: 2,400, 4,800, 7,200, ...). 3,000 GiB is charged as 4,800.
- DYNAMIC storage size: "Run storage types in HealthOmics workflows"
  (https://docs.aws.amazon.com/omics/latest/dev/workflows-run-types.html): GetRun reports the most storage the
  run used; "For dynamic storage runs that complete within 2 hours, the maximum storage value may not be
  available".
- GPU tasks: "Task accelerators in a HealthOmics workflow definition"
  (https://docs.aws.amazon.com/omics/latest/dev/task-accelerators.html): accelerated-computing instance types
  (G4, G5, G6, G6e), each priced per hour like any omics instance type.
- Run groups queue tasks past max GPUs: "Using HealthOmics run groups"
  (https://docs.aws.amazon.com/omics/latest/dev/creating-run-groups.html): "If you set the maximum concurrent
  vCPU, GPU, or runs, run tasks will queue when the maximum is reached".
- Ready2Run: HealthOmics pricing (https://aws.amazon.com/healthomics/pricing/): "Ready2Run workflows are
  pre-built bioinformatics pipelines ... you pay a fixed cost per run".
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, RunGroup, StorageType
from healthomics_run.commands.plan import cli, plan
from healthomics_run.commands.plan.assembly import _asset_key, load
from healthomics_run.commands.plan.capacity import warnings
from healthomics_run.commands.plan.cost import PerRun, Planned, forecast, static_capacity
from healthomics_run.commands.plan.decide import Action, Change, Row, SampleChanges
from healthomics_run.commands.plan.history import History, Run, Task
from healthomics_run.commands.plan.render import Display, describe
from healthomics_run.commands.plan.target import RunGroupLimits, Target
from tests.commands.aws_prices import LARGE, LARGE_CPUS, SMALL, SMALL_CPUS, US_EAST_1
from tests.commands.test_plan import _cli, assembly, samples

# Prices (USD, us-east-1, on demand): tests/commands/aws_prices.py gives each with its source (omics.m.xlarge 0.2592
# and omics.c.4xlarge 0.918 per hour; STATIC run storage 0.0001918 and DYNAMIC 0.0004110 per GB-hour). The GPU
# instance type's price was not found in the reference material at hand: GPU_PRICE is ILLUSTRATIVE, NOT AWS'S PRICE.
# The expected figures below are computed from it, so what the tests claim (the forecast is the hand calculation)
# holds whatever its value.
GPU_TYPE, GPU_PRICE = "omics.g5.xlarge", 1.50
PRICES = {**US_EAST_1, GPU_TYPE: GPU_PRICE}
GPU, DYN, SHORT = "1111111", "2222222", "3333333"


def history() -> History:
    """40 runs of two workflows, and 4 short runs of a third, in us-east-1.

    GPU (1111111): 18 COMPLETED + 2 FAILED, STATIC 1,200 GiB, 3 h; tasks omics.g5.xlarge 2 h (1 GPU) and
    omics.m.xlarge 30 s. DYN (2222222): 20 COMPLETED, DYNAMIC, 2,000 GiB at most, 4 h; task omics.c.4xlarge 3 h.
    SHORT (3333333): 4 COMPLETED, DYNAMIC, 1 h, no storage size reported; task omics.m.xlarge 30 min."""
    gpu = tuple(Run(workflow_id=GPU, seconds=10800, storage_type="STATIC", storage_capacity=1200,
                    status="COMPLETED" if number < 18 else "FAILED",
                    tasks=(Task(GPU_TYPE, 7200, cpus=4, gpus=1), Task(SMALL, 30, cpus=SMALL_CPUS))
                    if number < 18 else ()) for number in range(20))
    dyn = tuple(Run(workflow_id=DYN, seconds=14400, storage_type="DYNAMIC", storage_capacity=2000,
                    tasks=(Task(LARGE, 10800, cpus=LARGE_CPUS),)) for _ in range(20))
    short = tuple(Run(workflow_id=SHORT, seconds=3600, storage_type="DYNAMIC", storage_capacity=None,
                      tasks=(Task(SMALL, 1800, cpus=SMALL_CPUS),)) for _ in range(4))
    return History(runs=gpu + dyn + short, prices=dict(PRICES), region="us-east-1")


# The hand calculation, per run, then × runs × (1 + failure share); G is GPU_PRICE (1.50, illustrative):
# Changed (GPU workflow, raised to STATIC 4,800 GiB; the history's runs had 1,200):
#   compute 2 h × G + 60 s (the 30 s task's minimum) × 0.2592 / 3600 = 3.00 + 0.00432 = 3.00432
#   storage 4,800 GiB × 3 h × 0.0001918 = 2.76192           → 5.76624 per run
#   failure share 2 of 20 ended runs = 0.1                   → 1 × 5.76624 × 1.1 = 6.342864
# Cohort (DYN workflow, 1,000 samples added; DYNAMIC, measured 2,000 GiB):
#   compute 3 h × 0.918 = 2.754; storage 2,000 × 4 h × 0.0004110 = 3.288 → 6.042 per run → 1,000 × 6.042 = 6,042.00
# Short (SHORT workflow, new; DYNAMIC runs under 2 h reported no size, none of the workflow's runs did):
#   compute 1,800 s × 0.2592 / 3600 = 0.1296; storage 1,200 GiB assumed × 1 h × 0.0004110 = 0.4932 → 0.6228
# Sheet (DYN workflow, its staged sheet not at hand: decided at deploy time; the sheet has 152 samples):
#   up to 152 runs × 6.042 = 918.384
GPU_COMPUTE = 2 * GPU_PRICE + 60 * 0.2592 / 3600
CHANGED = (GPU_COMPUTE + 4800 * 3 * 0.0001918) * 1.1
COHORT = 1000 * (3 * 0.918 + 2000 * 4 * 0.0004110)
SHORT_RUN = 1800 * 0.2592 / 3600 + 1200 * 1 * 0.0004110
SHEET = 152 * (3 * 0.918 + 2000 * 4 * 0.0004110)
TOTAL = CHANGED + COHORT + SHORT_RUN + SHEET  # 6,967.349664 at G 1.50: every run's median and p90 are alike


def app(tmp_path: Path, name: str, head: bool) -> Path:
    out = tmp_path / name
    application = cdk.App(outdir=str(out))
    stack = cdk.Stack(application, "PlanStack", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    HealthOmicsRun(stack, "Changed", workflow_id=GPU, storage_type=StorageType.STATIC,
                   storage_capacity=4800 if head else 1200)
    HealthOmicsRunBatch(stack, "Cohort", workflow_id=DYN, samples=samples(1010 if head else 10))
    HealthOmicsRunBatch(stack, "Sheet", workflow_id=DYN, samples=samples(152 if head else 150))
    if head:
        HealthOmicsRun(stack, "Short", workflow_id=SHORT)
    application.synth()
    if head:  # the Sheet's staged sheet is in S3 only: which samples run is decided at deploy time
        template = json.loads((out / "PlanStack.template.json").read_text())
        sheet = next(resource for logical_id, resource in template["Resources"].items()
                     if logical_id.startswith("Sheet") and resource["Type"] == "Custom::HealthOmicsRunBatch")
        (out / f"asset.{_asset_key(sheet['Properties']['SampleSheetUri'])}").unlink()
    return out


def test_the_forecast_of_a_pull_request_matches_the_hand_calculation_and_says_every_basis(tmp_path, capsys):
    path = tmp_path / "history.json"
    path.write_text(history().to_json())
    base, head = app(tmp_path, "base", head=False), app(tmp_path, "head", head=True)
    code, text = _cli(capsys, base, head, "--format", "json", "--history", path, "--max-cost", f"{TOTAL - 1:.2f}")
    document = json.loads(text)
    summary = document["summary"]
    assert code == cli.OVER_BUDGET and summary["budget"]["over"] and not summary["budget"]["runsUnchecked"]
    assert summary["forecast"]["median"] == pytest.approx(TOTAL)
    assert summary["forecast"]["p90"] == pytest.approx(TOTAL)
    assert summary["forecast"]["runsBounded"] == 152 and summary["forecast"]["runsWithoutForecast"] == 0
    costs = {item["logicalId"].split("/")[0]: item["cost"] for item in document["resources"]}
    by_name = {next(key for key in costs if key.startswith(name)): name
               for name in ("Changed", "Cohort", "Sheet", "Short")}
    median = {by_name[key]: value["median"] for key, value in costs.items() if key in by_name and value}
    assert median == pytest.approx({"Changed": CHANGED, "Cohort": COHORT, "Short": SHORT_RUN, "Sheet": SHEET})
    region = "prices of us-east-1 (the history's); stack PlanStack deploys to eu-west-1: prices may differ"
    assert region in summary["warnings"]
    bases = "\n".join(line for value in costs.values() if value for line in value["costBasis"])
    assert "storage as this change asks: STATIC 4,800 GiB, charged as 4,800 GiB" in bases
    assert "failed or cancelled: 2 of 20 earlier ended runs (10.0%)" in bases
    assert ("1 DYNAMIC run reported no storage size" not in bases
            and "4 DYNAMIC runs reported no storage size (runs under 2 h may not): priced at 1,200 GiB assumed"
            in bases)
    assert "up to 152 runs: the sheet's 152 samples (which of them run is decided at deploy time)" in bases
    assert bases.count(region) == 4  # every forecast of the stack says so


def test_the_table_opens_with_the_bound_and_the_region_warning(tmp_path, capsys):
    path = tmp_path / "history.json"
    path.write_text(history().to_json())
    _, text = _cli(capsys, app(tmp_path, "base", head=False), app(tmp_path, "head", head=True), "--history", path)
    assert (f"Forecast: {TOTAL:,.2f} USD median, {TOTAL:,.2f} USD p90 for 1154 runs (from up to 20 earlier runs "
            "each), of which up to 152 runs decided at deploy time, counted as a bound; failed and cancelled runs' "
            "share included") in text
    assert ("Warning: prices of us-east-1 (the history's); stack PlanStack deploys to eu-west-1: prices may differ"
            in text)
    assert "cost: up to 152 runs × 6.04 USD median" in text


@pytest.mark.parametrize(("asked", "charged"), [(None, 1200), (1200, 1200), (1201, 2400), (2400, 2400),
                                                 (3000, 4800), (4800, 4800), (4801, 7200)])
def test_static_storage_is_rounded_as_healthomics_provisions_it(asked, charged):
    assert static_capacity(asked) == charged


def test_a_changed_run_is_priced_at_the_storage_it_asks_not_its_historys():
    """3,000 GiB asked: 4,800 charged (not 3,600), × 3 h × 0.0001918, on top of the GPU workflow's compute."""
    item = forecast(history(), 1, GPU, None, Planned(storage_type="STATIC", storage_capacity=3000))
    assert item.per_run.median_cost == pytest.approx(GPU_COMPUTE + 4800 * 3 * 0.0001918)


def test_a_workflow_of_short_dynamic_runs_gets_a_forecast_that_says_its_assumption():
    item = forecast(history(), 2, SHORT, None, Planned(storage_type="DYNAMIC"))
    assert item.median == pytest.approx(2 * SHORT_RUN)
    assert any("1,200 GiB assumed" in said for said in item.basis)


def test_a_ready2run_workflow_is_priced_at_its_fixed_price_per_run():
    """HealthOmics pricing: Ready2Run workflows are charged a fixed cost per run."""
    priced = History(runs=(), prices=dict(PRICES), run_prices={"9876543": 12.5})
    item = forecast(priced, 4, "9876543", None, Planned(workflow_type="READY2RUN"))
    assert (item.median, item.p90) == (50.0, 50.0) and item.per_run.fixed_price
    missing = forecast(History(), 4, "9876543", None, Planned(workflow_type="READY2RUN"))
    assert missing.per_run is None and "run_prices" in missing.why_none  # no price: no forecast, the gate fails


def test_a_run_group_max_gpus_bounds_how_long_gpu_runs_take():
    """10 runs of 2 GPU-hours each, max_gpus 1: 20 h, past a 12 h wait for COMPLETED."""
    figures = PerRun(basis=18, version_matched=False, median_cost=1.0, p90_cost=1.0, median_seconds=10800,
                     p90_seconds=10800, median_vcpu_seconds=0, median_gpu_seconds=7200)
    goal = Target(workflow=GPU, workflow_key=GPU, version=None, storage_type=None, storage_capacity=None,
                  run_group="7777777", run_group_limits=RunGroupLimits(max_gpus=1), wait_for="COMPLETED",
                  timeout_seconds=43200)
    row = Row(Action.START, "Stack", "Gpu", "Stack/Gpu", "batch", "new resource", target=goal,
              samples=SampleChanges(count=10, added=10, removed=0, changed=0, to_run=10))
    (warning,) = warnings(row, figures, None)
    assert "10 runs need about 20.0 h to complete (max_gpus 1)" in warning


@pytest.mark.parametrize("name", ["record_number", "patient_age", "sample_index", "mrn", "subject_id", "donorid"])
def test_numbers_named_like_identifiers_are_hidden_by_default(name):
    change = Change(f"parameters.{name}", 1041, 1042, sensitive=True)
    assert describe(change, Display.SAFE) == f"parameters.{name}: (hidden; --show-values) → (hidden; --show-values)"
    assert describe(change, Display.SHOW) == f"parameters.{name}: 1041 → 1042"


def test_other_numbers_are_still_shown():
    assert describe(Change("parameters.threads", 8, 16, sensitive=True), Display.SAFE) == "parameters.threads: 8 → 16"


def test_a_run_group_in_the_template_gives_its_max_gpus(tmp_path, capsys):
    def build(stack):
        HealthOmicsRunBatch(stack, "Cohort", workflow_id=GPU, samples=samples(3),
                            run_group=RunGroup(stack, "Group", max_gpus=4))
    (row,) = plan(load(assembly(tmp_path, "base", lambda stack: None)), load(assembly(tmp_path, "head", build)))
    assert row.target.run_group_limits.max_gpus == 4
