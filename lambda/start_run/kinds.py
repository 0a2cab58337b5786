"""What differs between a run and a batch of runs, as one class each over a common base.

Each kind says how to read and check its settings, which HealthOmics calls start, describe and
cancel it, which statuses satisfy each ``wait_for``, and which mean it ended badly. The run
lifecycle (``handler``) and the cohort lifecycle (``cohorts``) are written against ``Kind``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Mapping

from healthomics_run.run_model import parameter_checks, reasons, rules
from healthomics_run.run_model.batch_settings import BatchSettings, batch_errors
from healthomics_run.run_model.properties import RunSettings
from healthomics_run.run_model.samples import MAX_INLINE_SAMPLES, setting_errors
from healthomics_run.run_model.settings import BATCH_RESOURCE_TYPE, RUN_RESOURCE_TYPE
from healthomics_run.service_calls import batches, clients, diagnosis, parameters_files, runs
from healthomics_run.service_calls.log import log
from healthomics_run.service_calls.runs import BadSettings

RERUN_ADVICE = "To run again with the same settings, change rerun_token."


class Kind(ABC):
    noun: ClassVar[str]
    arn_resource: ClassVar[str]  # the resource type in its ARN: run, runBatch
    active: ClassVar[frozenset[str]]  # may be cancelled
    stopping: ClassVar[frozenset[str]]  # cancelled, not stopped yet
    reached: ClassVar[Mapping[str, frozenset[str]]]  # wait_for -> statuses that satisfy it
    ended_badly: ClassVar[frozenset[str]]
    not_adoptable: ClassVar[frozenset[str]]  # a fresh start never takes these over: stopped or removed on purpose

    @abstractmethod
    def read(self, props: dict[str, Any]) -> Any:
        """The typed settings of a resource's properties (``ValueError`` when they cannot be decoded)."""

    @abstractmethod
    def errors(self, settings: Any) -> list[str]:
        """Problems found before any call."""

    @abstractmethod
    def start(self, omics, request: dict[str, Any], request_id: str) -> dict[str, Any]: ...

    @abstractmethod
    def describe(self, omics, id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def cancel(self, omics, id: str) -> None: ...

    @abstractmethod
    def data(self, found: dict[str, Any]) -> dict[str, Any]:
        """The resource's attributes (``Fn::GetAtt``) from what HealthOmics says of it."""

    @abstractmethod
    def failure(self, found: dict[str, Any]) -> str:
        """Why it ended badly, and what to do."""

    def checked(self, settings: Any) -> Any:
        """``settings``, if a run may start with them."""
        problems = self.errors(settings)
        if problems:
            raise BadSettings(f"Invalid {self.noun} settings: " + "; ".join(problems))
        return settings

    def arn(self, stack_id: str, id: str) -> str:
        """The ARN of the run (batch) ``id`` in the stack's account and Region."""
        partition, _, region, account = stack_id.split(":")[1:5]
        return f"arn:{partition}:omics:{region}:{account}:{self.arn_resource}/{id}"

    def gone(self, stack_id: str, id: str, uuid: str) -> dict[str, Any]:
        """What HealthOmics would say of a run (batch) it no longer has: its ids, status DELETED."""
        return {"id": id, "uuid": uuid, "arn": self.arn(stack_id, id), "status": "DELETED"}


class RunKind(Kind):
    noun, arn_resource = "run", "run"
    active = runs.ACTIVE_STATUSES
    stopping = frozenset({"STOPPING"})
    reached = {
        "STARTED": frozenset({"PENDING", "STARTING", "RUNNING", "STOPPING", "COMPLETED"}),
        "RUNNING": frozenset({"RUNNING", "STOPPING", "COMPLETED"}),
        "COMPLETED": frozenset({"COMPLETED"}),
    }
    ended_badly = runs.ENDED_BADLY
    not_adoptable = runs.NOT_ADOPTABLE

    def read(self, props: dict[str, Any]) -> RunSettings:
        return RunSettings.from_properties(props)

    def errors(self, settings: RunSettings) -> list[str]:
        return rules.run_errors(settings.request) + rules.batch_only_errors(settings.request) + \
            rules.control_errors(settings.delete_policy, settings.wait_for, settings.timeout_seconds)

    def fit_errors(self, omics, settings: RunSettings) -> list[str]:
        """The run's parameters (inline, or read from ``parametersUri``) against its workflow's template
        (asks the service)."""
        if "workflowId" not in settings.request:
            return []
        parameters = parameters_files.request_parameters(settings.request)
        template = runs.parameter_template(omics, settings.request)
        return parameter_checks.parameter_errors(template, parameters)

    def start(self, omics, request: dict[str, Any], request_id: str) -> dict[str, Any]:
        return runs.start(omics, request, request_id)

    def describe(self, omics, id: str) -> dict[str, Any] | None:
        return runs.describe(omics, id)

    def cancel(self, omics, id: str) -> None:
        runs.cancel(omics, id)

    def data(self, run: dict[str, Any]) -> dict[str, Any]:
        return {"RunId": run["id"], "RunArn": run["arn"], "RunUuid": run["uuid"],
                "RunOutputUri": run.get("runOutputUri", ""), "Status": run["status"]}

    def failure(self, run: dict[str, Any]) -> str:
        """The run's diagnosis (asks HealthOmics for its failed tasks): in full to the log, ids only to the reason."""
        found = diagnosis.diagnose_run(clients.omics, run)
        log("failure diagnosis", run=found.as_dict())
        return f"{found.text()} {RERUN_ADVICE}"


class BatchKind(Kind):
    noun, arn_resource = "batch", "runBatch"
    active = batches.ACTIVE_STATUSES
    stopping = batches.STOPPING_STATUSES
    reached = {
        "STARTED": frozenset({"PENDING", "SUBMITTING", "INPROGRESS"}) | batches.AFTER_PROCESSED,
        "RUNNING": frozenset({"INPROGRESS"}) | batches.AFTER_PROCESSED,
        "COMPLETED": batches.AFTER_PROCESSED,
    }
    ended_badly = batches.ENDED_BADLY
    not_adoptable = batches.NOT_ADOPTABLE

    def read(self, props: dict[str, Any]) -> BatchSettings:
        return BatchSettings.from_properties(props)

    def errors(self, settings: BatchSettings) -> list[str]:
        errors = rules.run_errors(settings.shared.request) + batch_errors(settings.shared.request) + \
            rules.control_errors(settings.delete_policy, settings.wait_for, settings.timeout_seconds)
        inline = settings.inline
        if inline is not None:
            if len(inline) > MAX_INLINE_SAMPLES:
                errors.append(f"{len(inline)} inline samples; more than {MAX_INLINE_SAMPLES} go in a sample sheet file")
            problems = [(f"row {number}", error) for number, setting in enumerate(inline, start=1)
                        for error in setting_errors(setting)]
            errors += reasons.grouped(problems, len(inline))
        return errors

    def fit_errors(self, omics, settings: BatchSettings, samples: list[dict[str, Any]]) -> list[str]:
        """Each sample's parameters, merged over the shared ones, against the workflow's template."""
        shared = parameters_files.request_parameters(settings.shared.request)
        template = runs.parameter_template(omics, settings.shared.request)
        problems = [(repr(setting["runSettingId"]), error) for setting in samples
                    for error in parameter_checks.parameter_errors(
                        template, {**shared, **(setting.get("parameters") or {})})]
        return reasons.grouped(problems, len(samples))

    def start(self, omics, request: dict[str, Any], request_id: str) -> dict[str, Any]:
        default = parameters_files.with_parameters_read(request["defaultRunSetting"])
        return batches.start(omics, {**request, "defaultRunSetting": default}, request_id)

    def describe(self, omics, id: str) -> dict[str, Any] | None:
        return batches.describe(omics, id)

    def cancel(self, omics, id: str) -> None:
        batches.cancel(omics, id)

    def data(self, batch: dict[str, Any]) -> dict[str, Any]:
        summary = batch.get("runSummary") or {}
        submissions = batch.get("submissionSummary") or {}
        return {"BatchId": batch["id"], "BatchArn": batch["arn"], "BatchUuid": batch["uuid"],
                "Status": batch["status"], "TotalRuns": batch.get("totalRuns", 0),
                "CompletedRunCount": summary.get("completedRunCount", 0),
                "FailedRunCount": summary.get("failedRunCount", 0),
                "CancelledRunCount": summary.get("cancelledRunCount", 0),
                "FailedSubmissionCount": submissions.get("failedStartSubmissionCount", 0)}

    def failure(self, batch: dict[str, Any]) -> str:
        """The batch's diagnosis (asks HealthOmics for its failed submissions and runs): in full to the log (a record
        for the batch, one for each failed run: a log event holds at most 256 KB), ids only to the reason."""
        found = diagnosis.diagnose_batch(clients.omics, batch)
        whole = found.as_dict()
        log("failure diagnosis", batch={key: value for key, value in whole.items() if key != "runs"})
        for run in whole["runs"]:
            log("failure diagnosis", batchId=batch["id"], run=run)
        return (f"{found.text()} ListRunsInBatch --batch-id {batch['id']} shows each sample's submission status and "
                f"failure reason. {RERUN_ADVICE}")


RUN, BATCH = RunKind(), BatchKind()
BY_RESOURCE_TYPE: dict[str, Kind] = {RUN_RESOURCE_TYPE: RUN, BATCH_RESOURCE_TYPE: BATCH}


def of(event: dict[str, Any]) -> Kind:
    """The kind of resource an event is about."""
    resource_type = event.get("ResourceType", RUN_RESOURCE_TYPE)
    if resource_type not in BY_RESOURCE_TYPE:
        raise BadSettings(f"This handler serves {', '.join(BY_RESOURCE_TYPE)} (and their completion checks), "
                          f"not {resource_type}.")
    return BY_RESOURCE_TYPE[resource_type]
