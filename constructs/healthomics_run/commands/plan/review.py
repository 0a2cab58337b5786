"""The plan as a reviewer reads it: the rows, and over them the forecast, the capacity warnings and
the budget verdict that the formats put first."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from . import capacity, queueing
from .assembly import StackTemplate
from .cascade import Cascade
from .cost import Forecast, Planned, Total, forecast, total
from .decide import Action, Row, plural
from .history import CURRENCY, History
from .target import Target, definition_digest, imported_workflow, resource_path, version_warnings


@dataclass(frozen=True)
class Budget:
    limit: float
    over: bool  # the p90 forecast of what starts exceeds the limit
    unchecked_runs: int  # runs that start without a forecast: the gate cannot pass them

    @property
    def passes(self) -> bool:
        return not self.over and not self.unchecked_runs


@dataclass(frozen=True)
class Review:
    rows: list[Row]
    forecasts: dict[str, Forecast] = field(default_factory=dict)  # by row path; empty without a history
    total: Total | None = None  # None: no history given
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # inputs not compared, checks not made
    budget: Budget | None = None
    currency: str = CURRENCY
    cascades: tuple[Cascade, ...] = ()  # what the stack's chains start after the cohorts' runs


def _with_account_limits(row: Row, history: History | None) -> Row:
    """A row whose run group is an existing one (a literal id): its limits as the account's history has them."""
    goal = row.target
    if history is None or goal is None or goal.run_group_limits is not None or not isinstance(goal.run_group, str):
        return row
    limits = history.run_groups.get(goal.run_group)
    if limits is None:
        return row
    return dataclasses.replace(row, target=dataclasses.replace(goal, run_group_limits=limits))


def _with_group_limits(row: Row, stacks: dict[str, StackTemplate]) -> Row:
    """A row whose run group another stack of the app makes (``Fn::ImportValue``): that group's limits."""
    goal = row.target
    if goal is None or goal.run_group_limits is not None:
        return row
    group = queueing.group_of(row, stacks)
    if group is None or group.limits is None:
        return row
    return dataclasses.replace(row, target=dataclasses.replace(goal, run_group_limits=group.limits))


def _with_imported_workflow(row: Row, stacks: dict[str, StackTemplate]) -> Row:
    """A row whose workflow another stack of the app makes (``Fn::ImportValue``): that workflow."""
    goal = row.target
    if goal is None or goal.workflow_made is not None:
        return row
    found = imported_workflow(goal, stacks)
    return row if found is goal else dataclasses.replace(row, target=found)


def _deployed_digest(goal: Target, base: dict[str, StackTemplate]) -> str | None:
    """The definition digest the base has for the workflow at ``goal.workflow_made``; None: the base has none."""
    stack = base.get(goal.workflow_stack or "")
    if stack is None:
        return None
    return next((definition_digest(resource) for logical_id, resource in stack.resources.items()
                 if resource.get("Type") == "AWS::Omics::Workflow"
                 and resource_path(stack, logical_id) == goal.workflow_made), None)


def workflow_basis(goal: Target, base: dict[str, StackTemplate] | None) -> str:
    """What a forecast of runs of a workflow the app makes rests on: the history's runs of workflows of its name
    (its id is known only at deploy time), and whether the definition is the one the base deploys."""
    if goal.workflow_made is None or goal.workflow_key is None:
        return ""
    said = (f"workflow {goal.workflow_made} is made by the app (definition {goal.workflow_digest}); its id is known "
            f"only at deploy time, so the forecast rests on the history's runs of workflows named "
            f"{goal.workflow_key}")
    if base is None:
        return said
    deployed = _deployed_digest(goal, base)
    if deployed == goal.workflow_digest:
        return said + ": the definition is unchanged from the base's"
    how = "is new in this deploy" if deployed is None else f"changes in this deploy (base: {deployed})"
    return said + f": the workflow {how}, so those runs may have run another definition"


def planned(goal: Target) -> Planned:
    """The storage and workflow type the row's runs will run with; a value known only at deploy time is not used
    (the earlier runs' own then price them)."""
    kind = goal.storage_type if goal.storage_type in ("STATIC", "DYNAMIC") else None
    try:
        capacity = int(str(goal.storage_capacity)) if goal.storage_capacity is not None else None
    except ValueError:
        capacity = None
    return Planned(storage_type=kind, storage_capacity=capacity, workflow_type=goal.workflow_type)


def bound(row: Row) -> tuple[int | None, str]:
    """At most how many runs a row decided at deploy time starts, and on what basis; None: no bound known."""
    if row.kind == "run":
        return 1, "up to 1 run: whether it starts is decided at deploy time"
    count = row.samples.count if row.samples is not None else None
    if not count:
        return None, ""
    return count, (f"up to {plural(count, 'run')}: the sheet's {plural(count, 'sample')} (which of them run is "
                   "decided at deploy time)")


