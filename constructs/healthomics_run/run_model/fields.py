"""The run settings this library passes to StartRun, and their CloudFormation property names.

One table drives the construct's properties, the handler's request, the fingerprint and the
validation, so a field added here is carried end to end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Field:
    prop: str  # CloudFormation property of Custom::HealthOmicsRun
    api: str  # StartRun request member (StartRunBatch defaultRunSetting member when ``batch_only``)
    snake: str  # construct prop
    # For a JSON document member: the property holding the JSON types of its leaves, which CloudFormation
    # turns into strings (see ``properties``).
    types: Optional[str] = None
    batch_only: bool = False  # a member of StartRunBatch's defaultRunSetting that StartRun does not have


START_RUN_FIELDS: tuple[Field, ...] = (
    Field("WorkflowId", "workflowId", "workflow_id"),
    Field("WorkflowType", "workflowType", "workflow_type"),
    Field("WorkflowVersionName", "workflowVersionName", "workflow_version_name"),
    Field("WorkflowOwnerId", "workflowOwnerId", "workflow_owner_id"),
    Field("SourceRunId", "runId", "source_run_id"),
    Field("RoleArn", "roleArn", "role_arn"),
    Field("OutputUri", "outputUri", "output_uri"),
    Field("Name", "name", "name"),
    Field("Parameters", "parameters", "parameters", types="ParameterTypes"),
    Field("ParametersUri", "parametersUri", "parameters_uri"),
    Field("Priority", "priority", "priority"),
    Field("StorageType", "storageType", "storage_type"),
    Field("StorageCapacity", "storageCapacity", "storage_capacity"),
    Field("CacheId", "cacheId", "cache_id"),
    Field("CacheBehavior", "cacheBehavior", "cache_behavior"),
    Field("RunGroupId", "runGroupId", "run_group_id"),
    Field("LogLevel", "logLevel", "log_level"),
    Field("RetentionMode", "retentionMode", "retention_mode"),
    Field("Tags", "tags", "tags"),
    Field("NetworkingMode", "networkingMode", "networking_mode"),
    Field("ConfigurationName", "configurationName", "configuration_name"),
    Field("OutputUriPrefixMode", "outputUriPrefixMode", "output_uri_prefix_mode"),
    Field("EngineSettings", "engineSettings", "engine_settings", types="EngineSettingsTypes"),
    Field("SessionPolicy", "sessionPolicy", "session_policy"),
    Field("ScratchStorageMode", "scratchStorageMode", "scratch_storage_mode"),
    Field("RequesterPaysEnabled", "requesterPaysEnabled", "requester_pays_enabled"),
    Field("OutputBucketOwnerId", "outputBucketOwnerId", "output_bucket_owner_id", batch_only=True),
)

BY_API = {field.api: field for field in START_RUN_FIELDS}
BATCH_ONLY = frozenset(field.api for field in START_RUN_FIELDS if field.batch_only)

# Members of the requests this library sends that no prop of the same name maps, and why: each is set by the
# library itself, or from a prop of another name. (A test fails when the shipped service model has a member
# that is neither mapped by a prop nor listed here.)
SET_BY_LIBRARY: dict[str, dict[str, str]] = {
    "StartRunRequest": {
        "requestId": "derived from the stack, the logical id and the run settings, so a retry starts nothing new",
        "roleArn": "the role prop (a RunServiceRole unless given)",
        "outputUri": "the output_uri prop of WorkflowRun; output_bucket and output_prefix of HealthOmicsRun",
        "runGroupId": "the run_group prop (a RunGroup, an IRunGroup or a run group id)",
    },
    "StartRunBatchRequest": {
        "requestId": "derived from the keys of exactly the samples a deploy starts, so a retry finds its batch",
        "batchName": "the batch_name keyword of WorkflowRunBatch (default: the construct's path)",
        "tags": "the shared tags prop: tags the batch, and (as runTags) every run",
        "defaultRunSetting": "the shared run props, each member mapped as in StartRun",
        "batchRunSettings": "samples or sample_sheet (inlineSettings up to 100, else s3UriSettings)",
    },
    "DefaultRunSetting": {
        "roleArn": "the role prop (a RunServiceRole unless given)",
        "outputUri": "the output_uri prop of WorkflowRunBatch; output_bucket and output_prefix of HealthOmicsRunBatch",
        "runGroupId": "the run_group prop (a RunGroup, an IRunGroup or a run group id)",
    },
    "InlineSetting": {},
}

# Settings of the construct itself. RerunToken changes the run (it feeds the fingerprint);
# the others only change how the handler behaves, so changing them starts nothing.
RERUN_TOKEN = "RerunToken"
# Staged parameters (stage_parameters): SHA-256 of their canonical JSON. It names the run in place of the
# file's location, so the same values staged again elsewhere, or with their keys reordered, start nothing.
PARAMETERS_DIGEST = "ParametersDigest"
DELETE_POLICY = "DeletePolicy"
WAIT_FOR = "WaitFor"
TIMEOUT_SECONDS = "TimeoutSeconds"

DELETE_POLICIES = ("RETAIN", "CANCEL")
WAIT_FOR_VALUES = ("STARTED", "RUNNING", "COMPLETED")
MAX_TAGS = 50
# Time limits, nested so that each message arrives before the limit above it cuts it off:
# - CloudFormation fails a custom resource that has not answered within its ServiceTimeout, at most
#   3,600 seconds (AWS::CloudFormation::CustomResource); we set it to the most, explicitly.
# - The Provider framework's waiter must answer (its timeout failure included) a minute before that:
#   on_event (at most FUNCTION_TIMEOUT_SECONDS) plus the waiter's total timeout plus one last is_complete.
# - The handler's own deadline (``timeout``) fails with its own message at least one query interval
#   and one is_complete before the waiter gives up with a bare "Operation timed out".
CFN_SERVICE_TIMEOUT_SECONDS = 3600
FUNCTION_TIMEOUT_SECONDS = 120
# A cohort Update at the ledger's cap (300,000 entries, samples of ten S3 URIs) adds at least 540 MB of resident
# memory to the handler's 37 MB (bench/results/cohorts.csv): 512 MB was not enough. 1,769 MB is one full vCPU
# ("Configure Lambda function memory", docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html), which
# also shortens the Update; the process's whole peak with the bench's fakes (1,162 MB) fits within it.
FUNCTION_MEMORY_MB = 1769
QUERY_INTERVAL_SECONDS = 30
PROVIDER_TOTAL_TIMEOUT_SECONDS = CFN_SERVICE_TIMEOUT_SECONDS - 60 - 2 * FUNCTION_TIMEOUT_SECONDS  # 3,300 s
MAX_TIMEOUT_SECONDS = 3000  # 50 minutes: the longest `timeout` the provider itself waits
# Longer waits for COMPLETED use a CloudFormation wait condition, which waits at most 12 hours.
MAX_WAIT_CONDITION_SECONDS = 43200
