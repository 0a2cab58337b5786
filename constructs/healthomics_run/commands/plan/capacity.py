"""Whether the run group and the account can take what a START starts, before the deploy finds out.

- A run group (HealthOmics guide, "Using HealthOmics run groups") queues runs beyond ``max_runs`` and
  tasks beyond ``max_cpus`` or ``max_gpus``, and fails a run that exceeds ``max_duration`` (minutes).
- A batch's runs are "submitted gradually and asynchronously at a rate governed by your StartRun
  throughput quota" (HealthOmics API reference, StartRunBatch): N runs take at least N / rate seconds
  to submit. The rate is what the user states (``--start-run-rate``); the plan does not guess it.
- ``wait_for=COMPLETED`` fails the deploy when its ``timeout`` passes first.

Expected durations come from the earlier runs the forecast rests on (median; p90 for ``max_duration``).
"""

from __future__ import annotations

from healthomics_run.run_model.capacity import waves as run_waves

from .cost import PerRun
from .decide import Row


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def warnings(row: Row, figures: PerRun | None, start_run_rate: float | None, *,
             shared_group: bool = False) -> list[str]:
    """Each limit the row's runs run into, and what to change. ``shared_group``: other resources start runs in the
    same run group, whose queueing ``queueing.group_warnings`` checks for all of them together."""
    runs, goal = row.runs_to_start or 0, row.target
    if not runs or goal is None:
        return []
    found = []
    limits = goal.run_group_limits
    waits = goal.wait_for == "COMPLETED"
    if figures is not None and limits is not None and limits.max_duration_minutes:
        if figures.p90_seconds > limits.max_duration_minutes * 60:
            found.append(f"{row.path}: 1 in 10 earlier runs took {duration(figures.p90_seconds)} or more, past the "
                         f"run group's max_duration ({duration(limits.max_duration_minutes * 60)}): such runs fail; "
                         "raise max_duration")
    submitting = 0.0
    if row.kind == "batch" and start_run_rate:
        submitting = runs / start_run_rate
        if waits and submitting > goal.timeout_seconds:
            found.append(f"{row.path}: submitting {runs:,} runs at {start_run_rate:g} StartRun/s takes "
                         f"{duration(submitting)}, past the timeout ({duration(goal.timeout_seconds)}) of "
                         "wait_for COMPLETED: ask for a higher StartRun quota, raise timeout, or split the cohort")
            return found
    if not waits or figures is None:
        return found
    bounds = {"one run's median duration": figures.median_seconds}
    if limits is not None and limits.max_runs and not shared_group:
        bounds[f"max_runs {limits.max_runs}"] = run_waves(runs, limits.max_runs) * figures.median_seconds
    if limits is not None and limits.max_cpus and figures.median_vcpu_seconds and not shared_group:
        bounds[f"max_cpus {limits.max_cpus}"] = runs * figures.median_vcpu_seconds / limits.max_cpus
    if limits is not None and limits.max_gpus and figures.median_gpu_seconds:
        bounds[f"max_gpus {limits.max_gpus}"] = runs * figures.median_gpu_seconds / limits.max_gpus
    limit, busy = max(bounds.items(), key=lambda item: item[1])
    finish = submitting + busy
    if finish > goal.timeout_seconds:
        found.append(f"{row.path}: {runs:,} runs need about {duration(finish)} to complete ({limit}"
                     + (f", after {duration(submitting)} of submission" if submitting else "")
                     + f"), past the timeout ({duration(goal.timeout_seconds)}) of wait_for COMPLETED: "
                     + ("raise the run group's limit or timeout" if limit.startswith("max_") else "raise timeout")
                     + ", or wait for less")
    return found


def unchecked(rows: list[Row], start_run_rate: float | None) -> list[str]:
    """What the plan could not check, said once."""
    batches = [row for row in rows if row.kind == "batch" and (row.runs_to_start or 0) > 0
               and row.target is not None and row.target.wait_for == "COMPLETED"]
    if batches and not start_run_rate:
        return ["batch submission time not checked against timeout: give --start-run-rate (your StartRun quota, "
                "per second)"]
    return []
