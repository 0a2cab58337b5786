"""Why a run (or the runs of a batch) failed, and what to do: read from HealthOmics, never from logs.

The handler puts this in the CloudFormation reason of a deploy that waited for a run that failed, and
``healthomics-run status`` shows it for every failed run a stack names. What is read, in the order
HealthOmics' guide debugs a run ("Debugging a HealthOmics workflow run"): the run's ``failureReason``
and ``statusMessage`` (GetRun), its failed tasks (ListRunTasks with status FAILED), and for the first
few of them their own failure reason, status message and log stream (GetRunTask). Log *contents* are
never read: they may hold patient data; the log group and stream are named instead.

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
RUNS_NAMED = 3  # failed runs of a batch diagnosed and named
RUNS_EXAMINED = 20  # runs of a batch described (GetRun) at most, looking for failed ones


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

    @property
    def stream(self) -> str:
        """The task's log stream name (GetRunTask gives its ARN; its name is ``run/<run>/task/<task>``)."""
        return self.log_stream.rpartition(":log-stream:")[2] if self.log_stream else ""

    def asked(self) -> str:
        parts = [self.instance_type, self.cpus is not None and f"{self.cpus} CPUs",
                 self.memory is not None and f"{self.memory} GiB", self.gpus and f"{self.gpus} GPUs"]
        return ", ".join(part for part in parts if part) or "resources not reported"


@dataclass(frozen=True)
class RunDiagnosis:
    run_id: str
    status: str
    failure_reason: str = ""
    status_message: str = ""
    cause: Optional[Cause] = None
    tasks: tuple[FailedTask, ...] = ()
    failed_tasks: Optional[int] = None  # None: the tasks were not read
    unread: str = ""  # why the tasks were not read
    more_tasks: bool = False  # ListRunTasks had more pages than the one read: at least ``failed_tasks`` failed

    @property
    def run_stream(self) -> str:
        return f"run/{self.run_id}"

    def text(self, limit: int = reasons.MAX_MESSAGE_BYTES - 200) -> str:
        """For a CloudFormation reason: what failed, why, what to do, the failed tasks and where the logs are,
        in at most ``limit`` bytes (room is left for ``kinds.RERUN_ADVICE``): tasks that do not fit are counted."""
        said = reasons.bounded(self.failure_reason or "no failure reason given", 300)
        message = reasons.bounded(self.status_message or "no status message", 400).rstrip(".")
        head = f"The run {self.run_id} ended {self.status}: {said}; {message}."
        if self.cause is not None:
            head += f" Cause: {self.cause.title}. Next: {self.cause.next_step}."
        tail = f" Logs: CloudWatch Logs group {LOG_GROUP}, stream {self.run_stream} (run), {self.run_stream}/engine."
        if self.failed_tasks is None:
            return head + (f" Failed tasks not read ({self.unread})." if self.unread else "") + tail
        if not self.failed_tasks:
            return head + " No task failed." + tail
        named: list[str] = []
        for task in self.tasks:
            message = reasons.bounded(task.status_message or task.failure_reason or "no status message", 200)
            part = (f"'{reasons.bounded(task.name, 80)}' (task {task.id}, {task.asked()}): {message.rstrip('.')}, "
                    f"log stream {self.task_stream(task)}")
            if reasons.sent_size(head + self._tasks(named + [part]) + tail) > limit:
                break
            named.append(part)
        return head + self._tasks(named) + tail

    def _tasks(self, named: list[str]) -> str:
        more = self.failed_tasks - len(named)
        listed = "; ".join(named) + (f"; and {more} more" if named and more else f"{more} not named" if more else "")
        return f" Failed tasks ({self.failed_tasks}{'+' if self.more_tasks else ''}): {listed}."

    def task_stream(self, task: FailedTask) -> str:
        return task.stream or f"{self.run_stream}/task/{task.id}"

    def as_dict(self) -> dict[str, Any]:
        return {"runId": self.run_id, "status": self.status, "failureReason": self.failure_reason,
                "statusMessage": self.status_message, "cause": self.cause.key if self.cause else None,
                "causeTitle": self.cause.title if self.cause else None,
                "nextStep": self.cause.next_step if self.cause else None,
                "logGroup": LOG_GROUP, "runLogStream": self.run_stream, "failedTaskCount": self.failed_tasks,
                "moreFailedTasks": self.more_tasks,
                "tasksUnread": self.unread or None,
                "failedTasks": [{"taskId": t.id, "name": t.name, "statusMessage": t.status_message,
                                 "failureReason": t.failure_reason, "instanceType": t.instance_type,
                                 "cpus": t.cpus, "memoryGiB": t.memory, "gpus": t.gpus,
                                 "logStream": self.task_stream(t)} for t in self.tasks]}


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


def diagnose_run(omics: Callable[[], Any], run: dict[str, Any], tasks_named: int = TASKS_NAMED) -> RunDiagnosis:
    """A run as GetRun describes it, with its failed tasks when it FAILED (``omics`` makes the client, asked for
    only then; one page of ListRunTasks is read). Never raises for what it cannot read (throttling, no time left,
    a permission missing): it says so instead."""
    base = {"run_id": run["id"], "status": run["status"], "failure_reason": run.get("failureReason") or "",
            "status_message": run.get("statusMessage") or ""}
    if run["status"] != "FAILED":
        return RunDiagnosis(**base)
    if not tasks_named:
        return RunDiagnosis(**base, cause=classify([base["failure_reason"]], [base["status_message"]]))
    try:
        page = runs.call("ListRunTasks", omics().list_run_tasks, id=run["id"], status="FAILED")
        listed = page.get("items", [])
        tasks = tuple(_task(omics(), run["id"], item) for item in listed[:tasks_named])
    except (runs.RetryLater, runs.RunError) as error:
        cause = classify([base["failure_reason"]], [base["status_message"]])
        return RunDiagnosis(**base, cause=cause, unread=reasons.bounded(str(error), 300))
    cause = classify([task.failure_reason for task in tasks] + [base["failure_reason"]],
                     [task.status_message for task in tasks] + [base["status_message"]])
    return RunDiagnosis(**base, cause=cause, tasks=tasks, failed_tasks=len(listed),
                        more_tasks=bool(page.get("nextToken")))


