"""The plan's capacity warnings: a run group's limits and the StartRun rate against what a START needs.

- Run groups (HealthOmics guide, "Using HealthOmics run groups"): runs beyond ``maxRuns`` and tasks beyond
  ``maxCpus`` queue; "If you set a maximum run duration, the run fails if it exceeds the maximum duration"
  (``maxDuration``, minutes: API reference CreateRunGroup).
- Batches (HealthOmics API reference, StartRunBatch): "Runs are submitted gradually and asynchronously at a
  rate governed by your StartRun throughput quota".
"""

from __future__ import annotations

import dataclasses

import boto3
from botocore.stub import Stubber

from healthomics_run.commands.plan import queueing
from healthomics_run.commands.plan.assembly import StackTemplate
from healthomics_run.commands.plan.capacity import unchecked, warnings
from healthomics_run.commands.plan.cost import PerRun
from healthomics_run.commands.plan.decide import Action, Row, SampleChanges
from healthomics_run.commands.plan.target import RunGroupLimits, Target

# One run: median 2 h, p90 3 h, 8 vCPU-hours (28,800 vCPU-seconds).
FIGURES = PerRun(basis=10, version_matched=True, median_cost=1.0, p90_cost=2.0, median_seconds=7200,
                 p90_seconds=10800, median_vcpu_seconds=28800)


def start(runs: int, kind: str = "batch", wait_for: str = "COMPLETED", timeout: int = 43200,
          limits: RunGroupLimits | None = None) -> Row:
    goal = Target(workflow="1234567", workflow_key="1234567", version=None, storage_type="DYNAMIC",
                  storage_capacity=None, run_group={"Fn::GetAtt": ["Group", "Id"]} if limits else None,
                  run_group_limits=limits, wait_for=wait_for, timeout_seconds=timeout)
    found = SampleChanges(count=runs, added=runs, removed=0, changed=0, to_run=runs) if kind == "batch" else None
    return Row(Action.START, "Stack", "Cohort", "Stack/Cohort", kind, "new resource", samples=found, target=goal)


def test_a_100000_sample_cohort_cannot_be_submitted_within_12_hours_at_1_startrun_per_second():
    """100,000 runs / 1 per second = 100,000 s (27.8 h) > 43,200 s."""
    (warning,) = warnings(start(100_000), FIGURES, start_run_rate=1)
    assert warning == ("Stack/Cohort: submitting 100,000 runs at 1 StartRun/s takes 27.8 h, past the timeout "
                       "(12.0 h) of wait_for COMPLETED: ask for a higher StartRun quota, raise timeout, or split "
                       "the cohort")


def test_submission_within_the_timeout_adds_to_the_time_the_runs_take():
    """100 runs at 0.1/s: 1,000 s of submission; 20 waves of 5 × 2 h = 40 h; 40.3 h together, past 12 h."""
    (warning,) = warnings(start(100, limits=RunGroupLimits(max_runs=5)), FIGURES, start_run_rate=0.1)
    assert "100 runs need about 40.3 h to complete (max_runs 5, after 17 min of submission)" in warning


def test_max_cpus_that_make_runs_queue_past_the_timeout_are_named():
    """10 runs × 28,800 vCPU-s / 16 vCPUs = 18,000 s (5 h) > a 4 h timeout; one run alone takes 2 h."""
    (warning,) = warnings(start(10, timeout=4 * 3600, limits=RunGroupLimits(max_cpus=16)), FIGURES, None)
    assert "10 runs need about 5.0 h to complete (max_cpus 16)" in warning


def test_a_max_duration_shorter_than_the_p90_run_warns_that_runs_fail():
    (warning,) = warnings(start(1, kind="run", wait_for="STARTED", limits=RunGroupLimits(max_duration_minutes=150)),
                          FIGURES, None)
    assert warning == ("Stack/Cohort: 1 in 10 earlier runs took 3.0 h or more, past the run group's max_duration "
                       "(2.5 h): such runs fail; raise max_duration")


def test_runs_that_fit_the_limits_and_the_timeout_warn_nothing():
    assert warnings(start(5, limits=RunGroupLimits(max_runs=5, max_cpus=256, max_duration_minutes=600)),
                    FIGURES, start_run_rate=10) == []


def test_not_waiting_for_completed_makes_the_timeout_no_limit():
    assert warnings(start(100_000, wait_for="STARTED", timeout=3000), FIGURES, start_run_rate=1) == []


