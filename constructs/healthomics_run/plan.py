"""Kept so that ``python -m healthomics_run.plan BASE HEAD``, as 0.2.0 documented it, still runs the plan.

The plan lives in ``healthomics_run.commands.plan``; ``healthomics-run plan`` is the documented way.
"""

from __future__ import annotations

from healthomics_run.commands.plan import Action, Row, main, plan

__all__ = ["Action", "Row", "main", "plan"]

if __name__ == "__main__":
    raise SystemExit(main())
