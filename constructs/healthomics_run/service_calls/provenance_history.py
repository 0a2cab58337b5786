"""A compact history record of each ended run, written by the after-run writer beside its provenance record.

``<record location or output>/.healthomics-run/history/<yyyy-mm-dd>/<run uuid>.json``: one small object per run,
partitioned by the day it stopped, in a folder the user owns. Each is a history document as
``healthomics-run plan --history`` reads one (``commands/plan/history.py``, format ``healthomics-run-history/1``):
the run is its one ``runs`` entry, as ``export-history`` writes one (status, workflow, version, storage, running
time, each task's instance type, vCPUs, GPUs, running time and cache hit). A plan forecasts from the COMPLETED
ones and counts the FAILED and CANCELLED ones in the workflow's failure share. ``run`` says when it stopped (the
plan reads the newest first) and its ids. ``prices`` is empty: the writer does not ask the AWS Price List; a plan
takes prices from ``--prices FILE``. No parameter value, run or task name.
Kept apart from ``history.py`` so the function imports nothing of the commands.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Optional

FORMAT = "healthomics-run-history/1"  # commands/plan/history.py FORMAT
CONTENT_TYPE = "application/json"


def _seconds(item: dict[str, Any]) -> float:
    start, stop = item.get("startTime"), item.get("stopTime")
    if not isinstance(start, datetime) or not isinstance(stop, datetime):
        return 0.0
    return max(0.0, (stop - start).total_seconds())


def day(run: dict[str, Any]) -> str:
    """The partition of the run: the UTC day it stopped (or was created, when it never started)."""
    moment = run.get("stopTime") or run.get("creationTime")
    return moment.strftime("%Y-%m-%d") if isinstance(moment, datetime) else "unknown"


def entry(run: dict[str, Any], tasks: Iterable[dict[str, Any]], workflow_name: Optional[str]) -> dict[str, Any]:
    """The run as a history's ``runs`` entry (``history.Run``'s fields, exactly)."""
    return {"workflow_id": str(run.get("workflowId")), "seconds": _seconds(run), "status": run.get("status"),
            "storage_type": run.get("storageType") or "STATIC", "storage_capacity": run.get("storageCapacity"),
            "workflow_name": workflow_name, "workflow_version": run.get("workflowVersionName"),
            "tasks": [{"instance_type": task.get("instanceType"), "seconds": _seconds(task),
                       "cpus": int(task.get("cpus") or 0), "cache_hit": bool(task.get("cacheHit")),
                       "gpus": int(task.get("gpus") or 0)}
                      for task in tasks]}


def document(run: dict[str, Any], tasks: list[dict[str, Any]], workflow_name: Optional[str], region: str) -> bytes:
    described = entry(run, tasks, workflow_name)
    body = {"format": FORMAT, "region": region, "currency": "USD", "prices": {},
            "runs": [described], "run_groups": {},
            "run": {"uuid": run.get("uuid"), "id": run.get("id"), "status": run.get("status"),
                    "stopTime": run["stopTime"].isoformat() if isinstance(run.get("stopTime"), datetime) else None,
                    "batchId": run.get("batchId"), "seconds": described["seconds"],
                    "storage_type": described["storage_type"], "storage_capacity": described["storage_capacity"]}}
    return (json.dumps(body, separators=(",", ":"), sort_keys=True) + "\n").encode()
