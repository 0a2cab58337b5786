"""Where a cohort's ledger lives and who owns its bucket, from the custom resource's event alone.

Shared by the deploy handler (which writes the ledger), the after-run work and ``healthomics-run status``
(which read it)."""

from __future__ import annotations

from typing import Any

from . import fields
from .batch_settings import LEDGER_FOLDER


def ledger_uri(event: dict[str, Any]) -> str:
    """Where the cohort's ledger is: beside its runs' outputs, named by the stack (its name and id: a stack
    deleted and made again is another) and the resource's logical id, so that every event finds it (a Delete
    of an old generation, with old properties, and a resource from before ledgers included) and no two stacks
    writing to one output prefix share one. A new output location is a shared setting: every sample runs again,
    recorded there."""
    output = str(event["ResourceProperties"].get("OutputUri", "")).rstrip("/")
    stack_name, _, stack_uuid = event["StackId"].rpartition(":stack/")[2].partition("/")
    return f"{output}/{LEDGER_FOLDER}/{stack_name}/{stack_uuid}/{event['LogicalResourceId']}.json"


def stack_account(event: dict[str, Any]) -> str:
    """The account of the stack (its id is an ARN): the owner of the CDK assets bucket a staged sheet is in."""
    return event["StackId"].split(":")[4]


def bucket_owner(event: dict[str, Any]) -> str:
    """Who owns the output bucket, where the ledger is: ``output_bucket_owner_id`` when given, else the stack's
    account. Every call the handler makes there says so (``ExpectedBucketOwner``)."""
    return str(event["ResourceProperties"].get(fields.BY_API["outputBucketOwnerId"].prop) or stack_account(event))
