"""What a stack declares: its run and batch resources, with the physical ids CloudFormation holds for them.

From a deployed stack: the template CloudFormation keeps (GetTemplate, stage ``Original``) and the physical ids of
its resources (ListStackResources), nested stacks included. From a template file or a cloud assembly: the same
resources without physical ids (what ran is then found by the names the runs and batches carry).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

from botocore.exceptions import ClientError

from healthomics_run.commands.plan.assembly import PlanInputError, load
from healthomics_run.commands.plan.decide import KIND
from healthomics_run.commands.plan.decide import (
    _path as construct_path,  # the plan's reading of a resource's construct path, shared
)

PSEUDO = ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName", "AWS::StackId", "AWS::URLSuffix")


class StatusInputError(PlanInputError):
    """A stack or template the status cannot read; the message says which and why."""


@dataclass(frozen=True)
class Declared:
    stack: str
    logical_id: str
    path: str
    kind: str  # run, batch
    properties: dict[str, Any]  # as resolved as the stack's physical ids allow (see ``resolve``)
    physical_id: Optional[str] = None  # None: from a template, not a deployed stack
    stack_id: Optional[str] = None


def from_template(path: str) -> list[Declared]:
    """The run and batch resources of a template file or of every stack of a cloud assembly (``cdk.out``)."""
    return [Declared(stack.name, logical_id, construct_path(resource, f"{stack.name}/{logical_id}"),
                     KIND[resource["Type"]], resource.get("Properties") or {})
            for stack in load(path).values() for logical_id, resource in sorted(stack.resources.items())
            if resource.get("Type") in KIND]


def from_stack(cloudformation, stack_name: str) -> list[Declared]:
    """The run and batch resources of a deployed stack and of its nested stacks. ListStackResources, not
    DescribeStackResources: the latter returns only a stack's first 100 resources (CloudFormation API Reference,
    DescribeStackResources)."""
    try:
        stack_id = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackId"]
        body = cloudformation.get_template(StackName=stack_id, TemplateStage="Original")["TemplateBody"]
        physical = {summary["LogicalResourceId"]: summary.get("PhysicalResourceId")
                    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_id)
                    for summary in page["StackResourceSummaries"]}
    except ClientError as error:
        raise StatusInputError(f"stack {stack_name}: {error}") from error
    template = body if isinstance(body, dict) else _json(stack_name, body)
    refs = {**physical, **_pseudo(stack_id)}
    name = stack_id.split("/")[1]
    declared = []
    for logical_id, resource in sorted((template.get("Resources") or {}).items()):
        if resource.get("Type") in KIND:
            declared.append(Declared(name, logical_id, construct_path(resource, f"{name}/{logical_id}"),
                                     KIND[resource["Type"]], resolve(resource.get("Properties") or {}, refs),
                                     physical.get(logical_id), stack_id))
        elif resource.get("Type") == "AWS::CloudFormation::Stack" and physical.get(logical_id):
            declared += from_stack(cloudformation, physical[logical_id])
    return declared


def _json(stack_name: str, body: str) -> dict[str, Any]:
    try:
        return json.loads(body)
    except ValueError as error:
        raise StatusInputError(f"stack {stack_name}: its template is not JSON (YAML templates are not read)") from error


def _pseudo(stack_id: Optional[str]) -> dict[str, str]:
    if not stack_id:
        return {}
    partition, _, region, account = stack_id.split(":")[1:5]
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return dict(zip(PSEUDO, (region, account, partition, stack_id.split("/")[1], stack_id, suffix), strict=True))


def resolve(value: Any, refs: dict[str, Optional[str]]) -> Any:
    """``value`` with ``Ref`` (of a resource: its physical id; of a pseudo parameter), ``Fn::Join`` and ``Fn::Sub``
    (without a variable map) worked out; what cannot be (``Fn::GetAtt`` and the like) stays as it is."""
    if isinstance(value, list):
        return [resolve(item, refs) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, item), = value.items()
        if key == "Ref" and refs.get(item):
            return refs[item]
        if key == "Fn::Join" and isinstance(item, list) and len(item) == 2:
            parts = resolve(item[1], refs)
            if isinstance(parts, list) and all(isinstance(part, str) for part in parts):
                return item[0].join(parts)
        if key == "Fn::Sub" and isinstance(item, str):
            names = re.findall(r"\$\{([^}!]+)\}", item)
            if all(refs.get(name) for name in names):
                return re.sub(r"\$\{([^}!]+)\}", lambda match: refs[match[1]] or "", item)  # each has a value (above)
    return {key: resolve(item, refs) for key, item in value.items()}
