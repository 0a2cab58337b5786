"""Provenance records checked by the RO-Crate community's own tools: the validator (roc-validator, the
profiles' SHACL shapes) and the library that reads crates (rocrate, ro-crate-py).

Every record a test writes goes through ``assert_valid``: REQUIRED requirements of the Provenance Run
Crate profile, which extends Workflow Run Crate and Process Run Crate (profiles 0.5, as shipped with
roc-validator: https://www.researchobject.org/workflow-run-crate/profiles/). The validator resolves the
record's ``@context`` (https://w3id.org/ro/crate/1.1/context) over HTTP; tests have no network, so it is
served from ``fixtures/jsonld``: the RO-Crate 1.1 context as published in the RO-Crate specification's
repository (ResearchObject/ro-crate, docs/_specification/1.1/context.jsonld).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import requests

CONTEXTS = {"https://w3id.org/ro/crate/1.1/context":
            Path(__file__).with_name("fixtures") / "jsonld" / "ro-crate-1.1-context.jsonld"}
PROFILE = "provenance-run-crate"


def _serve_contexts() -> None:
    from rocrate_validator.utils.http import HttpRequester

    def get(self, url: str, **_: Any) -> requests.Response:
        path = CONTEXTS.get(url.rstrip("/"))
        if path is None:
            raise AssertionError(f"the validator asked for {url}, which the tests do not serve")
        response = requests.Response()
        response.status_code, response.url, response._content = 200, url, path.read_bytes()
        response.headers["Content-Type"] = "application/ld+json"
        return response

    HttpRequester.get = get


@functools.lru_cache(maxsize=None)
def _issues(text: str) -> tuple[str, ...]:
    from rocrate_validator import services

    _serve_contexts()
    result = services.validate_metadata_as_dict(json.loads(text), {"profile_identifier": PROFILE,
                                                                    "requirement_severity": "REQUIRED"})
    return tuple(f"{issue.check.requirement.name if issue.check else '?'}: {issue.message}"
                 for issue in result.get_issues())


def assert_valid(record: bytes | dict[str, Any]) -> dict[str, Any]:
    """The record, once roc-validator found it a valid Provenance Run Crate (REQUIRED level)."""
    crate = json.loads(record) if isinstance(record, bytes) else record
    issues = _issues(json.dumps(crate, sort_keys=True))
    assert not issues, "\n".join(issues)
    return crate


def read(record: bytes, folder: Path):
    """The record as ro-crate-py reads it (``rocrate.rocrate.ROCrate``), from a folder holding only it."""
    from rocrate.rocrate import ROCrate

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ro-crate-metadata.json").write_bytes(record)
    return ROCrate(folder)


def digest(record: bytes) -> str:
    return hashlib.sha256(record).hexdigest()
