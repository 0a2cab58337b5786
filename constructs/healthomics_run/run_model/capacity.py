"""How long a cohort needs at least, given how many of its runs may run at once: the arithmetic the synth warnings
and ``healthomics-run plan`` share.

A run group with ``max_runs`` queues runs beyond it (HealthOmics guide, "Using HealthOmics run groups",
https://docs.aws.amazon.com/omics/latest/dev/creating-run-groups.html), so N runs take at least
``ceil(N / max_runs)`` run durations, one wave after another.
"""

from __future__ import annotations

import math
from typing import Optional


def waves(runs: int, max_runs: Optional[int]) -> int:
    """How many runs, one after another, the slowest slot of the run group runs (1 without a cap)."""
    return math.ceil(runs / max_runs) if max_runs else 1


def seconds_per_run(timeout_seconds: float, runs: int, max_runs: Optional[int]) -> float:
    """How long each run may take for ``runs`` runs to end within ``timeout_seconds``."""
    return timeout_seconds / waves(runs, max_runs)


def max_runs_for(timeout_seconds: float, runs: int, run_seconds: float) -> int:
    """The smallest ``max_runs`` under which ``runs`` runs of ``run_seconds`` each end within ``timeout_seconds``."""
    fitting = max(1, math.floor(timeout_seconds / run_seconds))
    return math.ceil(runs / fitting)
