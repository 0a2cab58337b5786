"""Results out: CSV files, markdown tables and the scaling plot."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import limits

LABELS = {
    "runs": "WorkflowRun, one stack",
    "nested": "WorkflowRun, nested stacks of 250",
    "workflows": "WorkflowRun, a workflow each, one stack",
    "workflows_nested": "WorkflowRun, a workflow each, nested stacks of 250",
    "batch": "HealthOmicsRunBatch, CSV sheet",
    "baseline": "AwsCustomResource per run (plain CDK)",
}
STYLES = {"runs": "o-", "nested": "D", "workflows": "P", "workflows_nested": "X", "batch": "s-", "baseline": "^--"}


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    fields = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def markdown(headers: list[str], rows: Iterable[Iterable[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def scaling_table(rows: list[dict[str, Any]]) -> str:
    headers = ["case", "count", "templates", "resources (largest template)", "largest template (bytes)",
               "largest role's inline policies (chars)", "managed policies (most on a role)",
               "synth, whole process (s)", "synth, in process (s)", "limits"]
    body = []
    for row in rows:
        if row["status"] != "ok":
            body.append([LABELS[row["series"]], _n(row["count"]), "", "", "", "", "", "", "", row["status"]])
            continue
        verdict = "pass" if row["within_limits"] else "FAIL: " + row["violations"]
        body.append([LABELS[row["series"]], _n(row["count"]), row["templates"], _n(row["resources_max"]),
                     _n(row["template_bytes_max"]), _n(row["iam_role_chars_max"]), row["managed_policies_max"],
                     f"{row['wall_s_median']:.1f}",
                     f"{row['in_process_s_median']:.1f}", verdict])
    return markdown(headers, body)


def handler_table(rows: list[dict[str, Any]]) -> str:
    return markdown(["measure", "median (ms)", "first (ms)", "HealthOmics calls", "operations"],
                    [[r["measure"], f"{r['median_ms']:.1f}", f"{r['first_ms']:.1f}", r["calls"], r["operations"]]
                     for r in rows])


def _cell(value: Any, form: str) -> str:
    return format(value, form) if isinstance(value, (int, float)) else str(value)


def cohort_table(rows: list[dict[str, Any]]) -> str:
    return markdown(["measure", "seconds", "memory (MB)", "which memory", "runs to start", "world / calls", "kind"],
                    [[r["measure"], _cell(r["seconds"], ".2f"), _cell(r["memory_mb"], ".0f"), r["memory"],
                      _cell(r["runs"], ","), r["calls"], r["kind"]] for r in rows])


def provenance_table(rows: list[dict[str, Any]]) -> str:
    return markdown(["measure", "value", "calls", "kind"],
                    [[r["measure"], f"{r['value']:,} {r['unit']}", r["calls"], r["kind"]] for r in rows])


def targets_table(rows: list[dict[str, Any]]) -> str:
    return markdown(["target", "measured", "threshold", "result", "kind"],
                    [[r["target"], r["measured"], r["threshold"], r["result"], r["kind"]] for r in rows])


def plot(rows: list[dict[str, Any]], path: Path, meta: dict[str, Any], required: bool = True) -> bool:
    """Draws the plot; without matplotlib (not in requirements-dev.txt) returns False unless ``required``."""
    try:
        import matplotlib
    except ImportError:
        if required:
            raise
        return False

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("template_bytes_max", "largest template (bytes)", "log",
         [(limits.TEMPLATE_BYTES, "1,000,000: template via S3"),
          (limits.TEMPLATE_BYTES_DIRECT, "51,200: direct upload")]),
        ("wall_s_median", "synth, whole process (s, median)", "linear", []),
        ("iam_role_chars_max", "largest role's inline policies (chars)", "log",
         [(limits.ROLE_INLINE_CHARS, "10,240: IAM role inline policies")]),
    ]
    figure, axes = plt.subplots(1, len(panels), figsize=(17, 5))
    measured = [row for row in rows if row["status"] == "ok"]
    for axis, (key, title, yscale, lines) in zip(axes, panels, strict=True):
        for kind, label in LABELS.items():
            series = sorted((row["count"], row[key]) for row in measured if row["series"] == kind)
            if series:
                axis.plot(*zip(*series, strict=True), STYLES[kind], label=label)
        for value, text in lines:
            axis.axhline(value, color="red", linestyle=":", linewidth=1)
            axis.annotate(text, (0.02, value), xycoords=("axes fraction", "data"), color="red", fontsize=8,
                          va="bottom")
        axis.set(xscale="log", yscale=yscale, xlabel="runs or samples", title=title)
        axis.grid(True, which="major", alpha=0.3)
    axes[1].legend(fontsize=8, loc="upper left")
    figure.suptitle("healthomics-run: synthesis and limits vs number of runs (batch: samples); measured at "
                    f"{meta['commit']}, {meta['cpus']} CPUs")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
