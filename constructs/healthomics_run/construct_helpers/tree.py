"""Where a construct stands in the tree (its stack, its path), asked of jsii once per scope.

Each question about the tree is a round trip to jsii's Node process. A cohort's runs share one scope, and a
construct's stack and path never change once it is made, so the answers are kept: a stack of 1,000 runs asks
jsii once for its stack, not a few thousand times (``bench/``: synthesis against the plain-CDK peer).
"""

from __future__ import annotations

import re
import weakref

from aws_cdk import Stack

from constructs import Construct, IConstruct

_STACK: weakref.WeakKeyDictionary[IConstruct, Stack] = weakref.WeakKeyDictionary()
_PATH: weakref.WeakKeyDictionary[IConstruct, str] = weakref.WeakKeyDictionary()
# Ids the constructs library keeps as they are in a path: it replaces only its separators ("/", and the newline of
# node addresses) with "--". Any other id is looked up, not predicted.
_KEPT_ID = re.compile(r"[A-Za-z0-9_.-]+")


def stack_of(construct: IConstruct) -> Stack:
    """``Stack.of(construct)``, asked once per construct."""
    stack = _STACK.get(construct)
    if stack is None:
        stack = _STACK[construct] = Stack.of(construct)
    return stack


def path_of(construct: IConstruct) -> str:
    """``construct.node.path``, asked once per construct."""
    path = _PATH.get(construct)
    if path is None:
        path = _PATH[construct] = construct.node.path
    return path


def placed(child: Construct, scope: Construct, id: str) -> None:
    """Record what ``child`` (just made in ``scope`` as ``id``, and not itself a stack) shares with its scope:
    its stack is the scope's, and its path the scope's path and its id, so neither is asked of jsii again."""
    _STACK[child] = stack_of(scope)
    if _KEPT_ID.fullmatch(id):
        scope_path = path_of(scope)
        _PATH[child] = f"{scope_path}/{id}" if scope_path else id


def in_a_stack(scope: Construct) -> bool:
    """Whether ``scope`` is a stack or inside one (known without asking jsii once it has been answered)."""
    if scope in _STACK:
        return True
    if Stack.is_stack(scope):
        _STACK[scope] = scope
        return True
    return any(Stack.is_stack(node) for node in scope.node.scopes)
