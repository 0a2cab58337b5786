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
    ".infrastructure.configuration": ["Configuration", "IConfiguration"],
    ".errors": ["ValidationError"],
    ".runs.health_omics_run": ["DEFAULT_RUN_GROUP_LIMITS", "HealthOmicsRun", "HealthOmicsRunBatch"],
    ".infrastructure.output_bucket": ["RunOutputBucket"],
    ".after_run.provenance_writer": ["ProvenanceWriter"],
    ".infrastructure.run_cache": ["IRunCache", "RunCache"],
    ".infrastructure.run_group": ["IRunGroup", "RunGroup"],
    ".runs.run_props": ["RunProps"],
    ".infrastructure.service_role": ["RunServiceRole"],
    ".workflows.definition_files": ["DEFAULT_EXCLUDES"],
    ".workflows.workflow": ["HEALTHOMICS_DESCRIPTIONS", "IWorkflow", "Workflow", "WorkflowDefinitionProps",
                            "WorkflowVersion"],
    ".workflows._version_record": ["VERSIONS_FILE_CONTEXT"],
    ".runs.workflow_run": ["RESOURCE_TYPE", "WorkflowRun"],
    ".runs.workflow_run_batch": ["SampleSheetError", "WorkflowRunBatch"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
# Spelled out for type checkers and linters; tests/test_public_api.py checks it names what _EXPORTS does.
__all__ = ["BatchStatus", "CacheBehavior", "Configuration", "DEFAULT_EXCLUDES", "DEFAULT_RUN_GROUP_LIMITS",
           "DeletePolicy", "HEALTHOMICS_DESCRIPTIONS", "HealthOmicsRun", "HealthOmicsRunBatch", "IConfiguration",
           "IRunCache", "IRunGroup", "IWorkflow", "LogLevel", "NetworkingMode", "OutputUriPrefixMode",
           "ProvenanceWriter", "RESOURCE_TYPE", "RetentionMode", "RunCache", "RunGroup", "RunOutputBucket",
           "RunProps", "RunServiceRole", "RunStatus", "SampleSheetError", "ScratchStorageMode", "StorageType",
           "VERSIONS_FILE_CONTEXT", "ValidationError", "WaitFor", "Workflow", "WorkflowDefinitionProps",
           "WorkflowEngine", "WorkflowRun", "WorkflowRunBatch", "WorkflowType", "WorkflowVersion"]


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULE_OF[name], __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and editors, which do not run __getattr__
    from healthomics_run.after_run.provenance_writer import ProvenanceWriter
    from healthomics_run.infrastructure.configuration import Configuration, IConfiguration
    from healthomics_run.infrastructure.output_bucket import RunOutputBucket
    from healthomics_run.infrastructure.run_cache import IRunCache, RunCache
    from healthomics_run.infrastructure.run_group import IRunGroup, RunGroup
    from healthomics_run.infrastructure.service_role import RunServiceRole
    from healthomics_run.runs.health_omics_run import DEFAULT_RUN_GROUP_LIMITS, HealthOmicsRun, HealthOmicsRunBatch
    from healthomics_run.runs.run_props import RunProps
    from healthomics_run.runs.workflow_run import RESOURCE_TYPE, WorkflowRun
    from healthomics_run.runs.workflow_run_batch import SampleSheetError, WorkflowRunBatch
    from healthomics_run.workflows._version_record import VERSIONS_FILE_CONTEXT
    from healthomics_run.workflows.definition_files import DEFAULT_EXCLUDES
    from healthomics_run.workflows.workflow import (
        HEALTHOMICS_DESCRIPTIONS,
        IWorkflow,
        Workflow,
        WorkflowDefinitionProps,
        WorkflowVersion,
    )

    from .enums import (
        BatchStatus,
        CacheBehavior,
        DeletePolicy,
        LogLevel,
        NetworkingMode,
        OutputUriPrefixMode,
        RetentionMode,
        RunStatus,
        ScratchStorageMode,
        StorageType,
        WaitFor,
        WorkflowEngine,
        WorkflowType,
    )
    from .errors import ValidationError
