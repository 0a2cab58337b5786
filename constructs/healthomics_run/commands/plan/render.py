"""The plan as a terminal table, as Markdown for a pull-request comment, or as JSON.

Each puts first what a reviewer decides on: how many runs start, what they are forecast to cost and on
what basis, any capacity warning, and the budget verdict. Values are shown at one of three levels
(``Display``): by default numbers, booleans, enumerations and AWS resource ids are shown, and free text
(parameter strings, run names, tags, URIs) and sample ids are hidden, as they may identify patients; so are
numbers whose name says they may (``IDENTIFYING``: ``*_id``, ``*id``, ``sample*``, ``patient*``, ``mrn``,
``record*``: a record number identifies a patient as well as a name does).
"""

from __future__ import annotations

import enum
import json
import re
from collections import Counter
from typing import Any

from healthomics_run.run_model.chaining import COHORT
from healthomics_run.run_model.reasons import listing

from .capacity import duration
from .cascade import Cascade, StepRuns
from .cost import Forecast, money
from .decide import MISSING, Action, Change, Row, SampleChanges, plural
from .review import Review
from .target import Target

_VERBS = {Action.START: "starting", Action.UNKNOWN: "decided at deploy time", Action.KEEP: "kept",
          Action.CANCEL: "cancelled", Action.RETAIN: "left running", Action.UNCOMPARED: "not compared"}
# Settings whose values are enumerations, numbers or AWS resource ids: no free text, nothing about a sample.
SAFE_SETTINGS = frozenset({
    "workflow_id", "workflow_type", "workflow_version_name", "workflow_owner_id", "source_run_id", "priority",
    "storage_type", "storage_capacity", "cache_id", "cache_behavior", "run_group_id", "log_level",
    "retention_mode", "networking_mode", "configuration_name", "output_uri_prefix_mode", "scratch_storage_mode",
    "requester_pays_enabled", "output_bucket_owner_id", "wait_for", "timeout_seconds", "delete_policy",
    "rerun_token"})


# Parameter and tag names whose values, numbers too, may identify a patient: hidden by default like sample ids.
IDENTIFYING = re.compile(r".*id|sample.*|patient.*|mrn|record.*", re.IGNORECASE)


def identifying(setting: str) -> bool:
    """A parameter or tag named like an identifier (``parameters.record_number``, ``tags.PatientId``)."""
    prefix, _, name = setting.partition(".")
    return prefix in ("parameters", "tags") and IDENTIFYING.fullmatch(name) is not None


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
    if identifying(change.setting):
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


def _runs(row: Row, samples: SampleChanges, display: Display) -> str:
    """How many of a batch's ``samples`` will run and, only with --show-values, which (ids may identify patients)."""
    count, ids = row.runs_to_start, samples.run_ids
    if count is None:
        return "how many runs start is not known from these templates"
    said = f"{plural(count, 'run')} will start"
    if not count:
        return said
    if display is not Display.SHOW:
        return f"{said} (sample ids {hidden_text(display)[1:-1]})"
    return f"{said}: {', '.join(ids)}" if ids is not None else f"{said} (sample ids are in the staged sheet only)"


def _target(goal: Target) -> str:
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
    workflow = goal.workflow_made or _value(goal.workflow)  # a workflow the app makes: its construct path
    return (f"workflow {workflow}{named}{version}; storage {storage}; run group {group}; "
            f"wait_for {goal.wait_for}")


def _cost(item: Forecast, currency: str) -> str:
    if item.per_run is None:
        return f"cost: {item.why_none}" + (f" ({item.bound})" if item.bound else "")
    figures = item.per_run
    runs = f"up to {plural(item.runs, 'run')}" if item.bound else plural(item.runs, 'run')
    failed = f" × {item.factor:.3f}" if figures.failure_share else ""
    if figures.fixed_price:
        return (f"cost: {runs} × {money(figures.median_cost, currency)}{failed} = {money(item.median or 0, currency)} "
                f"(a fixed price per run)")
    basis = plural(figures.basis, "earlier run") + (" of this version" if figures.version_matched else "")
    if figures.unpriced:
        basis += f"; {figures.unpriced} left out: unpriced"
    return (f"cost: {runs} × {money(figures.median_cost, currency)} median, "
            f"{money(figures.p90_cost, currency)} p90{failed} = {money(item.median or 0, currency)} median, "
            f"{money(item.p90 or 0, currency)} p90 (from {basis}; a run takes {duration(figures.median_seconds)})")


