"""The plan's cost forecast, budget gate and capacity warnings, from a recorded run history and prices.

Billing rules the hand calculations follow (cited in ``healthomics_run.commands.plan.cost``):
- a task is charged for its instance type from start to stop, at least 60 seconds (HealthOmics pricing page;
  aws-healthomics-tools run analyzer: ``max(60, running)``);
- run storage is charged only while the run is RUNNING (HealthOmics guide, "Run lifecycle in a HealthOmics
  workflow": "You don't incur charges during any run status other than Running"), per GB-hour: STATIC at
  its capacity, 1,200 GiB unless more is asked, rounded up to a multiple of 1,200 GiB (guide, "Run storage
  types"); DYNAMIC at the largest use GetRun reports in storageCapacity (same page).
- prices: AWS Price List ``pricing:GetProducts``, ServiceCode ``AmazonOmics``, filtered on ``resourceType``
  (``omics.m.4xlarge``, ``Run Storage``, ``Dynamic Run Storage``) and ``regionCode``; the on-demand USD price
  is at ``terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD`` (AWS Billing user guide, "Using the AWS
  Price List API"; aws-healthomics-tools' run analyzer reads it the same way).
"""

from __future__ import annotations

import dataclasses
import json

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_omics as omics_cfn
from botocore.stub import Stubber

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, RunGroup, WaitFor
from healthomics_run.commands.cli import console
from healthomics_run.commands.plan import cli, history, queueing
from healthomics_run.commands.plan.cost import forecast, run_cost, static_capacity
from healthomics_run.commands.plan.history import History, Run, Task
from tests.commands.aws_prices import LARGE, LARGE_CPUS, SMALL, SMALL_CPUS, US_EAST_1
from tests.commands.test_plan import _cli, assembly, cohort, germline, samples
from tests.synth import ROOT
from tests.world import WORKFLOW_ID

PRICES = dict(US_EAST_1)

# Three earlier runs of the workflow, as recorded, with their costs worked by hand at the us-east-1 prices of
# tests/commands/aws_prices.py (omics.m.xlarge 0.2592 and omics.c.4xlarge 0.918 per hour; STATIC run storage
# 0.0001918 and DYNAMIC 0.0004110 per GB-hour):
# A: STATIC, capacity not set (1,200 GiB), 2 h. Tasks: omics.m.xlarge 30 s (billed 60 s) = 0.2592 × 60/3600
#    = 0.00432; omics.c.4xlarge 3,600 s = 0.918. Storage 1,200 GiB × 2 h × 0.0001918 = 0.46032. Total 1.38264.
# B: STATIC, 1,300 GiB asked (2,400 charged), 1 h. Task omics.c.4xlarge 1,800 s = 0.459.
#    Storage 2,400 × 1 × 0.0001918 = 0.46032. Total 0.91932.
# C: DYNAMIC, at most 500 GiB used, 3 h. Task omics.c.4xlarge 7,200 s = 1.836; a cache hit with no instance
#    type = 0. Storage 500 × 3 × 0.0004110 = 0.6165. Total 2.4525.
# Median of (0.91932, 1.38264, 2.4525) = 1.38264; p90 (nearest rank: ceil(0.9 × 3) = 3rd) = 2.4525.
RECORDED = (
    {"seconds": 7200, "storage_type": "STATIC", "storage_capacity": None, "version_name": "v1",
     "tasks": [{"instanceType": SMALL, "seconds": 30, "cpus": SMALL_CPUS},
               {"instanceType": LARGE, "seconds": 3600, "cpus": LARGE_CPUS}]},
    {"seconds": 3600, "storage_type": "STATIC", "storage_capacity": 1300, "version_name": "v1",
     "tasks": [{"instanceType": LARGE, "seconds": 1800, "cpus": LARGE_CPUS}]},
    {"seconds": 10800, "storage_type": "DYNAMIC", "storage_capacity": 500, "version_name": "v2",
     "tasks": [{"instanceType": LARGE, "seconds": 7200, "cpus": LARGE_CPUS},
               {"seconds": 5, "cpus": 2, "cacheHit": True}]},
)
COSTS = (1.38264, 0.91932, 2.4525)  # A, B, C
MEDIAN, P90 = COSTS[0], COSTS[2]
# Priced as a pull request's HealthOmicsRun/Batch runs them: DYNAMIC (the construct's default). A's and B's use
# (STATIC: GetRun reports no use) at the largest DYNAMIC use the workflow measured (C: 500 GiB), at 0.0004110:
# A 0.92232 + 500 × 2 × 0.0004110 = 1.33332; B 0.459 + 500 × 1 × 0.0004110 = 0.6645; C 2.4525 as before.
# Median 1.33332, p90 2.4525.
PR_MEDIAN = 1.33332


