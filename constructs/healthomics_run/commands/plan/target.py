"""What a resource's runs run on: workflow, version, storage, run group and its limits, how the deploy waits.

Read from the head template's properties. A workflow, version or run group made in the same template
(``AWS::Omics::Workflow``, ``AWS::Omics::WorkflowVersion``, ``AWS::Omics::RunGroup``) is referred to by
``Fn::GetAtt``/``Ref``, whose value CloudFormation knows only at deploy time; the plan then reads what
the referred resource's own properties say (the workflow's ``Name``, the version's ``VersionName``, the
run group's ``MaxRuns``/``MaxCpus``/``MaxDuration``), so that history and limits still apply. A workflow made in
another stack of the app comes as ``Fn::ImportValue`` of that stack's export, whose value is the workflow's
``Fn::GetAtt [Workflow, Id]`` (CloudFormation User Guide, "Fn::ImportValue"); ``imported_workflow`` reads it
there. Such a workflow is known by its construct path and its definition's digest, and matched to the history by
its ``Name``: its id is known only at deploy time, so the earlier runs are those of workflows of that name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from healthomics_run.run_model import fields
from healthomics_run.run_model.settings import CHECK_RESOURCE_TYPE

from .assembly import StackTemplate

_DEFAULT_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class RunGroupLimits:
    max_runs: int | None = None
    max_cpus: int | None = None
    max_duration_minutes: float | None = None
    max_gpus: int | None = None


@dataclass(frozen=True)
class Target:
    workflow: Any  # the WorkflowId property as written (a literal id, or a deploy-time value)
    workflow_key: str | None  # what the history knows the workflow by: its id, else its name; None: unknown
    version: str | None
    storage_type: Any  # None: the service default
    storage_capacity: Any
    run_group: Any  # the RunGroupId property as written; None: no run group
    run_group_limits: RunGroupLimits | None  # None: no run group, or its limits are not in the template
    wait_for: str
    timeout_seconds: int
    workflow_type: str | None = None  # PRIVATE, READY2RUN; None: not set (PRIVATE) or known only at deploy time
    workflow_made: str | None = None  # the AWS::Omics::Workflow of the app the runs run (its construct path)
    workflow_digest: str | None = None  # that workflow's definition digest (``definition_digest``)
    workflow_stack: str | None = None  # the stack that makes it


# Properties of AWS::Omics::Workflow and AWS::Omics::WorkflowVersion that are not its definition: what the runs
# run is the rest (DefinitionUri, DefinitionRepository, Main, Engine, ParameterTemplate, Accelerators, ...).
NOT_DEFINITION = frozenset({"Name", "Description", "Tags", "VersionName", "WorkflowId", "StorageType",
                            "StorageCapacity"})


def definition(resource: dict[str, Any]) -> dict[str, Any]:
    """A workflow's or workflow version's definition: its properties but its names, description, tags, storage."""
    return {key: value for key, value in (resource.get("Properties") or {}).items() if key not in NOT_DEFINITION}


def definition_digest(resource: dict[str, Any]) -> str:
    """The first 12 hex digits of the SHA-256 of the definition as canonical JSON: the same definition, the same
    digest (a CDK asset's DefinitionUri names the asset's own hash)."""
    text = json.dumps(definition(resource), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def resource_path(stack: StackTemplate, logical_id: str) -> str:
    path = (stack.resources[logical_id].get("Metadata") or {}).get("aws:cdk:path", f"{stack.name}/{logical_id}")
    return str(path).removesuffix("/Resource")


def exported(name: Any, stacks: dict[str, StackTemplate]) -> tuple[StackTemplate, Any] | None:
    """The stack that exports ``name`` and the value it exports."""
    if not isinstance(name, str):
        return None
    for stack in stacks.values():
        for output in (stack.template.get("Outputs") or {}).values():
            if (output.get("Export") or {}).get("Name") == name:
                return stack, output.get("Value")
    return None


def _logical_id(value: Any, stack: StackTemplate) -> str | None:
    resource = _referred(value, stack)
    return next((key for key, item in stack.resources.items() if item is resource), None) if resource else None


def _made(goal: Target, value: Any, stack: StackTemplate) -> Target:
    """``goal`` with the workflow ``value`` refers to in ``stack``, when it is an AWS::Omics::Workflow."""
    logical_id = _logical_id(value, stack)
    resource = stack.resources.get(logical_id) if logical_id else None
    if logical_id is None or resource is None or resource.get("Type") != "AWS::Omics::Workflow":
        return goal
    name = (resource.get("Properties") or {}).get("Name")
    return dataclasses.replace(goal, workflow_key=name if isinstance(name, str) else goal.workflow_key,
                               workflow_made=resource_path(stack, logical_id),
                               workflow_digest=definition_digest(resource), workflow_stack=stack.name)


def imported_workflow(goal: Target, stacks: dict[str, StackTemplate]) -> Target:
    """``goal`` whose workflow is another stack's export (``Fn::ImportValue``): that stack's workflow."""
    value = goal.workflow
    if not isinstance(value, dict) or set(value) != {"Fn::ImportValue"}:
        return goal
    found = exported(value["Fn::ImportValue"], stacks)
    return goal if found is None else _made(goal, found[1], found[0])


def _referred(value: Any, stack: StackTemplate) -> dict[str, Any] | None:
    """The resource a ``Ref``/``Fn::GetAtt`` value names in the stack, if any."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (key, item), = value.items()
    if key == "Ref" and isinstance(item, str):
        return stack.resources.get(item)
    if key == "Fn::GetAtt":
        logical_id = item[0] if isinstance(item, list) else str(item).split(".")[0]
        return stack.resources.get(logical_id)
    return None


