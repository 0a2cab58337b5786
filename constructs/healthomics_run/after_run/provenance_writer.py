"""Provenance: the stack's writer of a Workflow Run RO-Crate beside each run's outputs (see README, "Provenance").

One writer per stack, made when the first run resource with provenance on registers:

    HealthOmics ── Run Status Change (COMPLETED, FAILED, CANCELLED) ──▶ rule ──▶ writer ──▶ <runOutputUri>/ro-crate-metadata.json

The rule matches ended runs of the account and Region; the writer records those a resource of this stack
started (``owners``) and ignores the rest. Nothing here touches the run resources themselves: their
properties, and so the runs they name, are the same with provenance on or off (upgrading starts nothing).
"""

from __future__ import annotations

import weakref
from typing import Iterable, Optional, Protocol

from aws_cdk import Aws, Duration, Fn, Lazy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from constructs import Construct
from healthomics_run.construct_helpers import lambda_assets
from healthomics_run.construct_helpers.policies import GroupedStatements, s3_object_arn
from healthomics_run.construct_helpers.status_events import RUN_EVENTS
from healthomics_run.construct_helpers.tokens import LazyList, LazyText
from healthomics_run.construct_helpers.validation import acknowledge, is_unresolved, wildcard_finding
from healthomics_run.errors import INVALID_RUN_PROPS, raise_if_any
from healthomics_run.run_model.provenance_settings import (
    CONFIG_ENV,
    ENDED_STATUSES,
    SOURCE_REVISION_CONTEXT,
    STACK_ID_ENV,
    Config,
)


class Registering(Protocol):
    """What a run resource tells the writer when it registers (``runs/_run_resource.py``)."""

    resource: Construct

    def workflow_arns(self) -> list[str]: ...

    def output_uris(self) -> list[str]: ...

WRITER_ID = "HealthOmicsRunProvenance"
TIMEOUT_SECONDS = 300  # a run of thousands of tasks: one GetRunTask each, throttling waited out
MEMORY_MB = 256

_REASONS = (
    ("HIPAA.Security-LambdaConcurrency", "Invoked once per ended run; reserved concurrency would only take "
                                         "capacity from the account."),
    ("HIPAA.Security-LambdaDLQ", "EventBridge retries a failed invocation; a record still missing is written by the "
                                 "next event or `healthomics-run provenance`, and a missing record never fails a run."),
    ("HIPAA.Security-LambdaInsideVPC", "The writer calls only AWS APIs; a VPC adds NAT or endpoints and no protection."),
    ("HIPAA.Security-IAMNoInlinePolicy", "The writer's policy is generated from the runs of this stack alone; a "
                                         "managed policy would be shared and reviewed apart from them."),
)


class _Choices:
    """Each run resource's provenance choices in a stack, read when the writer's environment is synthesized."""

    def __init__(self) -> None:
        self.off: set[str] = set()
        self.locations: dict[str, str] = {}
        self.values: set[str] = set()
        self.batches: dict[str, str] = {}

    def config(self, stack: Stack) -> str:
        revision = stack.node.try_get_context(SOURCE_REVISION_CONTEXT)
        return Config(off=frozenset(self.off), locations=self.locations, values=frozenset(self.values),
                      batches=self.batches, revision=str(revision) if revision else None).to_json()


