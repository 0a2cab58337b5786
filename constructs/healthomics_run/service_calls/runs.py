"""The HealthOmics calls the handler makes, with service errors turned into advice.

Throttling and transient faults that outlast botocore's own retries do not fail a deployment:
they raise ``RetryLater``, and the handler hands the step to ``is_complete``, which tries again
at the next poll (with the same ``requestId``, so nothing starts twice) until the resource's timeout.
"""

from __future__ import annotations

from typing import Any, Callable

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from healthomics_run.run_model import reasons

from . import budget
from .budget import RetryLater

ACTIVE_STATUSES = frozenset({"PENDING", "STARTING", "RUNNING"})
ENDED_BADLY = frozenset({"FAILED", "CANCELLED", "DELETED"})
# A fresh start never takes over a run in these: it was stopped or removed on purpose.
NOT_ADOPTABLE = frozenset({"CANCELLED", "DELETED"})

# Codes botocore's standard retry mode treats as throttling or transient, plus HealthOmics' own.
RETRY_LATER_CODES = frozenset({
    "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
    "RequestThrottled", "RequestThrottledException", "SlowDown", "LimitExceededException",
    "InternalServerException", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException",
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
})

_ADVICE = {
    "AccessDeniedException": (
        "Check that the handler's role may call this action on the workflow, run group, run cache, "
        "configuration and runs, and may iam:PassRole the service role to omics.amazonaws.com."
    ),
    "ValidationException": (
        "Check the setting the message names: the output URI must be in the workflow's Region, the "
        "service role must trust omics.amazonaws.com, and parameters must match the workflow's template."
    ),
    "ServiceQuotaExceededException": (
        "A HealthOmics quota is used up (concurrent runs, run storage, or the number of retained runs). "
        "Delete old runs, ask for a quota increase, or use retention_mode REMOVE."
    ),
    "ResourceNotFoundException": (
        "Check that workflow_id, workflow_version_name, run_group, cache_id, configuration_name and "
        "source_run_id exist in this account and Region."
    ),
    "ConflictException": "The resource is changing or in a state that forbids this; deploy again shortly.",
}


class RunError(RuntimeError):
    """A failure CloudFormation shows as the resource's status reason."""


class BadSettings(RunError):
    """The settings cannot start a run: nothing was asked of HealthOmics, or it refused them as invalid."""


class ServiceError(RunError):
    """HealthOmics (or S3) refused a call for a reason other than throttling."""


class Gone(RunError):
    """The run or batch the resource waits for no longer exists in HealthOmics."""


class EndedBadly(RunError):
    """A run or batch this deploy started ended FAILED or CANCELLED."""


def explain(action: str, error: ClientError) -> ServiceError:
    code = code_of(error)
    message = reasons.bounded(error.response.get("Error", {}).get("Message", ""), 600)
    advice = _ADVICE.get(code, "")
    return ServiceError(f"HealthOmics {action} failed with {code or 'Unknown'}: {message}. {advice}".strip())


def code_of(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _invoke(action: str, method: Callable[..., dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """One call within this invocation's time, with throttling and transient faults as ``RetryLater``."""
    budget.check(action)
    try:
        return method(**params)
    except ClientError as error:
        if code_of(error) in RETRY_LATER_CODES:
            raise RetryLater(f"HealthOmics {action}: {code_of(error)}") from error
        raise
    except (BotocoreConnectionError, HTTPClientError) as error:  # timeouts and lost connections
        raise RetryLater(f"HealthOmics {action}: {type(error).__name__}") from error


def call(action: str, method: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any]:
    """A HealthOmics call whose service errors become a ``RunError`` with advice."""
    try:
        return _invoke(action, method, params)
    except ClientError as error:
        raise explain(action, error) from error


def find(action: str, method: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any] | None:
    """A Get call, or None when nothing has this id any more."""
    try:
        return _invoke(action, method, params)
    except ClientError as error:
        if code_of(error) == "ResourceNotFoundException":
            return None
        raise explain(action, error) from error


def cancel_if_there(action: str, method: Callable[..., dict[str, Any]], **params: Any) -> None:
    """A Cancel call; gone, or ended between our Get and this call, means nothing is left to cancel."""
    try:
        _invoke(action, method, params)
    except ClientError as error:
        if code_of(error) not in ("ResourceNotFoundException", "ConflictException"):
            raise explain(action, error) from error


def start(omics, request: dict[str, Any], request_id: str) -> dict[str, Any]:
    return call("StartRun", omics.start_run, **request, requestId=request_id)


def describe(omics, run_id: str) -> dict[str, Any] | None:
    return find("GetRun", omics.get_run, id=run_id)


def cancel(omics, run_id: str) -> None:
    cancel_if_there("CancelRun", omics.cancel_run, id=run_id)


def parameter_template(omics, request: dict[str, Any]) -> dict[str, Any]:
    """The parameter template of the workflow (version) the run will use; ``BadSettings`` naming its status
    when it is not ACTIVE."""
    scope = {k: v for k, v in (("type", request.get("workflowType")),
                               ("workflowOwnerId", request.get("workflowOwnerId"))) if v}
    if "workflowVersionName" in request:
        found = call("GetWorkflowVersion", omics.get_workflow_version, workflowId=request["workflowId"],
                     versionName=request["workflowVersionName"], **scope)
    else:
        found = call("GetWorkflow", omics.get_workflow, id=request["workflowId"], **scope)
    _require_active(found, request)
    return found.get("parameterTemplate") or {}


# What to do about a workflow (version) in each status other than ACTIVE; runs start only on ACTIVE ones
# (GetWorkflow, https://docs.aws.amazon.com/omics/latest/api/API_GetWorkflow.html; "Verify the workflow status",
# https://docs.aws.amazon.com/omics/latest/dev/using-get-workflow.html).
_NOT_ACTIVE_ADVICE = {  # CREATING and UPDATING are waited out (RetryLater) until the resource's timeout
    "FAILED": "HealthOmics could not create it: check the workflow's statusMessage (aws omics get-workflow), "
              "fix the definition and deploy it again",
    "DELETED": "it no longer exists: create it again, or name another workflow",
    "INACTIVE": "make it ACTIVE again, or name another workflow",
}


def _require_active(found: dict[str, Any], request: dict[str, Any]) -> None:
    """Fail fast, naming the status, when the workflow (version) cannot start runs (no status said: go on)."""
    status = found.get("status")
    if status is None or status == "ACTIVE":
        return
    what = f"workflow {request['workflowId']}"
    if "workflowVersionName" in request:
        what += f" version {request['workflowVersionName']}"
    message = found.get("statusMessage")
    said = f" ({reasons.bounded(message, 400)})" if message else ""
    if status in ("CREATING", "UPDATING"):  # CloudFormation may report a workflow created before it is ACTIVE
        raise RetryLater(f"{what} is {status}; runs start only on ACTIVE workflows")
    advice = _NOT_ACTIVE_ADVICE.get(status, "deploy again once it is ACTIVE")
    raise BadSettings(f"{what} is {status}{said}; runs start only on ACTIVE workflows: {advice}")
