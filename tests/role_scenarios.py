"""The functions that act after a deploy, driven in the account world (``tests.account_world``) as their own roles.

- **The provenance writer**: runs a stack started end (one with inputs read since changed, a cohort's two); the
  rule puts the single run's ``Run Status Change`` on the writer's queue, the hourly schedule a sweep; the SQS
  event source delivers them to ``lambda/after_run/handler.py`` as the writer's role, whose clients (HealthOmics,
  S3, CloudFormation, SQS) call as that role.
- **The status signaller**: a run that waits for COMPLETED fails, a cohort that waits for COMPLETED fails; each
  status change event reaches ``start_run.completion.on_status_event`` as the signaller's role, which reads the run
  or batch and its failed tasks and signals the wait condition.

The writer asks whether a record is there with HeadObject and takes S3's 403 for a missing key the same as a 404
(``provenance_objects.exists``: right whether or not S3 counts its ``s3:prefix``-limited ListBucket), so that
refusal (``MISSING_KEY``) is its answer, not a permission it lacks.

Each scenario is set up once (``setup``: deployed, runs started by the deploy handler and ended) and played any
number of times (``play``: what the function does, from its records removed), so that taking away one statement
at a time costs one play, not one deploy. ``play`` answers what went wrong: refusals, records or signals missing.
"""

from __future__ import annotations

import contextlib
import functools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, RunOutputBucket, WaitFor
from healthomics_run.handlers.after_run import handler as after_run
from healthomics_run.handlers.start_run import completion
from healthomics_run.run_model.provenance_settings import RECORD_NAME
from healthomics_run.service_calls import clients
from healthomics_run.service_calls import provenance as writer
from tests.account_world import MISSING_KEY
from tests.fake_cloudformation import FakeStack
from tests.fake_omics import REGION
from tests.stack_world import WORKFLOW_ID, StackWorld, deploy

INPUT_BUCKET = "example-inputs-bucket"
INPUT_KEY = "reads/NA12878.cram"
SAMPLES = [{"run_setting_id": f"SAMPLE-{i:04d}", "parameters": {"sample_name": f"SAMPLE-{i:04d}"}} for i in (1, 2)]
TASK_FAILURE = "OUT_OF_MEMORY"  # why a run failed (HealthOmics guide, "Run failure reasons")


def writer_stack(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "OutputKey", enable_key_rotation=True)
    outputs = RunOutputBucket(stack, "Outputs", encryption_key=key)
    inputs = s3.Bucket(stack, "Inputs", bucket_name=INPUT_BUCKET, enforce_ssl=True, versioned=True)
    HealthOmicsRun(stack, "Germline", workflow_id=WORKFLOW_ID, inputs=[inputs], output_bucket=outputs,
                   parameters={"sample_name": f"s3://{INPUT_BUCKET}/{INPUT_KEY}"})
    HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=SAMPLES, output_bucket=outputs)


def signaller_stack(stack: cdk.Stack) -> None:
    waits = {"wait_for": WaitFor.COMPLETED, "timeout": cdk.Duration.hours(3)}
    HealthOmicsRun(stack, "Germline", workflow_id=WORKFLOW_ID, parameters={"sample_name": "NA12878"}, **waits)
    HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=SAMPLES, **waits)


@dataclass
class Played:
    """A scenario set up in the account world: ``play()`` answers what went wrong ([] when nothing did)."""

    world: StackWorld
    role: str  # the logical id of the role the function runs as
    play: Callable[[], list[str]]
    found: dict[str, Any] = field(default_factory=dict)  # what the last play produced, for the tests to look at


@contextlib.contextmanager
def deploy_and_start(monkeypatch: pytest.MonkeyPatch, build: Callable[[cdk.Stack], None], outdir: Path,
                      stack: str) -> Iterator[tuple[StackWorld, FakeStack]]:
    """The stack deployed, each run resource created by the deploy handler, and CloudFormation's view of them."""
    with deploy(monkeypatch, build, outdir, stack_name=stack) as world:
        resources = FakeStack(world.deployed.stack_id)
        started = {logical: world.resource(logical).create()["PhysicalResourceId"]
                   for kind in ("Custom::HealthOmicsRun", "Custom::HealthOmicsRunBatch")
                   for logical in world.logical_ids(kind)}
        for logical, resource in world.deployed.resources.items():
            path = resource.get("Metadata", {}).get("aws:cdk:path", logical)
            physical = started.get(logical) or str(world.deployed.ref(logical))
            resources.add(logical, resource["Type"], physical, path)
        world.omics.submit_held()
        yield world, resources