def recorded_history() -> History:
    def run(item: dict) -> Run:
        tasks = tuple(Task(task.get("instanceType"), task["seconds"], task["cpus"], task.get("cacheHit", False))
                      for task in item["tasks"])
        return Run(workflow_id=WORKFLOW_ID, seconds=item["seconds"], storage_type=item["storage_type"],
                   storage_capacity=item["storage_capacity"], workflow_version=item["version_name"], tasks=tasks)
    return History(runs=tuple(run(item) for item in RECORDED), prices=dict(PRICES), region="us-east-1")


def test_each_recorded_run_costs_what_the_hand_calculation_gives():
    costs = [run_cost(run, PRICES) for run in recorded_history().runs]
    assert costs == pytest.approx(list(COSTS))


def test_a_cache_hit_costs_what_its_record_says_it_ran():
    """Call caching ("Call caching for HealthOmics runs") saves compute; whether a hit is charged is not
    documented, so a hit naming an instance type is charged as a task (2 s → the 60 s minimum: 0.918 × 60/3600),
    and one naming none costs nothing."""
    hits = (Task(LARGE, 2, LARGE_CPUS, cache_hit=True), Task(None, 2, 0, cache_hit=True))
    run = Run(workflow_id=WORKFLOW_ID, seconds=0, storage_type="DYNAMIC", storage_capacity=0, tasks=hits)
    assert run_cost(run, PRICES) == pytest.approx(0.918 * 60 / 3600)


def test_static_storage_is_charged_for_1200_gib_at_least_in_steps_of_1200():
    assert [static_capacity(asked) for asked in (None, 100, 1200, 1201, 2400, 4000)] == [
        1200, 1200, 1200, 2400, 2400, 4800]


def test_a_start_is_forecast_as_runs_times_the_median_and_p90_of_earlier_runs():
    item = forecast(recorded_history(), runs=3, workflow=WORKFLOW_ID, version=None)
    assert item.per_run.basis == 3 and not item.per_run.version_matched
    assert (item.per_run.median_cost, item.per_run.p90_cost) == pytest.approx((MEDIAN, P90))
    assert (item.median, item.p90) == pytest.approx((3 * MEDIAN, 3 * P90))


def test_a_version_with_too_few_runs_rests_on_every_version_and_says_so():
    item = forecast(recorded_history(), runs=1, workflow=WORKFLOW_ID, version="v1")  # 2 runs of v1: fewer than 3
    assert item.per_run.basis == 3 and not item.per_run.version_matched


def test_a_version_with_enough_runs_rests_on_that_version_only():
    enough = History(runs=recorded_history().runs[:2] * 2, prices=dict(PRICES))  # 4 runs of v1
    item = forecast(enough, runs=1, workflow=WORKFLOW_ID, version="v1")
    assert item.per_run.version_matched and item.per_run.basis == 4
    assert item.per_run.p90_cost == pytest.approx(COSTS[0])  # A, the dearer of the v1 runs


def test_a_workflow_without_history_is_said_to_have_none_never_a_number():
    item = forecast(recorded_history(), runs=5, workflow="7654321", version=None)
    assert item.per_run is None and item.median is None and item.p90 is None
    assert item.why_none == "no history: no earlier COMPLETED run of workflow 7654321"


def test_a_run_whose_instance_type_has_no_price_is_left_out_not_guessed():
    without = {key: value for key, value in PRICES.items() if key != SMALL}  # run A needs it
    item = forecast(History(runs=recorded_history().runs, prices=without), runs=1, workflow=WORKFLOW_ID, version=None)
    assert item.per_run.basis == 2 and item.per_run.unpriced == 1


