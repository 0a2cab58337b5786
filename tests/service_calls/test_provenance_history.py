"""The after-run writer's history record (``service_calls/provenance_history.py``) as a plan reads it back.

HealthOmics API reference, ListRunTasks: each TaskListItem has ``instanceType``, ``cpus``, ``gpus``, ``cacheHit``,
``startTime`` and ``stopTime``; GetRun has ``status``, ``workflowId``, ``storageType``, ``startTime``, ``stopTime``.
"""

from __future__ import annotations

import datetime as dt

from healthomics_run.commands.plan.cost import gpu_seconds
from healthomics_run.commands.plan.history import History
from healthomics_run.service_calls import provenance_history

STOP = dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)


def run(status: str) -> dict:
    return {"status": status, "workflowId": "1234567", "uuid": "u", "startTime": STOP - dt.timedelta(hours=2),
            "stopTime": STOP, "storageType": "DYNAMIC"}


def test_a_gpu_tasks_gpus_are_recorded_so_a_plan_counts_its_gpu_time():
    task = {"instanceType": "omics.g5.xlarge", "cpus": 4, "gpus": 1, "startTime": STOP - dt.timedelta(hours=1),
            "stopTime": STOP}
    (entry,) = History.from_json(provenance_history.document(run("COMPLETED"), [task], "germline", "us-east-1")
                                 .decode()).runs
    assert gpu_seconds(entry) == 3600

