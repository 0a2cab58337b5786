"""The plan as a terminal table, as Markdown for a pull-request comment, or as JSON."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .decide import MISSING, Action, Change, Row, SampleChanges, plural

HIDDEN = "(hidden; --show-values)"
_VERBS = {Action.START: "starting", Action.UNKNOWN: "decided at deploy time", Action.KEEP: "kept",
          Action.CANCEL: "cancelled", Action.RETAIN: "left running"}


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
    resources = ", ".join(f"{counts[action]} {_VERBS[action]}" for action in Action if counts[action])
    return f"{runs}; resources: {resources}"


def _value(value: Any) -> str:
    if value is MISSING:
        return "(not set)"
    if isinstance(value, dict) and len(value) == 1:
        (key, item), = value.items()
        if key == "Ref":
            return f"${{{item}}}"
        if key == "Fn::GetAtt":
            return "${" + ".".join(item if isinstance(item, list) else [str(item)]) + "}"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def describe(change: Change, show_values: bool) -> str:
    def shown(value: Any) -> str:
        return HIDDEN if change.sensitive and not show_values and value is not MISSING else _value(value)
    return f"{change.setting}: {shown(change.old)} → {shown(change.new)}"


def _samples(found: SampleChanges) -> str:
    if found.added is None:
        return f"{plural(found.count, 'sample')} (which changed is not known without the cloud assembly)"
    return f"{plural(found.count, 'sample')}: {found.added} added, {found.removed} removed, {found.changed} changed"


def _runs(row: Row, show_values: bool) -> str:
    """How many of a batch's samples will run and, only with --show-values, which (ids may identify patients)."""
    count, ids = row.runs_to_start, row.samples.run_ids
    if count is None:
        return "how many runs start is not known from these templates"
    said = f"{plural(count, 'run')} will start"
    if not count:
        return said
    if not show_values:
        return f"{said} (sample ids hidden; --show-values)"
    return f"{said}: {', '.join(ids)}" if ids is not None else f"{said} (sample ids are in the staged sheet only)"


def _details(row: Row, show_values: bool) -> list[str]:
    lines = [describe(change, show_values) for change in row.changes]
    lines += [f"{describe(change, show_values)} (starts nothing)" for change in row.notes]
    if row.samples is not None:
        lines += [_samples(row.samples), _runs(row, show_values)]
    return lines


def table(rows: list[Row], show_values: bool = False) -> str:
    header = ("ACTION", "KIND", "RESOURCE", "WHY")
    cells = [(row.action.value, row.kind, row.path, row.reason) for row in rows]
    widths = [max(len(str(line[i])) for line in [header, *cells]) for i in range(3)]
    out = [f"healthomics-run plan: {summary(rows)}", ""]
    for line in [header, *cells]:
        out.append("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)) + "  " + line[3])
    for row in rows:
        details = _details(row, show_values)
        if details:
            out += ["", f"{row.action.value} {row.path}"] + [f"  {line}" for line in details]
    return "\n".join(out) + "\n"


def markdown(rows: list[Row], show_values: bool = False) -> str:
    out = ["### healthomics-run plan", "", f"**{summary(rows)}**", ""]
    if rows:
        out += ["| Action | Kind | Resource | Why |", "|---|---|---|---|"]
        out += [f"| **{row.action.value}** | {row.kind} | `{row.path}` | {_cell(row.reason)} |" for row in rows]
    for row in rows:
        details = _details(row, show_values)
        if details:
            out += ["", f"<details><summary><b>{row.action.value}</b> <code>{row.path}</code></summary>", ""]
            out += [f"- `{_cell(line)}`" for line in details] + ["", "</details>"]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_json(rows: list[Row], show_values: bool = False) -> str:
    def change(item: Change) -> dict[str, Any]:
        hidden = item.sensitive and not show_values
        return {"setting": item.setting, "old": None if hidden or item.old is MISSING else item.old,
                "new": None if hidden or item.new is MISSING else item.new, "hidden": hidden}

    def samples(found: SampleChanges | None) -> dict[str, Any] | None:
        if found is None:
            return None
        ids = list(found.run_ids) if show_values and found.run_ids is not None else None
        return {"count": found.count, "added": found.added, "removed": found.removed, "changed": found.changed,
                "idsToRun": ids, "idsHidden": not show_values}

    counts = Counter(row.action.value for row in rows)
    document = {
        "summary": {"text": summary(rows), "startsRuns": any(row.may_start for row in rows),
                    "runsToStart": runs_to_start(rows), "runsDecidedAtDeployTime": counts[Action.UNKNOWN.value],
                    **{action.value: counts[action.value] for action in Action}},
        "resources": [{
            "action": row.action.value, "kind": row.kind, "stack": row.stack, "logicalId": row.logical_id,
            "path": row.path, "reason": row.reason, "runsToStart": row.runs_to_start,
            "changes": [change(c) for c in row.changes], "notes": [change(c) for c in row.notes],
            "samples": samples(row.samples)} for row in rows],
    }
    return json.dumps(document, indent=2, default=str) + "\n"


FORMATS = {"table": table, "markdown": markdown, "json": as_json}
