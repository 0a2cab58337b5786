"""healthomics-run: an AWS HealthOmics workflow run as a reviewable, repeatable CDK resource."""

from .enums import (CacheBehavior, DeletePolicy, LogLevel, NetworkingMode, OutputUriPrefixMode, RetentionMode,
                    StorageType, WaitFor, WorkflowType)
from .health_omics_run import DEFAULT_RUN_GROUP_LIMITS, HealthOmicsRun, HealthOmicsRunBatch
from .output_bucket import RunOutputBucket
from .run_cache import IRunCache, RunCache
from .run_group import IRunGroup, RunGroup
from .run_props import RunProps
from .service_role import RunServiceRole
from .workflow_run import RESOURCE_TYPE, WorkflowRun
from .workflow_run_batch import SampleSheetError, WorkflowRunBatch

__all__ = [
    "CacheBehavior", "DEFAULT_RUN_GROUP_LIMITS", "DeletePolicy", "HealthOmicsRun", "HealthOmicsRunBatch", "IRunCache",
    "IRunGroup", "LogLevel",
    "NetworkingMode", "OutputUriPrefixMode", "RESOURCE_TYPE", "RetentionMode", "RunCache", "RunGroup", "RunOutputBucket",
    "RunProps", "RunServiceRole", "SampleSheetError", "StorageType", "WaitFor", "WorkflowRun", "WorkflowRunBatch",
    "WorkflowType",
]
