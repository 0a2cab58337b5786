"""Enumerations for every enumerated StartRun field, plus the construct's own choices.

The StartRun enums mirror the HealthOmics service model (a test keeps them equal to it).
"""

from __future__ import annotations

import enum


class WorkflowType(str, enum.Enum):
    PRIVATE = "PRIVATE"
    READY2RUN = "READY2RUN"


class StorageType(str, enum.Enum):
    STATIC = "STATIC"
    DYNAMIC = "DYNAMIC"


class LogLevel(str, enum.Enum):
    OFF = "OFF"
    FATAL = "FATAL"
    ERROR = "ERROR"
    ALL = "ALL"


class RetentionMode(str, enum.Enum):
    RETAIN = "RETAIN"
    REMOVE = "REMOVE"


class CacheBehavior(str, enum.Enum):
    CACHE_ON_FAILURE = "CACHE_ON_FAILURE"
    CACHE_ALWAYS = "CACHE_ALWAYS"


class NetworkingMode(str, enum.Enum):
    RESTRICTED = "RESTRICTED"
    VPC = "VPC"


class OutputUriPrefixMode(str, enum.Enum):
    SERVICE_DEFINED = "SERVICE_DEFINED"
    NONE_WITH_OVERWRITE = "NONE_WITH_OVERWRITE"


class ScratchStorageMode(str, enum.Enum):
    LOCAL = "LOCAL"
    SHARED = "SHARED"


class DeletePolicy(str, enum.Enum):
    """What removing the resource (or replacing its run) does to the run."""

    RETAIN = "RETAIN"  # leave the run alone
    CANCEL = "CANCEL"  # cancel the run if it is still active


class WaitFor(str, enum.Enum):
    """How far the run must get before the deployment goes on."""

    STARTED = "STARTED"  # accepted by HealthOmics (PENDING or later)
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"


class WorkflowEngine(str, enum.Enum):
    """The language of a workflow definition (CreateWorkflow's ``engine`` in the service model)."""

    WDL = "WDL"
    NEXTFLOW = "NEXTFLOW"
    CWL = "CWL"
    WDL_LENIENT = "WDL_LENIENT"  # WDL with Cromwell's implicit type conversions
