"""What a run costs by HealthOmics' billing rules, and the forecast of what a deploy's runs will cost.

Billing rules (HealthOmics pricing page; "Run lifecycle" in the HealthOmics guide; aws-healthomics-tools'
run analyzer computes the same):

- each task is charged for its instance type from its start to its stop, at least 60 seconds;
- run storage is charged while the run is RUNNING ("You don't incur charges during any run status other
  than Running"), per GB-hour: STATIC for its provisioned capacity, DYNAMIC for what it uses. GetRun reports
  a DYNAMIC run's *largest* use, so its storage is priced at that: an upper bound. A DYNAMIC run that ends
  within 2 hours may report none ("Run storage types": "For dynamic storage runs that complete within 2 hours,
  the maximum storage value may not be available"): it is priced at the largest use the workflow's other runs
  measured, else at 1,200 GiB, and the forecast says which.
- STATIC capacity is rounded as HealthOmics provisions it: 1,200 GiB unless more is asked, above that up to a
  multiple of 2,400 GiB (StartRun API reference, storageCapacity: "rounds up the value to the nearest 1200 GiB
  multiple. If the requested storage capacity is still unavailable, the system rounds up the value to the
  nearest 2400 GiB multiple"; aws-healthomics-tools' run analyzer, ``get_static_storage_gib``: a minimum of
  1,200, then increments of 2,400 — 2,400, 4,800, 7,200 — the sizes an FSx for Lustre file system takes).
- GPU tasks run on accelerated-computing instance types (omics.g4dn, omics.g5, omics.g6, ...; "Task
  accelerators"), priced per hour like any instance type: the history names each task's type.
- a READY2RUN workflow is charged a fixed price per run (HealthOmics pricing page: "Ready2Run workflows ...
  you pay a fixed cost per run"), which the history holds in ``run_prices``.

A run is priced as the pull request will run it: the template's storage type and STATIC capacity (not the
earlier runs'), over each earlier run's running time; a DYNAMIC run by the largest use its history measured.

A cache hit is counted at what its record says it ran (a task with no instance type costs nothing;
whether HealthOmics charges a cache hit is not documented, so one with an instance type is charged like
any task: an upper bound): earlier runs count as what they cost.

The forecast of a START is its runs × the median and the 90th percentile (nearest rank) of the earlier
COMPLETED runs of the same workflow, of the same version when there are at least ``SAME_VERSION_RUNS``
of them, × (1 + the failure share): the FAILED and CANCELLED share of the workflow's ended runs. A failed
run is charged for what it ran before it stopped, and is started again: each started run is counted once
more with that share, at a completed run's cost (an upper bound: a failed run stops early). Without such
runs it says "no history", never a number. Runs decided at deploy time are forecast as a bound ("up to N
runs"): a batch's sample count, a run's one run.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Sequence

from .history import STORAGE_PRICE, History, Run

TASK_MINIMUM_SECONDS = 60
STATIC_STORAGE_MINIMUM_GIB = 1200
STATIC_STORAGE_STEP_GIB = 2400
UNMEASURED_DYNAMIC_GIB = 1200  # a DYNAMIC run with no measured use, when no run of its workflow measured one
SAME_VERSION_RUNS = 3  # earlier runs of one version that make a version's own forecast
READY2RUN = "READY2RUN"


def static_capacity(asked: int | None) -> int:
    """The GiB a STATIC run is charged for: 1,200 up to 1,200 asked, above that the next multiple of 2,400."""
    if not asked or asked <= STATIC_STORAGE_MINIMUM_GIB:
        return STATIC_STORAGE_MINIMUM_GIB
    return math.ceil(asked / STATIC_STORAGE_STEP_GIB) * STATIC_STORAGE_STEP_GIB


@dataclass(frozen=True)
class Planned:
    """What the pull request's runs run with, as its template says; None: as the earlier runs had it."""

    storage_type: str | None = None  # STATIC, DYNAMIC
    storage_capacity: int | None = None  # GiB asked for STATIC
    workflow_type: str | None = None  # READY2RUN: a fixed price per run


def compute_cost(run: Run, prices: dict[str, float]) -> float | None:
    """Its tasks' instance hours (GPU instance types included), each task at least 60 s; None: a price missing."""
    compute = 0.0
    for task in run.tasks:
        if task.instance_type is None:
            continue
        if task.instance_type not in prices:
            return None
        compute += max(task.seconds, TASK_MINIMUM_SECONDS) / 3600 * prices[task.instance_type]
    return compute


