"""What the library retains stays retained: a synth warning when a resource it retains ends up deleted with its stack.

The library gives ``RemovalPolicy.RETAIN`` to what outlives a stack's deletion: the output bucket (and its access
log bucket), the run service role, and the run group and run cache of runs that are retained. A later
``RemovalPolicies.of(scope).destroy()`` (aws-cdk-lib's aspect over every resource of the scope) or
``apply_removal_policy(DESTROY)`` silently turns them to ``DeletionPolicy: Delete``. Aspects run before validation
at synthesis, so a check there sees the template's final ``DeletionPolicy`` and warns (``RETAINED_RESOURCE_DELETED``).
"""

from __future__ import annotations

import weakref

from aws_cdk import Annotations, CfnDeletionPolicy, CfnResource, Stack

from constructs import Construct

from .tree import path_of, stack_of
from .validation import add_check

RETAINED_RESOURCE_DELETED = "healthomics-run::retained-resource-deleted"


def expect_retained(construct: Construct, why: str) -> None:
    """Warn at synth if ``construct``'s CloudFormation resource is not retained then; ``why`` it should be."""
    stack = stack_of(construct)
    expected = _EXPECTED.get(stack)
    if expected is None:
        expected = _EXPECTED[stack] = {}
        add_check(stack, lambda: _warn_deleted(expected))
    expected[path_of(construct)] = (construct, why)


# Per stack: each retained construct's path -> (the construct, why it is retained).
_EXPECTED: weakref.WeakKeyDictionary[Stack, dict[str, tuple[Construct, str]]] = weakref.WeakKeyDictionary()


def _warn_deleted(expected: dict[str, tuple[Construct, str]]) -> list[str]:
    for construct, why in expected.values():
        resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
        if not isinstance(resource, CfnResource):
            continue
        policy = resource.cfn_options.deletion_policy
        if policy in (CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE):
            continue
        kind = resource.cfn_resource_type
        name = policy.name.title().replace("_", "") if policy is not None else "Delete (none given)"
        Annotations.of(construct).add_warning_v2(RETAINED_RESOURCE_DELETED, (
            f"{construct.node.path}: its {kind} has DeletionPolicy {name}, not Retain: {why}, yet `cdk destroy` "
            "would now delete it. Something overrode the library's RETAIN, such as RemovalPolicies.of(scope)"
            f".destroy(); leave it out with RemovalPolicies.of(scope).destroy(exclude_resource_types=['{kind}']), "
            f"or to accept it: Annotations.of(construct).acknowledge_warning({RETAINED_RESOURCE_DELETED!r}, reason)"))
    return []
