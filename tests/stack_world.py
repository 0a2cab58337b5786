"""A stack of the library, synthesized, deployed into the account world, and driven as CloudFormation drives it.

``deploy(build)`` synthesizes a stack (``build(stack)`` adds the constructs), deploys the template into
moto (its buckets, with versioning as the template says; its roles; its file assets in the bootstrap
bucket), attaches the HealthOmics fake to the handler's client and the account's rules to both of the
handler's clients (``tests.account_world``). ``StackWorld.resource(logical_id)`` then drives one custom
resource: Create, Update (followed by CloudFormation's cleanup Delete of a replaced physical id), the
rollback of a failed update (the Update back, then the Delete of what the failed update answered) and
Delete (CloudFormation User Guide, "Custom resource response objects" and "Custom resource request
types"; aws-cdk issue #17040 for the rollback sequence).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import aws_cdk as cdk
import boto3
import pytest
from moto import mock_aws

from healthomics_run.handlers.start_run import handler
from healthomics_run.service_calls import clients
from tests.account_world import Account, ForeignBucket
from tests.deployed import Deployed
from tests.fake_omics import ACCOUNT, REGION, FakeHealthOmics
from tests.world import _CREDENTIALS

WORKFLOW_ID = "1234567"
TEMPLATE = {"sample_name": {"description": "Sample name"}, "reference": {"optional": True},
            "threads": {"optional": True}}
TYPES = ("Custom::HealthOmicsRun", "Custom::HealthOmicsRunBatch")


def synthesize(build: Callable[[cdk.Stack], None], outdir: Path, stack_name: str = "CohortStack") -> \
        tuple[dict[str, Any], Path]:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, stack_name, env=cdk.Environment(account=ACCOUNT, region=REGION))
    build(stack)
    assembly = app.synth()
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    return artifact.template, Path(assembly.directory) / f"{stack.artifact_id}.assets.json"


@dataclass
class Resource:
    """One custom resource of the stack, as CloudFormation drives it."""

    world: "StackWorld"
    logical_id: str
    props: dict[str, Any]
    physical_id: Optional[str] = None

    @property
    def resource_type(self) -> str:
        return self.world.deployed.resources[self.logical_id]["Type"]

    def event(self, request_type: str, props: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"RequestType": request_type, "StackId": self.world.deployed.stack_id,
                "RequestId": f"request-{len(self.world.omics.calls)}-{request_type}",
                "LogicalResourceId": self.logical_id, "ResourceType": self.resource_type,
                "ResourceProperties": props, **extra}

    def complete(self, started: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """is_complete until done, as the Provider framework's waiter polls it (answers merged into the event)."""
        polled = {**request, **started}
        for _ in range(5):
            done = self.world.invoke(handler.is_complete, polled)
            if done.get("IsComplete"):
                return {**started, **done}
        return {**started, "IsComplete": False}

    def create(self) -> dict[str, Any]:
        request = self.event("Create", self.props)
        answer = self.complete(self.world.invoke(handler.on_event, request), request)
        self.physical_id = answer["PhysicalResourceId"]
        return answer

    def update(self, props: dict[str, Any], *, cleanup: bool = True) -> dict[str, Any]:
        old_props, old_physical = self.props, self.physical_id
        request = self.event("Update", props, PhysicalResourceId=old_physical, OldResourceProperties=old_props)
        answer = self.complete(self.world.invoke(handler.on_event, request), request)
        self.props, self.physical_id = props, answer["PhysicalResourceId"]
        if cleanup and answer["PhysicalResourceId"] != old_physical:
            self.delete_physical(old_props, old_physical)
        return answer

    def roll_back(self, failed_props: dict[str, Any], failed_physical: str, to_props: dict[str, Any]) -> dict[str, Any]:
        """The rollback of an update that answered ``failed_physical``: the Update back, then its Delete."""
        request = self.event("Update", to_props, PhysicalResourceId=failed_physical,
                             OldResourceProperties=failed_props)
        answer = self.complete(self.world.invoke(handler.on_event, request), request)
        if answer["PhysicalResourceId"] != failed_physical:
            self.delete_physical(failed_props, failed_physical)
        self.props, self.physical_id = to_props, answer["PhysicalResourceId"]
        return answer

    def delete_physical(self, props: dict[str, Any], physical: str) -> dict[str, Any]:
        request = self.event("Delete", props, PhysicalResourceId=physical)
        return self.complete(self.world.invoke(handler.on_event, request), request)

    def delete(self) -> dict[str, Any]:
        return self.delete_physical(self.props, self.physical_id)


