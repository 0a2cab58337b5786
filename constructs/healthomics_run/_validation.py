"""Synth-time checks: the handler's rules, applied to whatever is known before deploy."""

from __future__ import annotations

import math
from typing import Any, Callable

import jsii
from aws_cdk import Acknowledgment, Stack, Token, Validations
from constructs import Construct, IValidation


def is_unresolved(value: Any) -> bool:
    """True for a scalar only known at deploy time (a token). Containers are checked item by
    item by the rules themselves, so one token inside a mapping does not hide the rest.

    Only values jsii can carry are asked about: a set or bytes would raise in jsii, and NaN or an
    infinity would stop its kernel (number tokens are finite numbers).
    """
    if isinstance(value, (dict, list, tuple)) or (isinstance(value, float) and not math.isfinite(value)):
        return False
    if not isinstance(value, (str, int, float)) and not hasattr(type(value), "__jsii_type__"):
        return False  # neither a string, a number nor a jsii object (such as an IResolvable): not a token
    return Token.is_unresolved(value)


@jsii.implements(IValidation)
class _Check:
    def __init__(self, errors: Callable[[], list[str]]) -> None:
        self._errors = errors

    def validate(self) -> list[str]:
        return list(self._errors())


def add_check(construct: Construct, errors: Callable[[], list[str]]) -> None:
    """Fail synthesis with ``errors()``; the messages name the prop and the allowed values."""
    construct.node.add_validation(_Check(errors))


def acknowledge(construct: Construct, *findings: tuple[str, str]) -> None:
    """Acknowledge cdk-nag findings on ``construct`` (and below), each with a reason to review."""
    Validations.of(construct).acknowledge(*(Acknowledgment(id=rule, reason=reason) for rule, reason in findings))


def wildcard_finding(scope: Construct, arn: str) -> str:
    """The id cdk-nag gives the IAM5 finding for a wildcard resource ``arn`` (tokens as ``<Name>``)."""

    def part(value: Any) -> str:
        if isinstance(value, str):
            return value
        if "Ref" in value:
            return f"<{value['Ref']}>"
        if "Fn::GetAtt" in value:
            return "<{}.{}>".format(*value["Fn::GetAtt"])
        raise ValueError(f"cannot name {value!r} as cdk-nag does")

    resolved = Stack.of(scope).resolve(arn)
    parts = resolved["Fn::Join"][1] if isinstance(resolved, dict) and "Fn::Join" in resolved else [resolved]
    return f"AwsSolutions-IAM5[Resource::{''.join(part(p) for p in parts)}]"
