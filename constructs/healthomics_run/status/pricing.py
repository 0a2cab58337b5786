"""Cost so far: the seam where the plan's pricing of run history plugs in.

``healthomics-run status`` shows each run's cost so far "priced as the plan prices". The plan's pricing (its own
room, ``plan/``) is built separately; until the two are joined, status prices nothing and says so, rather than
guess. A pricer answers for one run as GetRun describes it and its tasks as ListRunTasks lists them.
"""

from __future__ import annotations

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
