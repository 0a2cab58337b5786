"""An in-process HealthOmics for tests (moto has no HealthOmics backend).

It attaches to a real botocore ``omics`` client: botocore validates and serializes each request
with the service model, as for the real service; the fake then validates the request again against
that model, answers the HTTP request with a JSON response the real parser reads (so modeled
exceptions and botocore's retries behave as they do against AWS), and validates its own answer
against the output shape. State is kept the way the service keeps it: the same ``requestId``
returns the same run, run ids come from a counter and are reused after a run is deleted, and
StartRun checks the role and output bucket in moto's IAM and S3.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import uuid
from collections import Counter
from typing import Any, Callable

import boto3
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

ACCOUNT = "123456789012"  # moto's default example account
REGION = "us-east-1"


def _now() -> dt.datetime:
    """time.time, so that a test's virtual clock (tests.virtual_time) moves creation times too."""
    return dt.datetime.fromtimestamp(time.time(), tz=dt.timezone.utc)


class _Body(io.BytesIO):
    def stream(self, **_: Any):
        yield self.getvalue()


class ServiceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class FakeHealthOmics:
    def __init__(self, client) -> None:
        self.client = client
        self.model = client.meta.service_model
        self.workflows: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self._in_batch: dict[str, list[str]] = {}  # batch id -> its runs' ids, in submission order
        # (role, bucket) pairs found usable, remembered only once ``direct()`` is asked for (a world whose role
        # and bucket do not change); otherwise each StartRun asks moto again
        self.checked: set[tuple[str, str]] | None = None
        self.batches: dict[str, dict[str, Any]] = {}
        self.run_caches: set[str] = set()
        self.cache_locations: dict[str, str] = {}
        self._clients: dict[str, Any] = {}
        self.run_groups: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every HTTP attempt, retries included
        self.faults: list[tuple[str, str, str]] = []
        self.sleeps: list[float] = []  # backoff delays botocore asked for
        self._next_id = 1000001
        self._pending: tuple[str, dict[str, Any]] | None = None
        self.rate_limits: dict[str, int] = {}  # operation -> calls admitted per (virtual) second
        self._admitted: Counter = Counter()
        self.clock: Callable[[], float] | None = None
        self.page_size = 100  # list items per page when the caller sets no maxResults
        self.hold_submissions = False  # batches' runs wait for submit_held(), as the service's gradual submission
        # The account's rules (tests.account_world), when a test runs in it: authorize(operation, params) raises
        # AccessDeniedException for a call the caller's policies refuse; service_access(access, role_arn, uri)
        # says why the service role cannot "read" or "write" an S3 URI (None when it can).
        self.authorize: Callable[[str, dict[str, Any]], None] | None = None
        self.service_access: Callable[[str, str, str], str | None] | None = None
        self.serve(client)

    def serve(self, client) -> None:
        """Answer ``client``'s requests too (a client with another retry configuration, say)."""
        client.meta.events.register("before-parameter-build.omics", self._capture)
        client.meta.events.register("before-send.omics", self._respond)

    # -- test controls -------------------------------------------------------------------
    def add_workflow(self, workflow_id: str, template: dict[str, dict[str, Any]], *,
                     workflow_type: str = "PRIVATE", versions: dict[str, dict] | None = None,
                     status: str = "ACTIVE", status_message: str = "") -> None:
        """A workflow (``versions``: version name -> its template) in ``status`` (a WorkflowStatus)."""
        self.workflows[workflow_id] = {"type": workflow_type, "parameterTemplate": template,
                                       "versions": versions or {}, "versionStatus": {}}
        self.set_workflow_status(workflow_id, status, status_message=status_message)

    def set_workflow_status(self, workflow_id: str, status: str, *, version_name: str | None = None,
                            status_message: str = "") -> None:
        """What GetWorkflow (or, with ``version_name``, GetWorkflowVersion) says of the workflow's status."""
        workflow = self.workflows[workflow_id]
        said = {"status": status, **({"statusMessage": status_message} if status_message else {})}
        if version_name is None:
            workflow["said"] = said
        else:
            workflow["versionStatus"][version_name] = said

    def add_run_cache(self, cache_id: str, location: str = "") -> None:
        """A run cache; ``location``: its S3 URI, which runs read and write as their service role."""
        self.run_caches.add(cache_id)
        if location:
            self.cache_locations[cache_id] = location

    def _check_cache(self, params: dict[str, Any]) -> None:
        if "cacheId" in params and params["cacheId"] not in self.run_caches:
            raise ServiceError("ResourceNotFoundException", f"Run cache {params['cacheId']} not found")

    def limit(self, operation: str, per_second: int, clock) -> None:
        """Throttle ``operation`` beyond ``per_second`` calls in each second of ``clock`` (a ``VirtualClock``),
        as HealthOmics' API quotas do; each call also takes ``clock.latency`` of its time."""
        self.rate_limits[operation] = per_second
        self.clock = clock

    def forget_request_ids(self) -> None:
        """HealthOmics no longer remembers earlier requestIds (how long it does is not documented)."""
        self.tokens.clear()

    def fail_next(self, operation: str, code: str, message: str, times: int = 1) -> None:
        self.faults += [(operation, code, message)] * times

    def set_status(self, run_id: str, status: str, *, failure_reason: str = "", status_message: str = "") -> None:
        run = self.runs[run_id]
        run.update(status=status, failureReason=failure_reason or None, statusMessage=status_message or None)

    def set_batch_status(self, batch_id: str, status: str, *, failure_reason: str = "", **counts: int) -> None:
        """Move a batch on; ``counts`` are runSummary members (``completedRunCount=3``, ...)."""
        batch = self.batches[batch_id]
        batch.update(status=status, failureReason=failure_reason or None)
        batch["runSummary"].update(counts)

    def delete_run(self, run_id: str) -> None:
        del self.runs[run_id]

    def add_task(self, run_id: str, name: str, *, task_id: str | None = None, status: str = "FAILED",
                 failure_reason: str = "", status_message: str = "", instance_type: str = "omics.m.xlarge",
                 cpus: int = 4, memory: int = 16, image: str | None = None, image_digest: str | None = None,
                 **fields: Any) -> str:
        """A task of the run (what ListRunTasks and GetRunTask describe; ``fields``: other GetRunTask members such
        as ``cacheHit`` or ``startTime``); returns its id."""
        if task_id is None:
            task_id = str(self._next_id)
            self._next_id += 1
        task = {"taskId": task_id, "name": name, "status": status, "instanceType": instance_type, "cpus": cpus,
                "memory": memory, "creationTime": _now(), "failureReason": failure_reason or None,
                "statusMessage": status_message or None, "uuid": str(uuid.uuid4()),
                "logStream": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/omics/WorkflowLog:log-stream:"
                             f"run/{run_id}/task/{task_id}", **fields}
        if image:
            task["imageDetails"] = {"image": image, **({"imageDigest": image_digest} if image_digest else {})}
        self.runs[run_id].setdefault("tasks", []).append(task)
        return task_id

    def fail_submissions(self, batch_id: str, run_setting_ids: list[str], reason: str, message: str = "") -> None:
        """These samples of the batch failed to submit: their runs never existed (ListRunsInBatch says why)."""
        batch = self.batches[batch_id]
        for run_id, run in list(self.runs.items()):
            if run.get("batchId") == batch_id and run["runSettingId"] in run_setting_ids:
                del self.runs[run_id]
        batch.setdefault("submissionFailures", {}).update(dict.fromkeys(run_setting_ids, (reason, message)))
        batch["submissionSummary"]["failedStartSubmissionCount"] = len(batch["submissionFailures"])

    def start_stranger_run(self, run_id: str) -> None:
        """Somebody else's run that inherited ``run_id`` after ours was deleted."""
        self.runs[run_id] = self._new_run(run_id, {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/other",
                                                   "outputUri": "s3://other-bucket/"})
        self.runs[run_id]["status"] = "RUNNING"

    def record_completed_run(self, workflow_id: str, *, seconds: float, tasks: list[dict[str, Any]],
                             storage_type: str = "STATIC", storage_capacity: int | None = None,
                             version_name: str | None = None, workflow_name: str | None = None,
                             name: str = "a-run") -> str:
        """A run that ran for ``seconds`` and COMPLETED, with ``tasks`` (ListRunTasks items: instanceType,
        cpus, seconds, cacheHit), as the account's history holds it."""
        run_id = str(self._next_id)
        self._next_id += 1
        request = {"workflowId": workflow_id, "name": name, "storageType": storage_type,
                   **({"storageCapacity": storage_capacity} if storage_capacity is not None else {}),
                   **({"workflowVersionName": version_name} if version_name else {})}
        run = self.runs[run_id] = self._new_run(run_id, {**request, "outputUri": "s3://example-output-bucket/"})
        start = run["creationTime"] + dt.timedelta(minutes=2)
        run.update(status="COMPLETED", startTime=start, stopTime=start + dt.timedelta(seconds=seconds),
                   workflowName=workflow_name, tasks=[])
        for number, task in enumerate(tasks):
            task_start = start + dt.timedelta(seconds=number)
            item = {"taskId": f"{run_id}{number:04d}", "status": "COMPLETED", "name": f"task-{number}",
                    "cpus": task.get("cpus", 2), "memory": task.get("memory", 4), "creationTime": task_start,
                    "startTime": task_start, "stopTime": task_start + dt.timedelta(seconds=task["seconds"]),
                    "cacheHit": task.get("cacheHit", False)}
            if task.get("instanceType"):
                item["instanceType"] = task["instanceType"]
            run["tasks"].append(item)
        return run_id

    def count(self, operation: str) -> int:
        return Counter(name for name, _ in self.calls)[operation]

    def params_of(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]

    def _moto(self, service: str):
        """moto's client for ``service``, made once (what the service itself sees of IAM and S3)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=REGION)
        return self._clients[service]

    # -- botocore hooks ------------------------------------------------------------------
    def _capture(self, params: dict[str, Any], model, **_: Any) -> None:
        self._pending = (model.name, dict(params))

    def _respond(self, request, **_: Any) -> AWSResponse:
        operation, params = self._pending
        op_model = self.model.operation_model(operation)
        try:
            result = self._answer(operation, params)
        except ServiceError as error:
            status = self.model.shape_for(error.code).metadata["error"]["httpStatusCode"]
            return self._http(request, status, {"message": error.message}, {"x-amzn-errortype": error.code})
        return self._http(request, op_model.http.get("responseCode", 200), result, {})

    def _answer(self, operation: str, params: dict[str, Any], *, check_output: bool = True) -> dict[str, Any]:
        """One call as the service answers it: recorded, its input (and output) checked against the model."""
        self.calls.append((operation, params))
        op_model = self.model.operation_model(operation)
        report = ParamValidator().validate(params, op_model.input_shape)
        assert not report.has_errors(), report.generate_report()
        if self.authorize is not None:
            self.authorize(operation, params)
        self._admit(operation)
        fault = next((f for f in self.faults if f[0] == operation), None)
        if fault:
            self.faults.remove(fault)
            raise ServiceError(fault[1], fault[2])
        result = self._operation(operation)(params)
        if op_model.output_shape is None:
            assert result == {}, f"{operation} has no output in the model"
        elif check_output:
            output = ParamValidator().validate(result, op_model.output_shape)
            assert not output.has_errors(), output.generate_report()
        return result

    def direct(self) -> "DirectOmics":
        """A client whose calls reach the fake without HTTP (no serializing, no botocore hooks): the same
        answers, records and checks of each request, for tests that make tens of thousands of calls. The
        answers' shapes are checked on the HTTP path, which every other test takes."""
        if self.checked is None:
            self.checked = set()
        return DirectOmics(self)

    def _admit(self, operation: str) -> None:
        if self.clock is None:
            return
        self.clock.sleep(self.clock.latency)
        if operation in self.rate_limits:
            second = (operation, int(self.clock.time()))
            if self._admitted[second] >= self.rate_limits[operation]:
                raise ServiceError("ThrottlingException", "Rate exceeded")
            self._admitted[second] += 1

    @staticmethod
    def _http(request, status: int, body: dict[str, Any], headers: dict[str, str]) -> AWSResponse:
        payload = json.dumps(body, default=lambda v: v.isoformat()).encode()
        return AWSResponse(request.url, status, {"content-type": "application/json", **headers}, _Body(payload))

    def _operation(self, name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        handlers = {"StartRun": self._start_run, "GetRun": self._get_run, "CancelRun": self._cancel_run,
                    "GetWorkflow": self._get_workflow, "GetWorkflowVersion": self._get_workflow_version,
                    "StartRunBatch": self._start_run_batch, "GetBatch": self._get_batch,
                    "CancelRunBatch": self._cancel_run_batch, "ListRunsInBatch": self._list_runs_in_batch,
                    "ListRuns": self._list_runs, "ListRunTasks": self._list_run_tasks,
                    "ListRunGroups": self._list_run_groups, "GetRunTask": self._get_run_task,
                    "ListBatch": self._list_batch, "TagResource": self._tag_resource,
                    "UntagResource": self._untag_resource}
        if name not in handlers:
            raise AssertionError(f"the fake does not implement {name}")
        return handlers[name]

    # -- the service ---------------------------------------------------------------------
    def _workflow(self, workflow_id: str, workflow_type: str | None) -> dict[str, Any]:
        workflow = self.workflows.get(workflow_id)
        if workflow is None or workflow["type"] != (workflow_type or "PRIVATE"):
            raise ServiceError("ResourceNotFoundException", f"Workflow {workflow_id} not found")
        return workflow

    def _get_workflow(self, params: dict[str, Any]) -> dict[str, Any]:
        workflow = self._workflow(params["id"], params.get("type"))
        return {"id": params["id"], "arn": f"arn:aws:omics:{REGION}:{ACCOUNT}:workflow/{params['id']}",
                "type": workflow["type"], "parameterTemplate": workflow["parameterTemplate"],
                **workflow.get("said", {"status": "ACTIVE"})}

    def _get_workflow_version(self, params: dict[str, Any]) -> dict[str, Any]:
        workflow = self._workflow(params["workflowId"], params.get("type"))
        version = workflow["versions"].get(params["versionName"])
        if version is None:
            raise ServiceError("ResourceNotFoundException", f"Version {params['versionName']} not found")
        said = workflow["versionStatus"].get(params["versionName"], {"status": "ACTIVE"})
        return {"workflowId": params["workflowId"], "versionName": params["versionName"], **said,
                "parameterTemplate": version}

    def _check_role_and_bucket(self, params: dict[str, Any]) -> None:
        bucket = params["outputUri"].removeprefix("s3://").split("/", 1)[0]
        if (params["roleArn"], bucket) in (self.checked or ()):
            return
        role_name = params["roleArn"].rsplit("/", 1)[-1]
        try:
            self._moto("iam").get_role(RoleName=role_name)
        except ClientError:
            raise ServiceError("ValidationException", f"Role {params['roleArn']} cannot be assumed") from None
        names = [b["Name"] for b in self._moto("s3").list_buckets()["Buckets"]]
        if bucket not in names:
            raise ServiceError("ValidationException", f"Output bucket {bucket} does not exist")
        if self.checked is not None:
            self.checked.add((params["roleArn"], bucket))

    def _new_run(self, run_id: str, params: dict[str, Any]) -> dict[str, Any]:
        prefix_mode = params.get("outputUriPrefixMode", "SERVICE_DEFINED")
        output = (params["outputUri"] if prefix_mode == "NONE_WITH_OVERWRITE"
                  else f"{params['outputUri'].rstrip('/')}/{run_id}")
        return {"id": run_id, "uuid": str(uuid.uuid4()), "arn": f"arn:aws:omics:{REGION}:{ACCOUNT}:run/{run_id}",
                "status": "PENDING", "runOutputUri": output, "creationTime": _now(),
                "request": params, "tags": dict(params.get("tags") or params.get("runTags") or {})}

    def _start_run(self, params: dict[str, Any]) -> dict[str, Any]:
        known = self.tokens.get(params["requestId"])
        if known in self.runs:
            run = self.runs[known]
        else:
            if "workflowId" in params:
                self._workflow(params["workflowId"], params.get("workflowType"))
            if "runId" in params and params["runId"] not in self.runs:
                raise ServiceError("ResourceNotFoundException", f"Run {params['runId']} not found")
            self._check_role_and_bucket(params)
            self._check_cache(params)
            run_id = str(self._next_id)
            self._next_id += 1
            run = self.runs[run_id] = self._new_run(run_id, params)
            self._access_as_service_role(run)
            self.tokens[params["requestId"]] = run_id
        return {key: run[key] for key in ("arn", "id", "status", "uuid", "runOutputUri")}

    def _get_run(self, params: dict[str, Any]) -> dict[str, Any]:
        run = self.runs.get(params["id"])
        if run is None:
            raise ServiceError("ResourceNotFoundException", f"Run {params['id']} not found")
        request = run["request"]
        described = {key: run[key] for key in ("arn", "id", "uuid", "status", "runOutputUri", "creationTime")}
        described.update({key: request[key] for key in ("workflowId", "parameters", "parametersUri", "roleArn",
                                                        "outputUri", "name", "storageType", "storageCapacity",
                                                        "workflowVersionName")
                          if key in request})
        described.update({key: run[key] for key in ("startTime", "stopTime") if run.get(key)})
        described.update({key: run[key] for key in ("failureReason", "statusMessage", "batchId") if run.get(key)})
        described.update(run.get("described", {}))  # end_run
        return described

    def _page(self, items: list[Any], params: dict[str, Any],
              shown: Callable[[Any], dict[str, Any]] = lambda item: item) -> dict[str, Any]:
        """One page of a list, as the service pages: ``maxResults`` items from ``startingToken`` on (each as
        ``shown`` says, made for the page's items only)."""
        start = int(params.get("startingToken") or 0)
        end = start + params.get("maxResults", self.page_size)
        return {"items": [shown(item) for item in items[start:end]],
                **({"nextToken": str(end)} if end < len(items) else {})}

    def _list_runs(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListRuns with its filters (name, batchId, status), paged."""
        among = self.batch_runs(params["batchId"]) if params.get("batchId") else self.runs.values()
        runs = [run for run in among if params.get("status") in (None, run["status"])
                and params.get("name") in (None, run["request"].get("name"))
                and params.get("batchId") in (None, run.get("batchId"))]
        return self._page(runs, params, lambda run: {
            "id": run["id"], "arn": run["arn"], "status": run["status"], "creationTime": run["creationTime"],
            **{key: run["request"][key] for key in ("workflowId", "name", "storageType", "storageCapacity",
                                                    "workflowVersionName") if key in run["request"]},
            **{key: run[key] for key in ("startTime", "stopTime", "workflowName", "batchId") if run.get(key)},
            **{key: value for key, value in run.get("described", {}).items()  # end_run
               if key in ("startTime", "stopTime")}})

    def add_run_group(self, run_group_id: str, **limits: int) -> None:
        """A run group made outside the stack; ``limits``: maxRuns, maxCpus, maxDuration (minutes), maxGpus."""
        self.run_groups[run_group_id] = {"id": run_group_id, "creationTime": _now(), **limits,
                                         "arn": f"arn:aws:omics:{REGION}:{ACCOUNT}:runGroup/{run_group_id}"}

    def _list_run_groups(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._page(list(self.run_groups.values()), params)

    def _list_run_tasks(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListRunTasks with its status filter, paged; each task as a TaskListItem (its other details are
        GetRunTask's)."""
        listed = set(self.model.shape_for("TaskListItem").members)
        tasks = [{key: value for key, value in task.items() if key in listed and value is not None}
                 for task in self._run(params["id"]).get("tasks", []) if params.get("status") in (None, task["status"])]
        return self._page(tasks, params)

    def _cancel_run(self, params: dict[str, Any]) -> dict[str, Any]:
        run = self.runs.get(params["id"])
        if run is None:
            raise ServiceError("ResourceNotFoundException", f"Run {params['id']} not found")
        if run["status"] not in ("PENDING", "STARTING", "RUNNING"):
            raise ServiceError("ConflictException", f"Run {params['id']} is {run['status']}")
        run["status"] = "CANCELLED"
        return {}

    # -- batches ---------------------------------------------------------------------------
    def _batch_settings(self, settings: dict[str, Any], role_arn: str) -> list[dict[str, Any]]:
        """The per-run settings, read from S3 the way the service reads s3UriSettings (at the call)."""
        if "inlineSettings" in settings:
            return settings["inlineSettings"]
        bucket, _, key = settings["s3UriSettings"].removeprefix("s3://").partition("/")
        why = self.service_access("read", role_arn, settings["s3UriSettings"]) if self.service_access else None
        if why:  # API Reference, BatchRunSettings: access is validated during the synchronous call
            raise ServiceError("ValidationException", f"Cannot read {settings['s3UriSettings']}: {why}")
        try:
            body = self._moto("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError:
            raise ServiceError("ValidationException", f"Cannot read {settings['s3UriSettings']}") from None
        entries = json.loads(body)
        shape = self.model.shape_for("InlineSetting")
        for entry in entries:
            report = ParamValidator().validate(entry, shape)
            assert not report.has_errors(), report.generate_report()
        return entries

    def _start_run_batch(self, params: dict[str, Any]) -> dict[str, Any]:
        known = self.tokens.get(params["requestId"])
        if known in self.batches:
            batch = self.batches[known]
        else:
            default = params["defaultRunSetting"]
            self._workflow(default["workflowId"], default.get("workflowType"))
            self._check_role_and_bucket(default)
            self._check_cache(default)
            entries = self._batch_settings(params["batchRunSettings"], default["roleArn"])
            ids = [entry["runSettingId"] for entry in entries]
            if len(ids) != len(set(ids)):
                raise ServiceError("ValidationException", "runSettingId values must be unique")
            batch_id = str(self._next_id)
            self._next_id += 1
            if not self.hold_submissions:  # submitted at once here; the service submits them gradually
                self._submit(batch_id, default, entries)
            batch = self.batches[batch_id] = {
                "id": batch_id, "uuid": str(uuid.uuid4()),
                "arn": f"arn:aws:omics:{REGION}:{ACCOUNT}:runBatch/{batch_id}",
                "status": "PENDING", "name": params.get("batchName"), "totalRuns": len(entries),
                "defaultRunSetting": default, "creationTime": _now(),
                "runSummary": {}, "submissionSummary": {}, "entries": entries, "tags": params.get("tags") or {}}
            self.tokens[params["requestId"]] = batch_id
        return {key: batch[key] for key in ("id", "arn", "status", "uuid")}

    def _submit(self, batch_id: str, default: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            run_id = str(self._next_id)
            self._next_id += 1
            if (entry.get("runTags") or default.get("runTags")) and self.authorize is not None:
                try:  # a run's tags are authorized as its caller's when it is created (HealthOmics guide, batches)
                    self.authorize("TagResource", {"resourceArn": f"arn:aws:omics:{REGION}:{ACCOUNT}:run/{run_id}",
                                                   "tags": entry.get("runTags") or default["runTags"]})
                except ServiceError:
                    continue  # its submission failed: no run
            run = self.runs[run_id] = self._new_run(run_id, {**default, **entry})
            run.update(batchId=batch_id, runSettingId=entry["runSettingId"])
            self._in_batch.setdefault(batch_id, []).append(run_id)
            self._access_as_service_role(run)

    def _access_as_service_role(self, run: dict[str, Any]) -> None:
        """What the run does as its service role: read its S3 inputs, write its outputs. A refusal fails the run
        as the HealthOmics guide's "Run failure reasons" name it (INPUT_URI_NOT_FOUND, EXPORT_FAILED)."""
        if self.service_access is None:
            return
        request = run["request"]
        # What the service role does besides inputs and outputs: its logs, its metrics and the run cache. What
        # HealthOmics does when refused these is not documented: the refusal is recorded (``service_access``),
        # the run goes on.
        cache = self.cache_locations.get(request.get("cacheId", ""))
        for access, target in (("log", f"run/{run['id']}"), ("metrics", ""),
                               *((a, f"{cache.rstrip('/')}/{run['id']}/task.json") for a in ("read", "write")
                                 if cache)):
            self.service_access(access, request["roleArn"], target)
        for uri in [*_s3_uris(request.get("parameters") or {}), *([request["parametersUri"]]
                                                                  if "parametersUri" in request else [])]:
            why = self.service_access("read", request["roleArn"], uri)
            if why:
                run.update(status="FAILED", failureReason="INPUT_URI_NOT_FOUND",
                           statusMessage=f"The provided URI does not exist: {uri}. {why}")
                return
        why = self.service_access("write", request["roleArn"], f"{run['runOutputUri'].rstrip('/')}/logs/manifest.json")
        if why:
            run.update(status="FAILED", failureReason="EXPORT_FAILED", statusMessage=f"The export failed. {why}")

    def submit_held(self) -> None:
        """Submit the runs of batches started while ``hold_submissions`` was set (the service does it gradually)."""
        for batch_id, batch in self.batches.items():
            if not self.batch_runs(batch_id):
                self._submit(batch_id, batch["defaultRunSetting"], batch["entries"])

    def batch_runs(self, batch_id: str) -> list[dict[str, Any]]:
        return [self.runs[run_id] for run_id in self._in_batch.get(batch_id, []) if run_id in self.runs]

    def _list_runs_in_batch(self, params: dict[str, Any]) -> dict[str, Any]:
        self._batch(params["batchId"])
        batch = self._batch(params["batchId"])
        candidates = ([self.runs[params["runId"]]] if params.get("runId") in self.runs
                      else [] if params.get("runId") else self.batch_runs(params["batchId"]))
        found = [run for run in candidates if run.get("batchId") == params["batchId"]
                 and params.get("runSettingId") in (None, run["runSettingId"])]
        if not any(run_id in self.runs for run_id in self._in_batch.get(params["batchId"], [])):
            # not submitted yet: listed without a run id
            return {"runs": [{"runSettingId": entry["runSettingId"]} for entry in batch["entries"]
                             if params.get("runSettingId") in (None, entry["runSettingId"])]}
        listed = [{"runSettingId": run["runSettingId"], "runId": run["id"], "runArn": run["arn"],
                   "runInternalUuid": run["uuid"], "submissionStatus": "SUCCESS"} for run in found]
        listed += [{"runSettingId": id, "submissionStatus": "FAILED", "submissionFailureReason": reason,
                    **({"submissionFailureMessage": message} if message else {})}
                   for id, (reason, message) in batch.get("submissionFailures", {}).items()
                   if params.get("runSettingId") in (None, id)]
        wanted = params.get("submissionStatus")
        # Paged as the service pages: ``maxItems`` (at most 100) from ``startingToken`` on.
        page = self._page([run for run in listed if wanted in (None, run["submissionStatus"])],
                          {**params, "maxResults": params.get("maxItems", self.page_size)})
        return {"runs": page["items"], **({"nextToken": page["nextToken"]} if "nextToken" in page else {})}

    def _batch(self, batch_id: str) -> dict[str, Any]:
        batch = self.batches.get(batch_id)
        if batch is None:
            raise ServiceError("ResourceNotFoundException", f"Batch {batch_id} not found")
        return batch

    def _get_batch(self, params: dict[str, Any]) -> dict[str, Any]:
        batch = self._batch(params["batchId"])
        described = {key: batch[key] for key in ("id", "arn", "uuid", "status", "totalRuns", "defaultRunSetting",
                                                 "creationTime", "runSummary", "submissionSummary")}
        described.update({key: batch[key] for key in ("name", "failureReason") if batch.get(key)})
        return described

    def _cancel_run_batch(self, params: dict[str, Any]) -> dict[str, Any]:
        batch = self._batch(params["batchId"])
        if batch["status"] not in ("PENDING", "SUBMITTING", "INPROGRESS"):
            raise ServiceError("ConflictException", f"Batch {params['batchId']} is {batch['status']}")
        batch["status"] = "STOPPING"
        for run in self.batch_runs(params["batchId"]):
            if run["status"] in ("PENDING", "STARTING", "RUNNING"):
                run["status"] = "CANCELLED"
        return {}

    # -- tasks and listings ----------------------------------------------------------------
    def _run(self, run_id: str) -> dict[str, Any]:
        run = self.runs.get(run_id)
        if run is None:
            raise ServiceError("ResourceNotFoundException", f"Run {run_id} not found")
        return run

    def _get_run_task(self, params: dict[str, Any]) -> dict[str, Any]:
        task = next((task for task in self._run(params["id"]).get("tasks", []) if task["taskId"] == params["taskId"]),
                    None)
        if task is None:
            raise ServiceError("ResourceNotFoundException", f"Task {params['taskId']} not found")
        return {key: value for key, value in task.items() if value is not None}

    def _list_batch(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListBatch with its filters (name, status); one page."""
        found = [batch for batch in self.batches.values()
                 if params.get("name") in (None, batch.get("name")) and params.get("status") in (None, batch["status"])]
        return {"items": [{"id": batch["id"], "status": batch["status"], "totalRuns": batch["totalRuns"],
                           "createdAt": batch["creationTime"], **({"name": batch["name"]} if batch.get("name") else {})}
                          for batch in found]}

    # -- what an ended run says of itself: its tasks and GetRun's fields (provenance) ------------------

    def end_run(self, run_id: str, status: str = "COMPLETED", **described: Any) -> None:
        """End a run: ``described`` are GetRun fields it now answers with (``startTime``, ``digest``, ...)."""
        run = self.runs[run_id]
        run["status"] = status
        run["described"] = {"startTime": run["creationTime"], "stopTime": _now(), **described}


    # -- tags --------------------------------------------------------------------------------
    def tags(self, arn: str) -> dict[str, str]:
        """The tags a run or batch has now: those it started with, as TagResource and UntagResource left them."""
        kind, _, id = arn.rpartition(":")[2].partition("/")
        found = (self.runs if kind == "run" else self.batches).get(id)
        if found is None:
            raise ServiceError("ResourceNotFoundException", f"{arn} not found")
        return found["tags"]

    def _tag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        self.tags(params["resourceArn"]).update(params["tags"])
        return {}

    def _untag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        tags = self.tags(params["resourceArn"])
        for key in params["tagKeys"]:
            tags.pop(key, None)
        return {}


def _s3_uris(value: Any) -> list[str]:
    """The ``s3://`` strings in a parameters document."""
    if isinstance(value, dict):
        return [uri for item in value.values() for uri in _s3_uris(item)]
    if isinstance(value, list):
        return [uri for item in value for uri in _s3_uris(item)]
    return [value] if isinstance(value, str) and value.startswith("s3://") else []


class DirectOmics:
    """The fake's operations as a client's methods (``get_run(id=...)``), answered without HTTP; a refusal
    raises botocore's ``ClientError`` with the service's code, as a client would."""

    def __init__(self, fake: FakeHealthOmics) -> None:
        self._fake = fake
        self._names = {xform_name(name): name for name in fake.model.operation_names}

    def __getattr__(self, method: str) -> Callable[..., dict[str, Any]]:
        operation = self._names[method]

        def answer(**params: Any) -> dict[str, Any]:
            try:
                return self._fake._answer(operation, params, check_output=False)
            except ServiceError as error:
                raise ClientError({"Error": {"Code": error.code, "Message": error.message}}, operation) from None

        answer.__name__ = method
        return answer