def _details(row: Row, report: Review, display: Display) -> list[str]:
    lines = []
    if row.action in (Action.START, Action.UNKNOWN) and row.target is not None:
        lines.append(_target(row.target))
        if row.path in report.forecasts:
            item = report.forecasts[row.path]
            lines.append(_cost(item, report.currency))
            lines += [f"cost basis: {said}" for said in item.basis]
    if row.duplicate_of:
        lines.append(f"duplicate of {row.duplicate_of}")
    lines += [f"removed with it: {orphan}" for orphan in row.orphans]
    lines += [describe(change, display) for change in row.changes]
    lines += [f"{describe(change, display)} (starts nothing)" for change in row.notes]
    if row.samples is not None:
        lines += _samples(row.samples, display) + [_runs(row, row.samples, display)]
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
        if summed.runs_bounded:
            said += (f", of which up to {plural(summed.runs_bounded, 'run')} decided at deploy time, counted "
                     "as a bound")
        if any(item.per_run and item.per_run.failure_share for item in report.forecasts.values()):
            said += "; failed and cancelled runs' share included"
        if summed.runs_unpriced:
            said += (f"; {plural(summed.runs_unpriced, 'run')} without a forecast "
                     "(no history, or decided at deploy time)")
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
            lines.append(f"Budget: within: the p90 forecast {p90} is at most "
                         f"--max-cost {money(budget.limit, currency)}")
    for found in report.cascades:
        lines.append(f"Cascade: after {found.cohort} (chain {found.chain}): {found.said}")
    lines += [f"Warning: {warning}" for warning in report.warnings]
    lines += [f"Note: {note}" for note in report.notes]
    return lines


def _step_cost(item: StepRuns, currency: str) -> str:
    if item.forecast is None:
        return ""
    return "; " + _cost(item.forecast, currency)


def cascade_lines(found: Cascade, currency: str) -> list[str]:
    """A chain's steps, one line each (counts and workflows: no sample id), then the bases of the counts."""
    lines = []
    for item in found.steps:
        if item.step == COHORT:
            lines.append(f"cohort: {item.said} (the batch's row)")
            continue
        workflow = deploy_time(item.workflow) or item.workflow
        why = f" ({item.reason})" if item.reason else ""
        lines.append(f"{item.step} ({item.partition}; workflow {workflow}): {item.said}{why}"
                     + _step_cost(item, currency))
    return lines + [f"basis: {said}" for said in found.bases]


def table(report: Review, display: Display = Display.SAFE) -> str:
    rows = report.rows
    header = ("ACTION", "KIND", "RESOURCE", "WHY")
    cells = [(row.action.value, row.kind, row.path, row.reason) for row in rows]
    widths = [max(len(str(line[i])) for line in [header, *cells]) for i in range(3)]
    out = [f"healthomics-run plan: {summary(rows)}", *headline(report), ""]
    for line in [header, *cells]:
        padded = "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False))  # all but WHY
        out.append(padded + "  " + line[3])
    for row in rows:
        details = _details(row, report, display)
        if details:
            out += ["", f"{row.action.value} {row.path}"] + [f"  {line}" for line in details]
    for found in report.cascades:
        out += ["", f"CASCADE {found.cohort} (chain {found.chain})"]
        out += [f"  {line}" for line in cascade_lines(found, report.currency)]
    return "\n".join(out) + "\n"


# GitHub refuses a comment body over 65,536 characters ("Body is too long (maximum is 65536 characters)", the REST
# API's 422); some measure it in bytes. The plan keeps to fewer UTF-8 bytes, leaving room for what a CI job adds.
COMMENT_LIMIT = 60_000
TABLE_ROWS = 50  # more rows than this are grouped, one line per action, kind and reason
NOTE_ROOM = 400  # bytes kept for the note that says what was cut
PATHS_LISTED = 100  # resources named in a folded group of the same details; the rest are counted


