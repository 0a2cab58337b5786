"""Why a run (or the runs of a batch) failed, and what to do: read from HealthOmics, never from logs.

Said twice, for two audiences. The CloudFormation reason (``text``), which lands in stack events that
everyone with ``cloudformation:DescribeStackEvents`` reads for 90 days, carries identifiers only: run and
task ids, failure-reason codes, cause classes and counts, log group and stream names, and the next step
once per cause. Never a status message (INPUT_URI_NOT_FOUND's names the input's URI), a task name (a
Nextflow tag holds a sample id), a URI or a sample id. The full explanation (``explanation``, ``as_dict``:
every failed run, grouped by cause, with its tasks and messages) goes to the handler's log and to
``healthomics-run status``, which the account's own access controls guard.

What is read, in the order HealthOmics' guide debugs a run ("Debugging a HealthOmics workflow run"): the
run's ``failureReason`` and ``statusMessage`` (GetRun), its failed tasks (ListRunTasks with status FAILED,
every page), and for the first few of them their own failure reason, status message and log stream
(GetRunTask). Log *contents* are never read: they may hold patient data; the log group and stream are named.

A cause class, with the next step, is chosen for the failure reasons HealthOmics documents ("Run failure
reasons", https://docs.aws.amazon.com/omics/latest/dev/workflows-run-errors.html); a task's own reason
comes before the run's, since a run whose task ran out of memory may itself say only that a task failed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from healthomics_run.run_model import reasons

from . import batches, runs

LOG_GROUP = "/aws/omics/WorkflowLog"
TASKS_NAMED = 3  # failed tasks read (GetRunTask) and named per run
RUNS_NAMED = 3  # failed runs named per cause in a batch's reason (the rest are counted)
SEE_ALL = ("Task names and status messages: healthomics-run status, or the start-run handler's log "
           "(record \"failure diagnosis\").")
# What HealthOmics documents as failure reasons are codes (OUT_OF_MEMORY_ERROR); anything else is free text,
# which may quote a URI or a sample, and stays out of the reason.
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,79}")


def code(value: str, missing: str = "no failure reason given") -> str:
    """``value`` when it is a code, else what it is: a reason's words are shown only where access is guarded."""
    if not value:
        return missing
    return value if _CODE.fullmatch(value) else "a failure reason in words (not shown here)"


@dataclass(frozen=True)
class Cause:
    key: str
    title: str
    next_step: str


RERUN = "change rerun_token and deploy to run again"
CAUSES = {cause.key: cause for cause in (
    Cause("OUT_OF_MEMORY", "out of memory",
          "give the failed task more memory in the workflow definition (its memory asked is shown here); a new "
          "workflow version starts a new run"),
    Cause("IMAGE_PULL", "container image pull (ECR)",
          "check that the image exists in ECR in the run's Region and that its repository policy lets "
          "omics.amazonaws.com ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability; "
          "then " + RERUN),
    Cause("S3_ACCESS", "S3 access of the service role",
          "check that each input exists and the service role may s3:GetObject it (s3:ListBucket on its bucket, "
          "kms:Decrypt for SSE-KMS), and s3:PutObject under output_uri; then " + RERUN),
    Cause("SERVICE_ROLE", "service role not assumable",
          "let omics.amazonaws.com assume the service role (its trust policy); then " + RERUN),
    Cause("CAPACITY", "service quota or capacity",
          "wait, or ask for a higher HealthOmics quota (Service Quotas), or lower the run group's limits to what the "
          "account has; then " + RERUN),
    Cause("INVALID_PARAMETERS", "invalid parameters",
          "fix the parameter or input the message names and deploy: changed parameters start a new run"),
    Cause("RUN_TIMEOUT", "run timed out (run group max_duration)",
          "raise the run group's max_duration, or make the run shorter; then " + RERUN),
    Cause("TASK_TIMEOUT", "task timed out",
          "raise the task's time limit in the workflow definition, or split the task; a new workflow version "
          "starts a new run"),
    Cause("RUN_STORAGE", "run storage full",
          "raise storage_capacity, or use storage_type DYNAMIC; a changed setting starts a new run"),
    Cause("TRANSIENT", "transient HealthOmics error", RERUN),
    Cause("WORKFLOW", "a task or the workflow failed",
          "read the failed task's log stream (and the run's engine log) in CloudWatch Logs, fix the workflow or its "
          "inputs; a new workflow version or changed parameters start a new run"),
)}

