"""Structured (JSON) logs. Callers pass ids and outcomes, never parameters or tags, which may identify
patients; the one exception is the failure diagnosis (``diagnosis.RunDiagnosis.as_dict``), whose status
messages and task names go here, to a log group the account's access controls guard, and not to the
CloudFormation reason that stack events keep for 90 days."""

from __future__ import annotations

import json
import sys
from typing import Any


def log(message: str, **fields: Any) -> None:
    record = {"message": message, **{k: v for k, v in fields.items() if v is not None}}
    print(json.dumps(record, sort_keys=True, default=str), file=sys.stdout, flush=True)
