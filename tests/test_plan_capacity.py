"""The plan's capacity warnings: a run group's limits and the StartRun rate against what a START needs.

- Run groups (HealthOmics guide, "Using HealthOmics run groups"): runs beyond ``maxRuns`` and tasks beyond
  ``maxCpus`` queue; "If you set a maximum run duration, the run fails if it exceeds the maximum duration"
  (``maxDuration``, minutes: API reference CreateRunGroup).
- Batches (HealthOmics API reference, StartRunBatch): "Runs are submitted gradually and asynchronously at a
  rate governed by your StartRun throughput quota".
"""

from __future__ import annotations

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
