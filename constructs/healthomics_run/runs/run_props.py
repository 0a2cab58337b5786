"""The props every run construct takes: StartRun's fields in snake_case, plus the construct's own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence, TypedDict, Union

from aws_cdk import Duration
from aws_cdk import aws_iam as iam

from healthomics_run.construct_helpers.validation import is_unresolved
from healthomics_run.enums import (
    CacheBehavior,
    DeletePolicy,
    LogLevel,
    NetworkingMode,
    OutputUriPrefixMode,
    RetentionMode,
    ScratchStorageMode,
    StorageType,
    WaitFor,
    WorkflowType,
)
from healthomics_run.errors import INVALID_RUN_PROPS, UNKNOWN_PROPS
from healthomics_run.infrastructure.configuration import IConfiguration
from healthomics_run.infrastructure.run_cache import IRunCache
from healthomics_run.infrastructure.run_group import IRunGroup
from healthomics_run.run_model import reasons
from healthomics_run.workflows.workflow import IWorkflow, WorkflowVersion

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns


class RunProps(TypedDict, total=False):
    """Settings of one HealthOmics run (StartRun's fields in snake_case, plus the construct's own), as keyword
    props of every run construct. Each StartRun field is passed only when given; each prop below says its type
    and default.
    """

    workflow: IWorkflow
    """The workflow to run: a ``Workflow``, a ``WorkflowVersion`` (runs that version) or
    ``Workflow.from_workflow_id(...)``. Sets ``workflow_id`` (and ``workflow_type``, ``workflow_owner_id``,
    ``workflow_version_name`` as the workflow says them), lets the handler start it, makes the run wait for its
    creation, and, when its parameter template is known, checks ``parameters`` against it at synth (unknown names,
    missing required ones, types). Give this or ``workflow_id``. Default: none."""
    workflow_id: str
    """The workflow to run (its id, not its uuid). Required unless ``workflow`` or ``source_run_id``."""
    workflow_type: Union[WorkflowType, str]
    """The workflow's type (``WorkflowType``). Default: the service's (``PRIVATE``); ``READY2RUN`` for AWS's
    ready-made workflows."""
    workflow_version_name: str
    """The version of the workflow to run. Default: the workflow's default version."""
    workflow_owner_id: str
    """12-digit account that shared the workflow. Default: this account."""
    source_run_id: str
    """StartRun's ``runId``: duplicate this earlier run. Default: none."""
    name: str
    """The run's name in HealthOmics. Default: the construct's path (last 128 characters)."""
    parameters: Mapping[str, Any]
    """Workflow parameters; values keep their JSON types (numbers, booleans, lists, objects). Checked against the
    workflow's parameter template before the run starts. Default: none."""
    priority: int
    """0 to 100000, highest first within a run group. Default: the service's."""
    storage_type: Union[StorageType, str]
    """How the run's storage is provisioned (``StorageType``). Default: ``StorageType.DYNAMIC``. ``STATIC`` needs
    ``storage_capacity``."""
    storage_capacity: int
    """GiB of STATIC storage, 0 to 100000. Default: none (DYNAMIC needs none)."""
    cache: IRunCache
    """A ``RunCache`` (or an imported ``IRunCache``): sets ``cache_id`` and gives the service role the cache's S3
    location. Default: no cache."""
    cache_id: str
    """A run cache by id. Default: no cache."""
    cache_behavior: Union[CacheBehavior, str]
    """Overrides the cache's default behaviour (``CacheBehavior``). Default: the cache's own behaviour."""
    run_group: Union[IRunGroup, str]
    """A ``RunGroup``/``IRunGroup`` or an existing run group id. Default: none."""
    log_level: Union[LogLevel, str]
    """How much the run logs (``LogLevel``). Default: the service's."""
    retention_mode: Union[RetentionMode, str]
    """Whether HealthOmics keeps the run (``RETAIN``) or removes the oldest at its quota (``REMOVE``). Default: the
    service's (``RETAIN``)."""
    tags: Mapping[str, str]
    """Run tags (for a batch: the batch's tags and every run's ``runTags``), merged with those ``Tags.of`` adds;
    at most 50. A change of tags alone re-tags the run in place and starts no run. Default: none."""
    networking_mode: Union[NetworkingMode, str]
    """``VPC`` networking needs a configuration (``configuration`` or ``configuration_name``). Default: the
    service's."""
    configuration_name: str
    """A VPC configuration by name; sets nothing else. Default: none."""
    configuration: IConfiguration
    """A ``Configuration`` (or ``Configuration.from_configuration_name(...)``): sets ``configuration_name`` and
    ``networking_mode`` ``VPC``, and the run waits for its creation. Give this or ``configuration_name``. Default:
    none."""
    output_uri_prefix_mode: Union[OutputUriPrefixMode, str]
    """How HealthOmics names the run's output folder (``OutputUriPrefixMode``). Default: the service's
    (``SERVICE_DEFINED``)."""
    parameters_uri: str
    """``s3://bucket/key`` of a JSON file of yours holding the parameters, instead of ``parameters`` (not both). The
    service role (when the construct can add to its policy) and the handler may ``s3:GetObject`` exactly that
    object; before starting, the handler reads it and checks its names against the workflow's template. A batch
    passes its content as the shared parameters. Default: none."""
    stage_parameters: bool
    """``True`` writes ``parameters`` to S3 as a JSON file (a CDK asset) and the template holds only its location
    and a digest, never a value: out of ``cdk diff``, stack events and the provider's execution history. The service
    role and the handler may read exactly that file. ``False`` keeps them inline. Default: staged when they take
    more than 32,768 bytes as JSON (with an info message), else inline."""
    engine_settings: Mapping[str, Any]
    """Engine-specific settings (a mapping; values keep their JSON types). Default: none."""
    session_policy: Union[iam.PolicyDocument, str]
    """An ``iam.PolicyDocument`` or its JSON text, scoping down the service role for the run; at most 2,048
    characters as compact JSON. Default: none."""
    scratch_storage_mode: Union[ScratchStorageMode, str]
    """Where the run's tasks keep scratch files (``ScratchStorageMode``). Default: the service's (``SHARED``)."""
    requester_pays_enabled: bool
    """Let the run read Requester Pays buckets. Default: the service's (false)."""
    output_bucket_owner_id: str
    """Batches only: the 12-digit account expected to own the output bucket. Default: none."""
    delete_policy: Union[DeletePolicy, str]
    """What removing or replacing the resource does to its run. Default: ``DeletePolicy.RETAIN``."""
    wait_for: Union[WaitFor, str]
    """How far the run gets before the deployment goes on. Default: ``WaitFor.STARTED``."""
    timeout: Duration
    """How long to wait for ``wait_for``: at most 50 minutes, or 12 hours for ``COMPLETED`` (past 50 minutes a
    CloudFormation wait condition waits, signalled by the run's status change event). The provider's own limits sit
    inside CloudFormation's one-hour custom-resource timeout, so this message, not a bare "timed out", is what a
    deploy that waited too long shows. Default: ``Duration.minutes(50)``."""
    notification_topic: sns.ITopic
    """An SNS topic that receives every HealthOmics status change event of the run (of the batch, for a batch).
    Default: none; see also ``on_status_change``."""
    rerun_token: str
    """Change it to start a fresh run with identical settings. Default: none."""
    provenance: bool
    """Write a Workflow Run RO-Crate (``ro-crate-metadata.json``) for each run when it ends (COMPLETED, FAILED or
    CANCELLED): workflow and digest, images by digest, inputs with version id or ETag, outputs, settings and the
    deploy that started it. ``False`` turns it off. Never part of the resource's properties: turning it on or off
    starts no run. Default: ``True``."""
    provenance_location: str
    """``s3://bucket/prefix`` under which each run's record goes as ``<runId>/ro-crate-metadata.json``. Default:
    beside the run's outputs (``<runOutputUri>/ro-crate-metadata.json``)."""
    provenance_parameter_values: bool
    """Put parameter values in the record (they may identify patients). Default: ``False``: their SHA-256 digest
    only (S3 URIs among them are recorded as inputs either way)."""
    provenance_task_details: bool
    """Describe each task's container image in the record (which task ran which image): one GetRunTask call per
    task, against HealthOmics' 10 TPS default quota. Default: ``False``: the run's images by digest (GetRun's
    ``resourceDigests``) and its tasks as ListRunTasks lists them, a few calls per run whatever its size."""
    provenance_kms_keys: Sequence[kms.IKey]
    """Customer managed keys of the buckets the records are written to and the outputs read from (for
    ``WorkflowRun`` and ``WorkflowRunBatch``, whose output bucket the library does not make): the provenance
    writer is granted ``kms:Decrypt`` and ``kms:GenerateDataKey`` on them. Without it, records in an SSE-KMS
    bucket are refused. Default: none."""


