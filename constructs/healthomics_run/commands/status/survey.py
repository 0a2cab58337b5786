"""Each run and batch a stack declares, as HealthOmics holds it now, and where the two disagree.

One row per run, and per batch of a cohort (its ledger names every batch it started); a drift row for each
disagreement, saying what to do:

| what HealthOmics shows                                   | row                                              |
|----------------------------------------------------------|--------------------------------------------------|
| the run (batch) the stack names is gone                  | DRIFT: deleted (``retention_mode`` REMOVE removes |
|                                                          | the oldest runs at the run-count maximum)        |
| it is CANCELLED, yet the stack still names it            | DRIFT: cancelled outside the stack (the stack    |
|                                                          | cancels only what it no longer names)            |
| samples of a batch failed to submit                      | DRIFT: never submitted                           |
| runs of a batch cancelled while the batch was not        | DRIFT: cancelled outside the stack               |
| runs of a batch deleted (the batch's own DeleteRunBatch  | DRIFT: deleted                                   |
| aside)                                                   |                                                  |
| an active run (batch) under the resource's name that the | DRIFT: a duplicate started outside the stack, or |
| stack does not name                                      | an earlier run left running (RETAIN)             |

Runs and batches outlive what HealthOmics lists: ``GetRun`` of a run removed by REMOVE retention answers
ResourceNotFound ("HealthOmics stores a fixed number of runs", API Reference GetRun), and EventBridge delivers
HealthOmics events on a best-effort basis, so the record is the stack's physical ids (and a cohort's ledger).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from botocore.exceptions import ClientError

from healthomics_run.run_model import ledger_location
from healthomics_run.run_model.run_ref import RunRef
from healthomics_run.service_calls import batches, chain_state, diagnosis, ledger, runs

from . import chains
from .declared import Declared
from .pricing import NoPricing, RunPricer, shown

RERUN_TOKEN = "change rerun_token and deploy to run it again"
LEDGER_UNREADABLE = "LEDGER NOT A LEDGER"


class _GarbledLedger(str):
    """Why a cohort's ledger is not a ledger (as ``_cohort_batches``' third value), and where it is."""

    uri: str

    def __new__(cls, uri: str, why: str) -> "_GarbledLedger":
        made = super().__new__(cls, why)
        made.uri = uri
        return made


class State(str, enum.Enum):
    ACTIVE = "ACTIVE"  # still going (a batch still going may have failed runs already: see its diagnosis)
    DONE = "DONE"  # ended as wanted
    FAILED = "FAILED"  # ended, and a run failed: see its diagnosis
    DRIFT = "DRIFT"  # the stack and HealthOmics disagree


@dataclass(frozen=True)
class Row:
    stack: str
    path: str
    kind: str  # run, batch
    id: str  # the run or batch id ("" when there is none)
    status: str  # as HealthOmics says, or DELETED / NOT STARTED / NOT FOUND
    state: State
    created: str = ""
    started: str = ""
    stopped: str = ""
    progress: str = ""
    output: str = ""
    cost: str = ""
    diagnosis: Union[diagnosis.RunDiagnosis, diagnosis.BatchDiagnosis, None] = None
    drift: str = ""  # what disagrees
    action: str = ""  # what to do


@dataclass
class Survey:
    """The clients (``omics`` and ``s3`` are made on first use) and the pricer a survey uses."""

    omics: Callable[[], Any]
    s3: Callable[[], Any]
    pricer: RunPricer = field(default_factory=NoPricing)
    _active: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict, init=False, repr=False)
    _workflows: dict[str, bool] = field(default_factory=dict, init=False, repr=False)  # id -> GetWorkflow found it

    def rows(self, declared: list[Declared]) -> list[Row]:
        rows: list[Row] = []
        self._active.clear()
        self._workflows.clear()
        for item in declared:
            rows += self._run_rows(item) if item.kind == "run" else self._batch_rows(item)
        return rows

    def _active_named(self, action: str, name: str) -> list[dict[str, Any]]:
        """Active runs (``ListRuns``) or batches (``ListBatch``) named ``name``: each listed once per look, by
        status (the filter takes one value), rather than asked once per resource."""
        if action not in self._active:
            method, statuses = ((self.omics().list_runs, runs.ACTIVE_STATUSES) if action == "ListRuns"
                                else (self.omics().list_batch, batches.ACTIVE_STATUSES))
            by_name: dict[str, list[dict[str, Any]]] = {}
            for status in sorted(statuses):
                for found in _listed(action, method, "items", status=status):
                    by_name.setdefault(found.get("name", ""), []).append(found)
            self._active[action] = by_name
        return self._active[action].get(name, [])

    # -- runs --------------------------------------------------------------------------------
    def _run_rows(self, item: Declared) -> list[Row]:
        name = _text(item.properties.get("Name"))
        ref = RunRef.parse(item.physical_id)
        if item.physical_id is None:  # a template: what HealthOmics holds under the name
            listed = _listed("ListRuns", self.omics().list_runs, "items", name=name) if name else []
            if not listed:
                return [_row(item, "", "NOT FOUND", State.DRIFT, drift="HealthOmics has no run under this name",
                             action="deploy the stack; or, if it was deployed, give the stack's name to read its "
                                   "run ids")]
            newest = max(listed, key=lambda run: run["creationTime"])
            return [self._run_row(item, runs.describe(self.omics(), newest["id"]) or newest, by_name=True)]
        if ref is None:
            return [_row(item, "", "NOT STARTED", State.DRIFT, drift="the resource names no run (a create that "
                         "failed, or one still waiting to start)", action="read the stack's events; deploy again")]
        run = runs.describe(self.omics(), ref.id)
        if run is None or run["uuid"] != ref.uuid or run["status"] == "DELETED":
            return [_row(item, ref.id, "DELETED", State.DRIFT,
                         drift="HealthOmics no longer has this run: deleted by hand, or by retention_mode REMOVE "
                               "(the oldest such runs are removed at the run-count maximum)",
                         action=f"its outputs, if any, stay in S3; {RERUN_TOKEN}, or ignore")] + \
                self._duplicates(item, name, ref)
        return [self._run_row(item, run)] + self._workflow_drift(item, run.get("workflowId")) + \
            self._duplicates(item, name, ref)

    def _workflow_drift(self, item: Declared, ran: Any) -> list[Row]:
        """The workflow the template names is gone (GetWorkflow: ResourceNotFound), or the runs ran another one
        than the template names (the workflow replaced outside the stack, or runs started by hand)."""
        named = item.properties.get("WorkflowId")
        if not isinstance(named, str) or not named:
            return []
        rows = []
        if ran and str(ran) != named:
            rows.append(_row(item, "", "WORKFLOW REPLACED", State.DRIFT,
                             drift=f"the {item.kind} ran workflow {ran}, but the stack names workflow {named}: the "
                                   "workflow was replaced outside the stack, or the runs were started by hand",
                             action="deploy the stack to run the workflow it names; or ignore"))
        shared = item.properties.get("WorkflowOwnerId") or item.properties.get("WorkflowType") not in (None, "PRIVATE")
        if not shared and not self._workflow_exists(named):
            rows.append(_row(item, "", "WORKFLOW DELETED", State.DRIFT,
                             drift=f"HealthOmics no longer has workflow {named}, which the stack names: deleted "
                                   "outside the stack; the next run or rollback of this resource fails",
                             action="deploy the stack that creates the workflow (or point workflow_id at one that "
                                    "exists); outputs of earlier runs stay in S3"))
        return rows

    def _workflow_exists(self, workflow_id: str) -> bool:
        if workflow_id not in self._workflows:
            self._workflows[workflow_id] = runs.find("GetWorkflow", self.omics().get_workflow,
                                                     id=workflow_id) is not None
        return self._workflows[workflow_id]

    def _run_row(self, item: Declared, run: dict[str, Any], by_name: bool = False) -> Row:
        status = run["status"]
        tasks = self._tasks(run["id"])
        counts = Counter(task["status"] for task in tasks)
        progress = ", ".join(f"{count} {task_status.lower()}" for task_status, count in sorted(counts.items()))
        base = {"created": _time(run.get("creationTime")), "started": _time(run.get("startTime")),
                "stopped": _time(run.get("stopTime")), "output": run.get("runOutputUri", ""),
                "progress": f"tasks: {progress}" if progress else "", "cost": shown(self.pricer.run_cost(run, tasks))}
        note = " (found by its name)" if by_name else ""
        if status == "FAILED":
            found = diagnosis.diagnose_run(self.omics, run)
            assert found.cause is not None, "diagnose_run names the cause of every FAILED run"
            return _row(item, run["id"], status, State.FAILED, diagnosis=found, action=found.cause.next_step + note,
                        **base)
        if status == "CANCELLED":
            return _row(item, run["id"], status, State.DRIFT, **base,
                        drift="cancelled outside the stack (the stack cancels only runs it no longer names)",
                        action=f"{RERUN_TOKEN}, or ignore{note}")
        state = State.DONE if status == "COMPLETED" else State.ACTIVE
        return _row(item, run["id"], status, state, action=note.strip(), **base)

    def _tasks(self, run_id: str) -> list[dict[str, Any]]:
        try:
            return _listed("ListRunTasks", self.omics().list_run_tasks, "items", id=run_id)
        except (runs.RunError, runs.RetryLater):
            return []

    def _duplicates(self, item: Declared, name: Optional[str], ref: RunRef) -> list[Row]:
        """Active runs under the resource's name that the stack does not name (a batch's runs are the batch's)."""
        if not name:
            return []
        named = {ref.id} | ({ref.replaced.id} if ref.replaced else set())
        return [_row(item, run["id"], run["status"], State.DRIFT, created=_time(run.get("creationTime")),
                     drift="an active run under this resource's name that the stack does not name: started outside "
                           "the stack, or an earlier run of this resource left running (delete_policy RETAIN)",
                     action=f"cancel it if it duplicates the stack's run (aws omics cancel-run --id {run['id']}); "
                            "else ignore")
                for run in self._active_named("ListRuns", name) if run["id"] not in named and not run.get("batchId")]

    # -- batches -----------------------------------------------------------------------------
    def _batch_rows(self, item: Declared) -> list[Row]:
        name = _text(item.properties.get("BatchName"))
        known, wanted, unread = self._cohort_batches(item)
        if isinstance(unread, _GarbledLedger):
            return self._garbled_rows(item, name, unread)
        note = ""
        if not known and unread and name:  # no ledger at hand: what HealthOmics holds under the name
            known = {batch["id"]: None for batch in _listed("ListBatch", self.omics().list_batch, "items", name=name)}
            note = f"found by its name: {unread}"
        if not known:
            return [_row(item, "", "NOT FOUND", State.DRIFT, drift=unread or "the resource names no batch",
                          action="let your credentials s3:GetObject the ledger" if "could not be read" in unread
                          else "deploy the stack; or read the stack's events")]
        rows = []
        for batch_id, batch_uuid in known.items():
            rows += self._batch_row(item, batch_id, batch_uuid, batch_id in wanted, note)
        ran = {(batches.describe(self.omics(), batch_id) or {}).get("defaultRunSetting", {}).get("workflowId")
               for batch_id in known} - {None}
        rows += self._workflow_drift(item, next(iter(ran)) if len(ran) == 1 else None)
        if not unread:  # the ledger was read: the chains' state is beside it
            rows += self._chain_rows(item)
        if name:
            rows += [_row(item, batch["id"], batch["status"], State.DRIFT, created=_time(batch.get("createdAt")),
                          drift="an active batch under this resource's name that the stack did not start",
                          action=f"cancel it if it duplicates the stack's runs (aws omics cancel-run-batch "
                                 f"--batch-id {batch['id']}); else ignore")
                     for batch in self._active_named("ListBatch", name) if batch["id"] not in known]
        return rows

    def _cohort_batches(self, item: Declared) -> tuple[dict[str, Optional[str]], set[str], str]:
        """The batches the cohort started (id -> uuid) and those holding runs it still wants, from its ledger
        in S3 (``ledger_location.ledger_uri``); an id/uuid physical id from before ledgers names its one batch."""
        legacy = RunRef.parse(item.physical_id)
        if legacy is not None:
            return {legacy.id: legacy.uuid}, {legacy.id}, ""
        output = item.properties.get("OutputUri")
        if item.physical_id is None or not isinstance(output, str) or not item.stack_id:
            return {}, set(), "the cohort's ledger cannot be located from a template"
        event = {"ResourceProperties": item.properties, "StackId": item.stack_id, "LogicalResourceId": item.logical_id}
        uri = ledger_location.ledger_uri(event)
        try:
            book = ledger.load(self.s3(), uri, ledger_location.bucket_owner(event))
        except ledger.Garbled as error:
            return {}, set(), _GarbledLedger(uri, str(error))
        except (ClientError, runs.RetryLater, ledger.Unreadable) as error:
            return {}, set(), f"the cohort's ledger {uri} could not be read ({error})"
        if book is None:
            return {}, set(), f"the cohort's ledger {uri} could not be read (there is none)"
        wanted = {entry[1] for entry in book.samples.values()
                  if ledger.WANTED in entry[2] and ledger.STOPPED not in entry[2]}
        return dict(book.batches), wanted, ""

    def _chain_rows(self, item: Declared) -> list[Row]:
        """The cohort's chains step by step, from their state objects beside its ledger (a deployed stack's)."""
        output = item.properties.get("OutputUri")
        if item.physical_id is None or not isinstance(output, str) or not item.stack_id:
            return []
        event = {"ResourceProperties": item.properties, "StackId": item.stack_id, "LogicalResourceId": item.logical_id}
        try:
            states = chain_state.read_states(self.s3(), ledger_location.ledger_uri(event),
                                                  ledger_location.bucket_owner(event))
        except (ClientError, ValueError) as error:
            return [_row(item, "", "UNREADABLE", State.DRIFT, drift=f"the cohort's chain state could not be read "
                         f"({error})", action="let your credentials s3:ListBucket and s3:GetObject it")]
        rows = []
        for chain in sorted(states):
            for node in chains.steps(chain, states[chain]):
                action = ""
                if node.failed:
                    action = (f"read why: aws omics get-run --id {node.failed[0]}; what runs after it waits "
                              "(max_failed_inputs)")
                rows.append(Row(stack=item.stack, path=f"{item.path}/chains/{chain}/{node.step}", kind="chain step",
                                id=", ".join(node.failed[:3]) + (" ..." if len(node.failed) > 3 else ""),
                                status=node.state, state=State(node.state), progress=node.progress, action=action))
        return rows

    def _garbled_rows(self, item: Declared, name: Optional[str], garbled: "_GarbledLedger") -> list[Row]:
        """A ledger that is there but is not one (edited, cut short): a problem, whose fix is restoring it. The
        batches under the resource's name are shown as found, with no advice that reruns every sample: the
        ledger, restored, says which samples ran."""
        restore = ledger.restore_advice(garbled.uri, rerun=False)
        rows = [_row(item, "", LEDGER_UNREADABLE, State.FAILED,
                     drift=f"the cohort's ledger {garbled.uri} is not a ledger (edited by hand, cut short, or another "
                           "file): the next deploy that changes this cohort fails until it is restored",
                     action=f"restore the ledger: {restore} Do not change rerun_token: that runs every sample again")]
        found = _listed("ListBatch", self.omics().list_batch, "items", name=name) if name else []
        for batch in found:
            for row in self._batch_row(item, batch["id"], None, False, "found by its name: the ledger is not a ledger"):
                action = row.action.replace(f"{RERUN_TOKEN} (every sample runs), or ignore", "restore the ledger first")
                action = action.replace(f", or {RERUN_TOKEN} (every sample runs)", "")
                rows.append(dataclasses.replace(row, action=action.replace(RERUN_TOKEN, "restore the ledger first")))
        return rows

    def _batch_row(self, item: Declared, batch_id: str, batch_uuid: Optional[str], wanted: bool,
                   note: str) -> list[Row]:
        batch = batches.describe(self.omics(), batch_id)
        if batch is None or batch_uuid not in (None, batch["uuid"]):
            return [_row(item, batch_id, "DELETED", State.DRIFT, drift="HealthOmics no longer has this batch",
                         action=f"{RERUN_TOKEN} (every sample runs), or ignore")]
        summary, submissions = batch.get("runSummary") or {}, batch.get("submissionSummary") or {}
        base = {"created": _time(batch.get("creationTime")), "output": (batch.get("defaultRunSetting") or {}).get(
            "outputUri", ""), "stopped": _time(batch.get("processedTime") or batch.get("failedTime")),
            "started": _time(batch.get("submittedTime")), "progress": _progress(batch), "cost": shown(None)}
        status, failed = batch["status"], summary.get("failedRunCount", 0)
        if status == "CANCELLED" and wanted:
            row = _row(item, batch_id, status, State.DRIFT, **base, drift="cancelled outside the stack, which still "
                       "wants its runs", action=f"{RERUN_TOKEN} (every sample runs), or ignore")
        elif status == "FAILED" or failed:  # still going (ACTIVE) or not, its failures are diagnosed
            found = diagnosis.diagnose_batch(self.omics, batch)
            grouped = found.by_cause()  # mixed causes: the next step of each
            next_steps = [cause.next_step if len(grouped) == 1
                          else f"{cause.title} ({len(failed_runs)}): {cause.next_step}"
                          for cause, failed_runs in grouped.items()]
            going = status in batches.ACTIVE_STATUSES | batches.STOPPING_STATUSES
            row = _row(item, batch_id, status, State.ACTIVE if going else State.FAILED, diagnosis=found, **base,
                       action="; ".join(next_steps) if next_steps
                       else "read the batch's failure reason; " + RERUN_TOKEN)
        elif status in batches.ACTIVE_STATUSES | batches.STOPPING_STATUSES:
            row = _row(item, batch_id, status, State.ACTIVE, **base)
        else:
            row = _row(item, batch_id, status, State.DONE, **base, action=f"({note})" if note else "")
        rows = [row]
        if submissions.get("failedStartSubmissionCount"):
            count = submissions["failedStartSubmissionCount"]
            rows.append(_row(item, batch_id, status, State.DRIFT,
                             drift=f"{count} sample{'s' if count != 1 else ''} of this batch never submitted",
                             action=f"aws omics list-runs-in-batch --batch-id {batch_id} --submission-status FAILED "
                                    f"says why; fix those samples, then {RERUN_TOKEN}"))
        cancelled, deleted = summary.get("cancelledRunCount", 0), summary.get("deletedRunCount", 0)
        if cancelled and status not in ("CANCELLED", "STOPPING"):
            rows.append(_row(item, batch_id, status, State.DRIFT,
                             drift=f"{_runs(cancelled)} of this batch cancelled outside the stack",
                             action=f"{RERUN_TOKEN} (every sample runs), or ignore"))
        if deleted and status not in ("RUNS_DELETING", "RUNS_DELETED"):
            rows.append(_row(item, batch_id, status, State.DRIFT,
                             drift=f"{_runs(deleted)} of this batch deleted: by hand, or by retention_mode REMOVE",
                             action=f"their outputs, if any, stay in S3; ignore, or {RERUN_TOKEN} (every sample runs)"))
        return rows


