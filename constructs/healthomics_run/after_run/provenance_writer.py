"""Provenance: the stack's writer of a Workflow Run RO-Crate beside each run's outputs (see README, "Provenance").

One writer per stack, made when the first run resource with provenance on registers:

    HealthOmics ── Run Status Change (COMPLETED, FAILED, CANCELLED) ──▶ rule ──▶ queue (dead letters after 5
    receives; an alarm on them) ──▶ writer (at most 2 at once, each pacing HealthOmics calls to half its share)
    ──▶ <runOutputUri>/ro-crate-metadata.json, and <output or location>/.healthomics-run/history/<day>/<uuid>.json
    schedule (hourly) ── sweep ──▶ the same queue: ended runs of this stack whose event was lost

The writer's choices (off, locations, parameter values, task detail, batch names, revision) are a JSON asset of
the stack whose URI is in its environment; its S3 grants are one statement per bucket and action, made at synth
once every run has registered; a synth validation names the IAM or Lambda limit the writer would pass.

The rule matches ended runs of the account and Region; the writer records those a resource of this stack
started (``owners``) and ignores the rest. Nothing here touches the run resources themselves: their
properties, and so the runs they name, are the same with provenance on or off (upgrading starts nothing).
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Protocol, Sequence, cast

import jsii
from aws_cdk import Annotations, Aspects, Aws, CfnElement, Duration, Fn, IAspect, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sqs as sqs

from constructs import Construct, IConstruct, IValidation
from healthomics_run.construct_helpers import lambda_assets
from healthomics_run.construct_helpers.policies import GroupedStatements, s3_object_arn
from healthomics_run.construct_helpers.status_events import RUN_EVENTS
from healthomics_run.construct_helpers.tree import stack_of
from healthomics_run.construct_helpers.validation import acknowledge, is_unresolved, wildcard_finding
from healthomics_run.errors import INVALID_RUN_PROPS, raise_if_any
from healthomics_run.run_model.chaining import CHAIN_REFS_ENV
from healthomics_run.run_model.provenance_settings import (
    CALLS_PER_SECOND,
    CALLS_PER_SECOND_CONTEXT,
    CONFIG_URI_ENV,
    ENDED_STATUSES,
    HISTORY_FOLDER,
    MAX_CONCURRENCY,
    QUEUE_URL_ENV,
    RECORD_NAME,
    SOURCE_REVISION_CONTEXT,
    STACK_ID_ENV,
    SWEEP_PERIOD_SECONDS,
    Config,
)


class Registering(IConstruct, Protocol):
    """What a run resource tells the writer when it registers (``runs/_run_resource.py``)."""

    @property
    def resource(self) -> Construct: ...

    def workflow_arns(self) -> list[str]: ...

    def output_uris(self) -> list[str]: ...

WRITER_ID = "HealthOmicsRunProvenance"
TIMEOUT_SECONDS = 300  # a run of thousands of tasks with per-task detail: one GetRunTask each, throttling waited out
# Object patterns per bucket and action: beyond it, prefixes are cut to common ones (a wider grant, warned
# of at synth). 3 statements per bucket of at most 20 patterns of ~80 characters: ~5 KB per bucket.
PATTERNS_PER_BUCKET = 20
# IAM and AWS STS quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): a role's
# inline policies total 10,240 characters, 10 managed policies attached, each at most 6,144 characters.
# Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): 4 KB of environment.
ROLE_INLINE_CHARS, ROLE_MANAGED_POLICIES, MANAGED_POLICY_CHARS = 10_240, 10, 6_144
LAMBDA_ENVIRONMENT_BYTES = 4_096
# The queue between the rule and the writer: a cohort's ends wait there, read by at most MAX_CONCURRENCY writers
# at once (an SQS event source's MaximumConcurrency, 2-1,000: "Configuring scaling behavior for SQS event source
# mappings", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html), so the HealthOmics calls
# stay near their 10 TPS default quotas. A message received MAX_RECEIVES times goes to the dead-letter queue.
MAX_RECEIVES, BATCH_SIZE = 5, 10
RETENTION = Duration.days(14)  # SQS' longest
ENVIRONMENT_TOKEN_BYTES = 512  # a deploy-time value (a stack id, an S3 URL) counted at its longest
MEMORY_MB = 256

_REASONS = (
    ("HIPAA.Security-LambdaConcurrency", "Invoked once per ended run; reserved concurrency would only take "
                                         "capacity from the account."),
    ("HIPAA.Security-LambdaDLQ", "Invoked by an SQS event source whose queue has a dead-letter queue; a record "
                                 "still missing is written by `healthomics-run provenance`."),
    ("HIPAA.Security-CloudWatchAlarmAction", "Where to be told is the app's choice: "
                                             "ProvenanceWriter.of(stack).dead_letter_alarm.add_alarm_action(...)."),
    ("AwsSolutions-SQS3", "The dead-letter queue of the writer's queue is itself the end of the line."),
    ("HIPAA.Security-LambdaInsideVPC", "The writer calls only AWS APIs; a VPC adds NAT or endpoints and no "
                                       "protection."),
    ("HIPAA.Security-IAMNoInlinePolicy", "The writer's policy is generated from the runs of this stack alone; a "
                                         "managed policy would be shared and reviewed apart from them."),
)


class _Choices:
    """Each run resource's provenance choices in a stack, read when the writer's environment is synthesized."""

    def __init__(self) -> None:
        self.off: set[str] = set()
        self.locations: dict[str, str] = {}
        self.values: set[str] = set()
        self.details: set[str] = set()
        self.batches: dict[str, str] = {}
        self.license: Optional[str] = None
        self.agent: Optional[dict[str, str]] = None

    def config(self, stack: Stack, chains: Sequence[dict[str, Any]] = ()) -> str:
        revision = stack.node.try_get_context(SOURCE_REVISION_CONTEXT)
        rate = stack.node.try_get_context(CALLS_PER_SECOND_CONTEXT)
        return Config(off=frozenset(self.off), locations=self.locations, values=frozenset(self.values),
                      details=frozenset(self.details), batches=self.batches,
                      revision=str(revision) if revision else None, calls_per_second=_rate(rate),
                      chains=tuple(chains), license=self.license, agent=self.agent).to_json()


class ProvenanceWriter(Construct):
    """The stack's provenance writer: a function, its role and the rule for ended runs. Made by the run
    constructs (``provenance`` run props); ``ProvenanceWriter.of(stack).role`` may be granted more (input
    buckets of a ``WorkflowRun``, keys), so that the record carries their version ids and ETags."""

    def __init__(self, scope: Construct, id: str, choices: _Choices, log_group: logs.ILogGroup) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        _WRITERS[stack] = self
        self.log_group = log_group  # the deploy handler's: ids and outcomes only, one place to look
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="Writes the provenance record of each run this stack started")
        self._grouped = GroupedStatements(self.role)
        self._allow(["logs:CreateLogStream", "logs:PutLogEvents"], [self.log_group.log_group_arn])
        runs = stack.format_arn(service="omics", resource="run", resource_name="*")
        tasks = stack.format_arn(service="omics", resource="task", resource_name="*")
        batches = stack.format_arn(service="omics", resource="runBatch", resource_name="*")
        self._allow(["omics:GetRun", "omics:ListRunTasks", "omics:GetRunTask"], [runs, tasks])
        self._allow(["omics:GetBatch", "omics:ListRunsInBatch"], [batches])
        # the sweep's listings: ListRuns and ListBatch name no resource (Service Authorization Reference)
        self._allow(["omics:ListRuns", "omics:ListBatch"], ["*"])
        self._allow(["cloudformation:ListStackResources", "cloudformation:DescribeStackResource"], [Aws.STACK_ID])
        acknowledge(self.role, *((wildcard_finding(self, arn), "Run, task and batch ids are assigned by HealthOmics; "
                                  "reading them is limited to this account and Region.")
                                 for arn in (runs, tasks, batches)),
                    (wildcard_finding(self, "*"), "ListRuns and ListBatch take no resource; the sweep lists ended "
                                                  "runs and this stack's batches by name."))
        self.function = lambda_.Function(
            self, "Writer", runtime=lambda_.Runtime.PYTHON_3_14, architecture=lambda_.Architecture.ARM_64,
            code=lambda_assets.code("after_run"), handler="after_run.handler.on_run_end", role=self.role,
            log_group=self.log_group, timeout=Duration.seconds(TIMEOUT_SECONDS), memory_size=MEMORY_MB,
            description="Writes a Workflow Run RO-Crate beside each ended run's outputs (healthomics-run)",
            environment={STACK_ID_ENV: Aws.STACK_ID})
        self.environment: dict[str, str] = {STACK_ID_ENV: Aws.STACK_ID}
        self.rule = events.Rule(self, "RunEnded", description="Ended HealthOmics runs, for their provenance records",
                                event_pattern=events.EventPattern(source=["aws.omics"],
                                                                  detail_type=[RUN_EVENTS.detail_type],
                                                                  detail={"status": list(ENDED_STATUSES)}))
        self.dead_letters = sqs.Queue(self, "DeadLetters", retention_period=RETENTION, enforce_ssl=True,
                                      encryption=sqs.QueueEncryption.SQS_MANAGED)
        # visibility: six times the function's timeout, as Lambda advises for an SQS event source
        self.queue = sqs.Queue(self, "RunEnds", retention_period=RETENTION, enforce_ssl=True,
                               encryption=sqs.QueueEncryption.SQS_MANAGED,
                               visibility_timeout=Duration.seconds(6 * TIMEOUT_SECONDS),
                               dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters,
                                                                     max_receive_count=MAX_RECEIVES))
        self.rule.add_target(targets.SqsQueue(self.queue))
        # Events are best effort: every hour a sweep message on the same queue finds the ended runs of this stack
        # that have no record (healthomics_run.service_calls.provenance_sweep).
        self.sweep = events.Rule(self, "Sweep", description="Hourly sweep for provenance records whose event was lost",
                                 schedule=events.Schedule.rate(Duration.seconds(SWEEP_PERIOD_SECONDS)))
        self.sweep.add_target(targets.SqsQueue(self.queue, message=events.RuleTargetInput.from_object(
            {"sweep": events.EventField.time})))
        self._allow(["sqs:SendMessage"], [self.queue.queue_arn])
        self.function.add_environment(QUEUE_URL_ENV, self.queue.queue_url)
        self.environment[QUEUE_URL_ENV] = self.queue.queue_url
        # A message that failed MAX_RECEIVES times: its record is missing until `healthomics-run provenance`
        self.dead_letter_alarm = cloudwatch.Alarm(
            self, "DeadLettersAlarm", alarm_description="Provenance records that could not be written (dead letters); "
                                                        "`healthomics-run provenance STACK` writes them",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"),
            threshold=0, evaluation_periods=1, comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        self.function.add_event_source(event_sources.SqsEventSource(
            self.queue, batch_size=BATCH_SIZE, max_concurrency=MAX_CONCURRENCY, report_batch_item_failures=True))
        acknowledge(self, *_REASONS)
        self._workflows: set[str] = set()
        self._objects: set = set()  # folders allowed (uri, write), and object ARNs acknowledged
        self._reads: dict[str, set[str]] = {}  # bucket -> prefixes of folders read (outputs)
        self._records: dict[str, set[str]] = {}  # bucket -> prefixes under which records are put
        self._choices = choices
        self.refs_count = 0  # deploy-time values in the environment for the chains (CHAIN_REFS_ENV)
        self._chains: list[Callable[[dict[str, Any]], dict[str, Any]]] = []
        self._finished = False
        Aspects.of(self).add(_Finish(self))
        self.node.add_validation(_WithinLimits(self))

    def finish(self) -> None:
        """Once every run resource has registered (an aspect, at synth): the choices' asset, and the S3
        statements, one per bucket and action, each listing at most ``PATTERNS_PER_BUCKET`` patterns."""
        if self._finished:
            return
        self._finished = True
        stack = Stack.of(self)
        refs: dict[str, Any] = {}  # the chains' deploy-time values, by the {"$ref": n} that names them
        chains = [chain(refs) for chain in self._chains]
        if refs:
            refs_json = stack.to_json_string(refs)
            self.function.add_environment(CHAIN_REFS_ENV, refs_json)
            self.environment[CHAIN_REFS_ENV] = refs_json
            self.refs_count = len(refs)
        choices = s3_assets.Asset(self, "Choices", path=str(_staged(self._choices.config(stack, chains))))
        self._allow(["s3:GetObject"], [choices.bucket.arn_for_objects(choices.s3_object_key)])
        self.function.add_environment(CONFIG_URI_ENV, choices.s3_object_url)
        self.environment[CONFIG_URI_ENV] = choices.s3_object_url
        for bucket in sorted(set(self._reads) | set(self._records)):
            reads = _collapse(self._reads.get(bucket, set()))
            records = _collapse(self._records.get(bucket, set()))
            if self._widened(bucket, reads, records):
                Annotations.of(self).add_warning_v2(
                    "healthomics-run::provenance-widened",
                    f"The provenance writer reads and writes records under {len(reads) + len(records)} prefixes of "
                    f"{bucket}: more than {PATTERNS_PER_BUCKET} runs' folders are named by their common prefixes.")
            base = f"arn:{Aws.PARTITION}:s3:::{bucket}"
            uncovered = [p for p in records if not any(p.startswith(r) for r in reads)]
            get = [f"{base}/{p}*" for p in reads] + [f"{base}/{p}*/{RECORD_NAME}" for p in uncovered]
            put = [f"{base}/{p}*/{RECORD_NAME}" for p in records] + [f"{base}/{p}*{HISTORY_FOLDER}/*" for p in records]
            if get:
                self._statement(["s3:GetObject"], get)
            if put:
                self._statement(["s3:PutObject"], put)
            if reads:
                self.role.add_to_principal_policy(iam.PolicyStatement(
                    actions=["s3:ListBucket"], resources=[base],
                    conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in reads]}}))

    def _widened(self, bucket: str, reads: list[str], records: list[str]) -> bool:
        return (len(reads) < len(_minimal(self._reads.get(bucket, set())))
                or len(records) < len(_minimal(self._records.get(bucket, set()))))

    def _statement(self, actions: list[str], resources: list[str]) -> None:
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
        for arn in resources:
            self._acknowledge_once(arn, "Run ids, and so the keys of a run's outputs and its record, are assigned "
                                        "by HealthOmics; limited to these output locations.")

    def _allow(self, actions: list[str], resources: Iterable[str], conditions: Optional[dict] = None) -> None:
        self._grouped.allow(actions, list(resources), conditions)

    def add_chain(self, chain: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """A run chain the function advances (``chains.CohortStep``): ``chain(refs)`` is its JSON for the settings
        asset, called at ``finish`` once every step is declared, each token replaced by a ref added to ``refs``."""
        self._chains.append(chain)

    def allow(self, actions: list[str], resources: list[str], conditions: Optional[dict] = None) -> None:
        """Grant the function ``actions`` on ``resources`` (statements grouped by actions and conditions)."""
        self._allow(actions, resources, conditions)

    def arn(self, resource: str, name: str) -> str:
        """``arn:<partition>:omics:<region>:<account>:<resource>/<name>`` of this stack."""
        return Stack.of(self).format_arn(service="omics", resource=resource, resource_name=name)

    def allow_workflows(self, arns: Iterable[str]) -> None:
        """Read the workflows (versions) runs name: the record's name, engine and parameter template."""
        new = [arn for arn in arns if arn not in self._workflows]
        if new:
            self._workflows.update(new)
            self._allow(["omics:GetWorkflow", "omics:GetWorkflowVersion"], new)

    def allow_folder(self, uri: str, *, write: bool) -> None:
        """List and read the objects under ``uri`` (a run's outputs, ``output.json``); with ``write``, put and
        read records there (``<uri>*/ro-crate-metadata.json`` only: IAM resource ARNs take ``*`` anywhere in
        a segment, "IAM JSON policy elements: Resource",
        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
        Gathered per bucket; the statements are made at synth (``finish``)."""
        if (uri, write) in self._objects:
            return
        self._objects.add((uri, write))
        if is_unresolved(uri) and not uri.startswith("s3://"):  # wholly a deploy-time value: no prefix known
            self._allow_deploy_time_folder(uri, write)
            return
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        (self._records if write else self._reads).setdefault(bucket, set()).add(prefix)

    def _allow_deploy_time_folder(self, uri: str, write: bool) -> None:
        objects = f"{s3_object_arn(uri)}*"
        self._allow(["s3:PutObject"] if write else ["s3:GetObject"],
                    [f"{objects}/{RECORD_NAME}", f"{objects}{HISTORY_FOLDER}/*"] if write else [objects])
        if not write:
            bucket = Fn.select(0, Fn.split("/", Fn.select(1, Fn.split("s3://", uri))))
            self._allow(["s3:ListBucket"], [f"arn:{Aws.PARTITION}:s3:::{bucket}"])

    def _acknowledge_once(self, arn: str, reason: str) -> None:
        """Acknowledge cdk-nag's wildcard finding on ``arn`` once; an ARN cut from a deploy-time URI
        (``Fn::Split``) cannot be named as cdk-nag names it, so its finding stays for the user to judge."""
        if arn not in self._objects:
            self._objects.add(arn)
            try:
                acknowledge(self.role, (wildcard_finding(self, arn), reason))
            except ValueError:
                pass

    def allow_keys(self, keys: Iterable[kms.IKey]) -> None:
        """Decrypt (outputs, ``output.json``) and GenerateDataKey (records) with the keys of the buckets the
        writer reads and writes: one statement listing every key (S3 User Guide, "Using server-side encryption
        with AWS KMS keys", Permissions)."""
        arns = [key.key_arn for key in keys]
        if arns:
            self._allow(["kms:Decrypt", "kms:GenerateDataKey"], arns)

    def record_licence(self, uri: str) -> None:
        """The licence of the stack's records (a URI, such as ``https://spdx.org/licenses/CC-BY-4.0``); without
        one a record says no licence was stated."""
        self._choices.license = uri

    def record_agent(self, agent_id: str, agent_type: str, name: str) -> None:
        """Who runs the stack's runs, as each record's ``agent`` and ``author``: a ``Person`` (an ORCID id) or an
        ``Organization`` (a ROR id); without one, the AWS account that deployed the stack, named by its ARN."""
        if agent_type not in ("Person", "Organization"):
            raise ValueError("record_agent: agent_type must be Person or Organization (schema.org's agent), "
                             f"not {agent_type!r}")
        self._choices.agent = {"@id": agent_id, "@type": agent_type, "name": name}

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
                 values: bool, details: bool = False, keys: Iterable[kms.IKey] = ()) -> None:
        """Record ``resource``'s choices; with provenance on, make the writer (once per stack) and grant it
        what this resource's runs need."""
        raise_if_any(resource, (INVALID_RUN_PROPS, _choice_errors(enabled, location, values, details)))
        stack = stack_of(resource)
        choices = _CHOICES.setdefault(stack, _Choices())
        batch_name = getattr(resource, "batch_name", None)  # a batch's runs are known by it (owners)
        if batch_name is not None or not enabled or location or values or details:
            # Only a resource the choices name (by logical id) is looked up: the default asks jsii nothing more.
            logical_id = stack.get_logical_id(cast(CfnElement, resource.resource.node.default_child))
            if batch_name is not None:
                choices.batches[logical_id] = batch_name
            if not enabled:
                choices.off.add(logical_id)
                return
            if location:
                choices.locations[logical_id] = location
            if values:
                choices.values.add(logical_id)
            if details:
                choices.details.add(logical_id)
        writer = cls.of(stack) or cls(stack, WRITER_ID, choices, log_group)
        writer.allow_workflows(resource.workflow_arns())
        writer.allow_keys(keys)
        # a run started with parametersUri: the record reads that JSON object for the inputs it names (GetObject)
        parameters_uri = (getattr(resource, "request", None) or {}).get("parametersUri")
        if parameters_uri:
            writer.allow(["s3:GetObject"], [s3_object_arn(parameters_uri)])
        for output_uri in resource.output_uris():
            writer.allow_folder(output_uri, write=False)
            if not location:
                writer.allow_folder(output_uri, write=True)
        if location:
            writer.allow_folder(location.rstrip("/") + "/", write=True)

    @classmethod
    def ensure(cls, scope: Construct, *, log_group: logs.ILogGroup) -> "ProvenanceWriter":
        """The stack's after-run function, made if no run resource of the stack has made it (provenance off)."""
        stack = stack_of(scope)
        return cls.of(stack) or cls(stack, WRITER_ID, _CHOICES.setdefault(stack, _Choices()), log_group)

    @classmethod
    def of(cls, scope: Construct) -> Optional["ProvenanceWriter"]:
        """The stack's writer, or None when no run of the stack has provenance on."""
        return _WRITERS.get(stack_of(scope))


