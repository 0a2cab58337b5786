"""The records a stack's runs should have and do not: written by ``healthomics-run provenance STACK``.

EventBridge delivers status events at best effort, so a record can be missing. This walks what the
stack says it started (each run resource's run and the one it replaced; each batch resource's batches,
found by batch name; each chain step's run, as the chain's state names it) and writes the record of every
ended run that has none, with the writer's own choices (off, location, parameter values, chains: read from the
writer function's environment).
"""

from __future__ import annotations

from typing import Iterator, Sequence

from healthomics_run.run_model.chaining import ChainSpec
from healthomics_run.run_model.provenance_settings import Config
from healthomics_run.service_calls import chain_controller, clients
from healthomics_run.service_calls import provenance_sweep as sweep
from healthomics_run.service_calls.provenance import PATIENT, Clients, load_config, write
from healthomics_run.service_calls.provenance_owners import Owners
from healthomics_run.service_calls.provenance_steps import ChainRuns

from .. import aws_access

WRITER_LOGICAL_PREFIX = "HealthOmicsRunProvenanceWriter"


def writer_config(cfn, lambda_client, stack_id: str, s3) -> tuple[Config, list[ChainSpec]] | None:
    """The stack's provenance choices, as its writer reads them (the object its environment names), and its
    chains (their deploy-time values from the same environment); None when it has no writer."""
    pages_ = cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id)
    writers = [summary["PhysicalResourceId"] for page in pages_ for summary in page["StackResourceSummaries"]
               if summary["ResourceType"] == "AWS::Lambda::Function"
               and summary["LogicalResourceId"].startswith(WRITER_LOGICAL_PREFIX)]
    if not writers:
        return None
    found = lambda_client.get_function_configuration(FunctionName=writers[0])
    environment = found.get("Environment", {}).get("Variables", {})
    config = load_config(s3, environment, stack_id)
    return config, chain_controller.chains_of(config.chains, environment)


def run_ids(aws: Clients, owners: Owners) -> Iterator[tuple[str, str | None]]:
    """``(run id, uuid or None)`` of every run the stack's resources say they started (as the writer's sweep
    walks them)."""
    return sweep.run_ids(aws.omics, owners)


def write_missing(aws: Clients, stack_id: str, config: Config, chains: Sequence[ChainSpec] = ()) -> list[str]:
    """Write every missing record of the stack's ended runs (its chains' step runs too); say, run by run, what
    was done."""
    owners = Owners(aws.cfn, stack_id, config, ChainRuns(aws.s3, chains, stack_id) if chains else None)
    return [write(aws, owners, run_id, uuid, only_missing=True) for run_id, uuid in run_ids(aws, owners)]


def for_stack(stack: str, region: str | None = None, profile: str | None = None) -> list[str]:
    """``write_missing`` for the stack named ``stack``, with the caller's credentials (``profile`` and ``region``
    as the AWS CLI's)."""
    session = aws_access.session("provenance", profile, region)
    cfn = session.client("cloudformation", config=PATIENT)
    stack_id = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackId"]
    found = writer_config(cfn, session.client("lambda", config=PATIENT), stack_id,
                          session.client("s3", config=PATIENT))
    if found is None:
        return [f"{stack} has no provenance writer (provenance is off for every run): nothing to write"]
    aws = Clients(omics=clients.new_omics_client(session.region_name, profile, config=PATIENT),
                  s3=session.client("s3", config=PATIENT), cfn=cfn)
    return write_missing(aws, stack_id, *found)
