"""Synthetic sample names and sample sheets (example values only)."""

from __future__ import annotations

import csv
from pathlib import Path


def sample(i: int) -> str:
    return f"SAMPLE-{i + 1:06d}"


INPUT_BUCKET = "example-input-bucket"


def reads(i: int) -> str:
    return f"s3://{INPUT_BUCKET}/{sample(i)}.fastq.gz"


def write_sheet(path: Path, count: int) -> Path:
    """A CSV sample sheet as WorkflowRunBatch reads it: one row per sample."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["run_setting_id", "name", "parameters.sample_name", "parameters.reads"])
        writer.writerows([f"S{i + 1:06d}", sample(i), sample(i), reads(i)] for i in range(count))
    return path
