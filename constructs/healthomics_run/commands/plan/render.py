"""The plan as a terminal table, as Markdown for a pull-request comment, or as JSON.

Each puts first what a reviewer decides on: how many runs start, what they are forecast to cost and on
what basis, any capacity warning, and the budget verdict. Values are shown at one of three levels
(``Display``): by default numbers, booleans, enumerations and AWS resource ids are shown, and free text
(parameter strings, run names, tags, URIs) and sample ids are hidden, as they may identify patients.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from typing import Any

from .capacity import duration
from .cost import Forecast, money
from .decide import MISSING, Action, Change, Row, SampleChanges, plural
from .review import Review

_VERBS = {Action.START: "starting", Action.UNKNOWN: "decided at deploy time", Action.KEEP: "kept",
          Action.CANCEL: "cancelled", Action.RETAIN: "left running", Action.UNCOMPARED: "not compared"}
# Settings whose values are enumerations, numbers or AWS resource ids: no free text, nothing about a sample.
SAFE_SETTINGS = frozenset({
    "workflow_id", "workflow_type", "workflow_version_name", "workflow_owner_id", "source_run_id", "priority",
    "storage_type", "storage_capacity", "cache_id", "cache_behavior", "run_group_id", "log_level",
    "retention_mode", "networking_mode", "configuration_name", "output_uri_prefix_mode", "scratch_storage_mode",
    "requester_pays_enabled", "output_bucket_owner_id", "wait_for", "timeout_seconds", "delete_policy",
    "rerun_token"})


class Display(str, enum.Enum):
    HIDE = "hide"  # --hide-values: no value at all
    SAFE = "safe"  # the default: numbers, booleans, enumerations, resource ids
    SHOW = "show"  # --show-values: every value, and sample ids


def hidden_text(display: Display) -> str:
    return "(hidden)" if display is Display.HIDE else "(hidden; --show-values)"


def runs_to_start(rows: list[Row]) -> int:
    """The runs known to start; rows decided at deploy time add none."""
    return sum(row.runs_to_start or 0 for row in rows)


def summary(rows: list[Row]) -> str:
    """"7 runs will start; resources: 2 starting, 1 kept": runs first, as a reviewer counts their cost."""
    if not rows:
        return "No HealthOmics runs or batches in these templates."
    counts = Counter(row.action for row in rows)
    runs = f"{plural(runs_to_start(rows), 'run')} will start"
    if counts[Action.UNKNOWN]:
        runs += ", more may at deploy time"
    if counts[Action.UNCOMPARED]:
        runs += ", more may in stacks not compared"
    resources = ", ".join(f"{counts[action]} {_VERBS[action]}" for action in Action if counts[action])
    return f"{runs}; resources: {resources}"


def deploy_time(value: Any) -> str | None:
    """A value CloudFormation computes at deploy time, as ``${Logical.Attribute}``; None for a literal."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (key, item), = value.items()
    if key == "Ref":
        return f"${{{item}}}"
    if key == "Fn::GetAtt":
        return "${" + ".".join(item if isinstance(item, list) else [str(item)]) + "}"
    if key == "Fn::Join" and isinstance(item, list) and len(item) == 2 and isinstance(item[1], list):
        return str(item[0]).join(deploy_time(part) or str(part) for part in item[1])
    if key == "Fn::Sub":
        return item if isinstance(item, str) else str(item[0])
    if key.startswith("Fn::"):
        return "${" + key + "}"
    return None


def _value(value: Any) -> str:
    if value is MISSING:
        return "(not set)"
    computed = deploy_time(value)
    if computed is not None:
        return computed
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def is_hidden(change: Change, value: Any, display: Display) -> bool:
    if value is MISSING or display is Display.SHOW:
        return False
    if display is Display.HIDE:
        return True
    if deploy_time(value) is not None or isinstance(value, (int, float, bool)):
        return False
    return change.sensitive or change.setting not in SAFE_SETTINGS


def describe(change: Change, display: Display) -> str:
    def shown(value: Any) -> str:
        return hidden_text(display) if is_hidden(change, value, display) else _value(value)
    return f"{change.setting}: {shown(change.old)} → {shown(change.new)}"


def _samples(found: SampleChanges, display: Display) -> list[str]:
    if found.added is None:
        return [f"{plural(found.count, 'sample')} (which changed is not known without the cloud assembly)"]
    lines = [f"{plural(found.count, 'sample')}: {found.added} added, {found.removed} removed, {found.changed} changed"]
    if display is Display.SHOW:
        if found.removed_ids:
            lines.append(f"removed: {', '.join(found.removed_ids)}")
        lines += [f"changed {sample}: {', '.join(names)}" for sample, names in found.changed_fields]
    return lines


