"""IAM policy evaluation, as AWS documents it, over the statements of a synthesized template.

The test world asks one question of it: may this principal do this action on this resource, given
these request context keys? The answer follows the IAM User Guide's "Policy evaluation logic"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

- an explicit Deny in any applicable policy wins (identity, resource, session policy); a resource policy's
  ``Deny`` with ``NotPrincipal`` denies every principal it does not name ("AWS JSON policy elements:
  NotPrincipal");
- a session policy limits the session: what the identity policy (or a resource policy naming the role)
  allows counts only where the session policy allows it too ("Permissions for AssumeRole, ...": "the
  intersection of the role's identity-based policy and the session policies");
- within one account, an Allow in the identity policy *or* a resource policy naming the caller is enough;
  a resource policy naming only the *account* delegates to the account's IAM policies ("AWS JSON policy
  elements: Principal", AWS account principals);
- across accounts, both the identity policy and the resource policy must allow ("Cross-account policy
  evaluation logic");
- KMS is the exception: the key policy must allow, either the principal directly or the account
  (``arn:aws:iam::<account>:root``), which delegates to the account's IAM policies (AWS KMS Developer
  Guide, "Default key policy"); a caller of another account needs the key policy *and* its own IAM policy
  ("Allowing users in other accounts to use a KMS key").

Condition keys are compared case-insensitively, values as their operator says ("IAM JSON policy elements:
Condition"). An operator this module does not know raises, so that a policy the world cannot read fails a
test instead of being guessed at.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

Statement = dict[str, Any]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, case_sensitive: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE)


def _glob(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character (IAM User Guide, "IAM JSON policy
    elements: Resource", wildcards); nothing else is special."""
    return _compiled(str(pattern), case_sensitive).fullmatch(str(value)) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ARN operators compare each of the six colon-delimited parts separately, each with ``*`` and ``?``
    (IAM User Guide, "IAM JSON policy elements: Condition operators", ARN condition operators)."""
    wanted, got = str(pattern).split(":", 5), str(value).split(":", 5)
    return len(wanted) == len(got) == 6 and all(_glob(w, g) for w, g in zip(wanted, got, strict=True))


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """Action names are case-insensitive (IAM User Guide, "IAM JSON policy elements: Action")."""
    return any(_glob(pattern, action, case_sensitive=False) for pattern in patterns)


def resource_matches(patterns: Iterable[str], resource: str) -> bool:
    """Resource ARNs are case-sensitive, with ``*`` and ``?`` (IAM User Guide, "IAM JSON policy elements:
    Resource")."""
    return any(_glob(pattern, resource) for pattern in patterns)


def _number(value: Any) -> float:
    return float(value)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "StringEquals": lambda want, got: str(want) == str(got),
    "StringNotEquals": lambda want, got: str(want) != str(got),
    "StringEqualsIgnoreCase": lambda want, got: str(want).lower() == str(got).lower(),
    "StringNotEqualsIgnoreCase": lambda want, got: str(want).lower() != str(got).lower(),
    "StringLike": lambda want, got: _glob(want, got),
    "StringNotLike": lambda want, got: not _glob(want, got),
    "ArnEquals": lambda want, got: str(want) == str(got),
    "ArnNotEquals": lambda want, got: str(want) != str(got),
    "ArnLike": _arn_like,
    "ArnNotLike": lambda want, got: not _arn_like(want, got),
    "Bool": lambda want, got: str(want).lower() == str(got).lower(),
    "NumericEquals": lambda want, got: _number(got) == _number(want),
    "NumericNotEquals": lambda want, got: _number(got) != _number(want),
    "NumericLessThan": lambda want, got: _number(got) < _number(want),
    "NumericLessThanEquals": lambda want, got: _number(got) <= _number(want),
    "NumericGreaterThan": lambda want, got: _number(got) > _number(want),
    "NumericGreaterThanEquals": lambda want, got: _number(got) >= _number(want),
}
_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
            "NumericNotEquals"}