def _literal_or(value: Any, stack: StackTemplate, resource_type: str, prop: str) -> str | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    resource = _referred(value, stack)
    if resource is not None and resource.get("Type") == resource_type:
        named = (resource.get("Properties") or {}).get(prop)
        return named if isinstance(named, str) else None
    return None


def _limits(value: Any, stack: StackTemplate) -> RunGroupLimits | None:
    resource = _referred(value, stack)
    if resource is None or resource.get("Type") != "AWS::Omics::RunGroup":
        return None
    props = resource.get("Properties") or {}

    def number(name: str) -> float | None:
        raw = props.get(name)
        try:
            return float(raw) if raw is not None else None
        except (TypeError, ValueError):
            return None  # a deploy-time value

    runs, cpus, gpus = number("MaxRuns"), number("MaxCpus"), number("MaxGpus")
    return RunGroupLimits(max_runs=int(runs) if runs else None, max_cpus=int(cpus) if cpus else None,
                          max_duration_minutes=number("MaxDuration"), max_gpus=int(gpus) if gpus else None)


def _completion_wait(stack: StackTemplate, logical_id: str) -> int | None:
    """The timeout of the wait condition that waits for the resource's runs to complete (``wait_for``
    COMPLETED past 50 minutes: a completion check signals a ``AWS::CloudFormation::WaitCondition``)."""
    for resource in stack.resources.values():
        props = resource.get("Properties") or {}
        if resource.get("Type") != CHECK_RESOURCE_TYPE or _referred(props.get("Id"), stack) is not \
                stack.resources.get(logical_id):
            continue
        for condition in stack.resources.values():
            if condition.get("Type") == "AWS::CloudFormation::WaitCondition" and \
                    (condition.get("Properties") or {}).get("Handle") == props.get("Handle"):
                return int(str(condition["Properties"].get("Timeout", 0)))
    return None


