"""Whether a value can travel as JSON: workflow parameters and sample values must.

A run's ``parameters`` go through the CDK (jsii, which speaks JSON), into the template and on to
StartRun, which takes a JSON document. Anything else fails late and far from the cause: NaN stops
the jsii kernel, a set or bytes crash in jsii or in ``json.dumps``. So every value is checked
first, and each problem is named by its JSON pointer (``parameters/intervals/2``).

Allowed: strings, finite numbers, booleans, null, lists (and tuples), mappings with non-empty
string keys, and deploy-time values (tokens) wherever ``is_unresolved`` says so.
Pure Python, shared by the constructs (at construction) and the handler.
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Callable, Mapping

IsUnresolved = Callable[[Any], bool]

_PLAIN_SCALARS = (str, int, bool, type(None))  # float needs a look: NaN and infinities are not JSON
_PLAIN_TYPES, _STRING = frozenset(_PLAIN_SCALARS), frozenset({str})
_HINTS: tuple[tuple[tuple[type, ...], str], ...] = (
    ((set, frozenset), "a set (use a list)"),
    ((bytes, bytearray), "bytes (decode them to a string)"),
    ((datetime.date, datetime.time), "a date or time (write it as an ISO 8601 string)"),
)


def pointer_token(key: str | int) -> str:
    """One JSON pointer reference token (RFC 6901): ``~`` and ``/`` escaped."""
    return str(key).replace("~", "~0").replace("/", "~1")


def errors(value: Any, name: str, is_unresolved: IsUnresolved = lambda _: False) -> list[str]:
    """Every value under ``value`` that is not JSON, each as ``<name>/<pointer>: <why>``.

    Cheap for the common case (a mapping of strings and whole numbers): 100,000 sample rows are
    checked in a few hundredths of a second.
    """
    if type(value) is dict and "" not in value and _STRING.issuperset(map(type, value)):
        kinds = set(map(type, value.values()))
        if _PLAIN_TYPES.issuperset(kinds) and (int not in kinds or all(
                abs(item) <= MAX_SAFE_INTEGER for item in value.values() if type(item) is int)):
            return []
    found: list[str] = []
    _walk(value, name, is_unresolved, found)
    return found


# Whole numbers travel through jsii and CloudFormation as JavaScript numbers (doubles): beyond 2**53 they
# silently lose their last digits (ECMAScript Number.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 2**53 - 1


def _walk(value: Any, pointer: str, is_unresolved: IsUnresolved, found: list[str]) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        found.append(f"{pointer}: {value} is beyond the whole numbers JSON carries exactly through CloudFormation "
                     f"(±{MAX_SAFE_INTEGER:,}); give it as a string")
        return
    if isinstance(value, _PLAIN_SCALARS):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            found.append(f"{pointer}: must be a finite number (JSON has no NaN or infinity); got {value!r}")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                found.append(f"{pointer}: keys must be non-empty strings; got {key!r}")
            else:
                _walk(item, f"{pointer}/{pointer_token(key)}", is_unresolved, found)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _walk(item, f"{pointer}/{index}", is_unresolved, found)
        return
    if not is_unresolved(value):
        found.append(f"{pointer}: must be a string, number, boolean, null, list or mapping; got {_described(value)}")


def _described(value: Any) -> str:
    for types, hint in _HINTS:
        if isinstance(value, types):
            return hint
    return f"an object of type {type(value).__name__}"
