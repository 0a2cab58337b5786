"""After the run, at cohort scale: a 100,000-run cohort ending within one hour, through the writer's pipeline
in virtual time.

    python -m bench.after_run [RUNS]     # the last line on stdout is BENCH {json}

Modelled (constants from the construct and the shared settings, so the model follows the code):
- HealthOmics quotas: GetRun, ListRunTasks, ListRuns, GetWorkflow 10 TPS each per account and Region ("HealthOmics
  API quotas", https://docs.aws.amazon.com/omics/latest/dev/api-quotas.html); the writer's share
  (``Config.calls_per_second``, default 5) split between its containers, each pacing with the shipped
  ``provenance_pace.TokenBucket`` on the virtual clock. Any second in which an operation passes the quota is
  counted as throttled (the target wants none).
- Lambda and SQS: at most ``MAX_CONCURRENCY`` writers (the event source's MaximumConcurrency), batches of
  ``BATCH_SIZE``, the function's ``TIMEOUT_SECONDS`` (a batch that outlasts it fails whole), a failed message visible
  again after the queue's visibility timeout, then the dead-letter queue after ``MAX_RECEIVES`` receives; SQS keeps a
  message 14 days at most, the oldest message's age is reported.
- Events: a fraction ``LOST`` never arrives (best effort); the hourly sweep (deferred while the queue holds events,
  resumable between ListRuns pages) finds them. A fraction ``TRANSIENT`` of handlings fails (an outage outlasting
  the clients' retries) and goes back to the queue.
- Each run: ``TASKS`` tasks (one ListRunTasks page), one workflow (GetWorkflow once a minute per container),
  ``S3_CALLS`` S3 calls (outputs listing, output.json, inputs' HeadObject, record, history) of ``S3_LATENCY``.
Not modelled: other callers of the same quotas (the share leaves them half), cold starts (a second each).
"""

from __future__ import annotations

import heapq
import json
import math
import random
import sys
import time as real_time
from collections import Counter
from typing import Any

from healthomics_run.after_run.provenance_writer import BATCH_SIZE, MAX_RECEIVES, TIMEOUT_SECONDS
from healthomics_run.run_model.provenance_settings import (
    MAX_CONCURRENCY,
    QUOTA_TPS,
    SWEEP_GRACE_SECONDS,
    SWEEP_PERIOD_SECONDS,
    Config,
)
from healthomics_run.service_calls import provenance_pace, provenance_sweep

COHORT = 100_000
ENDING_SECONDS = 3_600  # the cohort's runs end within this hour
TASKS = 20
S3_CALLS, S3_LATENCY, OMICS_LATENCY, SQS_LATENCY = 6, 0.03, 0.1, 0.02
LOST, TRANSIENT = 0.001, 0.01
VISIBILITY = 6 * TIMEOUT_SECONDS  # the queue's, as the construct sets it
RETENTION = 14 * 86_400
SWEEP_MARGIN = 60.0  # handler.SWEEP_MARGIN_MS
TARGET_HOURS = 12


