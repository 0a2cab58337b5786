"""Structured (JSON) logs. Callers pass ids and outcomes only: never parameters or tags,
which may identify patients."""

from __future__ import annotations

import json
import sys
from typing import Any


def log(message: str, **fields: Any) -> None:
    record = {"message": message, **{k: v for k, v in fields.items() if v is not None}}
    print(json.dumps(record, sort_keys=True, default=str), file=sys.stdout, flush=True)