def regions(rows: list[Row], history: History | None, stack_regions: dict[str, str | None]) -> dict[str, str]:
    """Each stack's Region check against the history's: the basis a forecast of that stack adds ("" when they
    match); the plan's warnings and notes say the same once per stack."""
    if history is None or not history.region:
        return {}
    said = {}
    for stack in sorted({row.stack for row in rows if row.may_start}):
        region = stack_regions.get(stack)
        if region is None:
            said[stack] = (f"prices of {history.region} (the history's); stack {stack}'s Region is not known "
                           "(environment-agnostic, or a template file): not checked")
        elif region != history.region:
            said[stack] = (f"prices of {history.region} (the history's); stack {stack} deploys to {region}: "
                           "prices may differ")
    return said


def review(rows: list[Row], history: History | None = None, max_cost: float | None = None,
           start_run_rate: float | None = None, notes: tuple[str, ...] = (),
           stack_regions: dict[str, str | None] | None = None, stacks: dict[str, StackTemplate] | None = None,
           quotas: queueing.Quotas | None = None, base: dict[str, StackTemplate] | None = None,
           cascades: tuple[Cascade, ...] = ()) -> Review:
    """``stack_regions``: each stack's Region, checked against the history's; ``stacks``: the head's stacks (every
    stack of the app), where run groups shared across stacks are found; ``quotas``: the account's (Service
    Quotas), else the documented defaults; ``base``: the base's stacks, where changed workflows and workflow
    versions are found; ``cascades``: the runs the stacks' chains start after the cohorts' (their forecasts count
    in the total and the budget)."""
    forecasts: dict[str, Forecast] = {}
    found: list[str] = []
    stacks = stacks or {}
    quotas = quotas or queueing.DEFAULT_QUOTAS
    rows = [_with_imported_workflow(_with_group_limits(_with_account_limits(row, history), stacks), stacks)
            for row in rows]
    found += version_warnings(base or {}, stacks)
    shared = {row.path for members in queueing.shared_groups(rows, stacks).values() for row in members}
    checked = regions(rows, history, stack_regions or {})
    unknown = sum(1 for row in rows if row.action is Action.UNCOMPARED)
    for row in rows:
        if row.action not in (Action.START, Action.UNKNOWN) or row.target is None:
            unknown += row.action is Action.UNKNOWN
            continue
        runs, said = (row.runs_to_start or 0, "") if row.action is Action.START else bound(row)
        if runs is None or (history is None and row.action is Action.UNKNOWN):
            unknown += 1
            continue
        if history is not None:
            bases = tuple(filter(None, (workflow_basis(row.target, base), checked.get(row.stack))))
            forecasts[row.path] = forecast(history, runs, row.target.workflow_key, row.target.version,
                                           planned(row.target), bound=said, bases=bases)
            if row.target.workflow_made is not None and row.target.workflow_key is None:
                forecasts[row.path] = dataclasses.replace(
                    forecasts[row.path], why_none=f"no history: workflow {row.target.workflow_made} is made at "
                    "deploy time and has no Name to match earlier runs by")
        if row.action is Action.START:
            figures = forecasts[row.path].per_run if row.path in forecasts else None
            found += capacity.warnings(row, figures, start_run_rate, shared_group=row.path in shared)
    per_run = {path: item.per_run for path, item in forecasts.items() if item.per_run is not None}
    found += queueing.group_warnings(rows, per_run, stacks, quotas)
    found += queueing.account_warnings(rows, per_run, quotas)
    chained = [item.forecast for found in cascades for item in found.after_cohort if item.forecast is not None]
    summed = total(list(forecasts.values()) + chained, runs_unknown=unknown) if history is not None else None
    budget = None
    if max_cost is not None:
        p90 = summed.p90 if summed is not None else 0.0
        chain_runs = sum(found.runs for found in cascades)
        unpriced = summed.runs_unpriced if summed is not None else (
            sum(row.runs_to_start or 0 for row in rows) + unknown + chain_runs)
        budget = Budget(limit=max_cost, over=round(p90, 2) > max_cost, unchecked_runs=unpriced)  # in cents, as shown
    mismatched = [text for text in checked.values() if "prices may differ" in text]
    unchecked = [text for text in checked.values() if "not checked" in text]
    return Review(rows=rows, forecasts=forecasts, total=summed, warnings=tuple(found + mismatched),
                  notes=tuple(notes) + tuple(capacity.unchecked(rows, start_run_rate)) + tuple(unchecked)
                  + tuple(queueing.quota_notes(rows, per_run, quotas)),
                  budget=budget, currency=history.currency if history is not None else CURRENCY,
                  cascades=tuple(cascades))
