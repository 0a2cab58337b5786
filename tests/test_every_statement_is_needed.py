"""Every statement the library grants the handler role and the service role is needed: take any one away and
a deploy in the account world (``account_world``) meets a refusal, a failed run, or lost logs or metrics.

The scenarios cover what the roles are granted for: a cohort of runs that grows past a sample sheet and past a
settings file, loses a sample and is deleted with CANCEL, in a bucket with a customer managed key, with a run
cache and tagged samples; and two runs that read S3 inputs and a parameters file, tagged and deleted with
CANCEL. Statements that only matter for what the world does not model are listed in ``NOT_OBSERVED`` with the
documentation that asks for them and the synth test that pins them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from healthomics_run import DeletePolicy, HealthOmicsRun, HealthOmicsRunBatch, RunCache, RunOutputBucket
from healthomics_run.handlers.start_run import handler
from healthomics_run.service_calls.runs import RunError
from tests.deployed import Deployed
from tests.fake_omics import REGION
from tests.stack_world import WORKFLOW_ID, StackWorld, deploy, synthesize

# The HealthOmics guide's service-role policy ("Service roles for AWS HealthOmics") grants s3:ListBucket on the
# buckets a run reads and writes, without saying which of the service's own calls need it; the world does not
# guess. tests/runs/test_permissions.py::test_the_service_role_may_list_every_bucket_it_reads_or_writes pins them.
NOT_OBSERVED = {("service", "s3:ListBucket")}


PLANTED = "OUT_OF_MEMORY"  # a failure the scenario plants, to be diagnosed (HealthOmics guide, "Run failure reasons")


def _tagged(count: int) -> list[dict[str, Any]]:
    return [{"run_setting_id": f"SAMPLE-{i:04d}", "parameters": {"sample_name": f"SAMPLE-{i:04d}"},
             "tags": {"cohort": "example"}} for i in range(1, count + 1)]


def cohort(count: int) -> Callable:
    def build(stack):
        key = kms.Key(stack, "OutputKey", enable_key_rotation=True)
        cache = RunCache(stack, "Cache")
        HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=_tagged(count), cache=cache,
                            output_bucket=RunOutputBucket(stack, "Outputs", encryption_key=key),
                            delete_policy=DeletePolicy.CANCEL)
    return build


def runs(stack) -> None:
    inputs = s3.Bucket(stack, "Inputs", bucket_name="example-inputs-bucket", enforce_ssl=True)
    s3.Bucket(stack, "Parameters", bucket_name="example-parameters-bucket", enforce_ssl=True)
    HealthOmicsRun(stack, "Inline", workflow_id=WORKFLOW_ID, inputs=[inputs], delete_policy=DeletePolicy.CANCEL,
                   parameters={"sample_name": "s3://example-inputs-bucket/NA12878.bam"}, tags={"study": "example"})
    HealthOmicsRun(stack, "FromFile", workflow_id=WORKFLOW_ID, delete_policy=DeletePolicy.CANCEL,
                   parameters_uri="s3://example-parameters-bucket/params.json")


def drive_cohort(world: StackWorld, versions: dict[str, Any], outdir: Path) -> None:
    resource = world.resource()
    resource.create()
    for size in (202, 201):  # grown by 101 samples (a settings file), then one removed (its run cancelled)
        world.redeploy(versions[size], outdir)
        resource.update(world.resource(resource.logical_id).props)
    world.redeploy(versions[202], outdir)  # the sample again: its batch fails while waited for, and says why
    props = world.resource(resource.logical_id).props
    request = resource.event("Update", props, PhysicalResourceId=resource.physical_id,
                             OldResourceProperties=resource.props)
    started = world.invoke(handler.on_event, request)
    batch_id = started["WaitBatch"].split("/")[0]
    world.omics.batch_runs(batch_id)[0].update(status="FAILED", failureReason=PLANTED, statusMessage="a task failed")
    world.omics.set_batch_status(batch_id, "FAILED", failure_reason="a run failed", failedRunCount=1)
    with pytest.raises(RunError, match="ended FAILED"):
        world.invoke(handler.is_complete, {**request, **started})
    resource.delete()


def drive_runs(world: StackWorld, versions: dict[str, Any], outdir: Path) -> None:
    s3_client = boto3.client("s3", region_name=REGION)
    s3_client.put_object(Bucket="example-inputs-bucket", Key="NA12878.bam", Body=b"BAM")
    s3_client.put_object(Bucket="example-parameters-bucket", Key="params.json", Body=b'{"sample_name": "NA12878"}')
    for logical in world.logical_ids("Custom::HealthOmicsRun"):
        resource = world.resource(logical)
        resource.create()
        resource.delete()


SCENARIOS = {"cohort": (lambda tmp: {size: synthesize(cohort(size), tmp / str(size)) for size in (101, 202, 201)}, 101,
                        drive_cohort),
             "runs": (lambda tmp: {0: synthesize(runs, tmp / "runs")}, 0, drive_runs)}


def _outcome(monkeypatch, versions, first, drive, tmp_path, removed=None) -> list[str]:
    """What went wrong in the scenario (refusals, failed runs, a failed deploy); [] when all went well."""
    with monkeypatch.context() as patch, deploy(patch, versions[first], tmp_path) as world:
        world.account.removed = removed
        problems: list[str] = []
        try:
            drive(world, versions, tmp_path)
        except Exception as error:  # a refused call surfaces as whatever the handler made of it
            problems.append(f"deploy failed: {str(error)[:200]}")
        problems += world.account.denied
        problems += [f"run {run['id']} {run.get('failureReason')}" for run in world.omics.runs.values()
                     if run["status"] == "FAILED" and run.get("failureReason") != PLANTED]
        return problems


def _roles(template: dict[str, Any]) -> dict[str, str]:
    """The roles whose statements the library writes: the handler's and the service roles (logical id -> kind)."""
    found = {}
    for logical, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role" and "HandlerRole" in logical:
            found[logical] = "handler"
        elif resource["Type"] == "AWS::IAM::Role" and "ServiceRole" in logical and "framework" not in logical:
            found[logical] = "service"
    return found


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_removing_any_one_statement_of_the_handler_or_service_role_is_caught(monkeypatch, tmp_path, scenario):
    make, first, drive = SCENARIOS[scenario]
    versions = make(tmp_path)
    assert _outcome(monkeypatch, versions, first, drive, tmp_path / "whole") == [], "the whole policy is enough"

    # The statements of the first deploy, where every statement has its use: a staged sheet whose samples all
    # start is read by the handler and HealthOmics; later versions grant the same for sheets of their own.
    deployed = Deployed(versions[first][0], "CohortStack")
    every = [(role, kind, statement) for role, kind in _roles(deployed.template).items()
             for statement in deployed.role_statements(role)]
    table, missed = [], []
    for index, (role, kind, statement) in enumerate(every):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if all((kind, action) in NOT_OBSERVED for action in actions):
            continue
        problems = _outcome(monkeypatch, versions, first, drive, tmp_path / f"{role}-{index}", (role, statement))
        table.append((kind, actions, len(problems)))
        if not problems:
            missed.append(f"{kind} {actions} on {json.dumps(statement['Resource'])}")
    print(f"\n{scenario}: {len(table)} statements removed one at a time, "
          f"{sum(1 for *_, caught in table if caught)} caught")
    assert missed == [], "statements whose removal nothing noticed: " + "; ".join(missed)