def test_a_batch_waiting_for_completed_without_a_stated_rate_says_submission_was_not_checked():
    assert unchecked([start(10)], None) == [
        "batch submission time not checked against timeout: give --start-run-rate (your StartRun quota, per second)"]
    assert unchecked([start(10)], 5) == []


# -- queueing per run group and per account ------------------------------------------------------------------
# Run groups queue runs beyond maxRuns, whichever resource started them (HealthOmics guide, "Using HealthOmics run
# groups", https://docs.aws.amazon.com/omics/latest/dev/creating-run-groups.html); a value another stack exports is
# read with Fn::ImportValue of the output's Export.Name (CloudFormation User Guide, "Fn::ImportValue",
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-importvalue.html).


GROUP = {"Type": "AWS::Omics::RunGroup", "Properties": {"MaxRuns": 1},
         "Metadata": {"aws:cdk:path": "Shared/Group/Resource"}}


def member(stack: str, name: str, runs: int, run_group, timeout: int = 43200) -> Row:
    goal = Target(workflow="1234567", workflow_key="1234567", version=None, storage_type="DYNAMIC",
                  storage_capacity=None, run_group=run_group, run_group_limits=None, wait_for="COMPLETED",
                  timeout_seconds=timeout)
    found = SampleChanges(count=runs, added=runs, removed=0, changed=0, to_run=runs) if runs > 1 else None
    return Row(Action.START, stack, name, f"{stack}/{name}", "batch" if runs > 1 else "run", "new resource",
               samples=found, target=goal)


def test_ten_runs_each_waiting_for_completed_in_a_max_runs_1_group_warn_that_they_queue_past_the_timeout():
    """10 runs of a median 13,200 s, one at a time: 132,000 s (36.7 h) > each wait's 12 h timeout. Each alone
    (3.7 h) fits: only the group's queue shows it."""
    stacks = {"Shared": StackTemplate("Shared", {"Resources": {"Group": GROUP}})}
    rows = [member("Shared", f"Run{index}", 1, {"Fn::GetAtt": ["Group", "Id"]}) for index in range(10)]
    figures = dataclasses.replace(FIGURES, median_seconds=13200, median_vcpu_seconds=0)
    assert all(warnings(row, figures, None, shared_group=True) == [] for row in rows)
    (warning,) = queueing.group_warnings(rows, {row.path: figures for row in rows}, stacks)
    assert warning.startswith("Shared/Group: 10 runs of 10 resources (stack Shared) queue in this one run group and "
                              "need about 36.7 h to complete (max_runs 1), past the timeout of wait_for COMPLETED of "
                              "Shared/Run0 (12.0 h), Shared/Run1 (12.0 h)")


def test_a_run_group_shared_by_two_stacks_is_queued_as_one():
    """Two cohorts of 5 runs (median 2 h) in one max_runs 2 group, each waiting 8 h: alone, 3 waves (6 h) each;
    together, 5 waves (10 h). The second stack refers to the group by the first one's export."""
    producer = StackTemplate("Producer", {
        "Resources": {"Group": {**GROUP, "Properties": {"MaxRuns": 2},
                                "Metadata": {"aws:cdk:path": "Producer/Group/Resource"}}},
        "Outputs": {"ExportGroup": {"Value": {"Fn::GetAtt": ["Group", "Id"]},
                                    "Export": {"Name": "Producer:ExportsOutputFnGetAttGroupId"}}}})
    consumer = StackTemplate("Consumer", {"Resources": {}})
    stacks = {"Producer": producer, "Consumer": consumer}
    rows = [member("Producer", "Cohort", 5, {"Fn::GetAtt": ["Group", "Id"]}, timeout=8 * 3600),
            member("Consumer", "Cohort", 5, {"Fn::ImportValue": "Producer:ExportsOutputFnGetAttGroupId"},
                   timeout=8 * 3600)]
    assert {queueing.group_of(row, stacks) for row in rows} == {
        queueing.Group("Producer/Group", RunGroupLimits(max_runs=2, max_cpus=None, max_duration_minutes=None))}
    figures = dataclasses.replace(FIGURES, median_vcpu_seconds=0)
    alone = dataclasses.replace(rows[0].target, run_group_limits=RunGroupLimits(max_runs=2))
    assert warnings(dataclasses.replace(rows[0], target=alone), figures, None) == []
    (warning,) = queueing.group_warnings(rows, {row.path: figures for row in rows}, stacks)
    assert "Producer/Group: 10 runs of 2 resources (stacks Consumer, Producer) queue in this one run group and need " \
           "about 10.0 h to complete (max_runs 2)" in warning
    assert "Producer/Cohort (8.0 h), Consumer/Cohort (8.0 h)" in warning


