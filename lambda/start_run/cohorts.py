"""A cohort (``Custom::HealthOmicsRunBatch``) through CloudFormation: only samples that have not run start.

Each sample's run has a key (``batch_settings.sample_keys``: the shared run settings and the sample's
own). A Create or Update starts one StartRunBatch for the samples whose key the cohort's ledger has
not recorded (``ledger``), with a requestId derived from exactly those keys, then records them:

| change                                             | runs started                                  |
|----------------------------------------------------|-----------------------------------------------|
| a sample added, or one sample's settings changed   | that sample                                   |
| a shared setting changed, or ``rerun_token``       | every sample                                  |
| a sample removed, rows reordered, a retry, rollback| none                                          |
| tags only (the batch's, or runs' ``runTags``)      | none: the cohort's batches are re-tagged      |

The physical id names the generation: the digest of the keys the cohort wants. It stays the same
when only the order of samples (or nothing run-relevant) changes; otherwise CloudFormation, once the
update has succeeded, deletes the old generation, and that Delete is when runs no longer wanted are
cancelled (``delete_policy`` CANCEL), just as a replaced single run is. On a rollback the roles swap:
the generation the failed update answered is deleted, and the runs it started are cancelled.

Re-tagging is one ``TagResource`` (and ``UntagResource``) per batch. The runs already started keep the
tags they started with: HealthOmics allows 5 TagResource calls a second per Region (HealthOmics guide,
"HealthOmics API quotas"), so re-tagging a 100,000-run cohort would take over five hours, beyond what one
deploy may wait; runs started from then on carry the new ``runTags``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import defaultdict
from typing import Any, Optional

from botocore.exceptions import ClientError

from healthomics_run.run_model import fields, samples
from healthomics_run.run_model.batch_settings import BatchSettings, sample_keys
from healthomics_run.run_model.fingerprint import fingerprint
from healthomics_run.run_model.ledger_location import bucket_owner, ledger_uri, stack_account
from healthomics_run.run_model.run_ref import RunRef
from healthomics_run.service_calls import budget, clients, ledger, runs, s3_objects
from healthomics_run.service_calls.budget import RetryLater
from healthomics_run.service_calls.ledger import Ledger
from healthomics_run.service_calls.log import log
from healthomics_run.service_calls.runs import BadSettings, Gone

from . import fresh, phases, tagging
from .kinds import BATCH
from .phases import KEPT, PHASE, START, WAIT, WAIT_DEADLINE, WAITING_FOR

WAIT_BATCH = "WaitBatch"  # "<id>/<uuid>" of the batch this request started, for is_complete
_PHYSICAL_ID = re.compile(r"^cohort-(?P<resource>[0-9a-f]{12})/(?P<generation>[0-9a-f]{16})$")


def load_ledger(event: dict[str, Any]) -> Optional[Ledger]:
    return ledger.load(clients.s3(), ledger_uri(event), bucket_owner(event))


def save_ledger(event: dict[str, Any], book: Ledger) -> None:
    ledger.save(clients.s3(), ledger_uri(event), book, bucket_owner(event))


def physical_id(event: dict[str, Any], generation: str) -> str:
    resource = hashlib.sha256(f"{event['StackId']}/{event['LogicalResourceId']}".encode()).hexdigest()[:12]
    return f"cohort-{resource}/{generation}"


def generation_of(physical: Optional[str]) -> Optional[str]:
    match = _PHYSICAL_ID.match(physical or "")
    return match["generation"] if match else None


def generation(keys: dict[str, str]) -> str:
    return hashlib.sha256("".join(sorted(keys.values())).encode()).hexdigest()[:16]


def cohort_samples(event: dict[str, Any], settings: BatchSettings) -> list[dict[str, Any]]:
    """The cohort's samples: inline, or read from the staged sample sheet (in the stack account's assets bucket)."""
    if settings.inline is not None:
        return settings.inline
    text = s3_objects.read_text(clients.s3(), settings.request["batchRunSettings"]["s3UriSettings"],
                                stack_account(event))
    if text is None:
        raise Gone(f"The sample sheet {settings.request['batchRunSettings']['s3UriSettings']} is gone; deploy again "
                   "to stage it.")
    return json.loads(text)


# -- Create and Update -------------------------------------------------------------------------

def _legacy_seed(event: dict[str, Any], book: Ledger) -> None:
    """A batch resource deployed before cohorts had ledgers names one batch (``id/uuid``) that ran every
    sample of its old settings: record them, so upgrading starts nothing that already ran."""
    ref = RunRef.parse(event.get("PhysicalResourceId"))
    if ref is None or book.batches or "OldResourceProperties" not in event:
        return
    ran = _legacy_settings(event, ref)
    try:
        ran_samples = cohort_samples(event, ran)
    except (ClientError, Gone):  # the sheet of an older deploy: the handler may read only the current one
        ran_samples = _current_samples_in(ref.id, cohort_samples(event, BATCH.read(event["ResourceProperties"])))
    keys = sample_keys(ran.shared_fingerprint(), ran_samples)
    book.record(ref.id, ref.uuid, {key: run_setting_id for run_setting_id, key in keys.items()})


def _current_samples_in(batch_id: str, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The current samples whose run setting ids the legacy batch ran (ListRunsInBatch): when the settings it
    ran with cannot be read, a sample's id is the best witness that it ran (its own changes are not seen)."""
    omics, ids, token = clients.omics(), set(), None
    while True:
        page = runs.call("ListRunsInBatch", omics.list_runs_in_batch, batchId=batch_id,
                         **({"startingToken": token} if token else {}))
        ids |= {run["runSettingId"] for run in page.get("runs", [])}
        token = page.get("nextToken")
        if not token:
            return [sample for sample in current if sample["runSettingId"] in ids]