def end_run(world: StackWorld, run: dict[str, Any], status: str, *, older: bool = True) -> str:
    """A run ends as HealthOmics ends one: a task, an output in its folder and ``output.json`` mapping it. Answers
    the task's id. With ``older``, the run is made a minute older, so that an input put since the deploy is newer
    than its start (S3's LastModified is to the second)."""
    raw = boto3.client("s3", region_name=REGION)
    if older:
        run["creationTime"] -= timedelta(minutes=1)
    task = world.omics.add_task(run["id"], "Germline.call", status="FAILED" if status == "FAILED" else "COMPLETED",
                         failure_reason=TASK_FAILURE if status == "FAILED" else "")
    bucket, _, folder = run["runOutputUri"].removeprefix("s3://").partition("/")
    raw.put_object(Bucket=bucket, Key=f"{folder}/out/calls.vcf.gz", Body=b"variants")
    raw.put_object(Bucket=bucket, Key=f"{folder}/logs/output.json",
                   Body=json.dumps({"Germline.vcf": f"s3://{bucket}/{folder}/out/calls.vcf.gz"}).encode())
    world.omics.end_run(run["id"], status, **({"failureReason": TASK_FAILURE} if status == "FAILED" else {}))
    return task


def function_environment(world: StackWorld, function_part: str) -> dict[str, str]:
    (logical,) = [name for name in world.deployed.of_type("AWS::Lambda::Function") if function_part in name]
    variables = world.deployed.resources[logical]["Properties"].get("Environment", {}).get("Variables", {})
    return {name: str(value) for name, value in world.deployed.resolve(variables).items()}


