"""The plan as a terminal table, as Markdown for a pull-request comment, or as JSON."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .decide import MISSING, Action, Change, Row

HIDDEN = "(hidden; --show-values)"
_VERBS = {Action.START: "will start", Action.UNKNOWN: "decided at deploy time", Action.KEEP: "kept",
          Action.CANCEL: "cancelled", Action.RETAIN: "left running"}


def summary(rows: list[Row]) -> str:
    counts = Counter(row.action for row in rows)
    if not rows:
        return "No HealthOmics runs or batches in these templates."
    return ", ".join(f"{counts[action]} {_VERBS[action]}" for action in Action if counts[action])


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


def _samples(row: Row) -> str:
    if row.samples is None:
        return ""
    found = row.samples
    if found.added is None:
        return f"{found.count} samples (which changed is not known without the cloud assembly)"
    return f"{found.count} samples: {found.added} added, {found.removed} removed, {found.changed} changed"


def _details(row: Row, show_values: bool) -> list[str]:
    lines = [describe(change, show_values) for change in row.changes]
    lines += [f"{describe(change, show_values)} (starts nothing)" for change in row.notes]
    if row.samples is not None:
        lines.append(_samples(row))
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

    counts = Counter(row.action.value for row in rows)
    document = {
        "summary": {"text": summary(rows), "startsRuns": any(row.may_start for row in rows),
                    **{action.value: counts[action.value] for action in Action}},
        "resources": [{
            "action": row.action.value, "kind": row.kind, "stack": row.stack, "logicalId": row.logical_id,
            "path": row.path, "reason": row.reason, "changes": [change(c) for c in row.changes],
            "notes": [change(c) for c in row.notes],
            "samples": None if row.samples is None else vars(row.samples)} for row in rows],
    }
    return json.dumps(document, indent=2, default=str) + "\n"


FORMATS = {"table": table, "markdown": markdown, "json": as_json}