# HealthOmics' documented failure reasons (GetRun and GetRunTask failureReason), by cause class.
_BY_REASON = {
    "OUT_OF_MEMORY_ERROR": "OUT_OF_MEMORY",
    "CANNOT_START_CONTAINER_ERROR": "IMAGE_PULL", "CANNOT_START_CONTAINER_SIZE_ERROR": "IMAGE_PULL",
    "ECR_PERMISSION_ERROR": "IMAGE_PULL", "IMAGE_VERIFICATION_FAILURE": "IMAGE_PULL",
    "INVALID_ECR_IMAGE_URI": "IMAGE_PULL",
    "IMPORT_FAILED": "S3_ACCESS", "EXPORT_FAILED": "S3_ACCESS", "INPUT_URI_NOT_FOUND": "S3_ACCESS",
    "ASSUME_ROLE_FAILED": "SERVICE_ROLE",
    "INSTANCE_RESERVATION_FAILED": "CAPACITY", "UNSUPPORTED_GPU_INSTANCE_TYPE": "CAPACITY",
    "INVALID_RUN_PARAMETERS": "INVALID_PARAMETERS", "INVALID_URI_INPUT": "INVALID_PARAMETERS",
    "INVALID_TASK_RESOURCE_VALUE": "INVALID_PARAMETERS", "UNSUPPORTED_INPUT_SIZE": "INVALID_PARAMETERS",
    "MODIFIED_INPUT_RESOURCE": "INVALID_PARAMETERS", "INACTIVE_OMICS_STORAGE_RESOURCE": "INVALID_PARAMETERS",
    "RUN_TIMED_OUT": "RUN_TIMEOUT", "TASK_TIMED_OUT": "TASK_TIMEOUT",
    "FILE_SYSTEM_OUT_OF_SPACE": "RUN_STORAGE",
    "SERVICE_ERROR": "TRANSIENT",
}
# A status message without a documented reason: its words, most specific first.
_BY_WORDS = (
    (re.compile(r"out of memory|outofmemory|\boom\b|exit (code|status) 137", re.I), "OUT_OF_MEMORY"),
    (re.compile(r"\becr\b|image|pull", re.I), "IMAGE_PULL"),
    (re.compile(r"access ?denied|\b403\b|not authori[sz]ed|s3://", re.I), "S3_ACCESS"),
    (re.compile(r"quota|capacity|limit exceeded", re.I), "CAPACITY"),
    (re.compile(r"timed? ?out", re.I), "TASK_TIMEOUT"),
)


@dataclass(frozen=True)
class FailedTask:
    id: str
    name: str
    status_message: str = ""
    failure_reason: str = ""
    instance_type: str = ""
    cpus: Optional[int] = None
    memory: Optional[int] = None  # GiB asked
    gpus: Optional[int] = None
    log_stream: str = ""
    cause: Optional[Cause] = None  # its own, when it says one (failure reason or status message)

    @property
    def stream(self) -> str:
        """The task's log stream name (GetRunTask gives its ARN; its name is ``run/<run>/task/<task>``)."""
        return self.log_stream.rpartition(":log-stream:")[2] if self.log_stream else ""

    def asked(self) -> str:
        parts = [self.instance_type, self.cpus is not None and f"{self.cpus} CPUs",
                 self.memory is not None and f"{self.memory} GiB", self.gpus and f"{self.gpus} GPUs"]
        return ", ".join(part for part in parts if part) or "resources not reported"


_STREAM = re.compile(r"run/[0-9A-Za-z]+(/task/[0-9A-Za-z]+)?")


