"""Workflow parameters kept in an S3 JSON file (``parameters_uri``), as the handler reads them.

StartRun takes ``parametersUri`` instead of ``parameters`` and HealthOmics reads the file only after
StartRun has returned, failing the run with INVALID_RUN_PARAMETERS if it is not valid. So the handler
reads the file itself before starting: its parameter names are checked against the workflow's
template as inline parameters are, and a missing or unreadable file fails the deploy, naming
``parameters_uri``, before anything starts. StartRunBatch has no ``parametersUri``: for a batch the
handler passes the file's content as the shared ``parameters`` of ``defaultRunSetting``.

No message ever holds a parameter value: only the URI, names, and what kind of JSON was found.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from . import clients, s3_objects
from .runs import BadSettings

PROP = "parameters_uri"


def read_parameters(uri: str) -> dict[str, Any]:
    """The parameters the JSON object at ``uri`` holds (``BadSettings`` naming ``parameters_uri`` if it cannot)."""
    try:
        text = s3_objects.read_text(clients.s3(), uri)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "an error")
        raise BadSettings(f"{PROP} {uri}: the handler cannot read it ({code}). It may s3:GetObject exactly this "
                          "object: check that the object exists and that its bucket's policy and encryption key "
                          "let the handler read it") from None
    except UnicodeDecodeError as error:
        raise BadSettings(f"{PROP} {uri}: the file must be UTF-8 JSON; byte {error.start} is not UTF-8") from None
    if text is None:
        raise BadSettings(f"{PROP} {uri}: no such object. Upload the parameters file (a JSON object of parameter "
                          "names to values) before deploying")
    try:
        parameters = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadSettings(f"{PROP} {uri}: not valid JSON (line {error.lineno} column {error.colno}: "
                          f"{error.msg})") from None
    if not isinstance(parameters, dict):
        raise BadSettings(f"{PROP} {uri}: the file must hold a JSON object of parameter names to values, not "
                          f"{_json_kind(parameters)}")
    return parameters


def request_parameters(request: dict[str, Any]) -> dict[str, Any]:
    """A StartRun request's parameters: inline, or read from its ``parametersUri``."""
    if "parametersUri" in request:
        return read_parameters(request["parametersUri"])
    return request.get("parameters") or {}


def with_parameters_read(default_run_setting: dict[str, Any]) -> dict[str, Any]:
    """A ``defaultRunSetting`` as StartRunBatch takes it: ``parametersUri``, which it has no member for,
    replaced by the file's parameters."""
    if "parametersUri" not in default_run_setting:
        return default_run_setting
    rest = {key: value for key, value in default_run_setting.items() if key != "parametersUri"}
    return {**rest, "parameters": read_parameters(default_run_setting["parametersUri"])}


def _json_kind(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