def _minimal(prefixes: Iterable[str]) -> list[str]:
    """The prefixes no other of them holds."""
    ordered = sorted(set(prefixes))
    kept: list[str] = []
    for prefix in ordered:  # sorted: a prefix that holds this one is just before it, or kept earlier
        if not any(prefix.startswith(held) for held in kept[-1:]):
            kept.append(prefix)
    return kept


def _collapse(prefixes: Iterable[str], limit: int = PATTERNS_PER_BUCKET) -> list[str]:
    """At most ``limit`` prefixes that hold every one of ``prefixes``: the longest common cut that fits.
    A prefix holding a deploy-time value (a token) is never cut."""
    kept = _minimal(prefixes)
    if len(kept) <= limit:
        return kept
    fixed = [p for p in kept if is_unresolved(p)]
    cuttable = [p for p in kept if not is_unresolved(p)]
    for length in range(max(map(len, cuttable)), -1, -1):
        cut = _minimal(p[:length] for p in cuttable)
        if len(cut) + len(fixed) <= limit:
            return cut + fixed
    return [""] + fixed


def _rate(value: object) -> float:
    """The writer's calls per second and HealthOmics operation (context ``CALLS_PER_SECOND_CONTEXT``)."""
    if value is None:
        return CALLS_PER_SECOND
    try:
        rate = float(str(value))
    except ValueError:
        rate = 0.0
    if rate <= 0:
        raise ValueError(f"{CALLS_PER_SECOND_CONTEXT} must be a positive number of calls per second (a share of "
                         f"HealthOmics' 10 TPS quotas); got {value!r}")
    return rate