def _legacy_settings(event: dict[str, Any], ref: RunRef) -> BatchSettings:
    """The settings the legacy batch ran with: normally the old properties; in the rollback of an update that
    failed before answering, the new ones. GetBatch says which: its default run setting and run count."""
    old, new = BATCH.read(event["OldResourceProperties"]), BATCH.read(event["ResourceProperties"])

    def matches(settings: BatchSettings, found: dict[str, Any]) -> bool:
        return (found.get("defaultRunSetting") == settings.request["defaultRunSetting"]
                and found.get("totalRuns") == settings.sample_count)
    found = BATCH.describe(clients.omics(), ref.id)
    if found is not None and found["uuid"] == ref.uuid and matches(new, found) and not matches(old, found):
        return new
    return old


def _delta_request(event: dict[str, Any], settings: BatchSettings, missing: list[dict[str, Any]], total: int,
                   delta: str) -> dict[str, Any]:
    """StartRunBatch for the missing samples: inline up to 100, else an S3 settings file (the staged sheet
    itself when every sample is missing, or one written beside the ledger)."""
    request = {key: value for key, value in settings.request.items() if key != "batchRunSettings"}
    if len(missing) <= samples.MAX_INLINE_SAMPLES:
        request["batchRunSettings"] = {"inlineSettings": missing}
    elif len(missing) == total and settings.inline is None:
        request["batchRunSettings"] = settings.request["batchRunSettings"]
    else:  # named by what it holds, written once: HealthOmics fails a batch whose settings file changes
        uri = ledger_uri(event).removesuffix(".json") + f"/{delta}.json"
        s3_objects.write_once(clients.s3(), uri, samples.canonical_json(missing), bucket_owner(event))
        request["batchRunSettings"] = {"s3UriSettings": uri}
    return request


