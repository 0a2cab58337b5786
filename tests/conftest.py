"""Shared fixtures: moto for IAM/S3/STS, the HealthOmics fake, and CloudFormation events."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import boto3
import pytest
from moto import mock_aws

from healthomics_run._lambda.start_run import clients
from tests.fake_omics import ACCOUNT, REGION, FakeHealthOmics

WORKFLOW_ID = "1234567"
TEMPLATE = {
    "sample_name": {"description": "Sample name"},
    "threads": {"description": "Threads per task", "optional": True},
    "use_gpu": {"description": "Use GPU tasks", "optional": True},
    "intervals": {"description": "Intervals to call", "optional": True},
    "options": {"description": "Nested caller options", "optional": True},
}
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/GermlineRunStack/{uuid.UUID(int=1)}"


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="omics-run-role", AssumeRolePolicyDocument="{}")["Role"]
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="example-output-bucket")
        yield {"role_arn": role["Arn"], "output_uri": "s3://example-output-bucket/germline/"}


@pytest.fixture
def omics(aws, monkeypatch) -> FakeHealthOmics:
    """The fake, attached to the very client the handler builds (shipped model, retry config)."""
    client = clients.new_omics_client()
    fake = FakeHealthOmics(client)
    fake.add_workflow(WORKFLOW_ID, TEMPLATE)
    monkeypatch.setattr(clients, "omics", lambda: client)
    monkeypatch.setattr("time.sleep", lambda seconds: fake.sleeps.append(seconds))
    return fake


@pytest.fixture
def props(aws) -> dict[str, Any]:
    """Resource properties as CloudFormation hands them over: every scalar a string."""
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
        "TimeoutSeconds": "3600",
        "RunSettingsDigest": "0123456789abcdef",
    }


def event(request_type: str, props: dict[str, Any], *, physical_id: str | None = None,
          old_props: dict[str, Any] | None = None, logical_id: str = "GermlineRun1DD31D54") -> dict[str, Any]:
    built = {"RequestType": request_type, "StackId": STACK_ID, "RequestId": str(uuid.uuid4()),
             "LogicalResourceId": logical_id, "ResourceType": "Custom::HealthOmicsRun",
             "ResourceProperties": copy.deepcopy(props)}
    if physical_id is not None:
        built["PhysicalResourceId"] = physical_id
    if old_props is not None:
        built["OldResourceProperties"] = copy.deepcopy(old_props)
    return built
