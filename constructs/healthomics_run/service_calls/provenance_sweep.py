"""The writer's hourly sweep: the records of ended runs whose event never came.

EventBridge delivers HealthOmics' status events on a best-effort basis, so the stack's schedule sends the
writer's queue a sweep message every hour. A sweep lists what this stack started (each run resource's run and
the one it replaced, from their physical ids; each batch resource's runs, from its batch name: ``run_ids``), and
the runs of the account that ended (ListRuns by status: 100 a page, with their stop times). A run both started
by this stack and stopped in the sweep's window is sent back to the queue as a message of its own, which the
writer handles as an event (``only_missing``: a record already there is not written again). A run of another
stack or person is never asked about (no GetRun). The window is the hour that ended ``SWEEP_GRACE_SECONDS``
before the sweep's scheduled time: windows of successive sweeps tile, so each ended run is looked at once.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Optional

from healthomics_run.run_model.provenance_settings import (
    ENDED_STATUSES,
    RUN_RESOURCE_TYPES,
    SWEEP_GRACE_SECONDS,
    SWEEP_PERIOD_SECONDS,
)
from healthomics_run.run_model.run_ref import RunRef

from .provenance_owners import Owners

RUNS_PAGE = 100  # ListRuns' largest page (API reference ListRuns, maxResults 1-100)
SEND_BATCH = 10  # SendMessageBatch's most entries
BATCH_HANDLED = 10  # the event source's batch size: messages received with the sweep's own
DELAY_SECONDS = 900  # SendMessage's longest DelaySeconds
DEFER_SECONDS = 12 * 3_600  # a sweep waits for a backlog at most this long after its scheduled time


def pages(call, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a HealthOmics listing (``startingToken``/``nextToken``)."""
    items, token = [], None
    while True:
        page = call(**params, **({"startingToken": token} if token else {}))
        items += page.get(key, [])
        token = page.get("nextToken")
        if not token:
            return items


def run_ids(omics, owners: Owners, *, fresh: bool = False) -> Iterator[tuple[str, Optional[str]]]:
    """``(run id, uuid or None)`` of every run the stack's resources say they started."""
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


def window(scheduled: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of stop times a sweep scheduled at ``scheduled`` (ISO 8601, the event's ``time``) looks at:
    the period that ended ``SWEEP_GRACE_SECONDS`` before it, the time floored to the period so windows tile."""
    at = datetime.fromisoformat(scheduled.replace("Z", "+00:00"))
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    floor = datetime.fromtimestamp(at.timestamp() // SWEEP_PERIOD_SECONDS * SWEEP_PERIOD_SECONDS, timezone.utc)
    end = floor - timedelta(seconds=SWEEP_GRACE_SECONDS)
    return end - timedelta(seconds=SWEEP_PERIOD_SECONDS), end


def candidates(omics, owners: Owners, scheduled: str) -> list[tuple[str, Optional[str]]]:
    """The runs this stack started that stopped in the sweep's window, as ``(run id, uuid)``."""
    start, end = window(scheduled)
    owned = dict(run_ids(omics, owners, fresh=True))
    found = []
    for status in ENDED_STATUSES:
        for item in pages(omics.list_runs, "items", status=status, maxResults=RUNS_PAGE):
            stopped = item.get("stopTime")
            if item["id"] in owned and isinstance(stopped, datetime) and start <= stopped < end:
                found.append((item["id"], owned[item["id"]]))
    return found


def backlog(sqs, queue_url: str) -> int:
    """Messages in the queue besides those of the batch being handled (approximate, as SQS counts them)."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return max(0, sum(int(value) for value in attributes.values()) - BATCH_HANDLED)


def sweep(omics, sqs, queue_url: str, owners: Owners, scheduled: str,
          now: Optional[datetime] = None) -> Optional[list[tuple[str, Optional[str]]]]:
    """Send each candidate to the queue as a message of its own; answer the candidates. While the queue holds
    ended runs' events still to be written (a cohort's burst), the sweep is put back with a delay instead, up to
    ``DEFER_SECONDS`` after its scheduled time: the events' records first, then what is still missing (answers
    None)."""
    now = now or datetime.now(timezone.utc)
    at = datetime.fromisoformat(scheduled.replace("Z", "+00:00"))
    if (now - at).total_seconds() < DEFER_SECONDS and backlog(sqs, queue_url) > 0:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"sweep": scheduled}), DelaySeconds=DELAY_SECONDS)
        return None
    found = candidates(omics, owners, scheduled)
    for start in range(0, len(found), SEND_BATCH):
        entries = [{"Id": str(n), "MessageBody": json.dumps({"sweep-of": scheduled,
                                                             "detail": {"runId": run_id, "uuid": uuid}})}
                   for n, (run_id, uuid) in enumerate(found[start:start + SEND_BATCH])]
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if answer.get("Failed"):
            raise RuntimeError(f"the queue refused {len(answer['Failed'])} runs of the sweep: "
                               f"{answer['Failed'][0].get('Code')}")
    return found
