"""The status as a terminal table, as Markdown (an issue or pull-request comment), or as JSON; and the one-line
progress ``--wait`` prints at each look, which a terminal and a CI log both read line by line."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from healthomics_run.commands.plan.decide import plural
from healthomics_run.run_model.reasons import listing
from healthomics_run.service_calls.diagnosis import BatchDiagnosis, RunDiagnosis

from .survey import Row, State


def summary(rows: list[Row]) -> str:
    """"2 runs, 1 batch: 1 active, 1 done, 1 failed, 2 drift": resources by kind, then rows by state."""
    if not rows:
        return "No HealthOmics runs or batches in this stack."
    kinds = Counter(kind for _, kind in {(row.path, row.kind) for row in rows})
    states = Counter(row.state for row in rows)
    what = ", ".join(plural(count, kind) for kind, count in sorted(kinds.items(), key=lambda item: item[0] != "run"))
    going_failed = sum(1 for row in rows if _failing(row) and row.state is not State.FAILED)
    return f"{what}: " + ", ".join(f"{states[state]} {state.value.lower()}" for state in State if states[state]) + \
        (f" ({going_failed} still going with failed runs)" if going_failed else "")


def _failing(row: Row) -> bool:
    """A row an on-call engineer must read: failed, drifted, or still going with runs failed already."""
    return row.state in (State.FAILED, State.DRIFT) or row.diagnosis is not None


def _heading(row: Row) -> str:
    return "FAILED RUNS (still going)" if row.state is State.ACTIVE and row.diagnosis is not None else row.state.value


def progress_line(rows: list[Row], now: str) -> str:
    """One line per look: the time, the counts, then the first few rows still going with their progress."""
    going = listing([f"{row.path} {row.id} {row.status}" + (f" ({row.progress})" if row.progress else "")
                     for row in rows if row.state is State.ACTIVE], separator="; ")
    return f"[{now}] {summary(rows)}" + (f" | {going}" if going else "")


PRIVATE_NOTE = ("status messages and task names are left out of a comment (they may name samples and inputs): "
                "`healthomics-run status` in a terminal, or `--format json`, shows them")


def _details(row: Row, private: bool = False) -> list[str]:
    """``private``: for a comment others read (markdown), the diagnosis as the deploy's reason says it (ids only),
    and no output URI; else (a terminal, JSON) all of it, for whoever the account lets read it."""
    lines = [f"{label}: {value}" for label, value in (("created", row.created), ("started", row.started),
                                                      ("stopped", row.stopped), ("output", row.output))
             if value and not (private and label == "output")]
    if isinstance(row.diagnosis, (RunDiagnosis, BatchDiagnosis)):
        if private:
            lines += [f"diagnosis: {row.diagnosis.text(1_000_000)}", PRIVATE_NOTE]
        else:
            lines += [f"diagnosis: {line.strip()}" if index == 0 else f"  {line.strip()}"
                      for index, line in enumerate(row.diagnosis.explanation().splitlines())]
    if row.drift:
        lines.append(f"drift: {row.drift}")
    if row.action:
        lines.append(f"to do: {row.action}")
    return lines


def table(rows: list[Row]) -> str:
    header = ("STATE", "KIND", "RESOURCE", "ID", "STATUS", "COST", "PROGRESS")
    cells = [(row.state.value, row.kind, row.path, row.id or "-", row.status, row.cost or "-", row.progress or "-")
             for row in rows]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header) - 1)]
    out = [f"healthomics-run status: {summary(rows)}", ""]
    for line in [header, *cells]:
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[-1])
    for row in rows:
        if _failing(row):
            out += ["", f"{_heading(row)} {row.path} {row.id}".rstrip()] + [f"  {line}" for line in _details(row)]
    return "\n".join(out) + "\n"


def markdown(rows: list[Row]) -> str:
    out = ["### healthomics-run status", "", f"**{summary(rows)}**", ""]
    if rows:
        out += ["| State | Kind | Resource | Id | Status | Cost | Progress |", "|---|---|---|---|---|---|---|"]
        out += [f"| **{row.state.value}** | {row.kind} | `{row.path}` | {row.id or '-'} | {row.status} | "
                f"{row.cost or '-'} | {_cell(row.progress or '-')} |" for row in rows]
    for row in rows:
        if _failing(row):
            out += ["", f"<details><summary><b>{_heading(row)}</b> <code>{row.path}</code> {row.id}</summary>", ""]
            out += [f"- {_cell(line)}" for line in _details(row, private=True)] + ["", "</details>"]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_json(rows: list[Row]) -> str:
    states = Counter(row.state.value for row in rows)
    document = {
        "summary": {"text": summary(rows), **{state.value: states[state.value] for state in State},
                    "failedRuns": sum(1 for row in rows if row.diagnosis is not None)},
        "resources": [{
            "stack": row.stack, "path": row.path, "kind": row.kind, "id": row.id or None, "status": row.status,
            "state": row.state.value, "created": row.created or None, "started": row.started or None,
            "stopped": row.stopped or None, "progress": row.progress or None, "output": row.output or None,
            "cost": row.cost or None, "diagnosis": _diagnosis(row), "drift": row.drift or None,
            "action": row.action or None, "failed": _failing(row) and row.state is not State.DRIFT}
            for row in rows],
    }
    return json.dumps(document, indent=2) + "\n"


def _diagnosis(row: Row) -> dict[str, Any] | None:
    return row.diagnosis.as_dict() if row.diagnosis is not None else None


FORMATS = {"table": table, "markdown": markdown, "json": as_json}
