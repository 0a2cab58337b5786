"""Synth-time checks: the handler's rules, applied to whatever is known before deploy."""

from __future__ import annotations

import math
from typing import Any, Callable

import jsii
from aws_cdk import Acknowledgment, Stack, Token, Validations

from constructs import Construct, IConstruct, IValidation

# CDK encodes a string token as "${Token[...]}" inside the string, a list token's items as "#{Token[...]}",
# and a number token as a double near -1.8881545897087626e+289. Strings are told by their marks alone, and
# numbers far from that need no round trip through jsii either (synthesis asks this of every prop of every run).
_STRING_TOKEN_MARKS = ("${Token[", "#{Token[")
_NUMBER_TOKEN_MAGNITUDE = 1e280


def is_unresolved(value: Any) -> bool:
    """True for a scalar only known at deploy time (a token). Containers are checked item by
    item by the rules themselves, so one token inside a mapping does not hide the rest.

    Only values jsii can carry are asked about: a set or bytes would raise in jsii, and NaN or an
    infinity would stop its kernel (number tokens are finite numbers).
    """
    if value is None or isinstance(value, (bool, dict, list, tuple)):
        return False
    if isinstance(value, str):  # the mark is the token: no literal a user writes carries it
        return _STRING_TOKEN_MARKS[0] in value or _STRING_TOKEN_MARKS[1] in value
    if isinstance(value, (int, float)):
        return math.isfinite(value) and abs(value) > _NUMBER_TOKEN_MAGNITUDE and Token.is_unresolved(value)
    # neither a string nor a number: only a jsii object (such as an IResolvable) can be a token
    return hasattr(type(value), "__jsii_type__") and Token.is_unresolved(value)


@jsii.implements(IValidation)
class _Check:
    def __init__(self, errors: Callable[[], list[str]]) -> None:
        self._errors = errors

    def validate(self) -> list[str]:
        return list(self._errors())


def add_check(construct: Construct, errors: Callable[[], list[str]]) -> None:
    """Fail synthesis with ``errors()``; the messages name the prop and the allowed values."""
    construct.node.add_validation(_Check(errors))


def acknowledge(construct: IConstruct, *findings: tuple[str, str]) -> None:
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