def _lookup(context: dict[str, Any], key: str) -> Any:
    """The request's value for a condition key: key names are not case-sensitive (IAM User Guide, "IAM JSON
    policy elements: Condition": "Context key names are not case-sensitive")."""
    wanted = key.lower()
    for name, value in context.items():
        if name.lower() == wanted:
            return value
    return None


def _condition_holds(operator: str, key: str, wanted: Any, context: dict[str, Any]) -> bool:
    qualifier, _, operator_name = operator.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise NotImplementedError(f"condition operator {operator} is not modelled by the test world")
    got = _lookup(context, key)
    missing = got is None or got == []
    if qualifier and got in ("", [""]):  # "a null dataset, such as an empty string" ("Single-valued vs.
        missing = True  # multivalued context keys"): ForAllValues holds for it, ForAnyValue does not
    if operator_name == "Null":  # "true": the key is absent; "false": it is present (Condition operators, Null)
        return any(str(want).lower() == ("true" if missing else "false") for want in _as_list(wanted))
    if_exists = operator_name.endswith("IfExists")
    base = operator_name.removesuffix("IfExists")
    if base not in _OPERATORS:
        raise NotImplementedError(f"condition operator {operator} is not modelled by the test world")
    test, negated = _OPERATORS[base], base in _NEGATED
    if missing:  # IfExists and negated operators hold for an absent key; ForAllValues too, ForAnyValue never
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated

    def one(value: Any) -> bool:  # the values of one key are OR-ed; a negated operator must differ from all
        results = [test(want, value) for want in _as_list(wanted)]
        return all(results) if negated else any(results)

    values = _as_list(got)
    if qualifier == "ForAllValues":
        return all(one(value) for value in values)
    return (all if negated and not qualifier else any)(one(value) for value in values)


def conditions_hold(conditions: Optional[dict[str, dict[str, Any]]], context: dict[str, Any]) -> bool:
    """Every operator and key of a Condition block holds (IAM User Guide, "Condition element": operators and
    keys AND-ed, values of one key OR-ed; a key missing from the request fails the condition, except with
    ``...IfExists``, ``Null``, ``ForAllValues`` and the negated operators)."""
    return all(_condition_holds(operator, key, wanted, context)
               for operator, keys in (conditions or {}).items() for key, wanted in keys.items())


@dataclass(frozen=True)
class Caller:
    """Who makes a request: a role of an account (``session``: its assumed-role session ARN, when a test names
    one), or an AWS service acting for itself."""

    account: str
    arn: str = ""
    service: str = ""
    session: str = ""


def _root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def _named(principal: Any, who: Caller) -> str:
    """How a ``Principal`` names the caller: "caller" (``*``, its role or session ARN, its service principal),
    "account" (its account, by id or root ARN: a delegation to the account's IAM policies), or ""."""
    if principal == "*":
        return "caller"
    found = ""
    for kind, values in (principal or {}).items():
        for value in _as_list(values):
            if kind == "AWS" and (value == "*" or (value and value in (who.arn, who.session))):
                return "caller"
            if kind == "Service" and who.service and value == who.service:
                return "caller"
            if kind == "AWS" and not who.service and value in (who.account, _root(who.account)):
                found = "account"
    return found


def _escapes_not_principal(not_principal: Any, who: Caller) -> bool:
    """Whether a ``NotPrincipal`` names the caller well enough to leave it out of the Deny. AWS may evaluate the
    account first, then the role, then the assumed-role session, so each must be listed ("AWS JSON policy
    elements: NotPrincipal"): the world takes that strict reading."""
    listed = {(kind, value) for kind, values in (not_principal or {}).items() for value in _as_list(values)}
    if who.service:
        return ("Service", who.service) in listed
    names = {value for kind, value in listed if kind == "AWS"}
    needed = [{who.account, _root(who.account)}] + [{arn} for arn in (who.arn, who.session) if arn]
    return all(names & alternatives for alternatives in needed)


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