class ProvenanceWriter(Construct):
    """The stack's provenance writer: a function, its role and the rule for ended runs. Made by the run
    constructs (``provenance`` run props); ``ProvenanceWriter.of(stack).role`` may be granted more (input
    buckets of a ``WorkflowRun``, keys), so that the record carries their version ids and ETags."""

    def __init__(self, scope: Construct, id: str, choices: _Choices, log_group: logs.ILogGroup) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        self.log_group = log_group  # the deploy handler's: ids and outcomes only, one place to look
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="Writes the provenance record of each run this stack started")
        self._grouped = GroupedStatements(self.role)
        self._prefixes: dict[str, list[str]] = {}  # bucket -> prefixes the writer may list
        self._allow(["logs:CreateLogStream", "logs:PutLogEvents"], [self.log_group.log_group_arn])
        runs = stack.format_arn(service="omics", resource="run", resource_name="*")
        tasks = stack.format_arn(service="omics", resource="task", resource_name="*")
        batches = stack.format_arn(service="omics", resource="runBatch", resource_name="*")
        self._allow(["omics:GetRun", "omics:ListRunTasks", "omics:GetRunTask"], [runs, tasks])
        self._allow(["omics:GetBatch"], [batches])
        self._allow(["cloudformation:ListStackResources", "cloudformation:DescribeStackResource"], [Aws.STACK_ID])
        acknowledge(self.role, *((wildcard_finding(self, arn), "Run, task and batch ids are assigned by HealthOmics; "
                                  "reading them is limited to this account and Region.") for arn in (runs, tasks, batches)))
        self.function = lambda_.Function(
            self, "Writer", runtime=lambda_.Runtime.PYTHON_3_14, architecture=lambda_.Architecture.ARM_64,
            code=lambda_assets.code("after_run"), handler="after_run.handler.on_run_end", role=self.role,
            log_group=self.log_group, timeout=Duration.seconds(TIMEOUT_SECONDS), memory_size=MEMORY_MB,
            description="Writes a Workflow Run RO-Crate beside each ended run's outputs (healthomics-run)",
            environment={STACK_ID_ENV: Aws.STACK_ID,
                         CONFIG_ENV: Lazy.string(LazyText(lambda: choices.config(stack)))})
        self.rule = events.Rule(self, "RunEnded", description="Ended HealthOmics runs, for their provenance records",
                                event_pattern=events.EventPattern(source=["aws.omics"],
                                                                  detail_type=[RUN_EVENTS.detail_type],
                                                                  detail={"status": list(ENDED_STATUSES)}))
        self.rule.add_target(targets.LambdaFunction(self.function))
        acknowledge(self, *_REASONS)
        self._workflows: set[str] = set()
        self._objects: set = set()  # folders allowed (uri, write), and object ARNs acknowledged

    def _allow(self, actions: list[str], resources: Iterable[str], conditions: Optional[dict] = None) -> None:
        self._grouped.allow(actions, list(resources), conditions)

    def allow_workflows(self, arns: Iterable[str]) -> None:
        """Read the workflows (versions) runs name: the record's name, engine and parameter template."""
        new = [arn for arn in arns if arn not in self._workflows]
        if new:
            self._workflows.update(new)
            self._allow(["omics:GetWorkflow", "omics:GetWorkflowVersion"], new)

    def allow_folder(self, uri: str, *, write: bool) -> None:
        """List and read the objects under ``uri`` (a run's outputs, ``output.json``); with ``write``, put records."""
        if (uri, write) in self._objects:
            return
        self._objects.add((uri, write))
        objects = f"{s3_object_arn(uri)}*"
        self._allow(["s3:PutObject"] if write else ["s3:GetObject"], [objects])
        if not write:
            self._allow_listing(uri)
        self._acknowledge_once(objects, "Run ids, and so the keys of a run's outputs and its record, are assigned "
                                        "by HealthOmics; limited to this output location.")

    def _allow_listing(self, uri: str) -> None:
        """ListBucket on the bucket for these prefixes only: one statement per bucket, its condition listing them.
        A URI that is wholly a deploy-time value has no prefix known at synth: its whole bucket may be listed."""
        if is_unresolved(uri) and not uri.startswith("s3://"):
            bucket, prefix = Fn.select(0, Fn.split("/", Fn.select(1, Fn.split("s3://", uri)))), None
        else:
            bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        if bucket not in self._prefixes:
            prefixes = self._prefixes[bucket] = []
            self.role.add_to_principal_policy(iam.PolicyStatement(
                actions=["s3:ListBucket"], resources=[f"arn:{Aws.PARTITION}:s3:::{bucket}"],
                conditions=None if prefix is None else {
                    "StringLike": {"s3:prefix": Lazy.list(LazyList(lambda: sorted(set(prefixes))))}}))
        if prefix is not None:
            self._prefixes[bucket].append(f"{prefix}*")

    def _acknowledge_once(self, arn: str, reason: str) -> None:
        """Acknowledge cdk-nag's wildcard finding on ``arn`` once; an ARN cut from a deploy-time URI
        (``Fn::Split``) cannot be named as cdk-nag names it, so its finding stays for the user to judge."""
        if arn not in self._objects:
            self._objects.add(arn)
            try:
                acknowledge(self.role, (wildcard_finding(self, arn), reason))
            except ValueError:
                pass

    def allow_inputs(self, buckets: Iterable[s3.IBucket]) -> None:
        """HeadObject (and ListObjectVersions) on the input buckets: the record carries each input's version id
        and ETag as they were when the run started."""
        buckets = list(buckets)
        objects = [bucket.arn_for_objects("*") for bucket in buckets]
        if objects:
            self._allow(["s3:GetObject"], objects)
            # an input changed since the run started: the version current then (ListObjectVersions)
            self._allow(["s3:ListBucketVersions"], [bucket.bucket_arn for bucket in buckets])
            for arn in objects:
                self._acknowledge_once(arn, "HeadObject on the inputs the runs read, named by their parameters at "
                                            "deploy time, in the input buckets given.")

    @classmethod
    def register(cls, resource: Registering, *, log_group: logs.ILogGroup, enabled: bool, location: Optional[str],
                 values: bool) -> None:
        """Record ``resource``'s choices; with provenance on, make the writer (once per stack) and grant it
        what this resource's runs need."""
        raise_if_any(resource, (INVALID_RUN_PROPS, _choice_errors(enabled, location, values)))
        stack = Stack.of(resource)
        choices = _CHOICES.setdefault(stack, _Choices())
        logical_id = stack.get_logical_id(resource.resource.node.default_child)
        batch_name = getattr(resource, "batch_name", None)  # a batch's runs are known by it (owners)
        if batch_name is not None:
            choices.batches[logical_id] = batch_name
        if not enabled:
            choices.off.add(logical_id)
            return
        if location:
            choices.locations[logical_id] = location
        if values:
            choices.values.add(logical_id)
        writer = cls.of(stack) or cls(stack, WRITER_ID, choices, log_group)
        writer.allow_workflows(resource.workflow_arns())
        for output_uri in resource.output_uris():
            writer.allow_folder(output_uri, write=False)
            if not location:
                writer.allow_folder(output_uri, write=True)
        if location:
            writer.allow_folder(location.rstrip("/") + "/", write=True)

    @classmethod
    def of(cls, scope: Construct) -> Optional["ProvenanceWriter"]:
        """The stack's writer, or None when no run of the stack has provenance on."""
        writer = Stack.of(scope).node.try_find_child(WRITER_ID)
        return writer if isinstance(writer, ProvenanceWriter) else None


def _choice_errors(enabled: object, location: Optional[str], values: object) -> list[str]:
    errors = [f"{name} must be True or False; got {value!r}" for name, value in
              (("provenance", enabled), ("provenance_parameter_values", values)) if not isinstance(value, bool)]
    if location is not None and not is_unresolved(location) and (
            not isinstance(location, str) or not location.startswith("s3://") or len(location) <= len("s3://")):
        errors.append(f"provenance_location must be an S3 URI (s3://bucket or s3://bucket/prefix), under which "
                      f"each run's record goes as <runId>/ro-crate-metadata.json; got {location!r}")
    return errors


_CHOICES: "weakref.WeakKeyDictionary[Stack, _Choices]" = weakref.WeakKeyDictionary()
