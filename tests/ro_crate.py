"""Provenance records checked by the RO-Crate community's own tools: the validator (roc-validator, the
profiles' SHACL shapes) and the library that reads crates (rocrate, ro-crate-py).

Every record a test writes goes through ``assert_valid``: REQUIRED and RECOMMENDED requirements of the
Provenance Run Crate profile, which extends Workflow Run Crate and Process Run Crate (profiles 0.5, as shipped
with roc-validator: https://www.researchobject.org/workflow-run-crate/profiles/), and of RO-Crate 1.1 and
Workflow RO-Crate 1.0 beneath them. ``WAIVED`` names the few RECOMMENDED checks a record leaves unmet on
purpose, each with why; any other issue fails the test. The validator resolves the
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
SEVERITY = "RECOMMENDED"

# (the check's requirement name, what the issue's message or entity holds, why the record leaves it unmet)
WAIVED: tuple[tuple[str, str, str], ...] = (
    ("Web-based Data Entity: RECOMMENDED resource availability", "not natively supported",
     "s3:// and arn: identifiers: the validator cannot fetch them (it says so), so availability is unverifiable"),
    ("ProcRC SoftwareApplication ID", "absolute URI",
     "the shape asks for an http(s) id; the workflow and its tools are named by their HealthOmics ARN"),
    ("RO-Crate Root Data Entity RECOMMENDED properties", "publisher", "a record is written, not published"),
    ("README.md properties", "README.md",
     "Workflow RO-Crate's shape targets ./README.md whether or not the crate has one; a record has none"),
    ("File Data Entity: RECOMMENDED properties", "encodingFormat",
     "S3 does not know a file's format (its Content-Type is whatever the writer of the object said)"),
    ("ProcRC SoftwareSourceCode or ComputationalWorkflow", "SHOULD have a version",
     "omitted when GetRun gives neither a version name nor a digest (the workflow's description says so)"),
    ("ProcRC Application", "url", "a task's tool has no URL: HealthOmics names the task, not the tool"),
    ("ProcRC SoftwareApplication", "version", "a task's tool version is unknown to HealthOmics (said in the record)"),
    ("Workflow Run Crate FormalParameter SHOULD", "exampleOfWork",
     "an optional parameter of the workflow the run did not set has no value to point at it"),
    ("Process Run Crate CreateAction UpdateAction SHOULD", "#task-",
     "HealthOmics does not say which outputs a task made; a task's result is recorded when known (run cache)"),
)


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
                                                                    "requirement_severity": SEVERITY})
    return tuple(f"{issue.check.requirement.name if issue.check else '?'}: {issue.message} "
                 f"[{issue.violatingEntity}]" for issue in result.get_issues())


def _waived(issue: str) -> bool:
    return any(issue.startswith(name) and needle in issue for name, needle, _ in WAIVED)


def assert_valid(record: bytes | dict[str, Any], *, waived: bool = True) -> dict[str, Any]:
    """The record, once roc-validator found it a valid Provenance Run Crate at RECOMMENDED level (but ``WAIVED``,
    unless ``waived`` is False)."""
    crate = json.loads(record) if isinstance(record, bytes) else record
    issues = [issue for issue in _issues(json.dumps(crate, sort_keys=True)) if not (waived and _waived(issue))]
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
