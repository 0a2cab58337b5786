"""Target of the stack's writer queue: HealthOmics ``Run Status Change`` events of ended runs, and the hourly
sweep that backs them up.

Thin: who owns the run and how its record is written live in ``healthomics_run.service_calls.provenance``,
which ``healthomics-run provenance`` shares; the sweep in ``provenance_sweep``; the pace of HealthOmics calls
(the stack's share of the quotas, split between the writer's containers) in ``provenance_pace``.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

from healthomics_run.run_model.provenance_settings import QUEUE_URL_ENV, STACK_ID_ENV
from healthomics_run.service_calls import chain_controller
from healthomics_run.service_calls.log import log
from healthomics_run.service_calls.provenance import PATIENT, Clients, load_config, write
from healthomics_run.service_calls.provenance_owners import Owners
from healthomics_run.service_calls.provenance_pace import Pace
from healthomics_run.service_calls.provenance_steps import ChainRuns
from healthomics_run.service_calls.provenance_sweep import sweep


@functools.cache
def _world() -> tuple[Clients, Owners]:
    stack_id = os.environ[STACK_ID_ENV]
    aws = Clients()
    config = load_config(aws.s3, os.environ, stack_id)
    chains = chain_controller.chains_of(config.chains, os.environ)
    owners = Owners(aws.cfn, stack_id, config, ChainRuns(aws.s3, chains, stack_id) if chains else None)
    Pace(owners.config.per_container()).attach(aws.omics)
    return aws, owners


@functools.cache
def _queue() -> Any:
    import boto3

    return boto3.client("sqs", config=PATIENT)


def on_run_end(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The stack's ``Run Status Change`` events of ended runs: a batch of them from the writer's SQS queue
    (``Records``, each body one EventBridge event, a run a sweep found, or a sweep), or one event as the rule of
    a writer deployed before sent it.

    A batch answers the messages whose record could not be written (``batchItemFailures``): only they are
    received again, and after the queue's receive count go to its dead-letter queue."""
    if "Records" not in event:
        return {"Outcome": _write_one(event)}
    failures = []
    for message in event["Records"]:
        try:
            body = json.loads(message["body"])
            if "sweep" in body:
                _sweep(body["sweep"], body.get("resume"), context)
            else:
                _write_one(body)
        except Exception as error:  # noqa: BLE001 - any failure: this message is received again
            log("provenance", id=message.get("messageId"), outcome=f"failed: {type(error).__name__}: {error}")
            failures.append({"itemIdentifier": message["messageId"]})
    # chaining's hook (a no-op without chains): the chains are in the settings asset, their tokens' values in
    # the environment
    aws, owners = _world()
    chains = chain_controller.chains_of(owners.config.chains, os.environ)
    chain_controller.on_run_ends(aws.omics, aws.s3, event, chains, failures, owner=owners.stack_id.split(":")[4])
    return {"batchItemFailures": failures}


SWEEP_MARGIN_MS = 60_000  # a sweep sends itself on with this much of the invocation left


def _sweep(scheduled: str, resume: Any, context: Any) -> None:
    aws, owners = _world()
    out_of_time = ((lambda: context.get_remaining_time_in_millis() < SWEEP_MARGIN_MS) if context is not None
                   else (lambda: False))
    found = sweep(aws.omics, _queue(), os.environ[QUEUE_URL_ENV], owners, scheduled, resume_at=resume,
                  out_of_time=out_of_time)
    log("provenance", id=f"sweep {scheduled}", outcome="put back until the queue's events are written"
        if found is None else f"{len(found)} ended runs sent to the queue")


def _write_one(event: dict[str, Any]) -> str:
    detail = event.get("detail") or {}
    aws, owners = _world()
    outcome = write(aws, owners, detail["runId"], detail.get("uuid"), only_missing="sweep-of" in event)
    log("provenance", id=detail.get("runId"), outcome=outcome)
    return outcome
