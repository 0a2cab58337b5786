"""healthomics-run: an AWS HealthOmics workflow run as a reviewable, repeatable CDK resource.

Names are imported on first use (PEP 562), so ``healthomics-run plan`` reads templates without
loading aws-cdk-lib (and its Node.js runtime); ``from healthomics_run import HealthOmicsRun``
works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    ".enums": ["BatchStatus", "CacheBehavior", "DeletePolicy", "LogLevel", "NetworkingMode", "OutputUriPrefixMode",
               "RetentionMode", "RunStatus", "ScratchStorageMode", "StorageType", "WaitFor", "WorkflowEngine",
               "WorkflowType"],
    ".configuration": ["Configuration", "IConfiguration"],
    ".errors": ["ValidationError"],
    ".health_omics_run": ["DEFAULT_RUN_GROUP_LIMITS", "HealthOmicsRun", "HealthOmicsRunBatch"],
    ".output_bucket": ["RunOutputBucket"],
    ".provenance": ["ProvenanceWriter"],
    ".run_cache": ["IRunCache", "RunCache"],
    ".run_group": ["IRunGroup", "RunGroup"],
    ".run_props": ["RunProps"],
    ".service_role": ["RunServiceRole"],
    ".definition_files": ["DEFAULT_EXCLUDES"],
    ".workflow": ["HEALTHOMICS_DESCRIPTIONS", "IWorkflow", "VERSIONS_FILE_CONTEXT", "Workflow", "WorkflowVersion"],
    ".workflow_run": ["RESOURCE_TYPE", "WorkflowRun"],
    ".workflow_run_batch": ["SampleSheetError", "WorkflowRunBatch"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULE_OF[name], __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and editors, which do not run __getattr__
    from .enums import (BatchStatus, CacheBehavior, DeletePolicy, LogLevel, NetworkingMode, OutputUriPrefixMode,
                        RetentionMode, RunStatus, ScratchStorageMode, StorageType, WaitFor, WorkflowEngine, WorkflowType)
    from .configuration import Configuration, IConfiguration
    from .errors import ValidationError
    from .health_omics_run import DEFAULT_RUN_GROUP_LIMITS, HealthOmicsRun, HealthOmicsRunBatch
    from .output_bucket import RunOutputBucket
    from .provenance import ProvenanceWriter
    from .run_cache import IRunCache, RunCache
    from .run_group import IRunGroup, RunGroup
    from .run_props import RunProps
    from .service_role import RunServiceRole
    from .definition_files import DEFAULT_EXCLUDES
    from .workflow import HEALTHOMICS_DESCRIPTIONS, VERSIONS_FILE_CONTEXT, IWorkflow, Workflow, WorkflowVersion
    from .workflow_run import RESOURCE_TYPE, WorkflowRun
    from .workflow_run_batch import SampleSheetError, WorkflowRunBatch
