"""How large a run (or batch) resource's properties may be, and their size as CloudFormation sends them.

The CDK Provider framework hands the whole CloudFormation event to a Step Functions execution as its
input: ResourceProperties and, on Update, OldResourceProperties too. An execution's input is at most
256 KiB (262,144 bytes). Two copies of ``MAX_PROPERTIES_BYTES`` leave about 22 KB for the rest of the
event (its ids and presigned ResponseURL) and for what the handler adds to it; properties beyond that
would be accepted by ``cdk deploy`` and fail the deployment in the provider instead.
"""

from __future__ import annotations

import json
from typing import Any

MAX_PROPERTIES_BYTES = 120_000


def properties_size(properties: Any) -> int:
    """Bytes of ``properties`` as compact JSON, with numbers, booleans and nulls as the strings
    CloudFormation turns them into; tokens are measured as they stand (an approximation)."""
    return len(json.dumps(_as_sent(properties), separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _as_sent(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _as_sent(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_sent(item) for item in value]
    return value if isinstance(value, str) else str(value)
