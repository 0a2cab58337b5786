"""A run's provenance record, written beside its outputs.

``write`` serves the after-run handler (``lambda/after_run``) and ``healthomics-run provenance`` (records
missing for a stack). Writing is idempotent: the record of a run is a function of the run, so
writing it again writes the same bytes to the same key. Throttling is waited out by the clients' retries
(adaptive mode); what outlasts them fails the message, which the writer's queue delivers again (then to its
dead-letter queue), and the command writes the record later. Nothing here is on a deploy's path.
"""

from __future__ import annotations

import json
import time
from typing import Any, Mapping, Optional

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from healthomics_run.run_model import provenance_crate as crate
from healthomics_run.run_model.fingerprint import content_digest
from healthomics_run.run_model.provenance_settings import CONFIG_ENV, CONFIG_URI_ENV, ENDED_STATUSES, Config

from . import clients
from . import provenance_history as history
from . import provenance_objects as objects
from .provenance_owners import FRESH_SECONDS, Owners

# More patience than the deploy handler's: nothing waits for a record, and a cohort's ends come in bursts.
PATIENT = BotoConfig(retries={"mode": "adaptive", "total_max_attempts": 10}, connect_timeout=5, read_timeout=30,
                     user_agent_extra="healthomics-run-provenance")
RECORD_CONTENT_TYPE = "application/ld+json"
RECORDED_KEPT = 300_000  # uuids a container remembers having recorded (~40 MB at most)


class Clients:
    """The writer's clients: HealthOmics on the shipped model, S3 and CloudFormation."""

    def __init__(self, omics=None, s3=None, cfn=None) -> None:
        self.omics = omics or clients.new_omics_client(config=PATIENT)
        self.s3 = s3 or boto3.client("s3", config=PATIENT)
        self.cfn = cfn or boto3.client("cloudformation", config=PATIENT)
        self.workflows: dict[tuple, tuple[float, Optional[dict[str, Any]]]] = {}  # see workflow()
        self.recorded: dict[str, str] = {}  # run id -> uuid of the runs this container wrote the record of


def load_config(s3, environment: Mapping[str, str], stack_id: str) -> Config:
    """The writer's choices: the JSON object its environment names (``CONFIG_URI_ENV``, an asset of the stack,
    read with ``ExpectedBucketOwner`` the stack's account), or those of a writer synthesized before, held in
    the environment itself (``CONFIG_ENV``)."""
    uri = environment.get(CONFIG_URI_ENV)
    if not uri:
        return Config.from_json(environment.get(CONFIG_ENV))
    bucket, key = objects.split(uri)
    owner = {"ExpectedBucketOwner": _account(stack_id)} if _account(stack_id) else {}
    return Config.from_json(s3.get_object(Bucket=bucket, Key=key, **owner)["Body"].read().decode())


def _found(call, missing: tuple[str, ...] = ("ResourceNotFoundException",), **params: Any) -> Optional[dict[str, Any]]:
    """The answer, or None when the service says the thing is ``missing``."""
    try:
        return call(**params)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in missing:
            return None
        raise


