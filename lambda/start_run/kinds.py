"""What differs between a run and a batch, so the lifecycle in ``handler`` is written once.

Each kind says how to read its settings, which HealthOmics calls start, describe and cancel it,
which statuses satisfy each ``wait_for``, and which mean it ended badly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import batches, reasons, rules, runs
from .batch_settings import BatchSettings, batch_errors
from .properties import RunSettings
from .samples import MAX_INLINE_SAMPLES, setting_errors
from .settings import BATCH_RESOURCE_TYPE, READERS, RUN_RESOURCE_TYPE


@dataclass(frozen=True)
class Kind:
    noun: str
    arn_resource: str  # the resource type in its ARN: run, runBatch
    read: Callable[[dict[str, Any]], Any]  # properties -> RunSettings | BatchSettings
    errors: Callable[[Any], list[str]]  # settings -> problems found before any call
    fit_errors: Callable[[Any, Any], list[str]]  # (client, settings) -> problems found by asking the service
    start: Callable[[Any, dict[str, Any], str], dict[str, Any]]
    describe: Callable[[Any, str], dict[str, Any] | None]
    cancel: Callable[[Any, str], None]
    data: Callable[[dict[str, Any]], dict[str, Any]]
    active: frozenset[str]  # may be cancelled
    stopping: frozenset[str]  # cancelled, not stopped yet
    reached: dict[str, frozenset[str]]  # wait_for -> statuses that satisfy it
    ended_badly: frozenset[str]
    not_adoptable: frozenset[str]  # a fresh start never takes these over: stopped or removed on purpose
    failure: Callable[[dict[str, Any]], str]

    def gone(self, stack_id: str, id: str, uuid: str) -> dict[str, Any]:
        """What HealthOmics would say of a run (batch) it no longer has: its ids, status DELETED."""
        partition, _, region, account = stack_id.split(":")[1:5]
        arn = f"arn:{partition}:omics:{region}:{account}:{self.arn_resource}/{id}"
        return {"id": id, "uuid": uuid, "arn": arn, "status": "DELETED"}


def _run_fit_errors(omics, settings: RunSettings) -> list[str]:
    if "workflowId" not in settings.request:
        return []
    template = runs.parameter_template(omics, settings.request)
    return runs.parameter_errors(template, settings.request.get("parameters", {}))


def _run_data(run: dict[str, Any]) -> dict[str, Any]:
    return {"RunId": run["id"], "RunArn": run["arn"], "RunUuid": run["uuid"],
            "RunOutputUri": run.get("runOutputUri", ""), "Status": run["status"]}


RERUN_ADVICE = "To run again with the same settings, change rerun_token."


def _run_failure(run: dict[str, Any]) -> str:
    reason = reasons.bounded(run.get('failureReason') or 'no failure reason given', 400)
    status_message = reasons.bounded(run.get('statusMessage') or 'no status message', 600)
    return (f"The run {run['id']} ended {run['status']}: {reason}; {status_message}. Its logs are in CloudWatch "
            f"Logs under /aws/omics/WorkflowLog/run/{run['id']}. {RERUN_ADVICE}")


RUN = Kind(
    noun="run",
    arn_resource="run",
    read=READERS[RUN_RESOURCE_TYPE],
    errors=lambda s: rules.run_errors(s.request) + rules.control_errors(s.delete_policy, s.wait_for, s.timeout_seconds),
    fit_errors=_run_fit_errors,
    start=runs.start,
    describe=runs.describe,
    cancel=runs.cancel,
    data=_run_data,
    active=runs.ACTIVE_STATUSES,
    stopping=frozenset({"STOPPING"}),
    reached={
        "STARTED": frozenset({"PENDING", "STARTING", "RUNNING", "STOPPING", "COMPLETED"}),
        "RUNNING": frozenset({"RUNNING", "STOPPING", "COMPLETED"}),
        "COMPLETED": frozenset({"COMPLETED"}),
    },
    ended_badly=runs.ENDED_BADLY,
    not_adoptable=runs.NOT_ADOPTABLE,
    failure=_run_failure,
)


def _batch_errors(settings: BatchSettings) -> list[str]:
    errors = rules.run_errors(settings.shared.request) + batch_errors(settings.shared.request) + rules.control_errors(
        settings.delete_policy, settings.wait_for, settings.timeout_seconds)
    inline = settings.request["batchRunSettings"].get("inlineSettings")
    if inline is not None:
        if len(inline) > MAX_INLINE_SAMPLES:
            errors.append(f"{len(inline)} inline samples; more than {MAX_INLINE_SAMPLES} go in a sample sheet file")
        problems = [(f"row {number}", error) for number, setting in enumerate(inline, start=1)
                    for error in setting_errors(setting)]
        errors += reasons.grouped(problems, len(inline))
    return errors


def _batch_fit_errors(omics, settings: BatchSettings) -> list[str]:
    """Each inline sample's parameters, merged over the shared ones, against the workflow's template."""
    inline = settings.request["batchRunSettings"].get("inlineSettings")
    if inline is None:
        return []  # the sheet file was checked at synth time; reading it here would need the file
    template = runs.parameter_template(omics, settings.shared.request)
    shared = settings.shared.request.get("parameters", {})
    problems = [(repr(setting["runSettingId"]), error) for setting in inline
                for error in runs.parameter_errors(template, {**shared, **(setting.get("parameters") or {})})]
    return reasons.grouped(problems, len(inline))


def _batch_data(batch: dict[str, Any]) -> dict[str, Any]:
    summary = batch.get("runSummary") or {}
    submissions = batch.get("submissionSummary") or {}
    return {"BatchId": batch["id"], "BatchArn": batch["arn"], "BatchUuid": batch["uuid"], "Status": batch["status"],
            "TotalRuns": batch.get("totalRuns", 0),
            "CompletedRunCount": summary.get("completedRunCount", 0),
            "FailedRunCount": summary.get("failedRunCount", 0),
            "CancelledRunCount": summary.get("cancelledRunCount", 0),
            "FailedSubmissionCount": submissions.get("failedStartSubmissionCount", 0)}


def _batch_failure(batch: dict[str, Any]) -> str:
    reason = reasons.bounded(batch.get('failureReason') or 'no failure reason given', 600)
    return (f"The batch {batch['id']} ended {batch['status']}: {reason}. ListRunsInBatch --batch-id {batch['id']} "
            f"shows each sample's submission status and failure reason. {RERUN_ADVICE}")


BATCH = Kind(
    noun="batch",
    arn_resource="runBatch",
    read=READERS[BATCH_RESOURCE_TYPE],
    errors=_batch_errors,
    fit_errors=_batch_fit_errors,
    start=batches.start,
    describe=batches.describe,
    cancel=batches.cancel,
    data=_batch_data,
    active=batches.ACTIVE_STATUSES,
    stopping=batches.STOPPING_STATUSES,
    reached={
        "STARTED": frozenset({"PENDING", "SUBMITTING", "INPROGRESS"}) | batches.AFTER_PROCESSED,
        "RUNNING": frozenset({"INPROGRESS"}) | batches.AFTER_PROCESSED,
        "COMPLETED": batches.AFTER_PROCESSED,
    },
    ended_badly=batches.ENDED_BADLY,
    not_adoptable=batches.NOT_ADOPTABLE,
    failure=_batch_failure,
)

BY_RESOURCE_TYPE = {RUN_RESOURCE_TYPE: RUN, BATCH_RESOURCE_TYPE: BATCH}


def of(event: dict[str, Any]) -> Kind:
    """The kind of resource an event is about."""
    resource_type = event.get("ResourceType", RUN_RESOURCE_TYPE)
    if resource_type not in BY_RESOURCE_TYPE:
        raise runs.RunError(f"This handler serves {', '.join(BY_RESOURCE_TYPE)} (and their completion checks), "
                            f"not {resource_type}.")
    return BY_RESOURCE_TYPE[resource_type]