def _staged(text: str) -> Path:
    """A folder holding ``choices.json`` (made once per content and process, removed at its exit)."""
    folder = Path(tempfile.mkdtemp(prefix="healthomics-run-provenance-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "choices.json"
    path.write_text(text)
    return path


@jsii.implements(IAspect)
class _Finish:
    def __init__(self, writer: ProvenanceWriter) -> None:
        self.writer = writer

    def visit(self, node: IConstruct) -> None:
        if node is self.writer:
            self.writer.finish()


@jsii.implements(IValidation)
class _WithinLimits:
    """Fails synth, naming the limit, when the writer's role or function would not deploy."""

    def __init__(self, writer: ProvenanceWriter) -> None:
        self.writer = writer

    def validate(self) -> list[str]:
        stack = Stack.of(self.writer)
        errors = []
        documents = [child for child in self.writer.role.node.find_all()
                     if isinstance(child, (iam.Policy, iam.ManagedPolicy))]
        sizes = [len(json.dumps(stack.resolve(doc.document.to_json()), separators=(",", ":"))) for doc in documents]
        managed = [d for d in documents if isinstance(d, iam.ManagedPolicy)]
        room = ROLE_INLINE_CHARS + ROLE_MANAGED_POLICIES * MANAGED_POLICY_CHARS
        if sum(sizes) > room:
            errors.append(f"the provenance writer's role needs {sum(sizes):,} policy characters; IAM allows a role "
                          f"{ROLE_INLINE_CHARS:,} inline and {ROLE_MANAGED_POLICIES} managed policies of "
                          f"{MANAGED_POLICY_CHARS:,} ({room:,} in all; IAM and AWS STS quotas)")
        if len(managed) > ROLE_MANAGED_POLICIES:
            errors.append(f"the provenance writer's role has {len(managed)} managed policies; IAM allows "
                          f"{ROLE_MANAGED_POLICIES} per role (IAM and AWS STS quotas)")
        size = sum(len(name) + (ENVIRONMENT_TOKEN_BYTES * (self.writer.refs_count if name == CHAIN_REFS_ENV else 1)
                                if is_unresolved(value) else len(value))
                   for name, value in self.writer.environment.items())
        if size > LAMBDA_ENVIRONMENT_BYTES:
            errors.append(f"the provenance writer's environment takes up to {size:,} bytes; Lambda allows "
                          f"{LAMBDA_ENVIRONMENT_BYTES:,} for all of a function's variables (Lambda quotas)")
        return errors


def _choice_errors(enabled: object, location: Optional[str], values: object, details: object = False) -> list[str]:
    errors = [f"{name} must be True or False; got {value!r}" for name, value in
              (("provenance", enabled), ("provenance_parameter_values", values), ("provenance_task_details", details))
              if not isinstance(value, bool)]
    if location is not None and not is_unresolved(location) and (
            not isinstance(location, str) or not location.startswith("s3://") or len(location) <= len("s3://")):
        errors.append(f"provenance_location must be an S3 URI (s3://bucket or s3://bucket/prefix), under which "
                      f"each run's record goes as <runId>/ro-crate-metadata.json; got {location!r}")
    return errors


_CHOICES: "weakref.WeakKeyDictionary[Stack, _Choices]" = weakref.WeakKeyDictionary()
# Per stack, its writer: found without asking jsii for the stack's children once per run.
_WRITERS: "weakref.WeakKeyDictionary[Stack, ProvenanceWriter]" = weakref.WeakKeyDictionary()
