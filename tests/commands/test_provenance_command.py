"""``healthomics-run provenance STACK``: the records EventBridge's best-effort delivery left missing.

"Events are delivered on a best-effort basis" (HealthOmics guide, "Using EventBridge with AWS
HealthOmics"), so a run's end may never reach the writer. ListBatch takes one filter per call, here the
batch name (API reference ListBatch; HealthOmics guide, "Run batches"); ListRunsInBatch lists each run's
``runId`` and ``runInternalUuid`` (API reference ListRunsInBatch).
"""

from __future__ import annotations

import subprocess
import sys

from healthomics_run.commands.provenance import missing
from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model.provenance_settings import Config
from healthomics_run.service_calls import provenance as writer
from tests.provenance_world import BATCH_PATH, deployed_run, finish, omics, record_at, s3, stack, write  # noqa: F401 (fixtures)
from tests.world import BATCH_LOGICAL_ID, BATCH_TEMPLATE, STACK_ID, batch_event, batch_properties


def clients(omics, s3, stack):
    return writer.Clients(omics=omics.client, s3=s3, cfn=stack.client)


def test_the_command_writes_the_record_of_an_ended_run_that_has_none(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    outcomes = missing.write_missing(clients(omics, s3, stack), STACK_ID, Config())
    uri = f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"
    assert outcomes == [f"run {ref.id}: wrote {uri}"]
    assert record_at(s3, uri)


def test_the_command_leaves_a_record_that_exists_as_it_is(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    write(omics, s3, stack, ref.id)
    outcomes = missing.write_missing(clients(omics, s3, stack), STACK_ID, Config())
    assert outcomes == [f"run {ref.id}: {omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json exists"]


def test_the_command_finds_the_runs_of_a_batch_by_its_batch_name(omics, s3, stack, props):
    omics.workflows["1234567"]["parameterTemplate"] = BATCH_TEMPLATE
    answer = handler.on_event(batch_event("Create", batch_properties(props)))
    stack.add(BATCH_LOGICAL_ID, "Custom::HealthOmicsRunBatch", answer["PhysicalResourceId"], BATCH_PATH)
    (batch_id,) = omics.batches
    for run in omics.batch_runs(batch_id):
        finish(omics, s3, run["id"])
    config = Config(batches={BATCH_LOGICAL_ID: "CohortStack/Cohort/Batch"})
    outcomes = missing.write_missing(clients(omics, s3, stack), STACK_ID, config)
    assert sorted(outcomes) == sorted(f"run {run['id']}: wrote {run['runOutputUri']}/ro-crate-metadata.json"
                                      for run in omics.batch_runs(batch_id))


def test_a_stack_without_a_writer_has_no_records_to_write(stack):
    assert missing.writer_config(stack.client, None, STACK_ID, None) is None


def test_the_command_loads_neither_aws_cdk_nor_the_constructs():
    """``healthomics-run`` runs where the CDK is not installed (a CI job, an auditor's laptop)."""
    code = ("import sys; from healthomics_run.commands.cli import console; "
            "from healthomics_run.commands.provenance import missing; "
            "assert 'aws_cdk' not in sys.modules, sorted(m for m in sys.modules if m.startswith('aws_cdk'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
