"""The world the handler runs in, as plain functions: moto with a service role and an output bucket,
the HealthOmics fake on the handler's own client, and resource properties as CloudFormation hands
them over. The pytest fixtures (``conftest``) and the benchmark (``bench``) both build from here.
"""

from __future__ import annotations

import contextlib
import copy
import uuid
from typing import Any, Iterator

import boto3
import pytest
from moto import mock_aws

from healthomics_run.run_model import samples
from healthomics_run.run_model.properties import RunSettings
from healthomics_run.service_calls import clients
from tests.fake_omics import ACCOUNT, REGION, FakeHealthOmics

WORKFLOW_ID = "1234567"
TEMPLATE = {
    "sample_name": {"description": "Sample name"},
    "threads": {"description": "Threads per task", "optional": True},
    "use_gpu": {"description": "Use GPU tasks", "optional": True},
    "intervals": {"description": "Intervals to call", "optional": True},
    "options": {"description": "Nested caller options", "optional": True},
}
BATCH_TEMPLATE = {"reference": {}, "sample_name": {}, "threads": {"optional": True}}
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/GermlineRunStack/{uuid.UUID(int=1)}"
RUN_LOGICAL_ID = "GermlineRun1DD31D54"
BATCH_LOGICAL_ID = "CohortBatch5E5C0F1A"
LEDGER_URI = (f"s3://example-output-bucket/germline/.healthomics-run/GermlineRunStack/{uuid.UUID(int=1)}/"
              f"{BATCH_LOGICAL_ID}.json")
SAMPLES = [
    {"runSettingId": "S1", "name": "sample-1", "parameters": {"sample_name": "SAMPLE-0001", "threads": "4"},
     "priority": "10"},
    {"runSettingId": "S2", "parameters": {"sample_name": "SAMPLE-0002"}},
]
_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}


@contextlib.contextmanager
def moto_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto's IAM, S3 and STS holding the service role and the output bucket a run needs."""
    for name, value in _CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="omics-run-role", AssumeRolePolicyDocument="{}")["Role"]
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="example-output-bucket")
        yield {"role_arn": role["Arn"], "output_uri": "s3://example-output-bucket/germline/"}


def attach_fake(monkeypatch: pytest.MonkeyPatch, template: dict[str, Any] | None = None) -> FakeHealthOmics:
    """The fake, attached to the very client the handler builds (shipped model, retry config)."""
    client = clients.new_omics_client()
    fake = FakeHealthOmics(client)
    fake.add_workflow(WORKFLOW_ID, template or TEMPLATE)
    monkeypatch.setattr(clients, "omics", lambda: client)
    s3 = boto3.client("s3", region_name=REGION)  # moto's, for cohort ledgers and sample sheets
    monkeypatch.setattr(clients, "s3", lambda: s3)
    return fake


def run_properties(aws: dict[str, str]) -> dict[str, Any]:
    """A run's properties as CloudFormation hands them over: every scalar a string."""
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "WorkflowId": WORKFLOW_ID,
        "RoleArn": aws["role_arn"],
        "OutputUri": aws["output_uri"],
        "Name": "GermlineRunStack/Germline/Run",
        "Parameters": {"sample_name": "NA12878", "threads": "8", "use_gpu": "false", "intervals": ["chr1", "chr2"]},
        "ParameterTypes": {"/threads": "number", "/use_gpu": "boolean"},
        "StorageType": "DYNAMIC",
        "DeletePolicy": "RETAIN",
        "WaitFor": "STARTED",
        "TimeoutSeconds": "3000",
        "RunSettingsDigest": "0123456789abcdef",
    }


def run_settings(props: dict[str, Any]) -> str:
    """What a physical id records of the settings a run ran with (see ``run_ref``)."""
    return RunSettings.from_properties(props).fingerprint()[:16]


def batch_properties(run_props: dict[str, Any]) -> dict[str, Any]:
    """A batch's properties, sharing a run's settings: inline samples, every scalar a string."""
    shared = {k: v for k, v in run_props.items() if k not in ("Parameters", "ParameterTypes")}
    return {**shared, "Parameters": {"reference": "s3://example-reference-bucket/ref.fa"},
            "BatchName": "CohortStack/Cohort/Batch", "SampleCount": "2", "Samples": SAMPLES,
            "SampleTypes": {"/0/parameters/threads": "number", "/0/priority": "number"}}


def stage_sheet(settings: list[dict[str, Any]], key: str) -> str:
    """A sample sheet in moto's S3, where the service reads s3UriSettings from."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="example-assets-bucket")
    s3.put_object(Bucket="example-assets-bucket", Key=key, Body=samples.canonical_json(settings).encode())
    return f"s3://example-assets-bucket/{key}"


def sheet_properties(batch_props: dict[str, Any], settings: list[dict[str, Any]], uri: str) -> dict[str, Any]:
    """A batch's properties when its sheet is staged: the URI, the digest and the count, no samples."""
    shared = {k: v for k, v in batch_props.items() if k not in ("Samples", "SampleTypes")}
    return {**shared, "SampleSheetUri": uri, "SampleSheetDigest": samples.digest(settings),
            "SampleCount": str(len(settings))}


def event(request_type: str, props: dict[str, Any], *, physical_id: str | None = None,
          old_props: dict[str, Any] | None = None, logical_id: str = RUN_LOGICAL_ID,
          resource_type: str = "Custom::HealthOmicsRun") -> dict[str, Any]:
    built = {"RequestType": request_type, "StackId": STACK_ID, "RequestId": str(uuid.uuid4()),
             "LogicalResourceId": logical_id, "ResourceType": resource_type,
             "ResourceProperties": copy.deepcopy(props)}
    if physical_id is not None:
        built["PhysicalResourceId"] = physical_id
    if old_props is not None:
        built["OldResourceProperties"] = copy.deepcopy(old_props)
    return built


def batch_event(request_type: str, props: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return event(request_type, props, logical_id=BATCH_LOGICAL_ID, resource_type="Custom::HealthOmicsRunBatch",
                 **kwargs)