def _start_missing(event: dict[str, Any], settings: BatchSettings, missing: list[dict[str, Any]],
                   keys: dict[str, str], total: int, book: Ledger) -> dict[str, Any]:
    BATCH.checked(settings)  # only starts check: a rollback brings back settings an older version accepted
    problems = BATCH.fit_errors(clients.omics(), settings, missing)
    if problems:
        raise BadSettings("The batch does not fit the workflow: " + "; ".join(problems))
    started = {keys[s["runSettingId"]]: s["runSettingId"] for s in missing}
    delta = fingerprint(sorted(started))  # the requestId is derived from exactly what starts
    # Recorded as pending before anything starts: a ledger that cannot be written (its key, a bucket policy, an
    # SCP) stops the deploy here, with nothing started, instead of after a batch nobody recorded.
    if book.pending.get(delta, {}).get("keys") != started:
        book.pending[delta] = {"keys": started}
        save_ledger(event, book)
    request = _delta_request(event, settings, missing, total, delta)
    found = fresh.start_fresh(BATCH, event, request, delta)
    book.record(found["id"], found["uuid"], started, delta)
    return found


def deploy(event: dict[str, Any], settings: BatchSettings) -> dict[str, Any]:
    """Create or Update: start the samples that have not run; answer with the generation and the attributes."""
    book = _ledger_for_deploy(event, settings)
    if isinstance(book, str):  # no usable ledger, but these settings name the generation the resource has
        return {"PhysicalResourceId": physical_id(event, book), PHASE: KEPT,
                "Data": _data(event, Ledger(), None, 0, settings.sample_count)}
    _legacy_seed(event, book)
    try:
        cohort = cohort_samples(event, settings)
    except (ClientError, Gone):
        answered_before = _answered_for(book, settings)
        if answered_before is None:
            raise
        # A rollback to a sheet the handler may no longer read (its policy names the current sheet only): these
        # settings were answered before, so every sample they want was started then.
        log("sample sheet unreadable; these settings were answered before, nothing starts",
            logical_id=event["LogicalResourceId"], generation=answered_before)
        return {"PhysicalResourceId": physical_id(event, answered_before), PHASE: KEPT,
                "Data": _data(event, book, None, 0, settings.sample_count)}
    keys = sample_keys(settings.shared_fingerprint(), cohort)
    _adopt_tagged_keys(event, book, [(settings, cohort), *_old_cohort(event)])
    _retag_batches(event, book)
    gen = generation(keys)
    # A deploy that changes what the cohort wants starts again the samples of batches that ended badly; one that
    # changes nothing run-relevant (say, only the timeout) starts nothing, as for a single run.
    seen: dict[str, Optional[dict[str, Any]]] = {}  # GetBatch answers of this event, asked once each
    ended = _ended_badly(book, keys.values(), seen) if gen != book.current else set()
    missing = [sample for sample in cohort if not book.ran(keys[sample["runSettingId"]])
               or book.samples[keys[sample["runSettingId"]]][1] in ended]
    answered = book.answers.get(gen, {})
    if missing:
        found = _start_missing(event, settings, missing, keys, len(cohort), book)
        batch_id, started = found["id"], len(missing)
    elif answered.get("request") == event["RequestId"]:  # the same request again: report what it started
        batch_id, started = answered.get("batch"), answered.get("started", 0)
    else:
        batch_id, started = None, 0
    book.answer(gen, keys.values(), event["RequestId"], batch_id, started,
                sheet=settings.sample_digest, shared=settings.shared_fingerprint())
    try:
        save_ledger(event, book)
    except Exception as error:
        if not (missing and started):
            raise
        # The batch started and its start is pending in the ledger: is_complete records it (the same requestId
        # finds the same batch), and the resource has its physical id, so a rollback's Delete reaches the handler.
        raise Unrecorded(physical_id(event, gen), f"batch {batch_id} started but the ledger "
                                                  f"{ledger_uri(event)} could not be updated ({error})") from error
    log("cohort deployed", logical_id=event["LogicalResourceId"], samples=len(cohort), runs_started=started,
        batch_id=batch_id, generation=gen)
    answer = {"PhysicalResourceId": physical_id(event, gen),
              "Data": _data(event, book, batch_id, started, len(cohort), seen)}
    if batch_id is not None and started:
        return {**answer, PHASE: WAIT, WAIT_BATCH: f"{batch_id}/{book.batches[batch_id]}"}
    return {**answer, PHASE: KEPT}


