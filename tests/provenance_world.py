"""A stack's ended runs as the provenance writer meets them: runs started by the deploy handler itself,
tasks with images, outputs in their folders, and the stack's resources as CloudFormation lists them.
Fixtures ``omics`` (with engine and a ``reads`` input), ``s3`` (a versioned input bucket) and ``stack``."""

from __future__ import annotations

import json

import boto3
import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model.provenance_settings import Config
from healthomics_run.run_model.run_ref import RunRef
from healthomics_run.service_calls import provenance as writer
from healthomics_run.service_calls.provenance_owners import Owners
from tests.fake_cloudformation import FakeStack
from tests.fake_omics import REGION
from tests.world import RUN_LOGICAL_ID, STACK_ID, event

INPUT_BUCKET = "example-input-bucket"
INPUT = f"s3://{INPUT_BUCKET}/reads/SAMPLE-0001.cram"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/germline/gatk:4.5.0.0"
IMAGE_DIGEST = "sha256:" + "1f" * 32
WORKFLOW_DIGEST = "sha256:" + "ab" * 32
RUN_PATH = "GermlineRunStack/Germline/Run/Resource"
BATCH_PATH = "CohortStack/Cohort/Batch/Resource"


@pytest.fixture
def s3(aws):
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=INPUT_BUCKET)
    client.put_bucket_versioning(Bucket=INPUT_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    client.put_object(Bucket=INPUT_BUCKET, Key="reads/SAMPLE-0001.cram", Body=b"reads of sample one")
    return client


@pytest.fixture
def omics(omics):
    template = omics.workflows["1234567"]["parameterTemplate"]
    omics.workflows["1234567"]["parameterTemplate"] = {**template, "reads": {"description": "Reads", "optional": True}}
    omics.workflows["1234567"]["said"] = {"status": "ACTIVE", "engine": "WDL", "name": "germline-calling"}
    return omics


@pytest.fixture
def stack():
    return FakeStack(STACK_ID)


def deployed_run(props, stack, **parameters):
    """A run started by the deploy handler itself, and the stack's resource naming it."""
    answer = handler.on_event(event("Create", {**props, "Parameters": {"sample_name": "SAMPLE-0001", **parameters}}))
    stack.add(RUN_LOGICAL_ID, "Custom::HealthOmicsRun", answer["PhysicalResourceId"], RUN_PATH)
    return RunRef.parse(answer["PhysicalResourceId"])


def finish(omics, s3, run_id, status="COMPLETED", *, output_json=True, **described):
    """The run ends as HealthOmics ends one: tasks with images, outputs in its folder, GetRun's fields."""
    began = omics.runs[run_id]["creationTime"]
    ended = {"status": "COMPLETED", "startTime": began, "stopTime": began, "image": IMAGE,
             "image_digest": IMAGE_DIGEST}
    omics.add_task(run_id, "GermlineCalling.align", task_id="1111111", instance_type="omics.c.xlarge", cpus=4,
                   memory=8, cacheHit=False, **ended)
    omics.add_task(run_id, "GermlineCalling.call", task_id="2222222", instance_type="omics.m.2xlarge", cpus=8,
                   memory=32, cacheHit=True, **ended)
    folder = omics.runs[run_id]["runOutputUri"].removeprefix("s3://").split("/", 1)[1]
    vcf = f"{folder}/out/calls/SAMPLE-0001.vcf.gz"
    s3.put_object(Bucket="example-output-bucket", Key=vcf, Body=b"variants")
    if output_json:
        s3.put_object(Bucket="example-output-bucket", Key=f"{folder}/logs/output.json", Body=json.dumps(
            {"GermlineCalling.vcf": f"s3://example-output-bucket/{vcf}"}).encode())
    omics.end_run(run_id, status, digest=WORKFLOW_DIGEST, engineVersion="1.1", startedBy="arn:aws:sts::123456789012:"
                  "assumed-role/HandlerRole/provider", resourceDigests={IMAGE: IMAGE_DIGEST}, **described)
    return f"s3://example-output-bucket/{vcf}"


def write(omics, s3, stack, run_id, uuid=None, *, config=None, **kwargs):
    aws = writer.Clients(omics=omics.client, s3=s3, cfn=stack.client)
    return writer.write(aws, Owners(stack.client, STACK_ID, config or Config()), run_id, uuid, **kwargs)


def record_at(s3, uri):
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def graph(record):
    crate = json.loads(record) if isinstance(record, bytes) else record
    return {entity["@id"]: entity for entity in crate["@graph"]}
