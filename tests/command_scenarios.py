"""The commands, run in the account world (``tests.account_world``) by a person holding exactly the policy
``docs/security.md`` gives each ("What each command needs": the JSON after the line naming the command).

The stack: a run that failed with a task (diagnosed), its input changed since it started, and a cohort of two whose
ledger is in an output bucket with a customer managed key, all started by the deploy handler under one output
prefix. ``healthomics-run status`` reads the stack (CloudFormation), the runs, batches, workflows and the ledger;
``export-history`` (and ``plan --from-account``) the account's ended runs, tasks, run groups and prices;
``provenance`` the stack, the writer's settings (its function's configuration: Lambda, answered here from the
template; the asset it names) and writes the records the runs lack, as the writer does (``tests.role_scenarios``;
its HeadObject of a missing record, answered 403, is its answer, not a refusal). A play answers what went wrong:
refusals, an error exit, a history without the runs, a record missing. Set up once, played once per statement left
out (``tests.role_scenarios``' ``Played``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from botocore.awsrequest import AWSResponse

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, RunOutputBucket
from healthomics_run.commands.plan import history
from healthomics_run.commands.provenance import missing
from healthomics_run.commands.status import cli as status_cli
from healthomics_run.commands.status.survey import Survey
from healthomics_run.service_calls import clients
from tests.account_world import MISSING_KEY, Person
from tests.fake_omics import ACCOUNT, REGION
from tests.iam_policy import Caller
from tests.role_scenarios import (
    INPUT_BUCKET,
    INPUT_KEY,
    SAMPLES,
    Played,
    deploy_and_start,
    end_run,
    function_environment,
    object_exists,
)
from tests.stack_world import WORKFLOW_ID

SECURITY_PAGE = Path(__file__).resolve().parent.parent / "docs" / "security.md"
STACK = "StatusStack"
PREFIX = "runs"  # the runs' and the cohort's output prefix
OPERATOR = Caller(account=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:role/example-operator")


def documented_policy(command: str, values: dict[str, str]) -> dict[str, Any]:
    """The policy docs/security.md gives ``healthomics-run <command>``: the first JSON block after the paragraph
    that starts with the command's name and ends with a colon, its ``<placeholders>`` replaced by ``values``."""
    text = SECURITY_PAGE.read_text()
    found = re.search(rf"^`healthomics-run {re.escape(command)}`.*?:\n\n```json\n(.*?)\n```", text, re.M | re.S)
    assert found, f"docs/security.md gives no JSON policy for healthomics-run {command}"
    body = found[1]
    for name, value in values.items():
        body = body.replace(f"<{name}>", value)
    assert "<" not in body, f"a placeholder of healthomics-run {command}'s policy has no value here: {body}"
    return json.loads(body)


def commands_stack(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "OutputKey", enable_key_rotation=True)
    outputs = RunOutputBucket(stack, "Outputs", encryption_key=key)
    inputs = s3.Bucket(stack, "Inputs", bucket_name=INPUT_BUCKET, enforce_ssl=True, versioned=True)
    HealthOmicsRun(stack, "Germline", workflow_id=WORKFLOW_ID, output_bucket=outputs, output_prefix=f"{PREFIX}/",
                   inputs=[inputs], parameters={"sample_name": f"s3://{INPUT_BUCKET}/{INPUT_KEY}"})
    HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=SAMPLES, output_bucket=outputs,
                        output_prefix=f"{PREFIX}/")


def _answer_prices(model, **_: Any):
    """The Price List, answering each GetProducts with one on-demand price (its shape, API Reference GetProducts)."""
    product = {"product": {"attributes": {"resourceType": "omics.m.xlarge", "regionCode": REGION}},
               "terms": {"OnDemand": {"SKU.TERM": {"priceDimensions": {"SKU.TERM.DIM": {
                   "unit": "Instance-hrs", "pricePerUnit": {"USD": "0.2592000"}}}}}}}
    return AWSResponse("https://api.pricing.us-east-1.amazonaws.com/", 200, {}, None), \
        {"PriceList": [json.dumps(product)], "FormatVersion": "aws_v1"}