# -- the account, and the file exported from it --------------------------------------------------------

def price_list(prices: dict[str, float]):
    """A Price List client whose GetProducts answers are stubbed and validated against botocore's model
    (Stubber checks each request's parameters and each answer's shape)."""
    client = boto3.client("pricing", region_name=history.PRICING_REGION)
    stubber = Stubber(client)
    for name in sorted(prices):
        product = {"product": {"productFamily": "Compute", "attributes": {"resourceType": name,
                                                                         "regionCode": "us-east-1"}},
                   "terms": {"OnDemand": {"SKU.TERM": {"priceDimensions": {"SKU.TERM.DIM": {
                       "unit": "Instance-hrs", "pricePerUnit": {"USD": f"{prices[name]:.7f}"}}}}}}}
        expected = {"ServiceCode": "AmazonOmics", "Filters": [
            {"Type": "TERM_MATCH", "Field": "resourceType", "Value": name},
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"}]}
        stubber.add_response("get_products", {"PriceList": [json.dumps(product)], "FormatVersion": "aws_v1"},
                             expected)
    stubber.activate()
    return client


@pytest.fixture
def account(omics):
    """The account: the three recorded runs (with parameters naming a sample) in the HealthOmics fake."""
    for number, item in enumerate(RECORDED):
        run_id = omics.record_completed_run(WORKFLOW_ID, seconds=item["seconds"], tasks=item["tasks"],
                                            storage_type=item["storage_type"], name=f"SAMPLE-000{number}-germline",
                                            storage_capacity=item["storage_capacity"],
                                            version_name=item["version_name"], workflow_name="germline")
        omics.runs[run_id]["request"]["parameters"] = {"sample_name": f"SAMPLE-000{number}"}
    return omics


def test_the_account_history_is_read_from_listruns_getrun_and_listruntasks(account):
    """HealthOmics API reference: ListRuns (status filter, startingToken/nextToken), GetRun (storageType,
    storageCapacity, startTime, stopTime, workflowVersionName), ListRunTasks (instanceType, cpus, cacheHit)."""
    account.page_size = 2  # ListRuns answers in pages
    found = history.from_account(account.client, price_list(PRICES), "us-east-1")
    assert sorted(run_cost(run, found.prices) for run in found.runs) == pytest.approx(sorted(COSTS))
    assert account.count("ListRuns") == 2 and account.count("GetRun") == 3 and account.count("ListRunTasks") == 3


def test_the_exported_history_holds_no_parameter_values_run_names_or_sample_ids(account, tmp_path, monkeypatch):
    monkeypatch.setattr(history, "account_clients", lambda *_: (account.client, price_list(PRICES), "us-east-1"))
    out = tmp_path / "history.json"
    assert console(["export-history", str(out)]) == cli.NO_RUN_STARTS
    text = out.read_text()
    assert "SAMPLE-000" not in text and "sample_name" not in text and "task-0" not in text
    assert json.loads(text)["prices"] == PRICES and len(json.loads(text)["runs"]) == 3


def test_the_plan_gives_the_same_numbers_from_the_file_and_from_the_account(account, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(history, "account_clients", lambda *_: (account.client, price_list(PRICES), "us-east-1"))
    monkeypatch.setattr(cli, "_quotas", lambda _: queueing.DEFAULT_QUOTAS)  # the file holds no quotas
    exported = tmp_path / "history.json"
    console(["export-history", str(exported)])
    base, head = assembly(tmp_path, "base", lambda stack: None), assembly(tmp_path, "head", cohort(samples(3)))
    from_file = console(["plan", str(base), str(head), "--format", "json", "--history", str(exported)])
    by_file = capsys.readouterr().out
    from_account = console(["plan", str(base), str(head), "--format", "json", "--from-account"])
    by_account = capsys.readouterr().out
    assert from_file == from_account == cli.RUNS_START and by_file == by_account
    figures = json.loads(by_file)["summary"]["forecast"]
    assert (figures["median"], figures["p90"]) == pytest.approx((3 * PR_MEDIAN, 3 * P90))


# -- the budget gate and what the comment says first ---------------------------------------------------

@pytest.fixture
def history_file(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(recorded_history().to_json())
    return path


def test_the_gate_exit_code_changes_at_the_threshold(tmp_path, capsys, history_file):
    """3 new runs: p90 forecast 3 × 2.4525 = 7.3575, shown and compared as 7.36 USD."""
    base, head = assembly(tmp_path, "base", lambda stack: None), assembly(tmp_path, "head", cohort(samples(3)))
    within, _ = _cli(capsys, base, head, "--history", history_file, "--max-cost", "7.36")
    over, text = _cli(capsys, base, head, "--history", history_file, "--max-cost", "7.35")
    assert (within, over) == (cli.RUNS_START, cli.OVER_BUDGET)
    assert "Budget: OVER: the p90 forecast 7.36 USD exceeds --max-cost 7.35 USD" in text


def test_runs_without_a_forecast_fail_the_gate_closed(tmp_path, capsys, history_file):
    base = assembly(tmp_path, "base", lambda stack: None)
    head = assembly(tmp_path, "head", lambda stack: HealthOmicsRunBatch(
        stack, "Cohort", workflow_id="7654321", samples=samples(2)))
    code, text = _cli(capsys, base, head, "--history", history_file, "--max-cost", "1000")
    assert code == cli.OVER_BUDGET
    assert "Budget: NOT CHECKED: 2 runs start without a forecast" in text
    assert "cost: no history: no earlier COMPLETED run of workflow 7654321" in text


def test_without_a_history_the_plan_says_there_is_no_forecast(tmp_path, capsys):
    base, head = assembly(tmp_path, "base", lambda stack: None), assembly(tmp_path, "head", germline())
    code, text = _cli(capsys, base, head)
    assert code == cli.RUNS_START and "Forecast: none (give --history FILE" in text


def test_a_pull_request_adding_1000_samples_opens_with_runs_forecast_warning_and_verdict(tmp_path, capsys,
                                                                                        history_file):
    """1,000 added samples, median 1.33332 (PR_MEDIAN) and p90 2.4525 USD per run: 1,333.32 and 2,452.50 USD. The run
    group takes 5 runs at a time and a run takes 2 h (median): 200 waves × 2 h = 400 h, past a 12 h
    wait_for COMPLETED timeout (HealthOmics guide, "Using HealthOmics run groups": runs beyond max_runs queue)."""
    def sheet(count):
        def build(stack):
            HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=samples(count),
                                run_group=RunGroup(stack, "Group", max_runs=5), wait_for=WaitFor.COMPLETED,
                                timeout=cdk.Duration.hours(12))
        return build

    base, head = assembly(tmp_path, "base", sheet(10)), assembly(tmp_path, "head", sheet(1010))
    code, text = _cli(capsys, base, head, "--format", "markdown", "--history", history_file, "--max-cost", "2000")
    first = text.splitlines()[:8]
    assert code == cli.OVER_BUDGET
    assert first[2] == "**1000 runs will start; resources: 1 starting**"
    assert first[4] == ("- **Forecast**: 1,333.32 USD median, 2,452.50 USD p90 for 1000 runs "
                        "(from up to 3 earlier runs each)")
    assert first[5] == "- **Budget**: OVER: the p90 forecast 2,452.50 USD exceeds --max-cost 2,000.00 USD"
    assert "| 1000 samples to run: 1000 added | 1,333.32 USD / 2,452.50 USD |" in text
    assert first[6].startswith("- **Warning**: PlanStack/Cohort")
    assert first[6].endswith(": 1,000 runs need about 16.7 days to complete (max_runs 5), past the timeout (12.0 h) "
                             "of wait_for COMPLETED: raise the run group's limit or timeout, or wait for less")


def test_an_account_that_refuses_is_an_error_naming_the_permissions(omics, monkeypatch, capsys, tmp_path):
    omics.fail_next("ListRuns", "AccessDeniedException", "not authorized to perform omics:ListRuns")
    monkeypatch.setattr(history, "account_clients", lambda *_: (omics.client, price_list({}), "us-east-1"))
    assert console(["export-history", str(tmp_path / "history.json")]) == cli.ERROR
    assert ("it needs omics:ListRuns, omics:GetRun, omics:ListRunTasks, omics:ListRunGroups and pricing:GetProducts"
            in capsys.readouterr().err)


def test_a_run_deleted_between_listing_and_reading_is_left_out(account):
    doomed = next(iter(account.runs))
    original = account._get_run

    def deleted_meanwhile(params):
        if params["id"] == doomed:
            account.delete_run(doomed)
        return original(params)

    account._get_run = deleted_meanwhile
    left = {name: price for name, price in PRICES.items() if name != SMALL}  # only run A used it
    found = history.from_account(account.client, price_list(left), "us-east-1")
    assert sorted(run_cost(run, found.prices) for run in found.runs) == pytest.approx(sorted(COSTS[1:]))


def test_a_workflow_made_in_the_same_template_is_matched_by_its_name(tmp_path, capsys):
    """Its id is an Fn::GetAtt known only at deploy time; AWS::Omics::Workflow's Name is in the template,
    and ListRuns items carry workflowName (HealthOmics API reference, RunListItem)."""
    def build(stack):
        made = omics_cfn.CfnWorkflow(stack, "Hello", name="hello-wf", definition_uri="s3://example-bucket/hello.zip")
        HealthOmicsRun(stack, "Run", workflow_id=made.attr_id)

    named = History(runs=tuple(dataclasses.replace(run, workflow_id="9999999", workflow_name="hello-wf")
                               for run in recorded_history().runs), prices=dict(PRICES))
    path = tmp_path / "history.json"
    path.write_text(named.to_json())
    _, text = _cli(capsys, assembly(tmp_path, "base", lambda stack: None), assembly(tmp_path, "head", build),
                   "--history", path)
    assert "(hello-wf) (default version)" in text
    assert "cost: 1 run × 1.33 USD median, 2.45 USD p90 = 1.33 USD median, 2.45 USD p90 (from 3 earlier runs" in text


def test_reading_the_account_without_a_region_is_an_error_saying_so(monkeypatch, capsys, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    base = assembly(tmp_path, "base", lambda stack: None)
    assert console(["plan", str(base), str(base), "--from-account"]) == cli.ERROR
    assert "reading the account's run history failed (You must specify a region." in capsys.readouterr().err


def test_the_readme_history_example_is_a_history_the_plan_reads():
    reviewing = (ROOT / "docs" / "reviewing.md").read_text()
    block = reviewing.split('{"format": "healthomics-run-history/1"', 1)[1].split("```", 1)[0]
    (run,) = History.from_json('{"format": "healthomics-run-history/1"' + block).runs
    assert run_cost(run, PRICES) == pytest.approx(2 * 0.918 + 500 * 3 * 0.0004110)  # 2 h of omics.c.4xlarge


def test_a_run_group_made_outside_the_stack_is_checked_with_the_limits_the_account_has(account, tmp_path,
                                                                                         monkeypatch, capsys):
    """ListRunGroups gives each run group's maxRuns, maxCpus and maxDuration (HealthOmics API reference). 10 runs,
    one at a time (maxRuns 1), a run's median 2 h: 20 h, past a 12 h wait for COMPLETED."""
    account.add_run_group("7777777", maxRuns=1, maxCpus=256)
    monkeypatch.setattr(history, "account_clients", lambda *_: (account.client, price_list(PRICES), "us-east-1"))
    monkeypatch.setattr(cli, "_quotas", lambda _: queueing.DEFAULT_QUOTAS)  # the file holds no quotas
    exported = tmp_path / "history.json"
    console(["export-history", str(exported)])

    def build(stack):
        HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=samples(10),
                            run_group=RunGroup.from_run_group_id(stack, "Group", "7777777"),
                            wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.hours(12))

    base, head = assembly(tmp_path, "base", lambda stack: None), assembly(tmp_path, "head", build)
    _, text = _cli(capsys, base, head, "--history", exported)
    assert "run group 7777777 (max_runs 1, max_cpus 256)" in text
    assert "10 runs need about 20.0 h to complete (max_runs 1), past the timeout (12.0 h)" in text
