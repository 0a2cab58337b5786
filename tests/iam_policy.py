"""IAM policy evaluation, as AWS documents it, over the statements of a synthesized template.

The test world asks one question of it: may this principal do this action on this resource, given
these request context keys? The answer follows the IAM User Guide's "Policy evaluation logic"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

- an explicit Deny in any applicable policy wins;
- within one account, an Allow in the identity policy *or* in the resource policy is enough
  ("Identity-based and resource-based policies", same-account requests);
- across accounts, both the identity policy and the resource policy must allow
  ("Cross-account policy evaluation logic");
- KMS is the exception: a key's key policy must allow, either the principal directly or the account
  (``arn:aws:iam::<account>:root``), which delegates to the account's IAM policies (AWS KMS Developer
  Guide, "Default key policy": "allows IAM policies to allow access to the KMS key").

Condition operators and keys are those the library's templates use; an operator this module does not
know raises, so that a policy the world cannot read fails a test instead of being guessed at.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

Statement = dict[str, Any]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, case_sensitive: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, 0 if case_sensitive else re.IGNORECASE)


def _glob(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character (IAM User Guide, "IAM JSON policy
    elements: Resource", wildcards); nothing else is special."""
    return _compiled(pattern, case_sensitive).fullmatch(value) is not None


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """Action names are case-insensitive (IAM User Guide, "IAM JSON policy elements: Action")."""
    return any(_glob(pattern, action, case_sensitive=False) for pattern in patterns)


def resource_matches(patterns: Iterable[str], resource: str) -> bool:
    return any(_glob(pattern, resource) for pattern in patterns)


_STRING_OPERATORS = {
    "StringEquals": lambda want, got: want == got,
    "StringNotEquals": lambda want, got: want != got,
    "StringLike": lambda want, got: _glob(want, got),
    "StringNotLike": lambda want, got: not _glob(want, got),
    "ArnEquals": lambda want, got: want == got,
    "ArnLike": lambda want, got: _glob(want, got),
    "ArnNotLike": lambda want, got: not _glob(want, got),
    "Bool": lambda want, got: str(want).lower() == str(got).lower(),
    "NumericLessThan": lambda want, got: float(got) < float(want),
    "NumericLessThanEquals": lambda want, got: float(got) <= float(want),
    "NumericGreaterThanEquals": lambda want, got: float(got) >= float(want),
}
_NEGATED = {"StringNotEquals", "StringNotLike", "ArnNotLike"}


def conditions_hold(conditions: Optional[dict[str, dict[str, Any]]], context: dict[str, Any]) -> bool:
    """Every operator and key of a Condition block holds (IAM User Guide, "Condition element": keys AND-ed,
    values of one key OR-ed; a key missing from the request fails the condition, except with ``...IfExists``
    and the negated operators, which hold for a missing key)."""
    for operator, keys in (conditions or {}).items():
        if_exists = operator.endswith("IfExists")
        base = operator.removesuffix("IfExists")
        if base not in _STRING_OPERATORS:
            raise NotImplementedError(f"condition operator {operator} is not modelled by the test world")
        test = _STRING_OPERATORS[base]
        for key, wanted in keys.items():
            got = context.get(key)
            if got is None:
                if if_exists or base in _NEGATED:
                    continue
                return False
            got_values = _as_list(got)
            if base in _NEGATED:  # every value given must differ from every value wanted
                if not all(test(want, value) for want in _as_list(wanted) for value in got_values):
                    return False
            elif not any(test(want, value) for want in _as_list(wanted) for value in got_values):
                return False
    return True


def principal_matches(principal: Any, who: "Caller") -> bool:
    """Whether a resource policy's ``Principal`` names the caller: ``*``, its account (id or root ARN), its
    role ARN, or (for a service) the service principal."""
    if principal == "*":
        return True
    for kind, values in principal.items():
        for value in _as_list(values):
            if kind == "AWS" and (value == "*" or value in (who.arn, who.account, f"arn:aws:iam::{who.account}:root")):
                return True
            if kind == "Service" and value == who.service:
                return True
    return False


