"""The handler's memory as Lambda limits it: resident memory (RSS) of a fresh process running a cohort's Update
with the ledger at its cap (``ledger.MOST_ENTRIES``) and samples of realistic width.

    python -m bench.handler_memory [BASE ADDED ENTRIES WIDTH]   # the last line on stdout is BENCH {json}
    python -m bench.handler_memory ledger ENTRIES              # only loading a ledger of ENTRIES entries

Run by ``bench.run`` in a process of its own, started for it alone: Lambda limits a function's resident memory,
not Python's heap, so ``tracemalloc`` (which sees only Python's allocations, and slows them) is not the measure.

The world: a cohort of BASE samples, each with WIDTH parameters holding S3 URIs of about 60 characters, created
through the handler against the tests' HealthOmics fake inside moto; its ledger then padded with stopped runs of
earlier generations (three full reruns' worth: what ``MOST_ENTRIES`` allows) to ENTRIES - ADDED entries; then the
Update that adds ADDED samples, which brings the ledger to ENTRIES.

Three figures, all of this process:

- ``before_update_mb``: resident memory just before the Update (interpreter, boto3, moto, the fake and what
  they hold: the staged sheets and the ledger in moto's S3, the fake's runs);
- ``update_peak_mb``: the peak resident memory while the Update runs (Linux: the peak is reset through
  ``/proc/self/clear_refs`` just before it), and ``update_increase_mb``, its excess over ``before_update_mb``:
  what the Update itself needs (the fake's own reading of the sheet, which the service does in its memory, is
  done before the measure; moto's serving of the sheet and the ledger to the handler is inside it);
- ``process_peak_mb``: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at the end: the whole process's peak,
  an upper bound (moto and the fake are not in Lambda).

``update_increase_mb`` is a lower bound of what the Update needs: memory the process freed earlier (the Create,
the padding) is reused before new memory is taken. ``ledger ENTRIES`` measures, in its own fresh process, the
resident memory that loading a ledger of ENTRIES entries adds (``Ledger.from_json``).

``bench.run`` adds the resident memory of a fresh interpreter that has only imported the handler (what a
Lambda container holds before its first event) and reports, as computed, that plus ``update_increase_mb``.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model.ledger_location import bucket_owner, ledger_uri
from healthomics_run.service_calls import clients, ledger
from tests.world import (
    attach_fake,
    batch_event,
    batch_properties,
    moto_world,
    run_properties,
    sheet_properties,
    stage_sheet,
)

from .samples import sample

BASE, ADDED, ENTRIES, WIDTH = 99_000, 1_000, ledger.MOST_ENTRIES, 10
STATUS = Path("/proc/self/status")


def _status_mb(field: str) -> float | None:
    """VmRSS / VmHWM of this process in MB (Linux), else None."""
    if not STATUS.exists():
        return None
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


def _reset_peak() -> bool:
    """Resets this process's peak resident memory (VmHWM) to its current one (Linux 4.0 and later)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _samples(count: int) -> list[dict[str, Any]]:
    """Samples as wide as a real cohort's: WIDTH parameters of S3 URIs of about 60 characters each."""
    return [{"runSettingId": f"S{i + 1:06d}",
             "parameters": {"sample_name": sample(i),
                            **{f"input_{n}": f"s3://example-input-bucket/cohort-2024/{sample(i)}/part-{n:02d}.cram"
                               for n in range(WIDTH)}}}
            for i in range(count)]