@dataclass(frozen=True)
class RunDiagnosis:
    run_id: str
    status: str
    failure_reason: str = ""
    status_message: str = ""
    cause: Optional[Cause] = None  # the run's main cause: its tasks' most common, else its own
    tasks: tuple[FailedTask, ...] = ()  # the failed tasks read (GetRunTask)
    failed_tasks: Optional[int] = None  # None: the tasks were not read; else every page counted
    unread: str = ""  # why the tasks were not read

    @property
    def run_stream(self) -> str:
        return f"run/{self.run_id}"

    def causes(self) -> dict[Cause, list[FailedTask]]:
        """Each cause of this run with its tasks, most tasks first: a run with mixed causes gets advice per cause."""
        if self.cause is None:
            return {}
        by_cause: dict[Cause, list[FailedTask]] = {}
        for task in self.tasks:
            by_cause.setdefault(task.cause or self.cause, []).append(task)
        if not by_cause:
            return {self.cause: []}
        return dict(sorted(by_cause.items(), key=lambda item: -len(item[1])))

    def text(self, limit: int = reasons.MAX_MESSAGE_BYTES - 200) -> str:
        """For a CloudFormation reason, identifiers only: what failed (ids, reason code), each cause with its tasks
        (ids, resources asked, log streams) and its next step once, where the logs are; in at most ``limit`` bytes
        (room is left for ``kinds.RERUN_ADVICE``): tasks that do not fit are counted."""
        head = f"The run {self.run_id} ended {self.status}: {code(self.failure_reason)}."
        tail = f" Logs: CloudWatch Logs group {LOG_GROUP}, stream {self.run_stream} (run), {self.run_stream}/engine."
        if self.status == "FAILED":
            tail += " " + SEE_ALL
        if self.failed_tasks is None:
            causes = "".join(_advice(cause) for cause in self.causes())
            return head + causes + (f" Failed tasks not read ({_error(self.unread)})." if self.unread else "") + tail
        if not self.failed_tasks:
            return head + "".join(_advice(cause) for cause in self.causes()) + " No task failed." + tail
        parts = [f" Failed tasks: {self.failed_tasks}."]
        shown = 0
        for cause, tasks in self.causes().items():
            parts.append(_advice(cause, len(tasks) if len(self.causes()) > 1 else None))
            for task in tasks:
                part = f" Task {task.id} ({task.asked()}), log stream {self.task_stream(task)}."
                if reasons.sent_size(head + "".join(parts) + part + tail) + 40 > limit:
                    break
                parts.append(part)
                shown += 1
        if self.failed_tasks > shown:
            parts.append(f" {self.failed_tasks - shown} more failed tasks not named.")
        return reasons.bounded(head + "".join(parts) + tail, limit)

    def explanation(self) -> str:
        """Everything read, for a reader the account's access controls let in (``healthomics-run status``, the
        handler's log): the run's reason and message, each failed task's name, message and log stream."""
        said = self.failure_reason or "no failure reason given"
        message = (self.status_message or "no status message").rstrip(".")
        out = f"The run {self.run_id} ended {self.status}: {said}; {message}."
        for cause, tasks in self.causes().items():
            out += _advice(cause, len(tasks) if len(self.causes()) > 1 else None)
            for task in tasks:
                out += (f" '{task.name}' (task {task.id}, {task.asked()}): "
                        f"{(task.status_message or task.failure_reason or 'no status message').rstrip('.')}, "
                        f"log stream {self.task_stream(task)}.")
        if self.failed_tasks is None and self.unread:
            out += f" Failed tasks not read ({self.unread})."
        elif self.failed_tasks == 0:
            out += " No task failed."
        elif self.failed_tasks and self.failed_tasks > len(self.tasks):
            out += f" Failed tasks: {self.failed_tasks}, {len(self.tasks)} read."
        return out + (f" Logs: CloudWatch Logs group {LOG_GROUP}, stream {self.run_stream} (run), "
                      f"{self.run_stream}/engine.")

    def task_stream(self, task: FailedTask) -> str:
        """The stream's name: a name of ids only, else the one HealthOmics documents for the task."""
        return task.stream if _STREAM.fullmatch(task.stream or "") else f"{self.run_stream}/task/{task.id}"

    def as_dict(self) -> dict[str, Any]:
        return {"runId": self.run_id, "status": self.status, "failureReason": self.failure_reason,
                "statusMessage": self.status_message, "cause": self.cause.key if self.cause else None,
                "causeTitle": self.cause.title if self.cause else None,
                "nextStep": self.cause.next_step if self.cause else None,
                "causes": {cause.key: [task.id for task in tasks] for cause, tasks in self.causes().items()},
                "logGroup": LOG_GROUP, "runLogStream": self.run_stream, "failedTaskCount": self.failed_tasks,
                "tasksUnread": self.unread or None,
                "failedTasks": [{"taskId": t.id, "name": t.name, "statusMessage": t.status_message,
                                 "failureReason": t.failure_reason, "cause": t.cause.key if t.cause else None,
                                 "instanceType": t.instance_type, "cpus": t.cpus, "memoryGiB": t.memory,
                                 "gpus": t.gpus, "logStream": self.task_stream(t)} for t in self.tasks]}