def run_props_problems(props: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """Keywords that are not run props, and props of the wrong kind of object: what must be refused
    before anything reads the props (a run group given as a number would crash there)."""
    return [(UNKNOWN_PROPS, unknown_names_errors("run props", props, RunProps.__annotations__)),
            (INVALID_RUN_PROPS, _kind_errors(props))]


def unknown_names_errors(what: str, given: Iterable[str], allowed: Iterable[str]) -> list[str]:
    """``unknown run props: worfklow_id (did you mean workflow_id?)``; every allowed name only when some
    unknown name has no close one."""
    allowed = sorted(allowed)
    unknown = sorted(set(given) - set(allowed))
    if not unknown:
        return []
    named = [reasons.with_suggestion(name, allowed) for name in unknown]
    every_one_close = all(n != name for n, name in zip(named, unknown, strict=True))
    listed = "" if every_one_close else f"; allowed: {', '.join(allowed)}"
    return [f"unknown {what}: {', '.join(named)}{listed}"]


def _kind_errors(props: Mapping[str, Any]) -> list[str]:
    errors = []
    if props.get("cache") is not None and props.get("cache_id") is not None:
        errors.append("give cache (a RunCache) or cache_id, not both")
    errors += _workflow_and_configuration_errors(props)
    kinds = {
        "cache": (lambda value: isinstance(value, IRunCache), "a RunCache or an IRunCache"),
        "workflow": (lambda value: isinstance(value, IWorkflow),
                     "a Workflow, a WorkflowVersion or Workflow.from_workflow_id(...) (for an id, use workflow_id)"),
        "configuration": (lambda value: isinstance(value, IConfiguration),
                          "a Configuration or Configuration.from_configuration_name(...) (for a name, use "
                          "configuration_name)"),
        "run_group": (lambda value: isinstance(value, (IRunGroup, str)), "a RunGroup, an IRunGroup or a run group id"),
        "timeout": (lambda value: isinstance(value, Duration), "a Duration, e.g. Duration.minutes(30)"),
        "notification_topic": (lambda value: hasattr(value, "topic_arn"), "an sns.ITopic"),
        "rerun_token": (lambda value: isinstance(value, str), "a string"),
        "session_policy": (lambda value: isinstance(value, (iam.PolicyDocument, str)),
                           "an iam.PolicyDocument or a JSON string"),
    }
    for prop, (fits, allowed) in kinds.items():
        value = props.get(prop)
        if value is not None and not fits(value):
            errors.append(f"{prop} must be {allowed}; got {value!r}")
    return errors


def _workflow_and_configuration_errors(props: Mapping[str, Any]) -> list[str]:
    """``workflow`` and ``configuration`` set props of their own: giving those too is ambiguous."""
    errors = []
    workflow = props.get("workflow")
    if workflow is not None:
        for prop in ("workflow_id", "workflow_type", "workflow_owner_id"):
            if props.get(prop) is not None:
                errors.append(f"give workflow or {prop}, not both: workflow sets {prop} from the workflow")
        if isinstance(workflow, WorkflowVersion) and props.get("workflow_version_name") is not None:
            errors.append("give workflow (a WorkflowVersion) or workflow_version_name, not both: the version sets "
                          "workflow_version_name")
    if props.get("configuration") is not None:
        if props.get("configuration_name") is not None:
            errors.append("give configuration or configuration_name, not both: configuration sets configuration_name")
        mode = props.get("networking_mode")
        mode = getattr(mode, "value", mode)
        if mode is not None and not is_unresolved(mode) and mode != "VPC":
            errors.append(f"configuration is for networking_mode VPC (it sets it); got networking_mode {mode!r}")
    return errors