def _task(omics, run_id: str, item: dict[str, Any]) -> FailedTask:
    found = runs.call("GetRunTask", omics.get_run_task, id=run_id, taskId=item["taskId"])
    return FailedTask(id=item["taskId"], name=found.get("name") or item.get("name") or "",
                      status_message=found.get("statusMessage") or "", failure_reason=found.get("failureReason") or "",
                      instance_type=found.get("instanceType") or item.get("instanceType") or "",
                      cpus=found.get("cpus", item.get("cpus")), memory=found.get("memory", item.get("memory")),
                      gpus=found.get("gpus", item.get("gpus")), log_stream=found.get("logStream") or "")


# -- batches -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchDiagnosis:
    batch_id: str
    status: str
    failure_reason: str = ""
    failed_runs: int = 0  # GetBatch runSummary.failedRunCount
    failed_submissions: Counter = field(default_factory=Counter)  # submissionFailureReason -> samples
    runs: tuple[RunDiagnosis, ...] = ()  # the first failed runs found
    causes: Counter = field(default_factory=Counter)  # cause title -> failed runs among those examined
    examined: int = 0  # runs described looking for failed ones
    unread: str = ""

    def text(self) -> str:
        ended = "is" if self.status in batches.ACTIVE_STATUSES | batches.STOPPING_STATUSES else "ended"
        out = f"The batch {self.batch_id} {ended} {self.status}: " \
              f"{reasons.bounded(self.failure_reason or 'no failure reason given', 400).rstrip('.')}."
        if self.failed_submissions:
            counts = ", ".join(f"{reason} {count}" for reason, count in self.failed_submissions.most_common())
            out += f" Samples that failed to submit ({sum(self.failed_submissions.values())}): {counts}."
        if self.failed_runs:
            out += f" Runs failed: {self.failed_runs}"
            if self.causes:
                counts = ", ".join(f"{title} {count}" for title, count in self.causes.most_common())
                out += f"; by cause, among the first {self.examined} runs: {counts}"
            out += "."
            for run in self.runs:
                cause = f"{run.cause.title}: {run.cause.next_step}" if run.cause else run.failure_reason
                out += f" Run {run.run_id}: {reasons.bounded(run.failure_reason or run.status_message, 150)} ({cause})."
        if self.unread:
            out += f" Not all read: {self.unread}."
        return out + f" Logs: CloudWatch Logs group {LOG_GROUP}, stream run/<run id>."

    def as_dict(self) -> dict[str, Any]:
        return {"batchId": self.batch_id, "status": self.status, "failureReason": self.failure_reason,
                "failedRunCount": self.failed_runs, "failedSubmissions": dict(self.failed_submissions),
                "causes": dict(self.causes), "examined": self.examined, "unread": self.unread or None,
                "runs": [run.as_dict() for run in self.runs]}


def diagnose_batch(omics: Callable[[], Any], batch: dict[str, Any], runs_named: int = RUNS_NAMED,
                   examined: int = RUNS_EXAMINED) -> BatchDiagnosis:
    """A batch as GetBatch describes it: its samples that failed to submit counted by reason
    (ListRunsInBatch with submissionStatus FAILED, first page), and its failed runs by cause among the first
    ``examined`` submitted runs (GetRun each), the first ``runs_named`` of them diagnosed."""
    summary = batch.get("runSummary") or {}
    base = {"batch_id": batch["id"], "status": batch["status"], "failure_reason": batch.get("failureReason") or "",
            "failed_runs": summary.get("failedRunCount", 0)}
    failed_submissions: Counter = Counter()
    found_runs: list[RunDiagnosis] = []
    causes: Counter = Counter()
    seen = 0
    try:
        if (batch.get("submissionSummary") or {}).get("failedStartSubmissionCount"):
            page = runs.call("ListRunsInBatch", omics().list_runs_in_batch, batchId=batch["id"],
                             submissionStatus="FAILED")
            failed_submissions.update(run.get("submissionFailureReason") or "no reason given"
                                      for run in page.get("runs", []))
        if base["failed_runs"]:
            token = None
            while seen < examined:
                page = runs.call("ListRunsInBatch", omics().list_runs_in_batch, batchId=batch["id"],
                                 submissionStatus="SUCCESS", **({"startingToken": token} if token else {}))
                for listed in page.get("runs", [])[: examined - seen]:
                    seen += 1
                    run = runs.describe(omics(), listed["runId"]) if listed.get("runId") else None
                    if run is None or run.get("uuid") != listed.get("runInternalUuid") or run["status"] != "FAILED":
                        continue
                    named = len(found_runs) < runs_named
                    diagnosed = diagnose_run(omics, run, TASKS_NAMED if named else 0)
                    if named:
                        found_runs.append(diagnosed)
                    causes[diagnosed.cause.title] += 1
                token = page.get("nextToken")
                if not token:
                    break
    except (runs.RetryLater, runs.RunError) as error:
        return BatchDiagnosis(**base, failed_submissions=failed_submissions, runs=tuple(found_runs), causes=causes,
                              examined=seen, unread=reasons.bounded(str(error), 300))
    return BatchDiagnosis(**base, failed_submissions=failed_submissions, runs=tuple(found_runs), causes=causes,
                          examined=seen)
