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
        self.batches: dict[str, dict[str, Any]] = {}
        self.run_caches: set[str] = set()
        self.tokens: dict[str, str] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every HTTP attempt, retries included
        self.faults: list[tuple[str, str, str]] = []
        self.sleeps: list[float] = []  # backoff delays botocore asked for
        self._next_id = 1000001
        self._pending: tuple[str, dict[str, Any]] | None = None
        self.rate_limits: dict[str, int] = {}  # operation -> calls admitted per (virtual) second
        self._admitted: Counter = Counter()
        self.clock: Callable[[], float] | None = None
        self.hold_submissions = False  # batches' runs wait for submit_held(), as the service's gradual submission
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

    def add_run_cache(self, cache_id: str) -> None:
        self.run_caches.add(cache_id)

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

    def start_stranger_run(self, run_id: str) -> None:
        """Somebody else's run that inherited ``run_id`` after ours was deleted."""
        self.runs[run_id] = self._new_run(run_id, {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/other",
                                                   "outputUri": "s3://other-bucket/"})
        self.runs[run_id]["status"] = "RUNNING"

    def count(self, operation: str) -> int:
        return Counter(name for name, _ in self.calls)[operation]

    def params_of(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]

    # -- botocore hooks ------------------------------------------------------------------
    def _capture(self, params: dict[str, Any], model, **_: Any) -> None:
        self._pending = (model.name, dict(params))

    def _respond(self, request, **_: Any) -> AWSResponse:
        operation, params = self._pending
        self.calls.append((operation, params))
        op_model = self.model.operation_model(operation)
        report = ParamValidator().validate(params, op_model.input_shape)
        assert not report.has_errors(), report.generate_report()
        try:
            self._admit(operation)
            fault = next((f for f in self.faults if f[0] == operation), None)
            if fault:
                self.faults.remove(fault)
                raise ServiceError(fault[1], fault[2])
            result = self._operation(operation)(params)
        except ServiceError as error:
            status = self.model.shape_for(error.code).metadata["error"]["httpStatusCode"]
            return self._http(request, status, {"message": error.message}, {"x-amzn-errortype": error.code})
        if op_model.output_shape is None:
            assert result == {}, f"{operation} has no output in the model"
        else:
            output = ParamValidator().validate(result, op_model.output_shape)
            assert not output.has_errors(), output.generate_report()
        return self._http(request, op_model.http.get("responseCode", 200), result, {})

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
                    "TagResource": self._tag_resource, "UntagResource": self._untag_resource}
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
        role_name = params["roleArn"].rsplit("/", 1)[-1]
        try:
            boto3.client("iam", region_name=REGION).get_role(RoleName=role_name)
        except ClientError:
            raise ServiceError("ValidationException", f"Role {params['roleArn']} cannot be assumed") from None
        bucket = params["outputUri"].removeprefix("s3://").split("/", 1)[0]
        names = [b["Name"] for b in boto3.client("s3", region_name=REGION).list_buckets()["Buckets"]]
        if bucket not in names:
            raise ServiceError("ValidationException", f"Output bucket {bucket} does not exist")

    def _new_run(self, run_id: str, params: dict[str, Any]) -> dict[str, Any]:
        prefix_mode = params.get("outputUriPrefixMode", "SERVICE_DEFINED")
        output = params["outputUri"] if prefix_mode == "NONE_WITH_OVERWRITE" else f"{params['outputUri'].rstrip('/')}/{run_id}"
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
            self.tokens[params["requestId"]] = run_id
        return {key: run[key] for key in ("arn", "id", "status", "uuid", "runOutputUri")}

    def _get_run(self, params: dict[str, Any]) -> dict[str, Any]:
        run = self.runs.get(params["id"])
        if run is None:
            raise ServiceError("ResourceNotFoundException", f"Run {params['id']} not found")
        request = run["request"]
        described = {key: run[key] for key in ("arn", "id", "uuid", "status", "runOutputUri", "creationTime")}
        described.update({key: request[key] for key in ("workflowId", "parameters", "roleArn", "outputUri")
                          if key in request})
        described.update({key: run[key] for key in ("failureReason", "statusMessage") if run.get(key)})
        return described

    def _cancel_run(self, params: dict[str, Any]) -> dict[str, Any]:
        run = self.runs.get(params["id"])
        if run is None:
            raise ServiceError("ResourceNotFoundException", f"Run {params['id']} not found")
        if run["status"] not in ("PENDING", "STARTING", "RUNNING"):
            raise ServiceError("ConflictException", f"Run {params['id']} is {run['status']}")
        run["status"] = "CANCELLED"
        return {}

    # -- batches ---------------------------------------------------------------------------
    def _batch_settings(self, settings: dict[str, Any]) -> list[dict[str, Any]]:
        """The per-run settings, read from S3 the way the service reads s3UriSettings (at the call)."""
        if "inlineSettings" in settings:
            return settings["inlineSettings"]
        bucket, _, key = settings["s3UriSettings"].removeprefix("s3://").partition("/")
        try:
            body = boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
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
            entries = self._batch_settings(params["batchRunSettings"])
            ids = [entry["runSettingId"] for entry in entries]
            if len(ids) != len(set(ids)):
                raise ServiceError("ValidationException", "runSettingId values must be unique")
            batch_id = str(self._next_id)
            self._next_id += 1
            if not self.hold_submissions:  # submitted at once here; the service submits them gradually
                self._submit(batch_id, default, entries)
            batch = self.batches[batch_id] = {
                "id": batch_id, "uuid": str(uuid.uuid4()), "arn": f"arn:aws:omics:{REGION}:{ACCOUNT}:runBatch/{batch_id}",
                "status": "PENDING", "name": params.get("batchName"), "totalRuns": len(entries),
                "defaultRunSetting": default, "creationTime": _now(),
                "runSummary": {}, "submissionSummary": {}, "entries": entries, "tags": params.get("tags") or {}}
            self.tokens[params["requestId"]] = batch_id
        return {key: batch[key] for key in ("id", "arn", "status", "uuid")}

    def _submit(self, batch_id: str, default: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            run_id = str(self._next_id)
            self._next_id += 1
            run = self.runs[run_id] = self._new_run(run_id, {**default, **entry})
            run.update(batchId=batch_id, runSettingId=entry["runSettingId"])

    def submit_held(self) -> None:
        """Submit the runs of batches started while ``hold_submissions`` was set (the service does it gradually)."""
        for batch_id, batch in self.batches.items():
            if not self.batch_runs(batch_id):
                self._submit(batch_id, batch["defaultRunSetting"], batch["entries"])

    def batch_runs(self, batch_id: str) -> list[dict[str, Any]]:
        return [run for run in self.runs.values() if run.get("batchId") == batch_id]

    def _list_runs_in_batch(self, params: dict[str, Any]) -> dict[str, Any]:
        self._batch(params["batchId"])
        batch = self._batch(params["batchId"])
        found = [run for run in self.batch_runs(params["batchId"])
                 if params.get("runSettingId") in (None, run["runSettingId"])]
        if not self.batch_runs(params["batchId"]):  # not submitted yet: listed without a run id
            return {"runs": [{"runSettingId": entry["runSettingId"]} for entry in batch["entries"]
                             if params.get("runSettingId") in (None, entry["runSettingId"])]}
        return {"runs": [{"runSettingId": run["runSettingId"], "runId": run["id"], "runArn": run["arn"],
                          "runInternalUuid": run["uuid"], "submissionStatus": "SUCCESS"} for run in found]}

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