class Unrecorded(RetryLater):
    """A batch was started, and the ledger could not be updated after it: tried again at the next is_complete."""

    def __init__(self, physical: str, why: str) -> None:
        super().__init__(why)
        self.physical_id = physical


def _ledger_for_deploy(event: dict[str, Any], settings: BatchSettings) -> Ledger | str:
    """The cohort's ledger; a new one where none is expected (a Create, a resource from before ledgers); where
    one is expected but missing or unreadable, the generation the resource has when these settings name it
    (nothing starts: a rollback, or an update of nothing run-relevant, must not get stuck); else an error
    naming the ledger and how to restore it. Never a guess that reruns what ran."""
    try:
        book, unreadable = load_ledger(event), False
    except ledger.Unreadable as error:
        book, unreadable, problem = None, True, str(error)
    else:
        problem = (f"The cohort's ledger {ledger_uri(event)} is missing: it records which samples ran, so "
                   f"nothing starts without it. {ledger.restore_advice(ledger_uri(event))}")
    if book is not None:
        return book
    current = generation_of(event.get("PhysicalResourceId"))
    if current is None and not unreadable:  # a Create, or a resource deployed before ledgers: none to lose
        return Ledger()
    try:
        wanted = generation(sample_keys(settings.shared_fingerprint(), cohort_samples(event, settings)))
    except (ClientError, Gone):
        wanted = None
    if current is not None and wanted == current:
        log("ledger missing or unreadable; the settings name the current generation, nothing starts",
            logical_id=event["LogicalResourceId"], generation=current, problem=problem)
        return current
    raise BadSettings(problem)


def _tagged(settings: BatchSettings, cohort: list[dict[str, Any]]) -> bool:
    return bool(settings.shared.tags) or any(sample.get("runTags") for sample in cohort)


def _old_cohort(event: dict[str, Any]) -> list[tuple[BatchSettings, list[dict[str, Any]]]]:
    """The settings and samples of the old properties, when they carry tags and stand in them: the handler may
    read only the current staged sheet (an older one is refused), so an older staged sheet is not asked for."""
    try:
        old = BATCH.read(event["OldResourceProperties"])
    except (KeyError, ValueError, TypeError):
        return []
    return [(old, old.inline)] if old.inline is not None and _tagged(old, old.inline) else []


def _adopt_tagged_keys(event: dict[str, Any], book: Ledger,
                       cohorts: list[tuple[BatchSettings, list[dict[str, Any]]]]) -> None:
    """Ledgers written up to 0.2 keyed each sample's run with its tags (``sample_keys(legacy=True)``): record
    those runs under this release's keys, for the current samples and the old properties' ones, so that
    upgrading starts nothing, even deployed together with a change of tags. Untagged samples have one key."""
    for settings, cohort in cohorts:
        if not _tagged(settings, cohort):
            continue
        legacy = sample_keys(settings.shared_fingerprint(legacy=True), cohort, legacy=True)
        for run_setting_id, key in sample_keys(settings.shared_fingerprint(), cohort).items():
            old_key = legacy[run_setting_id]
            if old_key != key and old_key in book.samples and key not in book.samples:
                book.samples[key] = book.samples.pop(old_key)
                log("run recorded by an earlier release adopted", logical_id=event["LogicalResourceId"],
                    run_setting_id=run_setting_id)


def _retag_batches(event: dict[str, Any], book: Ledger) -> None:
    """On an Update that changes the batch's tags, re-tag the cohort's batches in place (not their runs: see
    the module's docstring)."""
    if event["RequestType"] != "Update":
        return
    old, new = tagging.tags_of(event.get("OldResourceProperties")), tagging.tags_of(event["ResourceProperties"])
    if old == new:
        return
    omics = clients.omics()
    for id in book.batches:
        tagging.retag(omics, BATCH.arn(event["StackId"], id), old, new)