def storage_gib(run: Run, planned: Planned | None = None, unmeasured: int | None = None) -> tuple[str, int | None]:
    """The storage type and GiB a run is charged for, run as ``planned``: STATIC at the capacity the plan asks
    (else the run's own, else 1,200), rounded as HealthOmics rounds it; DYNAMIC at the run's largest measured
    use, else ``unmeasured`` (the workflow's largest measured use; for an earlier STATIC run, whose use GetRun
    does not report, that, else its capacity: the most it could have used)."""
    kind = (planned.storage_type if planned else None) or run.storage_type
    if kind == "STATIC":
        asked = planned.storage_capacity if planned and planned.storage_capacity else None
        own = run.storage_capacity if run.storage_type == "STATIC" else None
        return kind, static_capacity(asked or own)
    if run.storage_type == "STATIC":
        return kind, unmeasured if unmeasured is not None else static_capacity(run.storage_capacity)
    return kind, run.storage_capacity if run.storage_capacity is not None else unmeasured


def run_cost(run: Run, prices: dict[str, float], planned: Planned | None = None,
             unmeasured: int | None = None) -> float | None:
    """A recorded run's cost, run as ``planned``; None when a price it needs, or a DYNAMIC run's storage size
    (and ``unmeasured``), is missing."""
    compute = compute_cost(run, prices)
    kind, capacity = storage_gib(run, planned, unmeasured)
    storage_price = prices.get(STORAGE_PRICE.get(kind, kind))
    if compute is None or storage_price is None or capacity is None:
        return None
    return compute + capacity * run.seconds / 3600 * storage_price


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest value at least ``fraction`` of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def vcpu_seconds(run: Run) -> float:
    return sum(task.cpus * task.seconds for task in run.tasks)


def gpu_seconds(run: Run) -> float:
    return sum(task.gpus * task.seconds for task in run.tasks)


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
    unpriced: int = 0  # earlier runs left out: a price missing
    median_gpu_seconds: float = 0.0
    failure_share: float = 0.0  # FAILED and CANCELLED runs among the workflow's ended runs
    failed: int = 0  # of how many ended runs: ``failed`` / ``ended``
    ended: int = 0
    fixed_price: bool = False  # READY2RUN: a fixed price per run, not earlier runs' resources
    bases: tuple[str, ...] = ()  # what else the figures rest on, said in words


@dataclass(frozen=True)
class Forecast:
    runs: int
    per_run: PerRun | None  # None: no history ("no history", never a made-up number)
    why_none: str = ""
    bound: str = ""  # the runs are an upper bound ("up to 5 runs: ..."); empty: they are known
    bases: tuple[str, ...] = ()  # the row's own bases (the Region the stack deploys to, ...)

    @property
    def factor(self) -> float:
        return 1.0 if self.per_run is None else 1.0 + self.per_run.failure_share

    @property
    def median(self) -> float | None:
        return None if self.per_run is None else self.runs * self.per_run.median_cost * self.factor

    @property
    def p90(self) -> float | None:
        return None if self.per_run is None else self.runs * self.per_run.p90_cost * self.factor

    @property
    def basis(self) -> tuple[str, ...]:
        """Every basis of the figures, in words: the reviewer's "where does this number come from"."""
        said = [self.bound] if self.bound else []
        if self.per_run is not None:
            said += self.per_run.bases
            if self.per_run.failed:
                said.append(f"failed or cancelled: {self.per_run.failed} of {self.per_run.ended} earlier ended runs "
                            f"({self.per_run.failure_share:.1%}): each run counted 1 + {self.per_run.failure_share:.3f}"
                            " times (a failed run is started again; priced as a completed run: an upper bound)")
        return tuple(said) + self.bases


def _matches(run: Run, workflow: str) -> bool:
    return workflow in (run.workflow_id, run.workflow_name)


def _fixed_price(history: History, workflow: str, earlier: list[Run]) -> tuple[PerRun | None, str]:
    price = history.run_prices.get(workflow)
    if price is None:
        return None, (f"no price: workflow {workflow} is READY2RUN, charged a fixed price per run; add it to the "
                      "history's run_prices (HealthOmics pricing page)")
    seconds = [run.seconds for run in earlier] or [0.0]
    return PerRun(basis=0, version_matched=False, median_cost=price, p90_cost=price,
                  median_seconds=statistics.median(seconds), p90_seconds=percentile(seconds, 0.9),
                  median_vcpu_seconds=0.0, fixed_price=True,
                  bases=(f"Ready2Run: a fixed {price:,.2f} {history.currency} per run (history's run_prices)",)), ""


