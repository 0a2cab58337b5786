"""The fingerprint of a run's settings, and the StartRun ``requestId`` derived from it.

Two deployments start the same run exactly when their fingerprints match: the fingerprint
covers every StartRun member (decoded to its real type, in a canonical JSON form, so key order
and CloudFormation's stringification do not matter) plus the construct's ``rerun_token``, and
nothing else: ``wait_for``, ``timeout`` and ``delete_policy`` change how the handler behaves,
not which run exists.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

REQUEST_ID_PREFIX = "hr-"


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def content_digest(value: Any) -> str:
    """SHA-256 (hex) of a value's canonical JSON: parameters are named by it, inline or staged alike."""
    return _digest(value)


def fingerprint(request: dict[str, Any] | list[str], rerun_token: str = "") -> str:
    """SHA-256 (hex) of the StartRun members and the rerun token (a cohort's delta: of the sorted keys of the
    samples it starts)."""
    return _digest({"request": request, "rerunToken": rerun_token})


def request_id(stack_id: str, logical_id: str, run_fingerprint: str) -> str:
    """The idempotency token for StartRun: 67 characters, the same on every retry of a deploy.

    Scoping it to the stack and the resource means two stacks (or two resources in one stack)
    with identical settings still start a run each.
    """
    return REQUEST_ID_PREFIX + _digest([stack_id, logical_id, run_fingerprint])
