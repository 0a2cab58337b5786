"""Checks of StartRun settings, derived from the service model plus the rules between fields.

The constructs run these at synth time (skipping values that are unresolved tokens) and the
handler runs them again at deploy time, when tokens have resolved. Every message names the
construct prop and the values it allows.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from typing import Any, Callable

from . import fields, json_values, service_model

IsUnresolved = Callable[[Any], bool]

_UNICODE_CLASS = re.compile(r"\\p\{(\w)\}")


@functools.cache
def pattern_check(pattern: str) -> Callable[[str], bool]:
    """The model's patterns; those built from Unicode classes (``\\p{L}``) are checked by category."""
    classes = _UNICODE_CLASS.findall(pattern)
    if classes:
        extra = {"\t", "\n", "\r"} if "\\t" in pattern else set()
        printable_ascii = {"L", "M", "Z", "S", "N", "P"} <= set(classes)

        def check(text: str) -> bool:
            if printable_ascii and text.isascii() and text.isprintable():
                return True  # every printable ASCII character is in L, N, P, S or Zs: the common case, fast
            return all(unicodedata.category(ch)[0] in classes or ch in extra for ch in text)
        return check
    compiled = re.compile(pattern)
    return lambda text: compiled.fullmatch(text) is not None


def _string_errors(name: str, value: Any, shape: dict[str, Any]) -> list[str]:
    if not isinstance(value, str):
        return [f"{name} must be a string, got {value!r}"]
    if "enum" in shape:
        if value not in shape["enum"]:
            return [f"{name} must be one of {', '.join(shape['enum'])}; got {value!r}"]
        return []
    errors = []
    low, high = shape.get("min"), shape.get("max")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        allowed = f"{high}" if low == high else f"{low or 0} to {high}"
        errors.append(f"{name} must be {allowed} characters long, got {len(value)}")
    if "pattern" in shape and value and not pattern_check(shape["pattern"])(value):
        errors.append(f"{name} must match the pattern {shape['pattern']}; got {value!r}")
    return errors


def _integer_errors(name: str, value: Any, shape: dict[str, Any]) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{name} must be a whole number, got {value!r}"]
    low, high = shape.get("min"), shape.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        return [f"{name} must be between {low} and {high}, got {value}"]
    return []


def _boolean_errors(name: str, value: Any) -> list[str]:
    return [] if isinstance(value, bool) else [f"{name} must be True or False, got {value!r}"]


def _tag_errors(name: str, tags: Any, shape: dict[str, Any], is_unresolved: IsUnresolved) -> list[str]:
    if not isinstance(tags, dict):
        return [f"{name} must be a mapping of tag keys to values"]
    errors = []
    if len(tags) > fields.MAX_TAGS:
        errors.append(f"{name} may hold at most {fields.MAX_TAGS} tags, got {len(tags)}")
    key_shape = service_model.shape(shape["key"]["shape"])
    value_shape = service_model.shape(shape["value"]["shape"])
    for key, value in tags.items():
        if is_unresolved(key):
            continue
        errors += _string_errors(f"{name} key {key!r}", key, key_shape)
        if isinstance(key, str) and key.lower().startswith("aws:"):
            errors.append(f"{name} key {key!r} uses the reserved prefix 'aws:'")
        if not is_unresolved(value):
            errors += _string_errors(f"{name}[{key!r}]", value, value_shape)
    return errors


def field_shape(api: str) -> dict[str, Any]:
    """The model's shape of a field: its StartRun member, or its defaultRunSetting member when batch-only."""
    return service_model.members("DefaultRunSetting" if api in fields.BATCH_ONLY else "StartRunRequest")[api]


_WORKFLOW_ARN = re.compile(r"^arn:[a-z-]+:omics:[a-z0-9-]*:(?P<account>[0-9]*):workflow/(?P<id>[0-9]+)$")


def _workflow_arn_errors(value: Any) -> list[str]:
    """A workflow's ARN where its id belongs: name the id (and owner) to give instead."""
    match = _WORKFLOW_ARN.match(value) if isinstance(value, str) else None
    if match is None:
        return []
    owner = (f" (and workflow_owner_id={match['account']!r} if another account shares it with you)"
             if match["account"] else "")
    return [f"workflow_id takes the workflow's id, not its ARN: give workflow_id={match['id']!r}{owner}; "
            f"got {value!r}"]


def _field_errors(api: str, value: Any, is_unresolved: IsUnresolved) -> list[str]:
    name = fields.BY_API[api].snake
    arn = _workflow_arn_errors(value) if api == "workflowId" else []
    if arn:
        return arn
    problems = member_errors(name, value, field_shape(api), is_unresolved)
    return problems or _BEYOND_MODEL.get(api, lambda name, value: [])(name, value)


def member_errors(name: str, value: Any, shape: dict[str, Any],
                  is_unresolved: IsUnresolved = lambda _: False) -> list[str]:
    """Problems with one value of a modeled member, reported under the construct's name for it."""
    if shape.get("document"):
        if not isinstance(value, dict):
            names = "parameter names" if name.endswith("parameters") else "setting names"
            return [f"{name} must be a mapping of {names} to values"]
        return json_values.errors(value, name, is_unresolved)
    if shape["type"] == "map":
        return _tag_errors(name, value, shape, is_unresolved)
    if shape["type"] == "integer":
        return _integer_errors(name, value, shape)
    if shape["type"] == "boolean":
        return _boolean_errors(name, value)
    return _string_errors(name, value, shape)


