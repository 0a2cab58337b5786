"""Cost so far, priced as the plan prices (``plan.cost.run_cost``: per task at least a minute, storage while
the run runs) with the prices of a history file (``healthomics-run export-history``, ``--history``). Without
prices, status prices nothing and says so, rather than guess. A pricer answers for one run as GetRun describes
it and its tasks as ListRunTasks lists them; a run still going is priced until now.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional, Protocol

NOT_PRICED = "not priced"


class RunPricer(Protocol):
    def run_cost(self, run: dict[str, Any], tasks: list[dict[str, Any]]) -> Optional[float]:
        """The run's cost so far in USD, or None when it cannot be priced."""


class NoPricing:
    """No pricer installed: every cost is "not priced"."""

    def run_cost(self, run: dict[str, Any], tasks: list[dict[str, Any]]) -> Optional[float]:
        return None


def shown(cost: Optional[float]) -> str:
    return NOT_PRICED if cost is None else f"${cost:,.2f}"


class HistoryPricing:
    """The prices of a history file (resourceType -> USD per hour; storage per GB-hour)."""

    def __init__(self, prices: dict[str, float]) -> None:
        self.prices = prices

    def run_cost(self, run: dict[str, Any], tasks: list[dict[str, Any]]) -> Optional[float]:
        from healthomics_run.commands.plan import cost, history

        record = history.run_record(run, tasks, now=datetime.now(timezone.utc))
        return None if record is None else cost.run_cost(record, self.prices)
