"""The custom-resource handler: cold import time, and time and HealthOmics calls per lifecycle event.

    python -m bench.handler_events [IMPORT_RUNS EVENT_RUNS]     # the last line on stdout is BENCH {json}

Events go through ``handler.on_event`` / ``handler.is_complete`` against the in-process HealthOmics
fake (``tests/fake_omics.py``) inside moto's ``mock_aws``, set up by ``tests.world`` as the tests' fixtures are
(``time.sleep`` is left alone: a backoff would show in the times).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.service_calls import clients
from tests.fake_omics import FakeHealthOmics
from tests.world import (
    BATCH_TEMPLATE,
    attach_fake,
    batch_properties,
    event,
    moto_world,
    run_properties,
    sheet_properties,
    stage_sheet,
)

from .samples import sample

ROOT = Path(__file__).resolve().parent.parent
IMPORT_RUNS = 7
EVENT_RUNS = 15
SHEET_SAMPLES = 150  # just over the inline limit: the handler passes the sheet's S3 URI, whatever its size
IMPORT_SNIPPET = "import time; t = time.perf_counter(); import start_run.handler; print(time.perf_counter() - t)"


# -- cold import -------------------------------------------------------------------------------
def _import_ms(pythonpath: Path, env: dict[str, str], runs: int) -> list[float]:
    env = {**{k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")},
           "PYTHONPATH": str(pythonpath), **env}
    return [1000 * float(subprocess.run([sys.executable, "-c", IMPORT_SNIPPET], env=env, cwd=ROOT, check=True,
                                        capture_output=True, text=True).stdout) for _ in range(runs)]


def cold_import(runs: int = IMPORT_RUNS) -> dict[str, list[float]]:
    """Milliseconds to import ``start_run.handler`` in a fresh interpreter, ``runs`` times each way.

    ``shipped``: the ``lambda`` folder as the Lambda asset ships it, without ``__pycache__``, nothing
    written: every import compiles the handler, as a Lambda cold start does (boto3 and the standard
    library keep their bytecode). ``cached``: PYTHONPATH=lambda with bytecode caches, kept in a
    scratch folder so the repository is not written (an untimed first run fills them).
    """
    with tempfile.TemporaryDirectory() as scratch:
        shipped = Path(scratch) / "lambda"
        shutil.copytree(ROOT / "lambda" / "start_run", shipped / "start_run",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        cache = {"PYTHONPYCACHEPREFIX": str(Path(scratch) / "pyc")}
        _import_ms(ROOT / "lambda", cache, 1)
        return {"shipped": _import_ms(shipped, {"PYTHONDONTWRITEBYTECODE": "1"}, runs),
                "cached": _import_ms(ROOT / "lambda", cache, runs)}


# -- lifecycle events --------------------------------------------------------------------------
class Recorder:
    """Seconds and HealthOmics calls (every HTTP attempt, from ``fake.calls``) per event name."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}
        self.calls: dict[str, list[Counter]] = {}
        self.fake: FakeHealthOmics | None = None

    def __call__(self, name: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        assert self.fake is not None, "attached before the first event"
        before = len(self.fake.calls)
        with contextlib.redirect_stdout(io.StringIO()):  # the handler's JSON log lines
            started = time.perf_counter()
            result = call()
            elapsed = time.perf_counter() - started
        self.seconds.setdefault(name, []).append(elapsed)
        self.calls.setdefault(name, []).append(Counter(operation for operation, _ in self.fake.calls[before:]))
        return result

    def summary(self) -> list[dict[str, Any]]:
        rows = []
        for name, seconds in self.seconds.items():
            calls = self.calls[name]
            operations = ", ".join(f"{op} {n}" for op, n in sorted(calls[0].items())) or "none"
            rows.append({"event": name, "median_ms": 1000 * statistics.median(seconds), "first_ms": 1000 * seconds[0],
                         "runs": len(seconds), "calls": sum(calls[0].values()),
                         "operations": operations if all(c == calls[0] for c in calls) else operations + " (varies)"})
        return rows


def run_lifecycle(record: Recorder, props: dict[str, Any], i: int) -> None:
    """One run through Create, a retry, both kinds of Update, is_complete and both delete policies."""
    mine = {**props, "Name": f"bench/Run{i:06d}", "Parameters": {**props["Parameters"], "sample_name": sample(i)}}
    created = record("Create", lambda: handler.on_event(event("Create", mine)))
    first = created["PhysicalResourceId"]
    record("Create, retried", lambda: handler.on_event(event("Create", mine)))
    quiet = {**mine, "WaitFor": "RUNNING", "TimeoutSeconds": "600"}
    record("Update, no run setting changed",
           lambda: handler.on_event(event("Update", quiet, physical_id=first, old_props=mine)))
    changed = {**mine, "Parameters": {**mine["Parameters"], "threads": "16"}, "DeletePolicy": "CANCEL"}
    updated = record("Update, a run setting changed",
                     lambda: handler.on_event(event("Update", changed, physical_id=first, old_props=mine)))
    record("is_complete (wait_for STARTED)",
           lambda: handler.is_complete({**event("Create", mine, physical_id=first), **created}))
    record("Delete, RETAIN", lambda: handler.on_event(event("Delete", mine, physical_id=first)))
    second = updated["PhysicalResourceId"]
    deleting = record("Delete, CANCEL", lambda: handler.on_event(event("Delete", changed, physical_id=second)))
    record("is_complete after Delete, CANCEL",
           lambda: handler.is_complete({**event("Delete", changed, physical_id=second), **deleting}))


def batch_lifecycle(record: Recorder, batch_props: dict[str, Any], sheet: tuple[list, str], i: int) -> None:
    """A new cohort each time (its own logical id, so its own ledger)."""
    def create(props: dict[str, Any], name: str) -> dict[str, Any]:
        return handler.on_event(event("Create", props, logical_id=f"{name}{i:06d}",
                                      resource_type="Custom::HealthOmicsRunBatch"))
    record("Batch Create, inline samples", lambda: create(batch_props, "Inline"))
    staged = sheet_properties(batch_props, *sheet)
    record(f"Batch Create, S3 sample sheet ({SHEET_SAMPLES} samples)", lambda: create(staged, "Staged"))


def lifecycle_events(runs: int = EVENT_RUNS) -> list[dict[str, Any]]:
    """The test world (``tests.world``) without the tests' time.sleep patch: a backoff would show."""
    record = Recorder()
    with pytest.MonkeyPatch.context() as patch, moto_world(patch) as aws:
        props = run_properties(aws)
        batch_props = batch_properties(props)
        settings = [{"runSettingId": f"S{i + 1:06d}", "parameters": {"sample_name": sample(i)}}
                    for i in range(SHEET_SAMPLES)]
        sheet = (settings, stage_sheet(settings, "bench/sample-sheet.json"))
        run_fake, batch_fake = attach_fake(patch), attach_fake(patch, BATCH_TEMPLATE)
        for i in range(runs):
            patch.setattr(clients, "omics", lambda: run_fake.client)
            record.fake = run_fake
            run_lifecycle(record, props, i)
            patch.setattr(clients, "omics", lambda: batch_fake.client)
            record.fake = batch_fake
            batch_lifecycle(record, batch_props, sheet, i)
    return record.summary()


def main() -> None:
    imports, events = (int(arg) for arg in sys.argv[1:3]) if len(sys.argv) == 3 else (IMPORT_RUNS, EVENT_RUNS)
    print("BENCH " + json.dumps({"cold_import_ms": cold_import(imports), "events": lifecycle_events(events)}))


if __name__ == "__main__":
    main()