def _listed(action: str, method: Callable[..., dict[str, Any]], key: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a HealthOmics List call."""
    found, token = [], None
    while True:
        page = runs.call(action, method, **params, **({"startingToken": token} if token else {}))
        found += page.get(key, [])
        token = page.get("nextToken")
        if not token:
            return found


def _progress(batch: dict[str, Any]) -> str:
    summary, submissions = batch.get("runSummary") or {}, batch.get("submissionSummary") or {}
    run_counts = ", ".join(f"{summary[name]} {name.removesuffix('RunCount')}" for name in (
        "completedRunCount", "runningRunCount", "startingRunCount", "pendingRunCount", "stoppingRunCount",
        "failedRunCount", "cancelledRunCount", "deletedRunCount") if summary.get(name))
    submitted = ", ".join(f"{submissions[name]} {label}" for name, label in (
        ("successfulStartSubmissionCount", "submitted"), ("pendingStartSubmissionCount", "pending"),
        ("failedStartSubmissionCount", "failed")) if submissions.get(name))
    return "; ".join(filter(None, [f"{batch.get('totalRuns', 0)} runs" + (f": {run_counts}" if run_counts else ""),
                                   submitted and f"submissions: {submitted}"]))


def _runs(count: int) -> str:
    return f"{count} run{'s' if count != 1 else ''}"


def _row(item: Declared, id: str, status: str, state: State, **fields: Any) -> Row:
    return Row(stack=item.stack, path=item.path, kind=item.kind, id=id, status=status, state=state, **fields)


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return str(value or "")