@dataclass(frozen=True)
class Caller:
    """Who makes a request: a role of an account, or an AWS service acting for itself."""

    account: str
    arn: str = ""
    service: str = ""


def _applies(statement: Statement, action: str, resource: str, context: dict[str, Any]) -> bool:
    if "Action" in statement and not action_matches(_as_list(statement["Action"]), action):
        return False
    if "NotAction" in statement and action_matches(_as_list(statement["NotAction"]), action):
        return False
    if "Resource" in statement and not resource_matches(_as_list(statement["Resource"]), resource):
        return False
    if "NotResource" in statement and resource_matches(_as_list(statement["NotResource"]), resource):
        return False
    return conditions_hold(statement.get("Condition"), context)


def _effects(statements: Iterable[Statement], action: str, resource: str, context: dict[str, Any],
             who: Optional[Caller] = None) -> set[str]:
    found = set()
    for statement in statements:
        if who is not None and not principal_matches(statement.get("Principal", {}), who):
            continue
        if _applies(statement, action, resource, context):
            found.add(statement["Effect"])
    return found


@dataclass
class Decision:
    allowed: bool
    why: str


@dataclass
class Policies:
    """The policies that bear on one request: the caller's identity statements and the resource's policy."""

    identity: list[Statement] = field(default_factory=list)
    resource: list[Statement] = field(default_factory=list)
    resource_account: str = ""

    def decide(self, who: Caller, action: str, resource: str, context: dict[str, Any], *,
               key_policy: bool = False) -> Decision:
        context = {"aws:PrincipalAccount": who.account, **({"aws:PrincipalArn": who.arn} if who.arn else {}),
                   **context}
        mine = _effects(self.identity, action, resource, context) if not who.service else set()
        theirs = _effects(self.resource, action, resource, context, who)
        if "Deny" in mine | theirs:
            return Decision(False, f"an explicit Deny for {action} on {resource}")
        if key_policy:  # the key policy decides; naming the account delegates to the caller's IAM policies
            account = Caller(account=who.account, arn=f"arn:aws:iam::{who.account}:root")
            delegated = "Allow" in _effects(self.resource, action, resource, context, account) and \
                who.account == (self.resource_account or who.account)
            if "Allow" in theirs and (who.service or self._direct(who, action, resource, context)):
                return Decision(True, "the key policy names the caller")
            if delegated and "Allow" in mine:
                return Decision(True, "the key policy delegates to IAM, and the caller's policy allows")
            return Decision(False, f"no key policy statement, or IAM policy it delegates to, allows {action} on "
                                   f"{resource}")
        same_account = who.account == (self.resource_account or who.account)
        if same_account and "Allow" in mine | theirs:
            return Decision(True, "allowed")
        if not same_account and "Allow" in mine and "Allow" in theirs:
            return Decision(True, "allowed across accounts by both policies")
        if not same_account and "Allow" in mine:
            return Decision(False, f"the resource's policy (account {self.resource_account}) does not allow "
                                   f"{action} to {who.arn or who.service}")
        return Decision(False, f"no identity-based policy allows the {action} action on {resource}")

    def _direct(self, who: Caller, action: str, resource: str, context: dict[str, Any]) -> bool:
        """Whether a key policy statement names the caller itself (not only its account)."""
        for statement in self.resource:
            principal = statement.get("Principal", {})
            if statement["Effect"] != "Allow" or principal == "*":
                continue
            named = [value for values in principal.values() for value in _as_list(values)]
            if who.arn in named and _applies(statement, action, resource, context):
                return True
        return False


def matching_allows(statements: Iterable[Statement], action: str, resource: str) -> bool:
    """Whether any Allow statement names ``action`` on ``resource``, whatever its conditions: for checks of
    what a template grants at all."""
    return any(statement["Effect"] == "Allow" and _applies({**statement, "Condition": None}, action, resource, {})
               for statement in statements)