def _answered_for(book: Ledger, settings: BatchSettings) -> Optional[str]:
    """The generation answered before to these very settings (sheet digest and shared settings), if any."""
    shared = settings.shared_fingerprint()
    return next((gen for gen, answer in book.answers.items()
                 if answer.get("sheet") == settings.sample_digest and answer.get("shared") == shared), None)


def _describe(id: str, seen: dict[str, Optional[dict[str, Any]]]) -> Optional[dict[str, Any]]:
    """GetBatch of one of the cohort's batches, asked once per event: ``seen`` holds the answers so far."""
    if id not in seen:
        seen[id] = BATCH.describe(clients.omics(), id)
    return seen[id]


def _ended_badly(book: Ledger, wanted, seen: dict[str, Optional[dict[str, Any]]]) -> set[str]:
    """Batches holding wanted runs that ended FAILED or CANCELLED: their samples did not run, and start again
    (a retried deploy finds the batch by requestId only while it is adoptable: see fresh.start_fresh)."""
    holding = {book.samples[key][1] for key in wanted if key in book.samples}
    ended = set()
    for id in sorted(holding):
        found = _describe(id, seen)
        if found is not None and found["uuid"] == book.batches.get(id) and found["status"] in BATCH.ended_badly:
            ended.add(id)
    return ended


def _data(event: dict[str, Any], book: Ledger, batch_id: Optional[str], started: int, count: int,
          seen: Optional[dict[str, Optional[dict[str, Any]]]] = None) -> dict[str, Any]:
    """The latest batch's ids and status, the cohort's counts over the batches holding wanted runs (``seen``:
    GetBatch answers this event already has)."""
    seen = {} if seen is None else seen
    latest = batch_id or (next(reversed(book.batches)) if book.batches else None)
    holding = {entry[1] for entry in book.samples.values() if ledger.WANTED in entry[2]} | (
        {latest} if latest is not None else set())
    described: dict[str, dict[str, Any]] = {}
    for id in sorted(holding):
        try:
            found = _describe(id, seen) or BATCH.gone(event["StackId"], id, book.batches.get(id, ""))
        except RetryLater:  # counts are a report; throttling them must not hold the deploy
            found = {**BATCH.gone(event["StackId"], id, book.batches.get(id, "")), "status": "UNKNOWN"}
        described[id] = found
    counts: defaultdict[str, int] = defaultdict(int)
    for found in described.values():
        for name, value in BATCH.data(found).items():
            if isinstance(value, int):
                counts[name] += value
    head = BATCH.data(described[latest]) if latest else {"BatchId": "", "BatchArn": "", "BatchUuid": "", "Status": ""}
    return {**head, **counts, "SampleCount": count, "RunsStarted": started, "BatchCount": len(book.batches)}


# -- Delete ------------------------------------------------------------------------------------

def _cancel_unwanted(event: dict[str, Any], book: Ledger) -> list[str]:
    """Cancel the runs the current generation no longer wants: a whole batch when none of its runs is
    wanted, else each run (ListRunsInBatch by run setting id, then CancelRun). Returns the batches cancelled."""
    omics = clients.omics()
    unwanted = book.unwanted()
    live: dict[str, set[str]] = defaultdict(set)
    for key, entry in book.samples.items():
        if ledger.STOPPED not in entry[2]:
            live[entry[1]].add(key)
    by_batch: dict[str, list[str]] = defaultdict(list)
    for key, entry in unwanted.items():
        by_batch[entry[1]].append(key)
    cancelled, slowest = [], 0.0  # the slowest step so far: a next one must leave time to save the ledger

    def step_done(started: float) -> None:
        nonlocal slowest
        slowest = max(slowest, time.time() - started)
        if not budget.has_time_for(slowest):
            raise RetryLater("too little time left to cancel more in this invocation")

    try:
        for batch_id, keys in by_batch.items():
            started = time.time()
            if live[batch_id] <= set(keys):
                if _cancel_whole_batch(omics, book, batch_id, keys):
                    cancelled.append(batch_id)
                step_done(started)
                continue
            for key in keys:
                started = time.time()
                _cancel_sample_runs(omics, book, batch_id, key)
                step_done(started)
    finally:
        save_ledger(event, book)  # what was cancelled so far
    return cancelled