@dataclass
class StackWorld:
    deployed: Deployed
    account: Account
    omics: FakeHealthOmics

    def invoke(self, function: Callable[[dict[str, Any]], dict[str, Any]], event: dict[str, Any]) -> dict[str, Any]:
        """One invocation of a handler function, as Lambda makes it (its logs sent as the handler role)."""
        self.account.lambda_logs()
        return function(event)

    def logical_ids(self, resource_type: str) -> list[str]:
        return list(self.deployed.of_type(resource_type))

    def resource(self, logical_id: Optional[str] = None) -> Resource:
        if logical_id is None:
            (logical_id,) = [logical for kind in TYPES for logical in self.logical_ids(kind)]
        return Resource(self, logical_id, self.deployed.properties(logical_id))

    def redeploy(self, build: Callable[[cdk.Stack], None] | Built, outdir: Path) -> "StackWorld":
        """The same account with a new template (the app changed): its assets staged, its names kept."""
        template, assets = build if isinstance(build, tuple) else synthesize(build, outdir, self.deployed.stack_name)
        deployed = Deployed(template, self.deployed.stack_name)
        deployed.names.update({logical: name for logical, name in self.deployed.names.items()
                               if logical in deployed.resources})
        self.account.deployed = self.deployed = deployed
        self.account.create_resources()
        if assets is not None:
            _stage_assets(assets)
        return self


def _stage_assets(manifest: Path) -> None:
    """The stack's file assets, uploaded where the bootstrap bucket holds them (``cdk deploy`` publishes them)."""
    s3 = boto3.client("s3", region_name=REGION)
    for asset in json.loads(manifest.read_text()).get("files", {}).values():
        source = manifest.parent / asset["source"]["path"]
        if asset["source"].get("packaging", "file") != "file" or source.is_dir():
            continue
        for destination in asset["destinations"].values():
            bucket = destination["bucketName"].replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", REGION)
            with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
                s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=source.read_bytes())


Built = tuple[dict[str, Any], Optional[Path]]  # a template and its assets manifest


@contextlib.contextmanager
def deploy(monkeypatch: pytest.MonkeyPatch, build: Callable[[cdk.Stack], None] | Built, outdir: Path, *,
           foreign: Optional[dict[str, ForeignBucket]] = None, stack_name: str = "CohortStack") -> Iterator[StackWorld]:
    """``build`` adds the constructs to a new stack; or it is a template already made (and its assets manifest,
    or None), such as one of an earlier release."""
    template, assets = build if isinstance(build, tuple) else synthesize(build, outdir, stack_name)
    for name, value in _CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        deployed = Deployed(template, stack_name)
        account = Account(deployed, foreign)
        account.create_resources()
        if assets is not None:
            _stage_assets(assets)
        omics_client = clients.new_omics_client()
        fake = FakeHealthOmics(omics_client)
        fake.add_workflow(WORKFLOW_ID, TEMPLATE)
        for logical in deployed.of_type("AWS::Omics::RunCache"):
            fake.add_run_cache(deployed.names[logical], deployed.properties(logical).get("CacheS3Location", ""))
        s3_client = boto3.client("s3", region_name=REGION, config=clients.RETRY_CONFIG)
        monkeypatch.setattr(clients, "omics", lambda: omics_client)
        monkeypatch.setattr(clients, "s3", lambda: s3_client)
        monkeypatch.setattr("time.sleep", lambda seconds: fake.sleeps.append(seconds))
        account.attach(fake, s3_client)
        yield StackWorld(deployed, account, fake)