def markdown(report: Review, display: Display = Display.SAFE, limit: int = COMMENT_LIMIT) -> str:
    """For a pull-request comment, in at most ``limit`` UTF-8 bytes: the verdict first, then the table (rows
    grouped by action, kind and reason past ``TABLE_ROWS``), then each resource's details folded in ``<details>``
    (resources with the same details once); whatever does not fit is counted, with how to see it all."""
    rows = report.rows
    out = ["### healthomics-run plan", "", f"**{summary(rows)}**", ""]
    first = headline(report)
    if first:
        out += [f"- {_bold_verdict(line)}" for line in first] + [""]
    out += _table_lines(report, grouped=len(rows) > TABLE_ROWS)
    blocks = _cascade_blocks(report) + _detail_blocks(report, display)
    shown: list[str] = []
    cut = 0
    for index, block in enumerate(blocks):
        if _size(out + shown + block) + NOTE_ROOM > limit:  # room left for the note saying what was cut
            cut = len(blocks) - index
            break
        shown += block
    text = "\n".join(out + shown)
    if cut or len(rows) > TABLE_ROWS:
        counts = [1] * len(report.cascades) + _block_counts(report, display)
        resources = sum(block_count for block_count in counts[len(blocks) - cut:])
        text += "\n" + _cut_note(cut, resources, report)
    if len(text.encode()) > limit:  # the table itself is too long: its rows are grouped
        return _grouped_only(report, display, limit)
    return text + "\n"


def _size(lines: list[str]) -> int:
    return len("\n".join(lines).encode())


def _cut_note(blocks: int, resources: int, report: Review) -> str:
    said = "" if not blocks else (f"{plural(resources, 'resource')}' details ({blocks} folded "
                                  f"{'section' if blocks == 1 else 'sections'}) cut to fit one GitHub comment. ")
    return (f"\n_{said}Every row with every detail: `healthomics-run plan BASE HEAD --format json` "
            f"(or the default table)._" if said or len(report.rows) > TABLE_ROWS else "")


def _table_lines(report: Review, grouped: bool) -> list[str]:
    rows = report.rows
    if not rows:
        return []
    priced = report.total is not None
    header = ["| Action | Kind | Resource | Why |" + (" Cost (median / p90) |" if priced else ""),
              "|---|---|---|---|" + ("---|" if priced else "")]
    if not grouped:
        return header + [f"| **{row.action.value}** | {row.kind} | `{row.path}` | {_cell(row.reason)} |"
                         + (f" {_cost_cell(report.forecasts.get(row.path), report.currency)} |" if priced else "")
                         for row in rows]
    groups: dict[tuple, list[Row]] = {}
    for row in rows:
        groups.setdefault((row.action, row.kind, row.reason), []).append(row)
    lines = []
    for (action, kind, reason), members in groups.items():
        where = f"`{members[0].path}`" + (f" and {len(members) - 1} more" if len(members) > 1 else "")
        cost = ""
        if priced:
            found = [report.forecasts[row.path] for row in members if row.path in report.forecasts]
            median = sum(item.median or 0 for item in found)
            p90 = sum(item.p90 or 0 for item in found)
            cost = (f" {money(median, report.currency)} / {money(p90, report.currency)} |" if found and all(
                item.median is not None for item in found) else " no history |" if found else " |")
        lines.append(f"| **{action.value}** | {plural(len(members), kind)} | {where} | {_cell(reason)} |{cost}")
    return header + lines


def _grouped_details(report: Review, display: Display) -> list[tuple[tuple[str, ...], list[Row]]]:
    """Rows with identical details, together, in the order of their first row."""
    groups: dict[tuple, tuple[tuple[str, ...], list[Row]]] = {}
    for row in report.rows:
        details = tuple(_details(row, report, display))
        if details:
            groups.setdefault((row.action, details), (details, []))[1].append(row)
    return list(groups.values())


def _block_counts(report: Review, display: Display) -> list[int]:
    return [len(members) for _, members in _grouped_details(report, display)]


def _detail_blocks(report: Review, display: Display) -> list[list[str]]:
    blocks = []
    for details, members in _grouped_details(report, display):
        action = members[0].action.value
        if len(members) == 1:
            title = f"<b>{action}</b> <code>{members[0].path}</code>"
            body = [f"- `{_cell(line)}`" for line in details]
        else:
            title = f"<b>{action}</b> {len(members)} resources with the same details"
            body = [f"- `{_cell(line)}`" for line in details]
            body += ["- resources: " + listing([f"`{row.path}`" for row in members], PATHS_LISTED)]
        blocks.append(["", f"<details><summary>{title}</summary>", "", *body, "", "</details>"])
    return blocks


def _cascade_blocks(report: Review) -> list[list[str]]:
    return [["", f"<details><summary><b>CASCADE</b> <code>{found.cohort}</code> (chain {found.chain})</summary>", "",
             *[f"- `{_cell(line)}`" for line in cascade_lines(found, report.currency)], "", "</details>"]
            for found in report.cascades]