# HealthOmics' workflow quotas as Service Quotas names them (service code omics), as two independent public tools
# spell them, with their codes: a quota checker (ListServiceQuotas usage checks for omics, whose codes for the
# HealthOmics guide's Analytics rows, e.g. L-01A419C5 "Analytics - Maximum annotation stores", are the ones the
# guide's "HealthOmics service quotas" page links to) and a Terraform module setting L-A30FD31B, L-BE38079A and
# L-25504C8C. No quota on active CPUs was named by either.
RUNS_KEPT = "Workflows - Maximum runs (active or inactive)"  # L-C9679DBC
STATIC_RUNS = "Workflows - Maximum concurrent active runs using static run storage"  # L-A30FD31B
DYNAMIC_RUNS = "Workflows - Maximum concurrent active runs using dynamic run storage"  # L-BE38079A
TASKS_PER_RUN = "Workflows - Maximum concurrent tasks per run"  # L-25504C8C
GPUS = "Workflows - Maximum active GPUs"  # L-AFB19B96


def service_quotas(values: dict[str, float]):
    """Service Quotas' ListServiceQuotas (Service Quotas API Reference, ListServiceQuotas,
    https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListServiceQuotas.html) lists each quota
    with its QuotaName and Value; botocore's Stubber checks the request and answer against its model."""
    client = boto3.client("service-quotas", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response("list_service_quotas", {"Quotas": [{"QuotaName": name, "Value": value}
                                                            for name, value in values.items()]},
                         {"ServiceCode": "omics"})
    stubber.activate()
    return client


def test_the_accounts_quotas_come_from_service_quotas_by_the_names_it_gives_them():
    """StartRun API reference: "The total number of runs in your account is subject to a quota per Region"; runs
    with retention mode REMOVE "are deleted automatically when the run quota is exceeded"."""
    quotas = queueing.from_service_quotas(service_quotas({RUNS_KEPT: 50.0, STATIC_RUNS: 4.0, TASKS_PER_RUN: 10.0,
                                                          GPUS: 8.0}))
    assert quotas == queueing.Quotas(concurrent_runs=4, active_gpus=8, retained_runs=50, source="account")
    row = start(100, limits=None)
    assert queueing.account_warnings([row], {row.path: FIGURES}, quotas) == [
        "the deploy starts 100 runs, more than the account's runs retained (50, from Service Quotas): with "
        "retention_mode RETAIN, StartRun fails once the account keeps that many runs; ask for a higher quota, delete "
        "old runs, or use retention_mode REMOVE",
        "the deploy's 100 runs queue on the account's concurrent runs (4, account) and need about 2.1 days to "
        "complete, past the timeout of wait_for COMPLETED of Stack/Cohort (12.0 h): ask for a higher quota, raise "
        "timeout, or wait for less"]


def test_the_smaller_of_the_static_and_dynamic_concurrent_run_quotas_is_the_one_the_plan_checks():
    """Concurrent runs have a quota per run storage type; either may be listed first."""
    for order in ({STATIC_RUNS: 10.0, DYNAMIC_RUNS: 4.0}, {DYNAMIC_RUNS: 4.0, STATIC_RUNS: 10.0}):
        assert queueing.from_service_quotas(service_quotas(order)).concurrent_runs == 4


def test_an_account_with_no_cpu_quota_is_said_to_have_none_checked():
    row = start(10)
    quotas = queueing.from_service_quotas(service_quotas({RUNS_KEPT: 5000.0, STATIC_RUNS: 10.0, GPUS: 8.0}))
    assert queueing.quota_notes([row], {row.path: FIGURES}, quotas) == [
        f"account quotas not checked (active CPUs): Service Quotas lists no such HealthOmics quota; defaults: "
        f"{queueing.QUOTAS_PAGE}"]


def test_without_the_account_the_plan_says_which_quotas_it_did_not_check_and_where_the_defaults_are():
    row = start(10)
    (note,) = queueing.quota_notes([row], {row.path: FIGURES}, queueing.DEFAULT_QUOTAS)
    assert note.startswith("account quotas not checked (concurrent runs, active CPUs, runs retained): give "
                           "--from-account to read them from Service Quotas; defaults: HealthOmics guide")