def _advice(cause: Cause, count: Optional[int] = None) -> str:
    counted = f" ({count} {'task' if count == 1 else 'tasks'})" if count is not None else ""
    return f" Cause: {cause.title}{counted}. Next: {cause.next_step}."


def _error(unread: str) -> str:
    """What could not be read, as the error's code: an AWS error message may quote a resource."""
    found = re.search(r"HealthOmics \w+ failed with \w+|too little time left", unread)
    return found.group(0) if found else "an error; see the handler's log"


def classify(failure_reasons: list[str], messages: list[str]) -> Cause:
    """The cause class: the first documented failure reason (tasks' before the run's), else the words of the
    first status message that names a known cause, else a failure of the workflow itself."""
    for reason in failure_reasons:
        if reason in _BY_REASON:
            return CAUSES[_BY_REASON[reason]]
    for message in messages:
        for pattern, key in _BY_WORDS:
            if message and pattern.search(message):
                return CAUSES[key]
    return CAUSES["WORKFLOW"]


def _own_cause(failure_reason: str, message: str) -> Optional[Cause]:
    """A cause that a task's own reason or message names (not the catch-all WORKFLOW)."""
    cause = classify([failure_reason], [message])
    return None if cause is CAUSES["WORKFLOW"] and failure_reason not in _BY_REASON else cause


def diagnose_run(omics: Callable[[], Any], run: dict[str, Any], tasks_named: int = TASKS_NAMED) -> RunDiagnosis:
    """A run as GetRun describes it, with its failed tasks when it FAILED (``omics`` makes the client, asked for
    only then; every page of ListRunTasks is counted, the first ``tasks_named`` tasks read). Never raises for what
    it cannot read (throttling, no time left, a permission missing): it says so instead."""
    base = {"run_id": run["id"], "status": run["status"], "failure_reason": run.get("failureReason") or "",
            "status_message": run.get("statusMessage") or ""}
    if run["status"] != "FAILED":
        return RunDiagnosis(**base)
    own = classify([base["failure_reason"]], [base["status_message"]])
    if not tasks_named:
        return RunDiagnosis(**base, cause=own)
    try:
        listed, token = [], None
        while True:
            page = runs.call("ListRunTasks", omics().list_run_tasks, id=run["id"], status="FAILED",
                             **({"startingToken": token} if token else {}))
            listed += page.get("items", [])
            token = page.get("nextToken")
            if not token:
                break
        tasks = tuple(_task(omics(), run["id"], item) for item in listed[:tasks_named])
    except (runs.RetryLater, runs.RunError) as error:
        return RunDiagnosis(**base, cause=own, unread=reasons.bounded(str(error), 300))
    task_causes = Counter(task.cause for task in tasks if task.cause is not None)
    cause = task_causes.most_common(1)[0][0] if task_causes else \
        classify([task.failure_reason for task in tasks] + [base["failure_reason"]],
                 [task.status_message for task in tasks] + [base["status_message"]])
    return RunDiagnosis(**base, cause=cause, tasks=tasks, failed_tasks=len(listed))


