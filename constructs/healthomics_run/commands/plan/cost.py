"""What a run costs by HealthOmics' billing rules, and the forecast of what a deploy's runs will cost.

Billing rules (HealthOmics pricing page; "Run lifecycle" in the HealthOmics guide; aws-healthomics-tools'
run analyzer computes the same):

- each task is charged for its instance type from its start to its stop, at least 60 seconds;
- run storage is charged while the run is RUNNING ("You don't incur charges during any run status other
  than Running"), per GB-hour: STATIC for its provisioned capacity (1,200 GiB unless more was asked,
  rounded up to a multiple of 1,200 GiB: "Run storage types"), DYNAMIC for what it uses. GetRun reports
  a DYNAMIC run's *largest* use, so its storage is priced at that: an upper bound.

A cache hit is counted at what its record says it ran (a task with no instance type costs nothing;
whether HealthOmics charges a cache hit is not documented, so one with an instance type is charged like
any task: an upper bound): earlier runs count as what they cost.

The forecast of a START is its runs × the median and the 90th percentile (nearest rank) of the earlier
COMPLETED runs of the same workflow, of the same version when there are at least ``SAME_VERSION_RUNS``
of them. Without such runs it says "no history", never a number.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Sequence

from .history import STORAGE_PRICE, History, Run

TASK_MINIMUM_SECONDS = 60
STATIC_STORAGE_STEP_GIB = 1200
SAME_VERSION_RUNS = 3  # earlier runs of one version that make a version's own forecast


def static_capacity(asked: int | None) -> int:
    """The GiB a STATIC run is charged for: 1,200 unless more was asked, in steps of 1,200."""
    return max(1, math.ceil((asked or STATIC_STORAGE_STEP_GIB) / STATIC_STORAGE_STEP_GIB)) * STATIC_STORAGE_STEP_GIB


def run_cost(run: Run, prices: dict[str, float]) -> float | None:
    """A recorded run's cost; None when a price it needs, or a DYNAMIC run's storage size, is missing."""
    compute = 0.0
    for task in run.tasks:
        if task.instance_type is None:
            continue
        if task.instance_type not in prices:
            return None
        compute += max(task.seconds, TASK_MINIMUM_SECONDS) / 3600 * prices[task.instance_type]
    storage_price = prices.get(STORAGE_PRICE.get(run.storage_type, run.storage_type))
    if run.storage_type == "STATIC":
        capacity: int | None = static_capacity(run.storage_capacity)
    else:
        capacity = run.storage_capacity
    if storage_price is None or capacity is None:
        return None
    return compute + capacity * run.seconds / 3600 * storage_price


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest value at least ``fraction`` of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def vcpu_seconds(run: Run) -> float:
    return sum(task.cpus * task.seconds for task in run.tasks)


@dataclass(frozen=True)
class PerRun:
    """What one run of a workflow costs and takes, from the earlier runs it rests on."""

    basis: int  # earlier COMPLETED runs the figures rest on
    version_matched: bool  # of the same version (else: of every version of the workflow)
    median_cost: float
    p90_cost: float
    median_seconds: float
    p90_seconds: float
    median_vcpu_seconds: float
    unpriced: int = 0  # earlier runs left out: a price or a DYNAMIC run's storage size missing


@dataclass(frozen=True)
class Forecast:
    runs: int
    per_run: PerRun | None  # None: no history ("no history", never a made-up number)
    why_none: str = ""

    @property
    def median(self) -> float | None:
        return None if self.per_run is None else self.runs * self.per_run.median_cost

    @property
    def p90(self) -> float | None:
        return None if self.per_run is None else self.runs * self.per_run.p90_cost


def per_run(history: History, workflow: str | None, version: str | None) -> tuple[PerRun | None, str]:
    """The figures of one run of ``workflow`` (an id, or a name when the id is known only at deploy time)."""
    if workflow is None:
        return None, "no history: the workflow is known only at deploy time"
    earlier = [run for run in history.runs if workflow in (run.workflow_id, run.workflow_name)]
    same_version = [run for run in earlier if version is not None and run.workflow_version == version]
    matched = len(same_version) >= SAME_VERSION_RUNS
    chosen = same_version if matched else earlier
    costs = [(run, cost) for run in chosen if (cost := run_cost(run, history.prices)) is not None]
    if not costs:
        why = (f"no history: no earlier COMPLETED run of workflow {workflow}" if not chosen else
               f"no history: the {len(chosen)} earlier runs of workflow {workflow} lack prices or storage sizes")
        return None, why
    priced = [cost for _, cost in costs]
    seconds = [run.seconds for run, _ in costs]
    return PerRun(basis=len(costs), version_matched=matched and version is not None,
                  median_cost=statistics.median(priced), p90_cost=percentile(priced, 0.9),
                  median_seconds=statistics.median(seconds), p90_seconds=percentile(seconds, 0.9),
                  median_vcpu_seconds=statistics.median(vcpu_seconds(run) for run, _ in costs),
                  unpriced=len(chosen) - len(costs)), ""


def forecast(history: History, runs: int, workflow: str | None, version: str | None) -> Forecast:
    figures, why = per_run(history, workflow, version)
    return Forecast(runs=runs, per_run=figures, why_none=why)


@dataclass(frozen=True)
class Total:
    median: float
    p90: float
    runs_priced: int
    runs_unpriced: int  # runs that start with no forecast (no history, or decided at deploy time)


def total(forecasts: Sequence[Forecast], runs_unknown: int = 0) -> Total:
    priced = [item for item in forecasts if item.per_run is not None]
    return Total(median=sum(item.median or 0.0 for item in priced), p90=sum(item.p90 or 0.0 for item in priced),
                 runs_priced=sum(item.runs for item in priced),
                 runs_unpriced=sum(item.runs for item in forecasts if item.per_run is None) + runs_unknown)


def money(amount: float, currency: str = "USD") -> str:
    return f"{amount:,.2f} {currency}"