def _grouped_only(report: Review, display: Display, limit: int) -> str:
    """When even the table does not fit: the verdict, the grouped table, and the note."""
    out = ["### healthomics-run plan", "", f"**{summary(report.rows)}**", ""]
    out += [f"- {_bold_verdict(line)}" for line in headline(report)] + [""]
    out += _table_lines(report, grouped=True)
    text = "\n".join(out) + "\n" + _cut_note(len(_detail_blocks(report, display)), len(report.rows), report)
    return (text if len(text.encode()) <= limit else text.encode()[: limit - 200].decode(errors="ignore")
            + "\n\n_Cut to fit one GitHub comment: `healthomics-run plan BASE HEAD --format json` shows all._") + "\n"


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
        return {"runs": item.runs, "upTo": bool(item.bound), "costBasis": list(item.basis),
                "failureShare": figures.failure_share if figures else None,
                "fixedPrice": bool(figures and figures.fixed_price),
                "median": item.median, "p90": item.p90, "currency": report.currency,
                "basis": figures.basis if figures else 0, "versionMatched": bool(figures and figures.version_matched),
                "medianPerRun": figures.median_cost if figures else None,
                "p90PerRun": figures.p90_cost if figures else None, "noForecast": item.why_none or None}

    def target(row: Row) -> dict[str, Any] | None:
        goal = row.target
        if goal is None:
            return None
        limits = goal.run_group_limits
        return {"workflow": _value(goal.workflow), "workflowKey": goal.workflow_key, "version": goal.version,
                "workflowMade": goal.workflow_made, "workflowDigest": goal.workflow_digest,
                "storageType": goal.storage_type,
                "storageCapacity": None if goal.storage_capacity is None else (
                    deploy_time(goal.storage_capacity) or goal.storage_capacity),
                "runGroup": _value(goal.run_group) if goal.run_group is not None else None,
                "runGroupLimits": None if limits is None else {
                    "maxRuns": limits.max_runs, "maxCpus": limits.max_cpus,
                    "maxDurationMinutes": limits.max_duration_minutes},
                "waitFor": goal.wait_for, "timeoutSeconds": goal.timeout_seconds}

    def chain(found: Cascade) -> dict[str, Any]:
        return {"stack": found.stack, "cohort": found.cohort, "chain": found.chain, "enabled": found.enabled,
                "runsAfterCohort": found.runs, "text": found.said, "bases": list(found.bases),
                "steps": [{"step": item.step, "runs": item.noun, "low": item.low, "high": item.high,
                           "partition": item.partition, "reason": item.reason or None,
                           "workflow": None if item.step == COHORT else _value(item.workflow),
                           "workflowKey": item.workflow_key,
                           "cost": None if item.forecast is None else {
                               "median": item.forecast.median, "p90": item.forecast.p90,
                               "currency": report.currency, "upTo": bool(item.forecast.bound),
                               "noForecast": item.forecast.why_none or None}}
                          for item in found.steps]}

    counts = Counter(row.action.value for row in rows)
    summed, budget = report.total, report.budget
    document = {
        "summary": {"text": summary(rows), "startsRuns": any(row.may_start for row in rows),
                    "runsToStart": runs_to_start(rows), "runsDecidedAtDeployTime": counts[Action.UNKNOWN.value],
                    "chainRunsAfterCohorts": sum(found.runs for found in report.cascades),
                    **{action.value: counts[action.value] for action in Action},
                    "forecast": None if summed is None else {
                        "median": summed.median, "p90": summed.p90, "currency": report.currency,
                        "runsPriced": summed.runs_priced, "runsWithoutForecast": summed.runs_unpriced,
                        "runsBounded": summed.runs_bounded},
                    "budget": None if budget is None else {
                        "maxCost": budget.limit, "over": budget.over, "runsUnchecked": budget.unchecked_runs,
                        "passes": budget.passes},
                    "warnings": list(report.warnings), "notes": list(report.notes)},
        "resources": [{
            "action": row.action.value, "kind": row.kind, "stack": row.stack, "logicalId": row.logical_id,
            "path": row.path, "reason": row.reason, "runsToStart": row.runs_to_start,
            "duplicateOf": row.duplicate_of, "orphans": list(row.orphans),
            "target": target(row),
            "cost": cost(row.path),
            "changes": [change(c) for c in row.changes], "notes": [change(c) for c in row.notes],
            "samples": samples(row.samples),
            "details": _details(row, report, display)} for row in rows],  # every line the table and markdown show
        "cascades": [chain(found) for found in report.cascades],
    }
    return json.dumps(document, indent=2, default=str) + "\n"


FORMATS = {"table": table, "markdown": markdown, "json": as_json}