def pages(call, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a HealthOmics listing (``startingToken``/``nextToken``): the shipped model has no paginators."""
    items, token = [], None
    while True:
        page = call(**params, **({"startingToken": token} if token else {}))
        items += page.get(key, [])
        token = page.get("nextToken")
        if not token:
            return items


TASK_PAGE = 100  # ListRunTasks' largest page (API reference ListRunTasks, maxResults 1-100)


def tasks(omics, run_id: str, *, detail: bool = False) -> list[dict[str, Any]]:
    """Every task of the run, as ListRunTasks lists them: one call per 100 tasks. With ``detail``, each as
    GetRunTask describes it too (its image and digest): one call more per task, against a 10 TPS quota, so
    only when a resource asks for it (``provenance_task_details``). The run's images are GetRun's
    ``resourceDigests`` either way."""
    listed = pages(omics.list_run_tasks, "items", id=run_id, maxResults=TASK_PAGE)
    if not detail:
        return listed
    return [omics.get_run_task(id=run_id, taskId=item["taskId"]) for item in listed]


def workflow(aws: Clients, run: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The workflow (version) the run ran: name, engine, parameter template; None when it is gone, or another
    account's that this one may not read (a shared workflow). Asked once a minute per workflow (version):
    a cohort's runs share it."""
    if not run.get("workflowId"):
        return None
    key = tuple(run.get(k) for k in ("workflowId", "workflowVersionName", "workflowType", "workflowOwnerId"))
    asked_at, answer = aws.workflows.get(key, (float("-inf"), None))
    if time.monotonic() - asked_at > FRESH_SECONDS:
        answer = _ask_workflow(aws.omics, run)
        aws.workflows[key] = (time.monotonic(), answer)
    return answer


def _ask_workflow(omics, run: dict[str, Any]) -> Optional[dict[str, Any]]:
    gone = ("ResourceNotFoundException", "AccessDeniedException")
    scope = {k: v for k, v in (("type", run.get("workflowType")), ("workflowOwnerId", run.get("workflowOwnerId")))
             if v}
    if run.get("workflowVersionName"):
        return _found(omics.get_workflow_version, gone, workflowId=run["workflowId"],
                      versionName=run["workflowVersionName"], **scope)
    return _found(omics.get_workflow, gone, id=run["workflowId"], **scope)


def given_parameters(s3, run: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The parameters the run was given, and the file that held them: GetRun's ``parameters``, and for a run
    started with ``parametersUri`` (GetRun answers it, API reference GetRun) the JSON object that file holds,
    read once (``s3:GetObject``: the writer may read what ``inputs`` grants). A file the writer cannot read or
    parse is recorded as an input with a note; the parameters are then GetRun's alone."""
    parameters = dict(run.get("parameters") or {})
    uri = run.get("parametersUri")
    if not uri:
        return parameters, []
    item: dict[str, Any] = {"uri": uri, "parameter": None}
    bucket, key = objects.split(uri)
    try:
        answer = s3.get_object(Bucket=bucket, Key=key)
        found = json.loads(answer["Body"].read())
    except (ClientError, ValueError) as error:
        item["note"] = f"the run's parameters file; not read ({type(error).__name__})"
        return parameters, [item]
    item.update(versionId=answer.get("VersionId"), eTag=answer.get("ETag"), size=answer.get("ContentLength"),
                lastModified=answer.get("LastModified"), note="the run's parameters file (parametersUri)")
    return ({**found, **parameters} if isinstance(found, dict) else parameters), [item]


def record(aws: Clients, run: dict[str, Any], deploy: dict[str, Any], with_values: bool,
           task_detail: bool = False, output_owner: Optional[dict[str, str]] = None,
           listed: Optional[list[dict[str, Any]]] = None, config: Optional[Config] = None,
           with_names: bool = False, upstream: Optional[dict[str, Any]] = None) -> bytes:
    """The bytes of ``run``'s record. ``output_owner``: ``ExpectedBucketOwner`` of the output bucket (inputs
    are read without one: reference data lives in other accounts' buckets, public ones included). ``listed``:
    the run's tasks when already asked for; ``config``: the stack's choices (agent, licence); ``upstream``: for a
    chain step's run, the runs whose outputs it was given (``chaining.input_runs``)."""
    described_workflow = workflow(aws, run)
    outputs = objects.outputs(aws.s3, run["runOutputUri"], **(output_owner or {})) if run.get("runOutputUri") else []
    if listed is None:
        listed = tasks(aws.omics, run["id"], detail=task_detail)
    parameters, files = given_parameters(aws.s3, run)
    built = crate.build(run=run, workflow=described_workflow, tasks=listed,
                        inputs=files + objects.inputs(aws.s3, parameters, run.get("startTime")),
                        outputs=outputs, deploy=deploy, parameters=parameters,
                        parameters_digest=content_digest(parameters), with_values=with_values,
                        agent=(config or Config()).agent, licence=(config or Config()).license,
                        with_names=with_names, upstream=upstream)
    return crate.to_bytes(built)


def write(aws: Clients, owners: Owners, run_id: str, uuid: Optional[str] = None, *,
          only_missing: bool = False) -> str:
    """Write the record of run ``run_id`` (when it is this stack's and has ended); say what was done. With
    ``only_missing`` (the sweep's runs), a run whose record this container wrote is not asked about again."""
    if only_missing and run_id in aws.recorded and uuid in (None, aws.recorded[run_id]):
        return f"run {run_id}: written by this writer already"
    run = _found(aws.omics.get_run, id=run_id)
    if run is None or (uuid and run["uuid"] != uuid):
        return f"run {run_id} is gone or names another run; nothing written"
    if run["status"] not in ENDED_STATUSES:
        return f"run {run_id} is {run['status']}; its record is written when it ends"
    # a chain's step run first: its state names it from a copy kept a minute, where the stack's resources would be
    # listed again for each run they do not name (once a second at most: a per-sample step's 100,000 ends)
    step = owners.of_step(run) if not run.get("batchId") else None
    deploy, chained = step if step is not None else \
        (owners.of(run, owners.batch_name(aws.omics, run["batchId"]) if run.get("batchId") else None), None)
    if deploy is None:
        return f"run {run_id} was not started by this stack; nothing written"
    config = owners.config
    if deploy.logicalId in config.off:
        return f"run {run_id}: provenance is off for {deploy.logicalId}"
    uri = config.record_uri(deploy.logicalId, run)
    if only_missing and objects.exists(aws.s3, uri, **owner_of(config, deploy.logicalId, run, owners.stack_id)):
        return f"run {run_id}: {uri} exists"
    listed = tasks(aws.omics, run["id"], detail=deploy.logicalId in config.details)
    body = record(aws, run, deploy.as_dict(), deploy.logicalId in config.values, deploy.logicalId in config.details,
                  _output_owner(run, owners.stack_id), listed, config, deploy.logicalId in config.names,
                  chained.inputs if chained else None)
    owner = owner_of(config, deploy.logicalId, run, owners.stack_id)
    other = objects.put_record(aws.s3, uri, body, run["uuid"], RECORD_CONTENT_TYPE, **owner)
    if other is not None:
        return f"run {run_id}: {uri} holds the record of another run (uuid {other}); nothing written"
    # a step run's history beside the cohort's, where a plan reads it, not in the step run's own output folder
    where = {**run, "outputUri": chained.output_uri} if chained else run
    _put_history(aws, config.history_uri(deploy.logicalId, where, history.day(run)), run, listed, owner)
    if len(aws.recorded) < RECORDED_KEPT:
        aws.recorded[run_id] = run["uuid"]
    return f"run {run_id}: wrote {uri}"


def _put_history(aws: Clients, uri: str, run: dict[str, Any], listed: list[dict[str, Any]],
                 owner: dict[str, str]) -> None:
    """The run's history record (``provenance_history``), once: keyed by the run uuid, put with ``If-None-Match``
    so that a second writing (a message received again, a sweep) leaves the first."""
    described = workflow_name(aws, run)
    body = history.document(run, listed, described, _region(run))
    bucket, key = objects.split(uri)
    try:
        aws.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=history.CONTENT_TYPE, IfNoneMatch="*",
                          **owner)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412"):
            raise


def workflow_name(aws: Clients, run: dict[str, Any]) -> Optional[str]:
    """The workflow's name as the record read it (kept a minute per workflow version: no call more)."""
    described = workflow(aws, run)
    return described.get("name") if described else None


def _region(run: dict[str, Any]) -> str:
    arn = str(run.get("arn") or "")
    return arn.split(":")[3] if arn.count(":") >= 5 else ""


def _account(stack_id: str) -> str:
    return stack_id.split(":")[4] if stack_id.count(":") >= 5 else ""


def _output_owner(run: dict[str, Any], stack_id: str) -> dict[str, str]:
    account = run.get("outputBucketOwnerId") or _account(stack_id)
    return {"ExpectedBucketOwner": account} if account else {}


def owner_of(config, logical_id: str, run: dict[str, Any], stack_id: str) -> dict[str, str]:
    """``ExpectedBucketOwner`` of the record's bucket: S3 refuses (403) a call whose bucket another account
    owns. Beside the outputs: the run's ``outputBucketOwnerId`` when it names one, else the stack's account;
    a provenance location: the stack's account."""
    if logical_id not in config.locations:
        return _output_owner(run, stack_id)
    account = _account(stack_id)
    return {"ExpectedBucketOwner": account} if account else {}