def _effects(statements: Iterable[Statement], action: str, resource: str, context: dict[str, Any]) -> set[str]:
    """The effects of the identity-based (or session) statements that apply to the request."""
    return {statement["Effect"] for statement in statements if _applies(statement, action, resource, context)}


def _resource_effects(statements: Iterable[Statement], action: str, resource: str, context: dict[str, Any],
                      who: Caller) -> set[str]:
    """What a resource policy says to the caller: "Deny", "Allow" (names the caller) and "Allow account" (names
    only its account)."""
    found = set()
    for statement in statements:
        if "NotPrincipal" in statement:
            if statement["Effect"] != "Deny":  # "NotPrincipal must be used with Deny" (NotPrincipal page)
                raise NotImplementedError("NotPrincipal with Allow is not supported by AWS nor by the test world")
            if not _escapes_not_principal(statement["NotPrincipal"], who) and \
                    _applies(statement, action, resource, context):
                found.add("Deny")
            continue
        named = _named(statement.get("Principal"), who)
        if not named or not _applies(statement, action, resource, context):
            continue
        if statement["Effect"] == "Deny":
            found.add("Deny")
        else:
            found.add("Allow" if named == "caller" else "Allow account")
    return found


@dataclass
class Decision:
    allowed: bool
    why: str


@dataclass
class Policies:
    """The policies that bear on one request: the caller's identity statements, the resource's policy (a key
    policy when ``decide(key_policy=True)``), and the session policy of the caller's session, if any."""

    identity: list[Statement] = field(default_factory=list)
    resource: list[Statement] = field(default_factory=list)
    resource_account: str = ""
    session: Optional[list[Statement]] = None

    def decide(self, who: Caller, action: str, resource: str, context: dict[str, Any], *,
               key_policy: bool = False) -> Decision:
        context = {"aws:PrincipalAccount": who.account, **({"aws:PrincipalArn": who.arn} if who.arn else {}),
                   **context}
        mine = _effects(self.identity, action, resource, context) if not who.service else set()
        session = _effects(self.session, action, resource, context) if self.session is not None else {"Allow"}
        theirs = _resource_effects(self.resource, action, resource, context, who)
        if "Deny" in mine | session | theirs:
            return Decision(False, f"an explicit Deny for {action} on {resource}")
        in_session = "Allow" in session  # a session policy limits both what IAM and what a resource policy grant
        identity = "Allow" in mine and in_session
        direct = "Allow" in theirs and in_session
        delegated = "Allow account" in theirs
        same_account = who.service == "" and who.account == (self.resource_account or who.account)
        if who.service:
            allowed = direct
        elif key_policy and same_account:
            allowed = direct or (delegated and identity)
        elif key_policy or not same_account:
            allowed = identity and ("Allow" in theirs or delegated)
        else:
            allowed = identity or direct
        if allowed:
            return Decision(True, "allowed")
        if self.session is not None and not in_session:
            return Decision(False, f"the session policy does not allow {action} on {resource}")
        if key_policy:
            return Decision(False, f"no key policy statement, or IAM policy it delegates to, allows {action} on "
                                   f"{resource}" + ("" if same_account else " (another account's key needs both)"))
        if not same_account and "Allow" in mine:
            return Decision(False, f"the resource's policy (account {self.resource_account}) does not allow "
                                   f"{action} to {who.arn or who.service}")
        return Decision(False, f"no identity-based policy allows the {action} action on {resource}")


def matching_allows(statements: Iterable[Statement], action: str, resource: str) -> bool:
    """Whether any Allow statement names ``action`` on ``resource``, whatever its conditions: for checks of
    what a template grants at all."""
    return any(statement["Effect"] == "Allow" and _applies({**statement, "Condition": None}, action, resource, {})
               for statement in statements)