def _pad(event: dict[str, Any], entries: int) -> int:
    """Fills the ledger to ``entries`` with stopped runs of earlier generations, as three reruns leave them."""
    s3, uri, owner = clients.s3(), ledger_uri(event), bucket_owner(event)
    book = ledger.load(s3, uri, owner)
    assert book is not None, "the Create wrote it"
    old_batches = [f"{9_000_000 + b}" for b in range(1 + (entries - len(book.samples)) // 100_000)]
    for batch in old_batches:
        book.batches[batch] = f"00000000-0000-0000-0000-{int(batch):012d}"
    for i in range(entries - len(book.samples)):
        book.samples[f"{i:032x}"[-len(next(iter(book.samples))):]] = [f"S{i % 100_000 + 1:06d}",
                                                                      old_batches[i // 100_000], ledger.STOPPED]
    ledger.save(s3, uri, book, owner)
    return len(book.samples)


def measure() -> dict[str, Any]:
    template: dict[str, dict[str, Any]] = {"reference": {}, "sample_name": {},
                                           **{f"input_{n}": {} for n in range(WIDTH)}}
    with pytest.MonkeyPatch.context() as patch, moto_world(patch) as aws, contextlib.redirect_stdout(io.StringIO()):
        fake = attach_fake(patch, template)
        shared = {k: v for k, v in batch_properties(run_properties(aws)).items() if k not in ("Samples", "SampleTypes")}
        base_samples, grown_samples = _samples(BASE), _samples(BASE + ADDED)
        base = sheet_properties(shared, base_samples, stage_sheet(base_samples, "bench/base.json"))
        grown = sheet_properties(shared, grown_samples, stage_sheet(grown_samples, "bench/grown.json"))
        sheet_bytes = len(clients.s3().get_object(Bucket="example-assets-bucket",
                                                  Key="bench/grown.json")["Body"].read())
        del base_samples, grown_samples
        created = handler.on_event(batch_event("Create", base))
        padded = _pad(batch_event("Update", grown), ENTRIES - ADDED)
        update = batch_event("Update", grown, physical_id=created["PhysicalResourceId"], old_props=base)
        # The fake reads and validates the staged sheet at StartRunBatch, as the service does, but in the service's
        # memory, not the handler's: read here, before the measure, and handed back to it.
        sheet = fake._batch_settings({"s3UriSettings": grown["SampleSheetUri"]}, aws["role_arn"])
        patch.setattr(fake, "_batch_settings", lambda settings, role_arn: sheet)
        gc.collect()
        before = _status_mb("VmRSS")
        reset = _reset_peak()
        started = time.perf_counter()
        answer = handler.on_event(update)
        seconds = time.perf_counter() - started
        peak = _status_mb("VmHWM") if reset else None
        book = ledger.load(clients.s3(), ledger_uri(update), bucket_owner(update))
        assert book is not None and book.saved is not None, "the Update wrote it"
        ledger_bytes = len(book.saved)
        runs_started = answer["Data"]["RunsStarted"]
        del fake
    return {"base": BASE, "added": ADDED, "width": WIDTH, "ledger_entries_before": padded,
            "ledger_entries_after": len(book.samples), "ledger_bytes": ledger_bytes, "sheet_bytes": sheet_bytes,
            "runs_started": runs_started, "seconds": seconds, "before_update_mb": before,
            "update_peak_mb": peak, "update_increase_mb": None if peak is None or before is None else peak - before,
            "process_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def ledger_load(entries: int) -> dict[str, Any]:
    """Resident memory that loading a ledger of ``entries`` entries adds, the text already in memory."""
    book = ledger.Ledger()
    for i in range(entries):
        book.samples[f"{i:032x}"] = [f"S{i % 100_000 + 1:06d}", f"{9_000_000 + i // 100_000}", ledger.STOPPED]
    text = book.to_json()
    del book
    gc.collect()
    before, reset = _status_mb("VmRSS"), _reset_peak()
    loaded = ledger.Ledger.from_json(text)
    peak = _status_mb("VmHWM") if reset else None
    return {"entries": len(loaded.samples), "ledger_bytes": len(text), "before_mb": before,
            "load_increase_mb": None if peak is None or before is None else peak - before}


def main() -> None:
    global BASE, ADDED, ENTRIES, WIDTH
    if len(sys.argv) == 3 and sys.argv[1] == "ledger":
        print("BENCH " + json.dumps(ledger_load(int(sys.argv[2]))))
        return
    if len(sys.argv) == 5:  # smaller (bench.run --quick)
        BASE, ADDED, ENTRIES, WIDTH = (int(arg) for arg in sys.argv[1:])
    print("BENCH " + json.dumps(measure()))


if __name__ == "__main__":
    main()