def _task(omics, run_id: str, item: dict[str, Any]) -> FailedTask:
    found = runs.call("GetRunTask", omics.get_run_task, id=run_id, taskId=item["taskId"])
    reason, message = found.get("failureReason") or "", found.get("statusMessage") or ""
    return FailedTask(id=item["taskId"], name=found.get("name") or item.get("name") or "",
                      status_message=message, failure_reason=reason,
                      instance_type=found.get("instanceType") or item.get("instanceType") or "",
                      cpus=found.get("cpus", item.get("cpus")), memory=found.get("memory", item.get("memory")),
                      gpus=found.get("gpus", item.get("gpus")), log_stream=found.get("logStream") or "",
                      cause=_own_cause(reason, message))


# -- batches -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchDiagnosis:
    batch_id: str
    status: str
    failure_reason: str = ""
    failed_runs: int = 0  # GetBatch runSummary.failedRunCount
    total_runs: int = 0  # GetBatch totalRuns
    failed_submissions: Counter = field(default_factory=Counter)  # submissionFailureReason -> samples (every page)
    runs: tuple[RunDiagnosis, ...] = ()  # every failed run found (every page of ListRunsInBatch)
    examined: int = 0  # submitted runs described looking for failed ones
    unread: str = ""

    def by_cause(self) -> dict[Cause, list[RunDiagnosis]]:
        """Each cause with its failed runs, most runs first (a run counts under each of its causes)."""
        grouped: dict[Cause, list[RunDiagnosis]] = {}
        for run in self.runs:
            for cause in run.causes() or {CAUSES["WORKFLOW"]: []}:
                grouped.setdefault(cause, []).append(run)
        return dict(sorted(grouped.items(), key=lambda item: -len(item[1])))

    @property
    def causes(self) -> Counter:
        """Cause title -> failed runs."""
        return Counter({cause.title: len(found) for cause, found in self.by_cause().items()})

    def _head(self, reason: str) -> str:
        ended = "is" if self.status in batches.ACTIVE_STATUSES | batches.STOPPING_STATUSES else "ended"
        out = f"The batch {self.batch_id} {ended} {self.status}: {reason.rstrip('.')}."
        if self.failed_submissions:
            counts = ", ".join(f"{code(reason, 'no reason given')} {count}"
                               for reason, count in self.failed_submissions.most_common())
            out += f" Samples that failed to submit: {sum(self.failed_submissions.values())} ({counts})."
        if self.failed_runs or self.runs:
            found = len(self.runs)
            out += f" Runs failed: {max(found, self.failed_runs)}"
            out += f" of {self.total_runs}" if self.total_runs else ""
            if found < self.failed_runs:
                out += f" ({found} found among the {self.examined} runs read)"
            out += "."
        return out

    def text(self, limit: int = reasons.MAX_MESSAGE_BYTES - 400) -> str:
        """For a CloudFormation reason, identifiers only: counts, each cause with its runs counted, a few run ids,
        one failed task and its log stream as an example, and its next step once; in at most ``limit`` bytes."""
        head = self._head(code(self.failure_reason))
        tail = f" Logs: CloudWatch Logs group {LOG_GROUP}, stream run/<run id>, run/<run id>/task/<task id>. {SEE_ALL}"
        if self.unread:
            tail = f" Not all read: {_error(self.unread)}." + tail
        parts: list[str] = []
        grouped = self.by_cause()
        for index, (cause, found) in enumerate(grouped.items()):
            ids = reasons.listing([run.run_id for run in found], RUNS_NAMED)
            example = next(((run, task) for run in found for task in run.causes().get(cause, [])), None)
            seen = (f"; e.g. task {example[1].id} of run {example[0].run_id}, log stream "
                    f"{example[0].task_stream(example[1])}") if example else ""
            part = f" Cause: {cause.title}, {len(found)} {'run' if len(found) == 1 else 'runs'} ({ids}{seen}). " \
                   f"Next: {cause.next_step}."
            if reasons.sent_size(head + "".join(parts) + part + tail) + 120 > limit:
                left = sum(len(runs_) for runs_ in list(grouped.values())[index:])
                parts.append(f" {len(grouped) - index} more causes ({left} runs): their next steps in "
                             "healthomics-run status.")
                break
            parts.append(part)
        return reasons.bounded(head + "".join(parts) + tail, limit)

    def explanation(self) -> str:
        """Everything read, grouped by cause: each failed run's reason, message and tasks."""
        out = self._head(self.failure_reason or "no failure reason given")
        if self.failed_submissions:
            out += " Submission failures: " + ", ".join(
                f"{reason} {count}" for reason, count in self.failed_submissions.most_common()) + "."
        for cause, found in self.by_cause().items():
            out += (f"\nCause: {cause.title}, {len(found)} {'run' if len(found) == 1 else 'runs'}. "
                    f"Next: {cause.next_step}.")
            for run in found:
                out += "\n  " + run.explanation()
        if self.unread:
            out += f"\nNot all read: {self.unread}."
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"batchId": self.batch_id, "status": self.status, "failureReason": self.failure_reason,
                "failedRunCount": self.failed_runs, "totalRuns": self.total_runs,
                "failedRunsFound": len(self.runs), "failedSubmissions": dict(self.failed_submissions),
                "causes": {cause.key: {"title": cause.title, "nextStep": cause.next_step,
                                       "runs": [run.run_id for run in found]}
                           for cause, found in self.by_cause().items()},
                "examined": self.examined, "unread": self.unread or None,
                "runs": [run.as_dict() for run in self.runs]}


