"""Target of the stack's EventBridge rule for HealthOmics ``Run Status Change`` events of ended runs.

Thin: who owns the run and how its record is written live in ``healthomics_run.service_calls.provenance``,
which ``healthomics-run provenance`` shares.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

from healthomics_run.run_model.provenance_settings import STACK_ID_ENV
from healthomics_run.service_calls import chain_controller
from healthomics_run.service_calls.log import log
from healthomics_run.service_calls.provenance import Clients, load_config, write
from healthomics_run.service_calls.provenance_owners import Owners


@functools.cache
def _world() -> tuple[Clients, Owners]:
    stack_id = os.environ[STACK_ID_ENV]
    aws = Clients()
    return aws, Owners(aws.cfn, stack_id, load_config(aws.s3, os.environ, stack_id))


def on_run_end(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The stack's ``Run Status Change`` events of ended runs: a batch of them from the writer's SQS queue
    (``Records``, each body one EventBridge event), or one event as the rule of a writer deployed before sent it.

    A batch answers the messages whose record could not be written (``batchItemFailures``): only they are
    received again, and after the queue's receive count go to its dead-letter queue."""
    if "Records" not in event:
        return {"Outcome": _write_one(event)}
    failures = []
    for message in event["Records"]:
        try:
            _write_one(json.loads(message["body"]))
        except Exception as error:  # noqa: BLE001 - any failure: this message is received again
            log("provenance", id=message.get("messageId"), outcome=f"failed: {type(error).__name__}: {error}")
            failures.append({"itemIdentifier": message["messageId"]})
    # chaining's hook (a no-op without chains): the chains are in the settings asset, their tokens' values in
    # the environment
    aws, owners = _world()
    chains = chain_controller.chains_of(owners.config.chains, os.environ)
    chain_controller.on_run_ends(aws.omics, aws.s3, event, chains, failures, owner=owners.stack_id.split(":")[4])
    return {"batchItemFailures": failures}


def _write_one(event: dict[str, Any]) -> str:
    detail = event.get("detail") or {}
    aws, owners = _world()
    outcome = write(aws, owners, detail["runId"], detail.get("uuid"))
    log("provenance", id=detail.get("runId"), outcome=outcome)
    return outcome
