"""Target of the stack's EventBridge rule for HealthOmics ``Run Status Change`` events of ended runs.

Thin: who owns the run and how its record is written live in ``healthomics_run.service_calls.provenance``,
which ``healthomics-run provenance`` shares.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from healthomics_run.run_model.provenance_settings import STACK_ID_ENV
from healthomics_run.service_calls.log import log
from healthomics_run.service_calls.provenance import Clients, load_config, write
from healthomics_run.service_calls.provenance_owners import Owners


@functools.cache
def _world() -> tuple[Clients, Owners]:
    stack_id = os.environ[STACK_ID_ENV]
    aws = Clients()
    return aws, Owners(aws.cfn, stack_id, load_config(aws.s3, os.environ, stack_id))


def on_run_end(event: dict[str, Any], context: Any = None) -> dict[str, str]:
    """Target of the stack's rule for HealthOmics ``Run Status Change`` events of ended runs."""
    detail = event.get("detail") or {}
    aws, owners = _world()
    outcome = write(aws, owners, detail["runId"], detail.get("uuid"))
    log("provenance", id=detail.get("runId"), outcome=outcome)
    return {"Outcome": outcome}