class Clock:
    """``time.time``/``time.sleep`` of ``provenance_pace`` on a clock the simulation moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Container:
    def __init__(self, rate: float) -> None:
        self.pace = provenance_pace.Pace(rate)
        self.recorded: set[int] = set()
        self.workflow_at = -math.inf
        self.free_at = 0.0


class Simulation:
    """The cohort's ends, the queue (a heap by the time each message is visible), the writer's containers."""

    def __init__(self, runs: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.clock = Clock()
        provenance_pace.time = self.clock  # type: ignore[assignment]  # the buckets' time is the simulation's
        self.config = Config()
        self.runs = runs
        self.ends = sorted(self.rng.uniform(0, ENDING_SECONDS) for _ in range(runs))
        self.lost = {n for n in range(runs) if self.rng.random() < LOST}
        self.written: dict[int, float] = {}
        self.calls: Counter = Counter()
        self.per_second: dict[str, Counter] = {}
        self.queue: list[tuple[float, int, dict[str, Any]]] = []
        self.seq = 0
        self.containers = [Container(self.config.per_container()) for _ in range(MAX_CONCURRENCY)]
        self.invocations: list[tuple[float, float]] = []
        self.dead = self.timeouts = self.deferred = 0
        self.oldest = 0.0
        for n, end in enumerate(self.ends):
            if n not in self.lost:
                self.push(end, {"kind": "event", "run": n})
        for k in range(1, 73):  # hourly sweeps for three days
            self.push(k * SWEEP_PERIOD_SECONDS, {"kind": "sweep", "scheduled": k * SWEEP_PERIOD_SECONDS})

    def push(self, at: float, message: dict[str, Any]) -> None:
        self.seq += 1
        message.setdefault("receives", 0)
        message.setdefault("sent", at)
        heapq.heappush(self.queue, (at, self.seq, message))

    def call(self, container: Container, operation: str, latency: float = OMICS_LATENCY) -> None:
        container.pace.bucket(operation).take()
        self.calls[operation] += 1
        self.per_second.setdefault(operation, Counter())[int(self.clock.now)] += 1
        self.clock.now += latency

    def s3(self, count: int, operation: str = "s3") -> None:
        self.calls[operation] += count
        self.clock.now += count * S3_LATENCY

    def write(self, container: Container, n: int) -> None:
        self.call(container, "ListRunTasks")  # TASKS <= 100: one page
        if self.clock.now - container.workflow_at > 60:
            self.call(container, "GetWorkflow")
            container.workflow_at = self.clock.now
        self.s3(S3_CALLS)
        self.written.setdefault(n, self.clock.now)
        container.recorded.add(n)

    def walk(self, container: Container, message: dict[str, Any], started: float) -> None:
        """The sweep's listings: ListBatch, then ListRuns of the cohort's batch by status, 100 a page, each page's
        runs of the window sent to the queue as it is read (SendMessageBatch, 10 a call)."""
        scheduled = message["scheduled"]
        start = scheduled // SWEEP_PERIOD_SECONDS * SWEEP_PERIOD_SECONDS - SWEEP_GRACE_SECONDS - SWEEP_PERIOD_SECONDS
        end = start + SWEEP_PERIOD_SECONDS
        ended = sum(1 for e in self.ends if e <= self.clock.now)
        steps = [max(1, math.ceil(ended / 100)), 1, 1]  # COMPLETED, FAILED, CANCELLED pages
        step, page = message.get("resume", (0, 0))
        self.call(container, "ListStackResources", 0.05)
        self.call(container, "ListBatch")
        while step < len(steps):
            if self.clock.now - started > TIMEOUT_SECONDS - SWEEP_MARGIN:
                self.push(self.clock.now, {"kind": "sweep", "scheduled": scheduled, "resume": (step, page)})
                return
            self.call(container, "ListRuns")
            if step == 0:
                found = [n for n in range(page * 100, min(ended, (page + 1) * 100)) if start <= self.ends[n] < end]
                for first in range(0, len(found), 10):
                    self.clock.now += SQS_LATENCY
                    for n in found[first:first + 10]:
                        self.push(self.clock.now, {"kind": "candidate", "run": n})
            page += 1
            if page >= steps[step]:
                step, page = step + 1, 0

    def sweep(self, container: Container, message: dict[str, Any], at: float) -> None:
        backlog = sum(1 for item in self.queue if item[0] <= at)
        if "resume" not in message and at - message["scheduled"] < provenance_sweep.DEFER_SECONDS and backlog:
            self.deferred += 1
            self.push(at + provenance_sweep.DELAY_SECONDS, {"kind": "sweep", "scheduled": message["scheduled"]})
            return
        self.walk(container, message, at)

    def handle(self, container: Container, message: dict[str, Any], at: float) -> bool:
        """One message of a batch; False when it failed (back to the queue)."""
        message["receives"] += 1
        self.oldest = max(self.oldest, at - message["sent"])
        if message["kind"] == "sweep":
            self.sweep(container, message, at)
            return True
        n = message["run"]
        if message["kind"] == "candidate" and n in container.recorded:
            return True
        self.call(container, "GetRun")
        if self.rng.random() < TRANSIENT:
            return False
        if message["kind"] == "candidate":
            self.s3(1, "s3 HeadObject")
            if n in self.written:
                return True
        self.write(container, n)
        return True

    def invoke(self) -> None:
        """The next batch, on the container free first."""
        container = min(self.containers, key=lambda c: c.free_at)
        at = max(container.free_at, self.queue[0][0])
        batch: list[dict[str, Any]] = []
        while self.queue and self.queue[0][0] <= at and len(batch) < BATCH_SIZE:
            batch.append(heapq.heappop(self.queue)[2])
        self.clock.now = at
        failed = [message for message in batch if not self.handle(container, message, at)]
        took = self.clock.now - at
        if took > TIMEOUT_SECONDS:  # the invocation timed out: every message of the batch is received again
            self.timeouts += 1
            failed = batch
        for message in failed:
            if message["receives"] < MAX_RECEIVES:
                self.push(at + VISIBILITY, message)
                continue
            self.dead += 1
            if message.get("run") is not None:
                self.written.setdefault(message["run"], math.inf)  # in the DLQ: not written by the pipeline
        self.invocations.append((at, at + took + 0.001))
        container.free_at = at + took + 0.001

    def result(self, wall: float) -> dict[str, Any]:
        done = [t for t in self.written.values() if t != math.inf]
        edges = sorted([(start, 1) for start, _ in self.invocations] + [(end, -1) for _, end in self.invocations])
        running = peak = 0
        for _, step in edges:
            running += step
            peak = max(peak, running)
        events = [t for n, t in self.written.items() if n not in self.lost and t != math.inf]
        return {"runs": self.runs, "written": len(done), "lost_events": len(self.lost),
                "lost_recovered": sum(1 for n in self.lost if self.written.get(n, math.inf) != math.inf),
                "dead_letters": self.dead, "timeouts": self.timeouts, "deferred_sweeps": self.deferred,
                "hours": round(max(done) / 3600, 2) if done else None,
                "hours_events_only": round(max(events) / 3600, 2) if events else None,
                "calls_per_run": {op: round(n / self.runs, 3) for op, n in sorted(self.calls.items())},
                "peak_concurrency": peak,
                "peak_tps": {op: max(counts.values()) for op, counts in self.per_second.items()},
                "throttled_seconds": sum(1 for counts in self.per_second.values() for n in counts.values()
                                         if n > QUOTA_TPS),
                "share_tps": self.config.calls_per_second, "quota_tps": QUOTA_TPS,
                "oldest_message_hours": round(self.oldest / 3600, 2), "retention_hours": RETENTION / 3600,
                "target_hours": TARGET_HOURS, "simulated_in_s": round(real_time.perf_counter() - wall, 1)}


def simulate(runs: int, seed: int = 7) -> dict[str, Any]:
    wall = real_time.perf_counter()
    simulation = Simulation(runs, seed)
    while simulation.queue and len(simulation.written) < runs:
        simulation.invoke()
    return simulation.result(wall)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else COHORT
    result = simulate(runs)
    print(f"{result['written']:,} of {runs:,} records in {result['hours']} h (virtual); calls per run "
          f"{result['calls_per_run']}; peak concurrency {result['peak_concurrency']}; peak TPS {result['peak_tps']}",
          file=sys.stderr)
    print("BENCH " + json.dumps(result))


if __name__ == "__main__":
    main()