def output_uri_errors(name: str, value: Any) -> list[str]:
    """HealthOmics writes a run's outputs to S3 only, though the model's pattern allows any text."""
    if isinstance(value, str) and not value.startswith("s3://"):
        return [f"{name} must be an S3 URI (s3://bucket/prefix/); got {value!r}"]
    return []


def session_policy_errors(name: str, value: Any) -> list[str]:
    """A session policy is an IAM policy document as JSON; the model only says it is text."""
    try:
        policy = json.loads(value)
    except json.JSONDecodeError as error:
        return [f"{name} must be an IAM policy document as JSON (an iam.PolicyDocument or its JSON text); "
                f"it is not valid JSON ({error.msg} at character {error.pos})"]
    if not isinstance(policy, dict) or "Statement" not in policy:
        return [f"{name} must be an IAM policy document as JSON: an object with a Statement"]
    return []


# Static run storage comes in 1,200 GiB or multiples of 2,400 GiB; a size between is rounded up to the next one,
# and the run is billed for what is provisioned (HealthOmics guide, "Run storage types in HealthOmics workflows",
# Static run storage, https://docs.aws.amazon.com/omics/latest/dev/workflows-run-types.html).
STATIC_STORAGE_MINIMUM_GIB = 1200
STATIC_STORAGE_STEP_GIB = 2400


def provisioned_static_gib(requested: int) -> int:
    """The static run storage HealthOmics provisions (and bills) for ``requested`` GiB."""
    if requested <= STATIC_STORAGE_MINIMUM_GIB:
        return STATIC_STORAGE_MINIMUM_GIB
    return -(-requested // STATIC_STORAGE_STEP_GIB) * STATIC_STORAGE_STEP_GIB


# Checks beyond the service model's shape, per StartRun member: (name, value) -> problems.
_BEYOND_MODEL = {"sessionPolicy": session_policy_errors}


def _cross_field_errors(known: dict[str, Any], given: set[str]) -> list[str]:
    errors = []
    if not given & {"workflowId", "runId"}:
        errors.append("workflow_id is required (or source_run_id, to duplicate an earlier run)")
    if {"parameters", "parametersUri"} <= given:
        errors.append("give parameters or parameters_uri, not both: StartRun takes the parameters inline or "
                      "from the S3 JSON file, never both")
    storage = known.get("storageType")
    if storage == "DYNAMIC" and "storageCapacity" in given:
        errors.append("storage_capacity applies only to storage_type STATIC; remove it or use STATIC")
    if storage == "STATIC" and "storageCapacity" not in given:
        errors.append("storage_type STATIC needs storage_capacity (in GiB); or use DYNAMIC")
    if "cacheBehavior" in given and "cacheId" not in given:
        errors.append("cache_behavior needs cache_id: it overrides the behaviour of a run cache")
    if known.get("workflowType") == "READY2RUN" and "workflowOwnerId" in given:
        errors.append("workflow_owner_id is for shared PRIVATE workflows, not READY2RUN ones")
    if known.get("networkingMode") == "VPC" and "configurationName" not in given:
        errors.append("networking_mode VPC needs configuration_name (the configuration holding the VPC settings)")
    return errors


def run_errors(request: dict[str, Any], is_unresolved: IsUnresolved = lambda _: False,
               checked_elsewhere: frozenset[str] = frozenset()) -> list[str]:
    """Every problem with a set of StartRun members (api names, real types); the values of the members in
    ``checked_elsewhere`` are left to the caller, the rules between fields still see them."""
    given = {api for api, value in request.items() if value is not None}
    known = {api: request[api] for api in given if not is_unresolved(request[api])}
    errors = []
    for api in sorted(known.keys() - checked_elsewhere, key=list(fields.BY_API).index):
        errors += _field_errors(api, known[api], is_unresolved)
    return errors + _cross_field_errors(known, given)


def batch_only_errors(request: dict[str, Any]) -> list[str]:
    """Fields a single run cannot have: members of StartRunBatch's defaultRunSetting that StartRun lacks."""
    return [f"{fields.BY_API[api].snake} is available to run batches only (WorkflowRunBatch, HealthOmicsRunBatch): "
            "StartRun has no such field" for api in request if api in fields.BATCH_ONLY]


def control_errors(delete_policy: str, wait_for: str, timeout_seconds: int) -> list[str]:
    errors = []
    if delete_policy not in fields.DELETE_POLICIES:
        errors.append(f"delete_policy must be one of {', '.join(fields.DELETE_POLICIES)}; got {delete_policy!r}")
    if wait_for not in fields.WAIT_FOR_VALUES:
        errors.append(f"wait_for must be one of {', '.join(fields.WAIT_FOR_VALUES)}; got {wait_for!r}")
    if wait_for == "COMPLETED" and not 1 <= timeout_seconds <= fields.MAX_WAIT_CONDITION_SECONDS:
        errors.append(
            f"timeout must be between 1 second and {fields.MAX_WAIT_CONDITION_SECONDS // 3600} hours for wait_for "
            f"COMPLETED (the limit of a CloudFormation wait condition), got {timeout_seconds} seconds")
    elif wait_for != "COMPLETED" and not 1 <= timeout_seconds <= fields.MAX_TIMEOUT_SECONDS:
        errors.append(
            f"timeout must be between 1 second and {fields.MAX_TIMEOUT_SECONDS // 60} minutes for wait_for "
            f"{wait_for} (the limit of the custom-resource Provider framework; only COMPLETED waits longer), "
            f"got {timeout_seconds} seconds")
    return errors
