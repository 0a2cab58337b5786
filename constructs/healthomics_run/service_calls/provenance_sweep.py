"""The writer's hourly sweep: the records of ended runs whose event never came.

EventBridge delivers HealthOmics' status events on a best-effort basis, so the stack's schedule sends the
writer's queue a sweep message every hour. A sweep lists what this stack started (each run resource's run and
the one it replaced, from their physical ids; each batch resource's runs, from its batch name: ``run_ids``; each
chain step's run, from the chain's state: ``provenance_steps``), and
the runs of the account that ended (ListRuns by status: 100 a page, with their stop times). A run both started
by this stack and stopped in the sweep's window is sent back to the queue as a message of its own, which the
writer handles as an event (``only_missing``: a record already there is not written again). A run of another
stack or person is never asked about (no GetRun). The window is the hour that ended ``SWEEP_GRACE_SECONDS``
before the sweep's scheduled time: windows of successive sweeps tile, so each ended run is looked at once.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Iterator, Optional

from healthomics_run.run_model.provenance_settings import (
    ENDED_STATUSES,
    RUN_RESOURCE_TYPES,
    SWEEP_GRACE_SECONDS,
    SWEEP_PERIOD_SECONDS,
)
from healthomics_run.run_model.run_ref import RunRef

from .provenance import pages
from .provenance_owners import Owners

RUNS_PAGE = 100  # ListRuns' largest page (API reference ListRuns, maxResults 1-100)
SEND_BATCH = 10  # SendMessageBatch's most entries
BATCH_HANDLED = 10  # the event source's batch size: messages received with the sweep's own
DELAY_SECONDS = 900  # SendMessage's longest DelaySeconds
DEFER_SECONDS = 12 * 3_600  # a sweep waits for a backlog at most this long after its scheduled time


def run_ids(omics, owners: Owners, *, fresh: bool = False) -> Iterator[tuple[str, Optional[str]]]:
    """``(run id, uuid or None)`` of every run the stack's resources say they started, and its chains' step runs."""
    for resource in owners.resources(fresh=fresh):
        if resource["ResourceType"] == RUN_RESOURCE_TYPES[0]:
            ref = RunRef.parse(resource.get("PhysicalResourceId"))
            for named in (ref, ref and ref.replaced):
                if named is not None:
                    yield named.id, named.uuid
            continue
        name = owners.config.batches.get(resource["LogicalResourceId"])
        if name is None:
            continue
        for batch in pages(omics.list_batch, "items", name=name):
            for run in pages(omics.list_runs_in_batch, "runs", batchId=batch["id"]):
                if run.get("runId"):
                    yield run["runId"], run.get("runInternalUuid")
    if owners.chain_runs is not None:
        yield from ((run_id, None) for run_id in owners.chain_runs.run_ids())


def window(scheduled: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of stop times a sweep scheduled at ``scheduled`` (ISO 8601, the event's ``time``) looks at:
    the period that ended ``SWEEP_GRACE_SECONDS`` before it, the time floored to the period so windows tile."""
    at = datetime.fromisoformat(scheduled.replace("Z", "+00:00"))
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    floor = datetime.fromtimestamp(at.timestamp() // SWEEP_PERIOD_SECONDS * SWEEP_PERIOD_SECONDS, timezone.utc)
    end = floor - timedelta(seconds=SWEEP_GRACE_SECONDS)
    return end - timedelta(seconds=SWEEP_PERIOD_SECONDS), end


Resume = tuple[int, Optional[str]]  # (step, ListRuns token): where a sweep out of time goes on


def _steps(omics, owners: Owners) -> tuple[list[tuple[str, Optional[str]]], dict[str, Optional[str]]]:
    """The listings a sweep walks, ``(status, batch id or None)``, and the run resources' runs (id -> uuid).
    A batch's runs are listed by its id (ListRuns ``batchId``), the batch found by this stack's batch name."""
    singles: dict[str, Optional[str]] = {}
    batch_ids: list[str] = []
    for resource in owners.resources(fresh=True):
        if resource["ResourceType"] == RUN_RESOURCE_TYPES[0]:
            ref = RunRef.parse(resource.get("PhysicalResourceId"))
            singles.update({named.id: named.uuid for named in (ref, ref and ref.replaced) if named is not None})
        elif (name := owners.config.batches.get(resource["LogicalResourceId"])) is not None:
            batch_ids += sorted(batch["id"] for batch in pages(omics.list_batch, "items", name=name))
    if owners.chain_runs is not None:  # the chains' step runs, as their state names them (no uuid kept)
        singles.update({run_id: None for run_id in owners.chain_runs.run_ids() if run_id not in singles})
    steps: list[tuple[str, Optional[str]]] = [(status, None) for status in ENDED_STATUSES if singles]
    steps += [(status, batch_id) for batch_id in batch_ids for status in ENDED_STATUSES]
    return steps, singles


def walk(omics, owners: Owners, scheduled: str, resume: Resume = (0, None), out_of_time=lambda: False,
         emit=lambda found: None) -> tuple[list[tuple[str, Optional[str]]], Optional[Resume]]:
    """The runs this stack started that stopped in the sweep's window, as ``(run id, uuid or None)``, from
    ``resume`` on, each page's handed to ``emit`` as it is read; and where to go on when ``out_of_time()`` said
    so between two pages (else None)."""
    start, end = window(scheduled)
    steps, singles = _steps(omics, owners)
    found: list[tuple[str, Optional[str]]] = []
    step, token = resume
    while step < len(steps):
        if out_of_time():
            return found, (step, token)
        status, batch_id = steps[step]
        page = omics.list_runs(status=status, maxResults=RUNS_PAGE, **({"batchId": batch_id} if batch_id else {}),
                               **({"startingToken": token} if token else {}))
        this_page: list[tuple[str, Optional[str]]] = []
        for item in page.get("items", []):
            stopped = item.get("stopTime")
            if not (isinstance(stopped, datetime) and start <= stopped < end):
                continue
            if batch_id is not None:
                this_page.append((item["id"], None))
            elif item["id"] in singles:  # another stack's or person's run: never asked about
                this_page.append((item["id"], singles[item["id"]]))
        emit(this_page)
        found += this_page
        token = page.get("nextToken")
        if not token:
            step, token = step + 1, None
    return found, None


def candidates(omics, owners: Owners, scheduled: str) -> list[tuple[str, Optional[str]]]:
    """Every run of the sweep's window (``walk`` to its end)."""
    return walk(omics, owners, scheduled)[0]


def backlog(sqs, queue_url: str) -> int:
    """Messages in the queue besides those of the batch being handled (approximate, as SQS counts them)."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return max(0, sum(int(value) for value in attributes.values()) - BATCH_HANDLED)


def sweep(omics, sqs, queue_url: str, owners: Owners, scheduled: str, now: Optional[datetime] = None,
          resume_at: Optional[list] = None, out_of_time=lambda: False) -> Optional[list[tuple[str, Optional[str]]]]:
    """Send each candidate to the queue as a message of its own; answer the candidates. While the queue holds
    ended runs' events still to be written (a cohort's burst), the sweep is put back with a delay instead, up to
    ``DEFER_SECONDS`` after its scheduled time: the events' records first, then what is still missing (answers
    None). A sweep out of time (a cohort's thousand pages) sends itself on from where it is (``resume_at``)."""
    now = now or datetime.now(timezone.utc)
    at = datetime.fromisoformat(scheduled.replace("Z", "+00:00"))
    if resume_at is None and (now - at).total_seconds() < DEFER_SECONDS and backlog(sqs, queue_url) > 0:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"sweep": scheduled}), DelaySeconds=DELAY_SECONDS)
        return None
    def send(found: list[tuple[str, Optional[str]]]) -> None:  # page by page: the time check covers sending
        for start in range(0, len(found), SEND_BATCH):
            entries = [{"Id": str(n), "MessageBody": json.dumps({"sweep-of": scheduled,
                                                                 "detail": {"runId": run_id, "uuid": uuid}})}
                       for n, (run_id, uuid) in enumerate(found[start:start + SEND_BATCH])]
            answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
            if answer.get("Failed"):
                raise RuntimeError(f"the queue refused {len(answer['Failed'])} runs of the sweep: "
                                   f"{answer['Failed'][0].get('Code')}")

    resume_from = (int(resume_at[0]), resume_at[1]) if resume_at else (0, None)
    found, resume = walk(omics, owners, scheduled, resume_from, out_of_time, send)
    if resume is not None:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"sweep": scheduled, "resume": list(resume)}))
    return found
