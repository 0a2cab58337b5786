"""Where a run may reach: one rule for references across Regions and accounts, checked at the user's line.

**The rule.** A run uses only workflows, run caches and ECR repositories of its own Region: HealthOmics is a
Regional service (its workflow and run cache ARNs name their Region, and StartRun finds them in the Region it is
called in), and it pulls images only from ECR repositories "in the same AWS Region as the account calling the
service" (HealthOmics guide, "Container images for private workflows",
https://docs.aws.amazon.com/omics/latest/dev/workflows-ecr.html). Another **account** is fine where HealthOmics
shares across accounts (a workflow shared with yours, named by ``Workflow.from_workflow_id(..., owner_id=...)``; an
image whose repository policy lets yours pull), but a construct of another account's stack is not: CloudFormation
cannot pass its attributes across accounts. So a ``Workflow`` or ``RunCache`` of a stack in another Region or
account, an imported run cache whose ARN names another Region, or an ECR repository of another Region raises a
``ValidationError`` that names both Regions (or accounts); what is known only at deploy time is left alone.
"""

from __future__ import annotations

import weakref
from typing import Any, Iterable, Optional

from aws_cdk import CfnResource, Stack, Token

from constructs import Construct

from .tree import path_of, stack_of


def _known(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value and not Token.is_unresolved(value) else None


Where = tuple[Optional[str], Optional[str], bool]
# Each resource's answer, asked of jsii once: a cohort's runs share one role, bucket, run group and workflow, and
# an environment is fixed when its construct is made.
_WHERE: weakref.WeakKeyDictionary[Any, Where] = weakref.WeakKeyDictionary()
_STACKS: weakref.WeakKeyDictionary[Stack, tuple[Optional[str], Optional[str]]] = weakref.WeakKeyDictionary()


def _where(resource: Any) -> Where:
    """(Region, account, whether it is made in a stack of this app) of ``resource``, as known at synth: an
    ``IResource``'s ``env`` is its stack's, or for an import by ARN, the ARN's."""
    try:
        found = _WHERE.get(resource)
    except TypeError:  # a value that takes no weak reference is not kept: asked each time
        return _locate(resource)
    if found is None:
        found = _WHERE[resource] = _locate(resource)
    return found


def _locate(resource: Any) -> Where:
    env = getattr(resource, "env", None)
    if env is None:
        return None, None, False
    made_here = isinstance(resource, Construct) and isinstance(resource.node.default_child, CfnResource)
    return _known(env.region), _known(env.account), made_here


def _stack_env(stack: Stack) -> tuple[Optional[str], Optional[str]]:
    if stack not in _STACKS:
        _STACKS[stack] = (_known(stack.region), _known(stack.account))
    return _STACKS[stack]


def foreign_problems(here: Construct, what: str, given: Iterable[tuple[str, Any]], *,
                     accounts: bool = True) -> list[str]:
    """Each of ``given`` (prop name, resource) in another Region than ``here``'s stack, or made in a stack of
    another account (unless not ``accounts``: ECR images may come from another account); ``what`` names ``here``
    ("this run", "this workflow")."""
    region, account = _stack_env(stack_of(here))
    problems = []
    for prop, resource in given:
        if resource is None:
            continue
        theirs, their_account, made_here = _where(resource)
        name = path_of(resource) if isinstance(resource, Construct) else repr(resource)
        if region and theirs and theirs != region:
            problems.append(
                f"{prop} {name} is in Region {theirs}, and {what} is in {region}: HealthOmics uses only what is in "
                f"the Region of the run. Put {what} in a stack of {theirs}, or make (or copy) {prop} in {region}")
        elif accounts and made_here and account and their_account and their_account != account:
            problems.append(
                f"{prop} {name} is made in a stack of account {their_account}, and {what} is in {account}: a stack "
                "cannot use another account's resources by reference. Share it with this account and import it "
                "by id here (for a workflow, Workflow.from_workflow_id(..., owner_id=...))")
    return problems