def per_run(history: History, workflow: str | None, version: str | None,
            planned: Planned | None = None) -> tuple[PerRun | None, str]:
    """The figures of one run of ``workflow`` (an id, or a name when the id is known only at deploy time), run
    as ``planned``: the pull request's storage, not the earlier runs'."""
    if workflow is None:
        return None, "no history: the workflow is known only at deploy time"
    ended = [run for run in history.runs if _matches(run, workflow)]
    earlier = [run for run in ended if run.status == "COMPLETED"]
    if planned is not None and planned.workflow_type == READY2RUN:
        return _fixed_price(history, workflow, earlier)
    same_version = [run for run in earlier if version is not None and run.workflow_version == version]
    matched = len(same_version) >= SAME_VERSION_RUNS
    chosen = same_version if matched else earlier
    measured = [run.storage_capacity for run in earlier if run.storage_type == "DYNAMIC" and run.storage_capacity]
    unmeasured = max(measured, default=UNMEASURED_DYNAMIC_GIB)

    def cost_of(run: Run) -> float | None:
        fallback = unmeasured if run.storage_type == "DYNAMIC" else max(measured, default=None)
        return run_cost(run, history.prices, planned, fallback)

    costs = [(run, cost) for run in chosen if (cost := cost_of(run)) is not None]
    if not costs:
        why = (f"no history: no earlier COMPLETED run of workflow {workflow}" if not chosen else
               f"no history: the {len(chosen)} earlier runs of workflow {workflow} lack prices")
        return None, why
    priced = [cost for _, cost in costs]
    seconds = [run.seconds for run, _ in costs]
    failed = sum(1 for run in ended if run.status != "COMPLETED")
    return PerRun(basis=len(costs), version_matched=matched and version is not None,
                  median_cost=statistics.median(priced), p90_cost=percentile(priced, 0.9),
                  median_seconds=statistics.median(seconds), p90_seconds=percentile(seconds, 0.9),
                  median_vcpu_seconds=statistics.median(vcpu_seconds(run) for run, _ in costs),
                  median_gpu_seconds=statistics.median(gpu_seconds(run) for run, _ in costs),
                  unpriced=len(chosen) - len(costs), failure_share=failed / len(ended) if ended else 0.0,
                  failed=failed, ended=len(ended),
                  bases=_storage_bases([run for run, _ in costs], planned, measured, unmeasured)), ""


def _storage_bases(runs: list[Run], planned: Planned | None, measured: list[int], unmeasured: int) -> tuple[str, ...]:
    """How the runs' storage was priced, in words."""
    said = []
    kinds = {storage_gib(run, planned, unmeasured)[0] for run in runs}
    asked = planned.storage_capacity if planned else None
    if "STATIC" in kinds and planned is not None and planned.storage_type == "STATIC" and asked:
        said.append(f"storage as this change asks: STATIC {asked:,} GiB, charged as {static_capacity(asked):,} GiB "
                    "(HealthOmics provisions 1,200 GiB, then multiples of 2,400)")
    elif planned is not None and planned.storage_type and any(run.storage_type != planned.storage_type for run in runs):
        if planned.storage_type == "DYNAMIC":
            how = (f"the largest use the workflow's DYNAMIC runs measured, {max(measured):,} GiB" if measured else
                   "their STATIC capacity: the most they could have used")
            said.append(f"storage as this change asks: DYNAMIC; earlier STATIC runs' use (not reported) at {how}")
        else:
            said.append("storage as this change asks: STATIC, 1,200 GiB (the default; no capacity set)")
    short = sum(1 for run in runs if run.storage_type == "DYNAMIC" and run.storage_capacity is None)
    if short:
        how = (f"the largest use the workflow's runs measured, {unmeasured:,} GiB" if measured else
               f"{unmeasured:,} GiB assumed: no run of the workflow measured its use")
        said.append(f"{short} DYNAMIC {'run' if short == 1 else 'runs'} reported no storage size (runs under 2 h may "
                    f"not): priced at {how}")
    return tuple(said)


def forecast(history: History, runs: int, workflow: str | None, version: str | None,
             planned: Planned | None = None, bound: str = "", bases: tuple[str, ...] = ()) -> Forecast:
    figures, why = per_run(history, workflow, version, planned)
    return Forecast(runs=runs, per_run=figures, why_none=why, bound=bound, bases=bases)


@dataclass(frozen=True)
class Total:
    median: float
    p90: float
    runs_priced: int
    runs_unpriced: int  # runs that start with no forecast (no history, or decided at deploy time)
    runs_bounded: int = 0  # of the priced runs, those counted as an upper bound (decided at deploy time)


def total(forecasts: Sequence[Forecast], runs_unknown: int = 0) -> Total:
    priced = [item for item in forecasts if item.per_run is not None]
    return Total(median=sum(item.median or 0.0 for item in priced), p90=sum(item.p90 or 0.0 for item in priced),
                 runs_priced=sum(item.runs for item in priced),
                 runs_unpriced=sum(item.runs for item in forecasts if item.per_run is None) + runs_unknown,
                 runs_bounded=sum(item.runs for item in priced if item.bound))


def money(amount: float, currency: str = "USD") -> str:
    return f"{amount:,.2f} {currency}"
