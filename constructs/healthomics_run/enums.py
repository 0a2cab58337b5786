"""Enumerations for every enumerated StartRun field, plus the construct's own choices.

The StartRun enums mirror the HealthOmics service model (a test keeps them equal to it). Each member's
value is the string the API takes, so a plain string (``"DYNAMIC"``) is accepted wherever a member is.
"""

from __future__ import annotations

import enum


class WorkflowType(str, enum.Enum):
    """Whose workflow a run runs (StartRun's ``workflowType``). Default: the service's, ``PRIVATE``."""

    PRIVATE = "PRIVATE"
    """A workflow of this account, or one shared with it (give ``workflow_owner_id`` for a shared one)."""
    READY2RUN = "READY2RUN"
    """A prebuilt workflow from HealthOmics' Ready2Run catalog."""


class StorageType(str, enum.Enum):
    """The run storage of a run (StartRun's ``storageType``). Default in this library: ``DYNAMIC``."""

    STATIC = "STATIC"
    """A fixed file system of ``storage_capacity`` GiB, provisioned when the run starts."""
    DYNAMIC = "DYNAMIC"
    """Storage that grows and shrinks with the run's use; needs no ``storage_capacity``."""


class LogLevel(str, enum.Enum):
    """How much the run logs to CloudWatch Logs (StartRun's ``logLevel``). Default: the service's."""

    OFF = "OFF"
    """No run logs."""
    FATAL = "FATAL"
    """Only fatal errors."""
    ERROR = "ERROR"
    """Errors, fatal or not."""
    ALL = "ALL"
    """Everything the run and its tasks log."""


class RetentionMode(str, enum.Enum):
    """What happens to a run's metadata once the account holds its most runs (StartRun's ``retentionMode``).
    Default: the service's, ``RETAIN``."""

    RETAIN = "RETAIN"
    """Keep the run's metadata until it is deleted; new runs fail when the account is at its run quota."""
    REMOVE = "REMOVE"
    """Let HealthOmics remove the oldest such runs' metadata to make room for new runs."""


class CacheBehavior(str, enum.Enum):
    """Which task outputs a run cache keeps (``RunCache``'s and a run's ``cache_behavior``).
    Default of a ``RunCache``: ``CACHE_ON_FAILURE``; of a run: its cache's."""

    CACHE_ON_FAILURE = "CACHE_ON_FAILURE"
    """Keep the task outputs of runs that fail, so a rerun skips the tasks that had completed."""
    CACHE_ALWAYS = "CACHE_ALWAYS"
    """Keep the task outputs of every run, for any later run to reuse."""


class NetworkingMode(str, enum.Enum):
    """Where a run's tasks may reach over the network (StartRun's ``networkingMode``). Default: the service's,
    ``RESTRICTED``."""

    RESTRICTED = "RESTRICTED"
    """Only what HealthOmics itself provides (the run's S3 and ECR access); no other network."""
    VPC = "VPC"
    """Through the subnets and security groups of a run configuration (``configuration`` or
    ``configuration_name`` is required)."""


class OutputUriPrefixMode(str, enum.Enum):
    """How a run's outputs are laid out under its output URI (StartRun's ``outputUriPrefixMode``).
    Default: the service's, ``SERVICE_DEFINED``."""

    SERVICE_DEFINED = "SERVICE_DEFINED"
    """Under a prefix HealthOmics adds (the run's id), so runs never overwrite each other."""
    NONE_WITH_OVERWRITE = "NONE_WITH_OVERWRITE"
    """Directly under the output URI, with no prefix added; a later run's outputs overwrite an earlier's."""


class ScratchStorageMode(str, enum.Enum):
    """Where a run's tasks keep their scratch files (StartRun's ``scratchStorageMode``). Default: the
    service's, ``SHARED``."""

    LOCAL = "LOCAL"
    """On storage local to each task."""
    SHARED = "SHARED"
    """On the run's shared storage, with the run's other files."""


class DeletePolicy(str, enum.Enum):
    """What removing the resource (or replacing its run) does to the run. Default: ``RETAIN``."""

    RETAIN = "RETAIN"
    """Leave the run alone: it goes on, and its service role is retained with the stack's deletion."""
    CANCEL = "CANCEL"
    """Cancel the run (or every run of the batch) if it is still active, and wait until it stops."""


class WaitFor(str, enum.Enum):
    """How far the run must get before the deployment goes on. Default: ``STARTED``."""

    STARTED = "STARTED"
    """Accepted by HealthOmics (``PENDING`` or later)."""
    RUNNING = "RUNNING"
    """Running: its resources are provisioned and its first tasks have started."""
    COMPLETED = "COMPLETED"
    """Finished successfully; a run that fails or is cancelled fails the deployment. Past 50 minutes
    (``timeout`` up to 12 hours) a wait condition signalled by EventBridge does the waiting."""


class WorkflowEngine(str, enum.Enum):
    """The language of a workflow definition (CreateWorkflow's ``engine`` in the service model). Required."""

    WDL = "WDL"
    """Workflow Description Language."""
    NEXTFLOW = "NEXTFLOW"
    """Nextflow (DSL2)."""
    CWL = "CWL"
    """Common Workflow Language."""
    WDL_LENIENT = "WDL_LENIENT"
    """WDL with Cromwell's implicit type conversions (not yet in AWS::Omics::Workflow's schema: a synth
    warning says so)."""


class RunStatus(str, enum.Enum):
    """A run's status, as ``on_status_change(statuses=...)`` of a run matches it (RunStatus in the service
    model; plain strings are accepted too and checked when the rule is made)."""

    PENDING = "PENDING"
    """Accepted, waiting to start."""
    STARTING = "STARTING"
    """Its resources are being provisioned."""
    RUNNING = "RUNNING"
    """Its tasks are running."""
    STOPPING = "STOPPING"
    """Stopping: cancelled, or finishing."""
    COMPLETED = "COMPLETED"
    """Finished successfully (what other services call SUCCEEDED)."""
    DELETED = "DELETED"
    """Deleted (by DeleteRun, or by retention mode REMOVE)."""
    CANCELLED = "CANCELLED"
    """Cancelled before it completed."""
    FAILED = "FAILED"
    """Ended with an error: see its failure reason."""


class BatchStatus(str, enum.Enum):
    """A run batch's status, as ``on_status_change(statuses=...)`` of a batch matches it (BatchStatus in the
    service model; plain strings are accepted too and checked when the rule is made)."""

    CREATING = "CREATING"
    """Being created."""
    PENDING = "PENDING"
    """Created, its runs not yet submitted."""
    SUBMITTING = "SUBMITTING"
    """Its runs are being submitted."""
    INPROGRESS = "INPROGRESS"
    """Its runs are submitted and running."""
    STOPPING = "STOPPING"
    """Being cancelled."""
    CANCELLED = "CANCELLED"
    """Cancelled."""
    FAILED = "FAILED"
    """Could not submit its runs: see its failure reason."""
    PROCESSED = "PROCESSED"
    """Every run was submitted and has ended (each may have succeeded or failed)."""
    RUNS_DELETING = "RUNS_DELETING"
    """Its runs are being deleted."""
    RUNS_DELETE_FAILED = "RUNS_DELETE_FAILED"
    """Deleting its runs failed."""
    RUNS_DELETED = "RUNS_DELETED"
    """Its runs were deleted."""