def _runs(row: Row, display: Display) -> str:
    """How many of a batch's samples will run and, only with --show-values, which (ids may identify patients)."""
    count, ids = row.runs_to_start, row.samples.run_ids
    if count is None:
        return "how many runs start is not known from these templates"
    said = f"{plural(count, 'run')} will start"
    if not count:
        return said
    if display is not Display.SHOW:
        return f"{said} (sample ids {hidden_text(display)[1:-1]})"
    return f"{said}: {', '.join(ids)}" if ids is not None else f"{said} (sample ids are in the staged sheet only)"


def _target(row: Row) -> str:
    goal = row.target
    version = f" version {goal.version}" if goal.version else " (default version)"
    storage = goal.storage_type or "service default"
    if goal.storage_capacity is not None:
        storage += f" {_value(goal.storage_capacity)} GiB"
    group = "none"
    if goal.run_group is not None:
        group = _value(goal.run_group)
        limits = goal.run_group_limits
        if limits is not None:
            caps = [f"max_runs {limits.max_runs}" if limits.max_runs else "",
                    f"max_cpus {limits.max_cpus}" if limits.max_cpus else "",
                    f"max_duration {duration(limits.max_duration_minutes * 60)}" if limits.max_duration_minutes else ""]
            group += f" ({', '.join(filter(None, caps)) or 'no caps'})"
    named = f" ({goal.workflow_key})" if goal.workflow_key and deploy_time(goal.workflow) else ""
    return (f"workflow {_value(goal.workflow)}{named}{version}; storage {storage}; run group {group}; "
            f"wait_for {goal.wait_for}")


def _cost(item: Forecast, currency: str) -> str:
    if item.per_run is None:
        return f"cost: {item.why_none}"
    figures = item.per_run
    basis = plural(figures.basis, "earlier run") + (" of this version" if figures.version_matched else "")
    if figures.unpriced:
        basis += f"; {figures.unpriced} left out: unpriced"
    return (f"cost: {plural(item.runs, 'run')} × {money(figures.median_cost, currency)} median, "
            f"{money(figures.p90_cost, currency)} p90 = {money(item.median or 0, currency)} median, "
            f"{money(item.p90 or 0, currency)} p90 (from {basis}; a run takes {duration(figures.median_seconds)})")


def _details(row: Row, report: Review, display: Display) -> list[str]:
    lines = []
    if row.action is Action.START and row.target is not None:
        lines.append(_target(row))
        if row.path in report.forecasts:
            lines.append(_cost(report.forecasts[row.path], report.currency))
    if row.duplicate_of:
        lines.append(f"duplicate of {row.duplicate_of}")
    lines += [f"removed with it: {orphan}" for orphan in row.orphans]
    lines += [describe(change, display) for change in row.changes]
    lines += [f"{describe(change, display)} (starts nothing)" for change in row.notes]
    if row.samples is not None:
        lines += _samples(row.samples, display) + [_runs(row, display)]
    return lines


def headline(report: Review) -> list[str]:
    """The first lines: forecast with its basis, budget verdict, capacity warnings, inputs not compared."""
    lines = []
    summed, currency = report.total, report.currency
    if summed is None:
        if any(row.action is Action.START for row in report.rows):
            lines.append("Forecast: none (give --history FILE from `healthomics-run export-history`, or "
                         "--from-account)")
    elif summed.runs_priced or summed.runs_unpriced:
        basis = max((item.per_run.basis for item in report.forecasts.values() if item.per_run), default=0)
        said = (f"Forecast: {money(summed.median, currency)} median, {money(summed.p90, currency)} p90 for "
                f"{plural(summed.runs_priced, 'run')} (from up to {plural(basis, 'earlier run')} each)")
        if summed.runs_unpriced:
            said += f"; {plural(summed.runs_unpriced, 'run')} without a forecast (no history, or decided at deploy time)"
        lines.append(said)
    budget = report.budget
    if budget is not None:
        p90 = money(summed.p90 if summed else 0.0, currency)
        if budget.over:
            lines.append(f"Budget: OVER: the p90 forecast {p90} exceeds --max-cost {money(budget.limit, currency)}")
        elif budget.unchecked_runs:
            verb = "starts" if budget.unchecked_runs == 1 else "start"
            lines.append(f"Budget: NOT CHECKED: {plural(budget.unchecked_runs, 'run')} {verb} without a forecast "
                         f"(--max-cost {money(budget.limit, currency)} fails closed)")
        else:
            lines.append(f"Budget: within: the p90 forecast {p90} is at most --max-cost {money(budget.limit, currency)}")
    lines += [f"Warning: {warning}" for warning in report.warnings]
    lines += [f"Note: {note}" for note in report.notes]
    return lines