def _cancel_whole_batch(omics: Any, book: Ledger, batch_id: str, keys: list[str]) -> bool:
    """Cancels the batch if it is still this ledger's and active (whether it was), and stops its samples."""
    found = BATCH.describe(omics, batch_id)
    cancelling = found is not None and found["uuid"] == book.batches.get(batch_id) and found["status"] in BATCH.active
    if cancelling:
        BATCH.cancel(omics, batch_id)
    book.stop(keys)
    return cancelling


def _cancel_sample_runs(omics: Any, book: Ledger, batch_id: str, key: str) -> None:
    """Cancels the runs of one sample of a batch (found by its run setting id); the sample is stopped once every
    run of it was submitted (and so cancelled) or failed to submit."""
    listed = runs.call("ListRunsInBatch", omics.list_runs_in_batch, batchId=batch_id,
                       runSettingId=book.samples[key][0]).get("runs", [])
    for run in listed:
        if run.get("runId"):
            runs.cancel(omics, run["runId"])
    # A run not submitted yet has no id to cancel: asked again at the next is_complete.
    if all(run.get("runId") or run.get("submissionStatus") == "FAILED" for run in listed) and listed:
        book.stop([key])


def delete(event: dict[str, Any]) -> dict[str, Any]:
    """Delete of a generation: with CANCEL, cancel what is no longer wanted; a removed resource wants nothing."""
    physical = event["PhysicalResourceId"]
    answer = {"PhysicalResourceId": physical, WAIT_DEADLINE: phases.deadline(fields.MAX_TIMEOUT_SECONDS)}
    props = event["ResourceProperties"]
    if props.get(fields.DELETE_POLICY, "RETAIN") != "CANCEL":
        log("delete", logical_id=event["LogicalResourceId"], physical_id=physical, outcome="retained")
        return answer
    try:
        book = load_ledger(event)
    except ledger.Unreadable as error:  # a Delete never fails over its record: it cancels what it can know
        log("delete", logical_id=event["LogicalResourceId"], physical_id=physical,
            outcome=f"nothing cancelled: {error}")
        return answer
    legacy = RunRef.parse(physical)
    if legacy is not None and (book is None or not book.batches):  # deployed before ledgers: its one batch
        book = book or Ledger()
        book.batches[legacy.id] = legacy.uuid
        if _still_stopping(event, book, legacy.id):
            log("delete", logical_id=event["LogicalResourceId"], physical_id=physical, outcome="cancel requested")
        _save_while_deleting(event, book)
        return answer
    if book is None:
        log("delete", logical_id=event["LogicalResourceId"], physical_id=physical,
            outcome=f"nothing cancelled: no ledger at {ledger_uri(event)} names the runs of this cohort")
        return answer
    if generation_of(physical) is not None and generation_of(physical) == book.current:
        book.forget_current()  # the resource itself is removed, not one of its generations
    try:
        outcome = f"cancelled batches {_cancel_unwanted(event, book)}"
    except RetryLater:
        outcome = "HealthOmics is throttling; is_complete cancels the rest"
    except ClientError as error:
        outcome = f"the ledger could not be saved ({s3_objects.error_code(error)}); is_complete tries again"
    if book.pending:
        outcome += (f"; {len(book.pending)} start(s) were pending when the ledger was last written: a batch they "
                    "started, if any, is not known by id and was not cancelled")
    log("delete", logical_id=event["LogicalResourceId"], physical_id=physical, outcome=outcome)
    return answer


def _save_while_deleting(event: dict[str, Any], book: Ledger) -> None:
    try:
        save_ledger(event, book)
    except (ClientError, RetryLater) as error:
        log("ledger not saved while deleting; the delete goes on", logical_id=event["LogicalResourceId"],
            error=str(error))


