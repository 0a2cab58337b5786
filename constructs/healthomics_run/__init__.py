"""healthomics-run: an AWS HealthOmics workflow run as a reviewable, repeatable CDK resource."""

from .enums import (CacheBehavior, DeletePolicy, LogLevel, NetworkingMode, OutputUriPrefixMode, RetentionMode,
                    StorageType, WaitFor, WorkflowType)
from .health_omics_run import DEFAULT_RUN_GROUP_LIMITS, HealthOmicsRun
from .output_bucket import RunOutputBucket
from .run_group import IRunGroup, RunGroup
from .run_props import RunProps
from .service_role import RunServiceRole
from .workflow_run import RESOURCE_TYPE, WorkflowRun

__all__ = [
    "CacheBehavior", "DEFAULT_RUN_GROUP_LIMITS", "DeletePolicy", "HealthOmicsRun", "IRunGroup", "LogLevel",
    "NetworkingMode", "OutputUriPrefixMode", "RESOURCE_TYPE", "RetentionMode", "RunGroup", "RunOutputBucket",
    "RunProps", "RunServiceRole", "StorageType", "WaitFor", "WorkflowRun", "WorkflowType",
]
