"""Typed run settings, decoded from the strings CloudFormation hands a custom resource.

CloudFormation passes every scalar in a custom resource's properties as a string: ``8`` arrives
as ``"8"`` and ``false`` as ``"false"``, nested inside lists and objects too. JSON documents
(workflow parameters, engine settings) must reach StartRun with their original JSON types, so the
construct writes each as it is (readable in ``cdk diff``) plus a map from JSON pointer to type for
every leaf that is not a string (``ParameterTypes``, ``EngineSettingsTypes``: ``Field.types``);
decoding applies that map. Scalar members are decoded by their type in the service model (whole
numbers, booleans). Decoding is idempotent, so it also reads a synthesized template, where values
still have their types.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Iterator

from . import fields, service_model
from .fingerprint import content_digest, fingerprint
from .json_values import pointer_token

NUMBER, BOOLEAN, NULL = "number", "boolean", "null"


def _leaves(value: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{pointer}/{pointer_token(key)}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{pointer}/{index}")
    else:
        yield pointer, value


def parameter_types(parameters: Any) -> dict[str, str]:
    """JSON pointer -> type of every leaf CloudFormation would turn into a string."""
    types = {}
    for pointer, leaf in _leaves(parameters):
        if isinstance(leaf, bool):
            types[pointer] = BOOLEAN
        elif isinstance(leaf, (int, float)):
            types[pointer] = NUMBER
        elif leaf is None:
            types[pointer] = NULL
    return types


def _typed(raw: Any, kind: str, pointer: str, name: str) -> Any:
    if kind == NULL:
        return None
    if kind == BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
    if kind == NUMBER:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return raw
        try:
            number = json.loads(str(raw))
        except ValueError:
            number = None
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            return number
    raise ValueError(f"{name}{pointer}: expected a {kind}, got {raw!r}")


def _apply_types(value: Any, types: dict[str, str], name: str, pointer: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _apply_types(v, types, name, f"{pointer}/{pointer_token(k)}") for k, v in value.items()}
    if isinstance(value, list):
        return [_apply_types(v, types, name, f"{pointer}/{i}") for i, v in enumerate(value)]
    kind = types.get(pointer)
    return value if kind is None else _typed(value, kind, pointer, name)


def decode_document(document: Any, types: dict[str, str] | None, name: str) -> Any:
    """A JSON document (``name`` in messages) with the types its ``types`` map records."""
    return _apply_types(document, types or {}, name)


def decode_parameters(parameters: Any, types: dict[str, str] | None) -> Any:
    return decode_document(parameters, types, "parameters")


def _integer(prop: str, raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    raise ValueError(f"{prop}: expected a whole number, got {raw!r}")


def _boolean(prop: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if str(raw).strip().lower() in ("true", "false"):
        return str(raw).strip().lower() == "true"
    raise ValueError(f"{prop}: expected true or false, got {raw!r}")


@functools.cache
def _members_of_type(kind: str) -> frozenset[str]:
    """StartRun members of this type in the model, and batch-only members of DefaultRunSetting."""
    members = {**service_model.input_members("StartRun"), **service_model.members("DefaultRunSetting")}
    return frozenset(name for name, shape in members.items() if shape["type"] == kind)


@dataclass(frozen=True)
class RunSettings:
    """Everything the handler needs from a Custom::HealthOmicsRun's properties."""

    request: dict[str, Any]  # StartRun members (without requestId), with their real types
    rerun_token: str
    delete_policy: str
    wait_for: str
    timeout_seconds: int
    parameters_digest: str = ""  # staged parameters: the digest of their content (fields.PARAMETERS_DIGEST)

    def identity(self, *, tagged: bool = False) -> dict[str, Any]:
        """The request as it names a run: parameters by the digest of their content, inline or staged alike (so
        staging the same values starts nothing), never by where they were staged; and without its tags, which
        change nothing a run computes (a tags-only change re-tags the run in place). ``tagged``: the form
        releases up to 0.2 named runs by, tags included (``legacy_fingerprint``)."""
        request = self.request if tagged else {key: value for key, value in self.request.items() if key != "tags"}
        if self.parameters_digest:
            digest = self.parameters_digest
        elif "parameters" in request:
            digest = content_digest(request["parameters"])
        else:
            return request
        rest = {key: value for key, value in request.items() if key not in ("parameters", "parametersUri")}
        return {**rest, "parameters": {"sha256": digest}}

    def fingerprint(self) -> str:
        """What decides which run these settings name (see ``fingerprint``)."""
        return fingerprint(self.identity(), self.rerun_token)

    def legacy_fingerprint(self) -> str:
        """The fingerprint releases up to 0.2 recorded for these settings (tags included): physical ids written
        then still name their run, so upgrading starts nothing. Equal to ``fingerprint`` when there are no tags."""
        return fingerprint(self.identity(tagged=True), self.rerun_token)

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.request.get("tags") or {})

    @classmethod
    def from_properties(cls, props: dict[str, Any]) -> "RunSettings":
        integers, booleans = _members_of_type("integer"), _members_of_type("boolean")
        request: dict[str, Any] = {}
        for field in fields.START_RUN_FIELDS:
            raw = props.get(field.prop)
            if raw is None or raw == "":
                continue
            if field.types:
                raw = decode_document(raw, props.get(field.types), field.snake)
            elif field.api in integers:
                raw = _integer(field.prop, raw)
            elif field.api in booleans:
                raw = _boolean(field.prop, raw)
            request[field.api] = raw
        return cls(
            request=request,
            rerun_token=str(props.get(fields.RERUN_TOKEN, "")),
            delete_policy=str(props.get(fields.DELETE_POLICY, "RETAIN")),
            wait_for=str(props.get(fields.WAIT_FOR, "STARTED")),
            timeout_seconds=_integer(fields.TIMEOUT_SECONDS, props.get(fields.TIMEOUT_SECONDS, 3600)),
            parameters_digest=str(props.get(fields.PARAMETERS_DIGEST, "")),
        )


def nulls_as_strings(value: Any) -> Any:
    """``value`` with its null leaves written as "null": CloudFormation (and CDK before it) drops nulls, from
    lists too, which would shift the items the types map names. The types map brings them back as null."""
    if isinstance(value, dict):
        return {key: nulls_as_strings(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [nulls_as_strings(item) for item in value]
    return "null" if value is None else value


def has_intrinsics(value: Any) -> bool:
    """Whether a value as it stands in a template holds CloudFormation functions or references (``Ref``,
    ``Fn::...``): values known only at deploy time."""
    if isinstance(value, dict):
        return any(key == "Ref" or key.startswith("Fn::") for key in value) or any(map(has_intrinsics, value.values()))
    if isinstance(value, list):
        return any(map(has_intrinsics, value))
    return False