def wait_for_cancel(event: dict[str, Any]) -> dict[str, Any]:
    """After a Delete with CANCEL: cancel what is still unwanted, and wait until the batches stopped.
    Never fails: at the deadline the delete goes on."""
    if event["ResourceProperties"].get(fields.DELETE_POLICY, "RETAIN") != "CANCEL":
        return {"IsComplete": True}
    try:
        book = load_ledger(event)
        if book is None:
            return {"IsComplete": True}
        _cancel_unwanted(event, book)
        stopped_batches = _stopped_batches(book)
        going = [id for id in stopped_batches if _still_stopping(event, book, id)]
        going += [f"run of {entry[0]} (not submitted yet)" for entry in book.unwanted().values()]
    except RetryLater:
        going = ["(throttled)"]
    except (ledger.Unreadable, ClientError) as error:  # never fails a delete: what could be cancelled, was
        log("cohort ledger unreadable while deleting; delete goes on", error=str(error))
        going = []
    if going and phases.past(event):
        log("cohort batches not known to have stopped at the deadline; delete goes on", batches=going)
        going = []
    return {"IsComplete": not going}


def _stopped_batches(book: Ledger) -> list[str]:
    """Batches every run of which was stopped on purpose: they were (or are being) cancelled."""
    live = {entry[1] for entry in book.samples.values() if ledger.STOPPED not in entry[2]}
    return [id for id in book.batches if id not in live]


def _still_stopping(event: dict[str, Any], book: Ledger, batch_id: str) -> bool:
    found = BATCH.describe(clients.omics(), batch_id)
    if found is None or found["uuid"] != book.batches[batch_id]:
        return False
    if found["status"] in BATCH.active:
        BATCH.cancel(clients.omics(), batch_id)  # the cancel came too early to take (a batch still CREATING)
    return found["status"] in BATCH.active | BATCH.stopping


# -- entry points ------------------------------------------------------------------------------

def on_event(event: dict[str, Any]) -> dict[str, Any]:
    if event["RequestType"] == "Delete":
        return delete(event)
    settings = phases.read(BATCH, event["ResourceProperties"])
    deadline = {WAIT_DEADLINE: phases.deadline(settings.timeout_seconds)}
    try:
        return {**deploy(event, settings), **deadline}
    except RetryLater as why:
        log("cannot start yet; is_complete tries again", logical_id=event["LogicalResourceId"], why=str(why))
        # A batch that started has the generation's physical id at once: a rollback's Delete then reaches it.
        pending = getattr(why, "physical_id", None) or event.get("PhysicalResourceId") or "pending/cohort"
        return {"PhysicalResourceId": pending, PHASE: START, WAITING_FOR: str(why), **deadline}


def is_complete(event: dict[str, Any]) -> dict[str, Any]:
    if event["RequestType"] == "Delete":
        return wait_for_cancel(event)
    phase = event.get(PHASE, WAIT)
    if phase == KEPT:
        return {"IsComplete": True}
    settings = phases.read(BATCH, event["ResourceProperties"])
    answer: dict[str, Any] = {}
    if phase == START:
        phases.spread()
        try:
            answer = deploy(event, settings)
        except RetryLater as why:
            if phases.past(event):
                raise phases.throttled_past_deadline(BATCH, {**event, WAITING_FOR: str(why)}, settings,
                                                     "start") from None
            return {"IsComplete": False}
        if answer[PHASE] == KEPT:
            return {"IsComplete": True, "PhysicalResourceId": answer["PhysicalResourceId"], "Data": answer["Data"]}
    waited = RunRef.parse(answer.get(WAIT_BATCH) or event.get(WAIT_BATCH))
    if waited is None:  # an event from before cohorts: its physical id names the batch
        waited = RunRef.started(event["PhysicalResourceId"])
    done = phases.wait_for(BATCH, event, settings, waited)
    if done["IsComplete"]:
        reported = answer.get("Data") or event.get("Data") or {}
        book = load_ledger(event) or Ledger()
        done["Data"] = _data(event, book, waited.id, reported.get("RunsStarted", 0), reported.get("SampleCount", 0))
        if answer:
            done["PhysicalResourceId"] = answer["PhysicalResourceId"]
    return done