@contextlib.contextmanager
def commands_world(monkeypatch: pytest.MonkeyPatch, outdir: Path) -> Iterator[dict[str, Played]]:
    """``{"status STACK": ..., "export-history FILE": ..., "provenance STACK": ...}``: each command's scenario, on
    one deployed stack."""
    with deploy_and_start(monkeypatch, commands_stack, outdir, STACK) as (world, resources):
        account = world.account
        boto3.client("s3", region_name=REGION).put_object(Bucket=INPUT_BUCKET, Key=INPUT_KEY, Body=b"reads")
        single = next(run for run in world.omics.runs.values() if not run.get("batchId"))
        end_run(world, single, "FAILED")
        for run in world.omics.runs.values():
            if run.get("batchId"):
                end_run(world, run, "COMPLETED")
        resources.template = world.deployed.template
        (bucket,) = [world.deployed.names[name] for name in world.deployed.of_type("AWS::S3::Bucket")
                     if world.deployed.bucket_key_arn(name)]
        (key,) = world.deployed.of_type("AWS::KMS::Key")
        (writer,) = [name for name in world.deployed.of_type("AWS::Lambda::Function")
                     if name.startswith("HealthOmicsRunProvenanceWriter")]
        values = {"region": REGION, "account": ACCOUNT, "stack": STACK, "output bucket": bucket,
                  "writer function": world.deployed.names[writer],
                  "output prefix": PREFIX, "input bucket": INPUT_BUCKET, "key": world.deployed.get_att(key, "Arn")}

        def as_person(command: str, *made: Any) -> None:
            account.people[command] = Person(OPERATOR, documented_policy(command, values)["Statement"])
            account.act_as(command, *made)

        def status() -> list[str]:
            account.denied.clear()
            omics, s3, cfn = clients.new_omics_client(), boto3.client("s3", region_name=REGION), resources.client
            world.omics.serve(omics)
            as_person("status STACK", omics, s3, cfn)
            arguments = status_cli.add_arguments(argparse.ArgumentParser()).parse_args([STACK, "--format", "json"])
            shown, errors = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(errors):
                code = status_cli.run(arguments, Survey(omics=lambda: omics, s3=lambda: s3), lambda: cfn)
            return [*account.denied, *([f"status exited {code}: {errors.getvalue()[:200]}"]
                                       if code == status_cli.ERROR else [])]

        def export_history() -> list[str]:
            account.denied.clear()
            omics, pricing = clients.new_omics_client(), boto3.client("pricing", region_name=history.PRICING_REGION)
            world.omics.serve(omics)
            as_person("export-history FILE", omics, pricing)
            pricing.meta.events.register("before-call.pricing", _answer_prices)
            try:
                found = history.from_account(omics, pricing, REGION)
            except Exception as error:  # a refusal surfaces as whatever the command made of it
                return [*account.denied, f"export-history failed: {str(error)[:200]}"]
            short = [*(["not every ended run"] if len(found.runs) != len(world.omics.runs) else []),
                     *(["no prices"] if not found.prices else [])]
            return [*account.denied, *short]

        writer_environment = function_environment(world, "ProvenanceWriter")
        records = [f"{run['runOutputUri']}/ro-crate-metadata.json" for run in world.omics.runs.values()]

        def provenance() -> list[str]:
            account.denied.clear()
            raw = boto3.client("s3", region_name=REGION)
            for uri in records:
                bucket, key = uri.removeprefix("s3://").split("/", 1)
                raw.delete_object(Bucket=bucket, Key=key)
            made = {"cloudformation": resources.client, "s3": boto3.client("s3", region_name=REGION),
                    "lambda": boto3.client("lambda", region_name=REGION), "omics": clients.new_omics_client()}
            world.omics.serve(made["omics"])
            as_person("provenance STACK", *made.values())
            made["lambda"].meta.events.register("before-call.lambda", lambda **_: (
                AWSResponse("https://lambda.us-east-1.amazonaws.com/", 200, {}, None),
                {"Environment": {"Variables": writer_environment}}))
            session = argparse.Namespace(region_name=REGION, client=lambda service, **_: made[service])
            monkeypatch.setattr(missing.aws_access, "session", lambda *_: session)
            monkeypatch.setattr(missing.clients, "new_omics_client", lambda *_, **__: made["omics"])
            try:
                missing.for_stack(STACK)
            except Exception as error:  # a refusal surfaces as whatever the command made of it
                return [*account.denied, f"provenance failed: {str(error)[:200]}"]
            refused = [why for why in account.denied if not why.endswith(MISSING_KEY)]
            return [*refused, *(f"no record at {uri}" for uri in records if not object_exists(raw, uri))]

        plays: dict[str, Callable[[], list[str]]] = {"status STACK": status, "export-history FILE": export_history,
                                                     "provenance STACK": provenance}
        yield {command: Played(world, command, play) for command, play in plays.items()}
