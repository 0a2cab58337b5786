"""A cohort that grows: the handler's Update of a cohort grown to 100,000 samples, 1,000 of them
new, and the plan of the same change.

    python -m bench.cohort_delta [BASE ADDED]     # the last line on stdout is BENCH {json}

The handler runs against the tests' HealthOmics fake inside moto (``tests.world``); its Update is timed.
Its memory, as Lambda limits it (resident, at the ledger's cap), is ``bench.handler_memory``'s.
The plan compares two cloud assemblies synthesized here (99,000 and 100,000 staged samples); its memory is
the Python heap's peak (``tracemalloc``): the plan runs on a person's machine, not in Lambda.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from healthomics_run import HealthOmicsRunBatch
from healthomics_run.commands.plan import plan
from healthomics_run.commands.plan.assembly import load
from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model.ledger_location import ledger_uri
from healthomics_run.service_calls import clients, s3_objects
from tests.world import (
    attach_fake,
    batch_event,
    batch_properties,
    moto_world,
    run_properties,
    sheet_properties,
    stage_sheet,
)

from .samples import sample, write_sheet

BASE, ADDED = 99_000, 1_000  # a cohort grown to 100,000 samples (the most a sheet holds), 1,000 of them new


def _samples(count: int) -> list[dict[str, Any]]:
    return [{"runSettingId": f"S{i + 1:06d}", "parameters": {"sample_name": sample(i)}} for i in range(count)]


def _grown_cohort(measure: Callable[[Callable[[], Any]], Any]) -> dict[str, Any]:
    """Create a cohort of BASE samples, then ``measure`` the Update that adds ADDED more."""
    with pytest.MonkeyPatch.context() as patch, moto_world(patch) as aws, \
            contextlib.redirect_stdout(io.StringIO()):
        fake = attach_fake(patch, {"sample_name": {}, "reference": {}})
        s3_calls: Counter = Counter()
        clients.s3().meta.events.register("before-call.s3", lambda model, **_: s3_calls.update([model.name]))
        shared = {k: v for k, v in batch_properties(run_properties(aws)).items() if k not in ("Samples", "SampleTypes")}
        base = sheet_properties(shared, _samples(BASE), stage_sheet(_samples(BASE), "bench/base.json"))
        grown = sheet_properties(shared, _samples(BASE + ADDED),
                                 stage_sheet(_samples(BASE + ADDED), "bench/grown.json"))
        created = handler.on_event(batch_event("Create", base))
        calls, s3_calls_before = len(fake.calls), sum(s3_calls.values())
        value = measure(lambda: handler.on_event(batch_event("Update", grown, physical_id=created["PhysicalResourceId"],
                                                             old_props=base)))
        answer = value["answer"]
        bucket, key = s3_objects.location(ledger_uri(batch_event("Update", grown)))
        ledger = clients.s3().get_object(Bucket=bucket, Key=key)
        return {**value, "runs_started": answer["Data"]["RunsStarted"],
                "healthomics_calls": dict(Counter(op for op, _ in fake.calls[calls:])),
                "s3_calls": sum(s3_calls.values()) - s3_calls_before, "ledger_bytes": ledger["ContentLength"]}


def _timed(call: Callable[[], Any]) -> dict[str, Any]:
    started = time.perf_counter()
    answer = call()
    return {"answer": answer, "seconds": time.perf_counter() - started}


def handler_delta() -> dict[str, Any]:
    return {k: v for k, v in _grown_cohort(_timed).items() if k != "answer"}


def _assembly(folder: Path, sheet: Path) -> Path:
    app = cdk.App(outdir=str(folder))
    stack = cdk.Stack(app, "CohortStack")
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", sample_sheet=str(sheet),
                        parameters={"reference": "s3://example-reference-bucket/GRCh38.fa"})
    app.synth()
    return folder


def plan_delta() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        base = _assembly(work / "base", write_sheet(work / "base.csv", BASE))
        head = _assembly(work / "head", write_sheet(work / "head.csv", BASE + ADDED))
        started = time.perf_counter()
        (row,) = plan(load(base), load(head))
        seconds = time.perf_counter() - started
        tracemalloc.start()
        plan(load(base), load(head))
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return {"seconds": seconds, "peak_mb": peak, "runs_to_start": row.runs_to_start, "action": row.action.value}


def main() -> None:
    global BASE, ADDED
    if len(sys.argv) == 3:  # smaller cohorts (bench.run --quick)
        BASE, ADDED = int(sys.argv[1]), int(sys.argv[2])
    print("BENCH " + json.dumps({"base": BASE, "added": ADDED, "handler": handler_delta(), "plan": plan_delta()}))


if __name__ == "__main__":
    main()