def _pages(operation: str, method: Callable[..., dict[str, Any]], **params: Any):
    """Each item of every page (``runs``) of a ListRunsInBatch listing (``nextToken``; maxItems at most 100)."""
    token = None
    while True:
        page = runs.call(operation, method, **params, **({"startingToken": token} if token else {}))
        yield from page.get("runs", [])
        token = page.get("nextToken")
        if not token:
            return


def diagnose_batch(omics: Callable[[], Any], batch: dict[str, Any]) -> BatchDiagnosis:
    """A batch as GetBatch describes it: its samples that failed to submit counted by reason (ListRunsInBatch with
    submissionStatus FAILED, every page), and every failed run among its submitted ones (ListRunsInBatch with
    submissionStatus SUCCESS, every page, GetRun each until all ``failedRunCount`` are found), each diagnosed."""
    summary = batch.get("runSummary") or {}
    base = {"batch_id": batch["id"], "status": batch["status"], "failure_reason": batch.get("failureReason") or "",
            "failed_runs": summary.get("failedRunCount", 0), "total_runs": batch.get("totalRuns", 0)}
    failed_submissions: Counter = Counter()
    found_runs: list[RunDiagnosis] = []
    seen = 0
    try:
        if (batch.get("submissionSummary") or {}).get("failedStartSubmissionCount"):
            failed_submissions.update(run.get("submissionFailureReason") or "no reason given" for run in
                                      _pages("ListRunsInBatch", omics().list_runs_in_batch, batchId=batch["id"],
                                             submissionStatus="FAILED"))
        if base["failed_runs"]:
            for listed in _pages("ListRunsInBatch", omics().list_runs_in_batch, batchId=batch["id"],
                                 submissionStatus="SUCCESS"):
                if len(found_runs) >= base["failed_runs"]:
                    break
                seen += 1
                run = runs.describe(omics(), listed["runId"]) if listed.get("runId") else None
                if run is None or run.get("uuid") != listed.get("runInternalUuid") or run["status"] != "FAILED":
                    continue
                found_runs.append(diagnose_run(omics, run))
    except (runs.RetryLater, runs.RunError) as error:
        return BatchDiagnosis(**base, failed_submissions=failed_submissions, runs=tuple(found_runs),
                              examined=seen, unread=reasons.bounded(str(error), 300))
    return BatchDiagnosis(**base, failed_submissions=failed_submissions, runs=tuple(found_runs), examined=seen)