def table(report: Review, display: Display = Display.SAFE) -> str:
    rows = report.rows
    header = ("ACTION", "KIND", "RESOURCE", "WHY")
    cells = [(row.action.value, row.kind, row.path, row.reason) for row in rows]
    widths = [max(len(str(line[i])) for line in [header, *cells]) for i in range(3)]
    out = [f"healthomics-run plan: {summary(rows)}", *headline(report), ""]
    for line in [header, *cells]:
        out.append("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)) + "  " + line[3])
    for row in rows:
        details = _details(row, report, display)
        if details:
            out += ["", f"{row.action.value} {row.path}"] + [f"  {line}" for line in details]
    return "\n".join(out) + "\n"


def markdown(report: Review, display: Display = Display.SAFE) -> str:
    rows = report.rows
    out = ["### healthomics-run plan", "", f"**{summary(rows)}**", ""]
    first = headline(report)
    if first:
        out += [f"- {_bold_verdict(line)}" for line in first] + [""]
    if rows and report.total is not None:  # with a history: each row's forecast in a column of its own
        out += ["| Action | Kind | Resource | Why | Cost (median / p90) |", "|---|---|---|---|---|"]
        out += [f"| **{row.action.value}** | {row.kind} | `{row.path}` | {_cell(row.reason)} | "
                f"{_cost_cell(report.forecasts.get(row.path), report.currency)} |" for row in rows]
    elif rows:
        out += ["| Action | Kind | Resource | Why |", "|---|---|---|---|"]
        out += [f"| **{row.action.value}** | {row.kind} | `{row.path}` | {_cell(row.reason)} |" for row in rows]
    for row in rows:
        details = _details(row, report, display)
        if details:
            out += ["", f"<details><summary><b>{row.action.value}</b> <code>{row.path}</code></summary>", ""]
            out += [f"- `{_cell(line)}`" for line in details] + ["", "</details>"]
    return "\n".join(out) + "\n"


def _cost_cell(item: Forecast | None, currency: str) -> str:
    if item is None:
        return ""
    if item.median is None or item.p90 is None:
        return "no history"
    return f"{money(item.median, currency)} / {money(item.p90, currency)}"


def _bold_verdict(line: str) -> str:
    label, _, rest = line.partition(": ")
    return f"**{label}**: {_cell(rest)}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_json(report: Review, display: Display = Display.SAFE) -> str:
    rows = report.rows

    def change(item: Change) -> dict[str, Any]:
        old_hidden, new_hidden = is_hidden(item, item.old, display), is_hidden(item, item.new, display)
        return {"setting": item.setting, "old": None if old_hidden or item.old is MISSING else item.old,
                "new": None if new_hidden or item.new is MISSING else item.new, "hidden": old_hidden or new_hidden}

    def samples(found: SampleChanges | None) -> dict[str, Any] | None:
        if found is None:
            return None
        show = display is Display.SHOW
        return {"count": found.count, "added": found.added, "removed": found.removed, "changed": found.changed,
                "idsToRun": list(found.run_ids) if show and found.run_ids is not None else None,
                "idsRemoved": list(found.removed_ids) if show else None,
                "changedFields": {sample: list(names) for sample, names in found.changed_fields} if show else None,
                "idsHidden": not show}

    def cost(path: str) -> dict[str, Any] | None:
        item = report.forecasts.get(path)
        if item is None:
            return None
        figures = item.per_run
        return {"runs": item.runs, "median": item.median, "p90": item.p90, "currency": report.currency,
                "basis": figures.basis if figures else 0, "versionMatched": bool(figures and figures.version_matched),
                "medianPerRun": figures.median_cost if figures else None,
                "p90PerRun": figures.p90_cost if figures else None, "noForecast": item.why_none or None}

    counts = Counter(row.action.value for row in rows)
    summed, budget = report.total, report.budget
    document = {
        "summary": {"text": summary(rows), "startsRuns": any(row.may_start for row in rows),
                    "runsToStart": runs_to_start(rows), "runsDecidedAtDeployTime": counts[Action.UNKNOWN.value],
                    **{action.value: counts[action.value] for action in Action},
                    "forecast": None if summed is None else {
                        "median": summed.median, "p90": summed.p90, "currency": report.currency,
                        "runsPriced": summed.runs_priced, "runsWithoutForecast": summed.runs_unpriced},
                    "budget": None if budget is None else {
                        "maxCost": budget.limit, "over": budget.over, "runsUnchecked": budget.unchecked_runs,
                        "passes": budget.passes},
                    "warnings": list(report.warnings), "notes": list(report.notes)},
        "resources": [{
            "action": row.action.value, "kind": row.kind, "stack": row.stack, "logicalId": row.logical_id,
            "path": row.path, "reason": row.reason, "runsToStart": row.runs_to_start,
            "duplicateOf": row.duplicate_of, "orphans": list(row.orphans),
            "target": None if row.target is None else {
                "workflow": _value(row.target.workflow), "version": row.target.version,
                "storageType": row.target.storage_type, "runGroup": _value(row.target.run_group)
                if row.target.run_group is not None else None, "waitFor": row.target.wait_for},
            "cost": cost(row.path),
            "changes": [change(c) for c in row.changes], "notes": [change(c) for c in row.notes],
            "samples": samples(row.samples)} for row in rows],
    }
    return json.dumps(document, indent=2, default=str) + "\n"


FORMATS = {"table": table, "markdown": markdown, "json": as_json}