def target(stack: StackTemplate, logical_id: str, properties: dict[str, Any]) -> Target:
    waited = _completion_wait(stack, logical_id)
    workflow = properties.get("WorkflowId")
    key = _literal_or(workflow, stack, "AWS::Omics::Workflow", "Name")
    version = _literal_or(properties.get("WorkflowVersionName"), stack, "AWS::Omics::WorkflowVersion", "VersionName")
    run_group = properties.get("RunGroupId")
    try:
        timeout = int(str(properties.get(fields.TIMEOUT_SECONDS, _DEFAULT_TIMEOUT_SECONDS)))
    except ValueError:
        timeout = _DEFAULT_TIMEOUT_SECONDS
    return _made(Target(workflow=workflow, workflow_key=key, version=version,
                  storage_type=properties.get("StorageType"),
                  storage_capacity=properties.get("StorageCapacity"), run_group=run_group,
                  run_group_limits=_limits(run_group, stack) if run_group is not None else None,
                  wait_for="COMPLETED" if waited else str(properties.get(fields.WAIT_FOR, "STARTED")),
                  timeout_seconds=waited or timeout,
                  workflow_type=kind if isinstance(kind := properties.get("WorkflowType"), str) else None),
                 workflow, stack)


def _versions(stack: StackTemplate) -> dict[tuple[str, str], str]:
    """(the WorkflowId as written, the VersionName) -> logical id, of the stack's AWS::Omics::WorkflowVersion
    resources whose version name is a literal."""
    found = {}
    for logical_id, resource in stack.resources.items():
        props = resource.get("Properties") or {}
        name = props.get("VersionName")
        if resource.get("Type") == "AWS::Omics::WorkflowVersion" and isinstance(name, str):
            found[(json.dumps(props.get("WorkflowId"), sort_keys=True), name)] = logical_id
    return found


def _workflow_replaced(workflow: Any, old: StackTemplate, new: StackTemplate) -> bool:
    """Whether the workflow a version belongs to is one of the stack's own whose definition changes: it is replaced,
    and its versions with it (the new workflow has no version of that name yet)."""
    logical_id = _logical_id(workflow, new)
    before, after = old.resources.get(logical_id or ""), new.resources.get(logical_id or "")
    return before is not None and after is not None and after.get("Type") == "AWS::Omics::Workflow" \
        and definition_digest(before) != definition_digest(after)


def version_warnings(base: dict[str, StackTemplate], head: dict[str, StackTemplate]) -> list[str]:
    """A workflow version whose definition changes under the same version name, or whose version name moves to a
    new logical id: ``VersionName``, ``WorkflowId`` and the definition of ``AWS::Omics::WorkflowVersion`` are
    create-only (workflow versions are immutable: HealthOmics guide, "Workflow versioning"), so CloudFormation
    replaces it, creating the new version before deleting the old one; the workflow already has a version of that
    name, and the deploy fails."""
    found = []
    for name in sorted(base.keys() & head.keys()):
        old, new = base[name], head[name]
        before = _versions(old)
        for key, logical_id in sorted(_versions(new).items()):
            was = before.get(key)
            if was is None or _workflow_replaced(json.loads(key[0]), old, new):
                continue
            path, version = resource_path(new, logical_id), key[1]
            if was != logical_id:
                found.append(f"{path}: workflow version {version} moves from {resource_path(old, was)} to a new "
                             "logical id under the same version name: CloudFormation creates the new version before "
                             "deleting the old one, whose name it still holds, so the deploy fails; give it a new "
                             "version_name")
                continue
            was_made, made = definition(old.resources[was]), definition(new.resources[logical_id])
            changed = sorted(prop for prop in was_made.keys() | made.keys() if was_made.get(prop) != made.get(prop))
            if changed:
                found.append(f"{path}: workflow version {version}'s definition changed ({', '.join(changed)}) under "
                             "the same version name: a version's name and definition are create-only in "
                             "CloudFormation (versions are immutable), so it replaces the version, creating the new "
                             "one before deleting the old one, whose name it still holds: the deploy fails; give the "
                             "changed definition a new version_name")
    return found