def _sweep_time(now: datetime) -> str:
    """The schedule's time of a sweep whose window (the hour before last) holds ``now``."""
    hour = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return (hour + timedelta(hours=2, minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


class _WriterAtWork:
    """The writer's function as Lambda runs it: its clients call as its role, its event source polls as its role."""

    def __init__(self, world: StackWorld, resources: FakeStack, monkeypatch: pytest.MonkeyPatch) -> None:
        self.world, self.resources, self.monkeypatch = world, resources, monkeypatch
        self.raw_s3, self.raw_sqs = boto3.client("s3", region_name=REGION), boto3.client("sqs", region_name=REGION)
        self.role = world.account.role("ProvenanceRole")
        environment = function_environment(world, "ProvenanceWriter")
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        self.queue = environment["HEALTHOMICS_RUN_PROVENANCE_QUEUE"]
        self.runs = list(world.omics.runs.values())
        self.records = [f"{run['runOutputUri']}/{RECORD_NAME}" for run in self.runs]

    def clients(self) -> writer.Clients:
        aws = writer.Clients(omics=clients.new_omics_client(config=writer.PATIENT),
                             s3=boto3.client("s3", config=writer.PATIENT), cfn=self.resources.client)
        self.world.omics.serve(aws.omics)
        self.world.account.act_as(self.role, aws.omics, aws.s3, aws.cfn)
        return aws

    def deliver(self) -> bool:
        """One batch of the queue, as the event source delivers it; False when it could not, or none was left."""
        if not self.world.account.event_source_polls(self.role, self.queue):
            return False
        received = self.raw_sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
        if not received:
            return False
        self.world.account.lambda_logs(self.role)
        answer = after_run.on_run_end({"Records": [{"messageId": m["MessageId"], "body": m["Body"]} for m in received]})
        failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
        for message in received:
            if message["MessageId"] not in failed:
                self.raw_sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return not failed

    def sweep(self) -> None:
        """The schedule's sweep message, then the queue delivered until it is quiet (a few batches at most)."""
        self.raw_sqs.send_message(QueueUrl=self.queue, MessageBody=json.dumps(
            {"sweep": _sweep_time(datetime.now(timezone.utc))}))
        for _ in range(4):
            if not self.deliver():
                break

    def play(self) -> list[str]:
        """The rule's event of the single run, then the schedule's sweep, which finds the cohort's runs."""
        self.world.account.denied.clear()
        _drain(self.raw_sqs, self.queue)
        for uri in self.records:
            bucket, key = uri.removeprefix("s3://").split("/", 1)
            self.raw_s3.delete_object(Bucket=bucket, Key=key)
        sqs = boto3.client("sqs", region_name=REGION)
        self.world.account.act_as(self.role, sqs)
        self.monkeypatch.setattr(after_run, "Clients", self.clients)
        self.monkeypatch.setattr(after_run, "_world", functools.cache(after_run._world.__wrapped__))
        self.monkeypatch.setattr(after_run, "_queue", lambda: sqs)
        single = next(run for run in self.runs if not run.get("batchId"))
        problems: list[str] = []
        try:
            self.raw_sqs.send_message(QueueUrl=self.queue, MessageBody=json.dumps(
                {"source": "aws.omics", "detail-type": "Run Status Change",
                 "detail": {"runId": single["id"], "uuid": single["uuid"], "status": "COMPLETED"}}))
            self.deliver()
            self.sweep()
        except Exception as error:  # a refusal surfaces as whatever the writer made of it
            problems.append(f"the writer failed: {str(error)[:200]}")
        missing = [uri for uri in self.records if not object_exists(self.raw_s3, uri)]
        refused = [why for why in self.world.account.denied if not why.endswith(MISSING_KEY)]
        return [*refused, *problems, *(f"no record at {uri}" for uri in missing)]


@contextlib.contextmanager
def writer_world(monkeypatch: pytest.MonkeyPatch, outdir: Path) -> Iterator[Played]:
    with deploy_and_start(monkeypatch, writer_stack, outdir, "WriterStack") as (world, resources):
        boto3.client("s3", region_name=REGION).put_object(Bucket=INPUT_BUCKET, Key=INPUT_KEY, Body=b"reads")
        for run in world.omics.runs.values():  # the input above changed since they started
            end_run(world, run, "COMPLETED")
        at_work = _WriterAtWork(world, resources, monkeypatch)
        yield Played(world, at_work.role, at_work.play, {"records": at_work.records})


def _drain(raw_sqs, queue: str) -> None:
    """What a play left in the queue, taken out (SQS' PurgeQueue may be called once a minute)."""
    while received := raw_sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        for message in received:
            raw_sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


def object_exists(raw_s3, uri: str) -> bool:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    try:
        raw_s3.head_object(Bucket=bucket, Key=key)
        return True
    except raw_s3.exceptions.ClientError:
        return False


@contextlib.contextmanager
def signaller_world(monkeypatch: pytest.MonkeyPatch, outdir: Path) -> Iterator[Played]:
    with deploy_and_start(monkeypatch, signaller_stack, outdir, "SignallerStack") as (world, _):
        single = next(run for run in world.omics.runs.values() if not run.get("batchId"))
        tasks = [end_run(world, single, "FAILED")]
        (batch,) = world.omics.batches.values()
        tasks += [end_run(world, run, "FAILED") for run in world.omics.batch_runs(batch["id"])]
        world.omics.set_batch_status(batch["id"], "FAILED", failure_reason="runs failed", failedRunCount=2)
        role = world.account.role("SignallerRole")
        events = [{"ResourceType": "Custom::HealthOmicsRun", "Id": single["id"], "Uuid": single["uuid"]},
                  {"ResourceType": "Custom::HealthOmicsRunBatch", "Id": batch["id"], "Uuid": batch["uuid"]}]
        signals: list[dict[str, str]] = []

        def play() -> list[str]:
            world.account.denied.clear()
            signals.clear()
            omics = clients.new_omics_client()
            world.omics.serve(omics)
            world.account.act_as(role, omics)
            monkeypatch.setattr(clients, "omics", lambda: omics)
            monkeypatch.setattr(completion, "send", lambda url, signal: signals.append(signal))
            problems: list[str] = []
            for event in events:
                world.account.lambda_logs(role)
                try:
                    completion.on_status_event({**event, "Handle": "https://example-wait-handle.invalid/"})
                except Exception as error:  # a refusal surfaces as whatever the signaller made of it
                    problems.append(f"the signaller failed: {str(error)[:200]}")
            undiagnosed = [signal for signal in signals if signal["Status"] != "FAILURE" or not any(
                f"task {task} " in signal["Reason"] or "Failed tasks: 1." in signal["Reason"] for task in tasks)]
            return [*world.account.denied, *problems, *(f"signalled without the diagnosis: {signal['Reason'][:200]}"
                                                       for signal in undiagnosed),
                    *(["not every wait was signalled"] if len(signals) != len(events) else [])]

        yield Played(world, role, play, {"signals": signals})


ANNOTATE_WORKFLOW_ID = "2000003"


def chain_stack(stack: cdk.Stack) -> None:
    """A cohort and a per-sample step after it, whose runs the after-run function starts."""
    from healthomics_run import Workflow
    from healthomics_run.chains import CohortStep, PerSample, StepOutputs

    outputs = RunOutputBucket(stack, "Outputs")
    cohort = HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=SAMPLES, output_bucket=outputs)
    annotate = Workflow.from_workflow_id(stack, "AnnotateWf", ANNOTATE_WORKFLOW_ID, parameter_template={"vcf": {}})
    CohortStep(stack, "Annotate", after=cohort, workflow=annotate, partition=PerSample(),
               parameters={"vcf": StepOutputs("vcf")}, outputs=["vcf"], cohort_outputs=["vcf"])


class _ChainWriterAtWork(_WriterAtWork):
    """The writer's function with a chain: the cohort's events start the step's runs (as the writer's role), whose
    own events then get their records."""

    def _events(self, runs: list[dict[str, Any]]) -> None:
        for run in runs:
            self.raw_sqs.send_message(QueueUrl=self.queue, MessageBody=json.dumps(
                {"source": "aws.omics", "detail-type": "Run Status Change",
                 "detail": {"runId": run["id"], "uuid": run["uuid"], "status": run["status"]}}))
        for _ in range(len(runs) // 10 + 2):
            if not self.deliver():
                break

    def _forget(self) -> None:
        """What a play left, taken out: the queue's messages, the records and the chain's state (so that each play
        starts the step runs again: StartRun with the same requestId, which HealthOmics answers with the same run)."""
        _drain(self.raw_sqs, self.queue)
        for uri in self.records:
            bucket, key = uri.removeprefix("s3://").split("/", 1)
            self.raw_s3.delete_object(Bucket=bucket, Key=key)
        bucket = self.runs[0]["runOutputUri"].removeprefix("s3://").split("/", 1)[0]
        for page in self.raw_s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                if "/chains/" in item["Key"] and item["Key"].endswith(".json") and "/.healthomics-run/" in item["Key"]:
                    self.raw_s3.delete_object(Bucket=bucket, Key=item["Key"])

    def play(self) -> list[str]:
        """The cohort's events (the chain starts its step runs), the step runs' events but one, lost, which the
        schedule's sweep then finds."""
        self.world.account.denied.clear()
        self._forget()
        sqs = boto3.client("sqs", region_name=REGION)
        self.world.account.act_as(self.role, sqs)
        self.monkeypatch.setattr(after_run, "Clients", self.clients)
        self.monkeypatch.setattr(after_run, "_world", functools.cache(after_run._world.__wrapped__))
        self.monkeypatch.setattr(after_run, "_queue", lambda: sqs)
        cohort = list(self.runs)
        problems: list[str] = []
        try:
            self._events(cohort)
            steps = [run for run in self.world.omics.runs.values() if run not in cohort]
            for run in steps:
                if run["status"] != "COMPLETED":  # its inputs, the cohort's outputs, are older than its start
                    end_run(self.world, run, "COMPLETED", older=False)
            self._events(steps[1:])  # the first step run's event is lost: the sweep finds it
            self.sweep()
        except Exception as error:  # a refusal surfaces as whatever the writer made of it
            problems.append(f"the writer failed: {str(error)[:200]}")
            steps = []
        records = [f"{run['runOutputUri']}/{RECORD_NAME}" for run in cohort + steps]
        self.records[:] = records
        missing = [uri for uri in records if not object_exists(self.raw_s3, uri)]
        refused = [why for why in self.world.account.denied if not why.endswith(MISSING_KEY)]
        return [*refused, *problems, *(f"no record at {uri}" for uri in missing),
                *(["the chain started no step run"] if not steps else [])]


@contextlib.contextmanager
def chain_writer_world(monkeypatch: pytest.MonkeyPatch, outdir: Path) -> Iterator[Played]:
    with deploy_and_start(monkeypatch, chain_stack, outdir, "ChainStack") as (world, resources):
        world.omics.add_workflow(ANNOTATE_WORKFLOW_ID, {"vcf": {}})
        for run in world.omics.runs.values():
            end_run(world, run, "COMPLETED")
        at_work = _ChainWriterAtWork(world, resources, monkeypatch)
        yield Played(world, at_work.role, at_work.play, {"records": at_work.records})
