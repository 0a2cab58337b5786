"""Provenance records of a chain's step runs, each linked to the runs whose outputs it read (issue #29).

The cohort is deployed through the start-run handler (``tests.handlers.test_cohorts``), the chain advanced by the
controller as the after-run handler hands it the ended runs (``tests.chains.test_chaining``), and each ended run's
record written by the provenance writer with the stack's chains (``service_calls.provenance_steps``). Sources of
what the tests rely on:

- A record is a Workflow Run RO-Crate: the run is a ``CreateAction`` whose ``object`` is its inputs and ``result``
  its outputs (Process Run Crate 0.5, https://w3id.org/ro/wfrun/process/0.5); one action's outputs are another's
  inputs when the same data entity is the ``result`` of the one and the ``object`` of the other (Provenance Run
  Crate 0.5, https://w3id.org/ro/wfrun/provenance/0.5: "intermediate outputs"). Across two records, the same
  ``@id`` (the output's S3 URI) makes that link; each upstream run is also named by its ARN (an
  ``upstream-run`` ``PropertyValue``), the ``identifier`` of its action in its own record.
- A run's ARN is ``arn:${Partition}:omics:${Region}:${Account}:run/${Id}`` ("Actions, resources, and condition
  keys for AWS HealthOmics", Service Authorization Reference,
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthomics.html); GetRun answers it
  (API reference GetRun), and a step run is in the account and Region of the runs it read (the same function
  started them all), so an upstream run's ARN is the step run's with the upstream id.
- GetRun answers the run's ``name``; a name is the caller's to choose ("Start a run in HealthOmics",
  https://docs.aws.amazon.com/omics/latest/dev/starting-a-run.html), so it never proves which stack started a run.
- EventBridge delivers ``Run Status Change`` at least once and best effort ("Using EventBridge with AWS
  HealthOmics"): an event may come twice, or never (the hourly sweep finds the run).
"""

from __future__ import annotations

import json
from datetime import timedelta

import boto3

from healthomics_run.commands.provenance import missing
from healthomics_run.run_model import chaining
from healthomics_run.run_model import provenance_crate as crate
from healthomics_run.run_model.chaining import COHORT, ChainSpec, PerSample, Shards, StepOutputs, WholeSet
from healthomics_run.run_model.provenance_settings import Config
from healthomics_run.service_calls import provenance as writer
from healthomics_run.service_calls import provenance_history, provenance_sweep
from healthomics_run.service_calls.provenance_owners import Owners
from healthomics_run.service_calls.provenance_steps import ChainRuns
from tests.chains.test_chaining import (  # noqa: F401 (fixture)
    ANNOTATE_WORKFLOW,
    JOINT_WORKFLOW,
    MERGE_WORKFLOW,
    Chain,
    cohort,
    cohort_runs,
    omics,
    step,
)
from tests.fake_cloudformation import FakeStack
from tests.fake_omics import REGION
from tests.handlers.test_cohorts import CloudFormation, sample
from tests.ro_crate import assert_valid
from tests.world import BATCH_LOGICAL_ID, LEDGER_URI, STACK_ID

BATCH_PATH = "GermlineRunStack/germline/Batch/Resource"
OTHER_STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/OtherStack/00000000-0000-0000-0000-000000000002"


def spec_of(aws, *steps) -> ChainSpec:
    return ChainSpec(name="germline", role_arn=aws["role_arn"], output_uri=aws["output_uri"],
                     cohort_ledger_uri=LEDGER_URI, cohort_outputs=["gvcf"], steps=list(steps))


def per_sample():
    return step("annotate", COHORT, PerSample(), {"vcf": StepOutputs("gvcf")}, ANNOTATE_WORKFLOW, outputs=["vcf"])


def sharded(size: int):
    return step("joint", COHORT, Shards(size=size), {"gvcfs": StepOutputs("gvcf", collected=True)}, JOINT_WORKFLOW,
                outputs=["vcf"])


def merged():
    return step("merge", "joint", WholeSet(), {"vcfs": StepOutputs("vcf", collected=True)}, MERGE_WORKFLOW,
                outputs=["vcf"])


class World:
    """A stack with a cohort and one chain: its runs ended as HealthOmics ends them, the chain advanced with their
    events, and the writer that records them (its owners know the stack's chains, as the after-run handler's do)."""

    def __init__(self, omics, props, aws, spec: ChainSpec, samples: int) -> None:
        omics.add_workflow(ANNOTATE_WORKFLOW, {"vcf": {}})
        self.omics, self.spec = omics, spec
        self.deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, samples + 1)]))
        batch_id = self.deploy.answer["Data"]["BatchId"]
        self.stack = FakeStack(STACK_ID)
        self.stack.add(BATCH_LOGICAL_ID, "Custom::HealthOmicsRunBatch", self.deploy.answer["PhysicalResourceId"],
                       BATCH_PATH)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.config = Config(batches={BATCH_LOGICAL_ID: omics.client.get_batch(batchId=batch_id)["name"]})
        self.aws = writer.Clients(omics=omics.client, s3=self.s3, cfn=self.stack.client)
        self.chain = Chain(omics, spec)
        self.cohort = cohort_runs(omics, batch_id)

    def owners(self, chains=None, stack_id: str = STACK_ID) -> Owners:
        chains = [self.spec] if chains is None else chains
        return Owners(self.stack.client, STACK_ID, self.config, ChainRuns(self.s3, chains, stack_id))

    def end(self, run_ids) -> list[str]:
        """The runs complete (their output summaries written, GetRun's stop time set); the chain hears of it."""
        self.chain.end(run_ids)
        for run_id in run_ids:
            self.omics.end_run(run_id)
        self.chain.deliver(run_ids)
        return list(run_ids)

    def step_runs(self, name: str) -> list[str]:
        return self.chain.step_runs(name)

    def record(self, run_id: str, owners=None) -> dict:
        outcome = writer.write(self.aws, owners or self.owners(), run_id)
        assert outcome.endswith("ro-crate-metadata.json"), outcome
        bucket, key = outcome.rsplit(" wrote ", 1)[1].removeprefix("s3://").split("/", 1)
        return assert_valid(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def arn(run_id: str) -> str:
    return f"arn:aws:omics:{REGION}:123456789012:run/{run_id}"


def entities(record: dict) -> dict[str, dict]:
    return {entity["@id"]: entity for entity in record["@graph"]}


def action(record: dict) -> dict:
    return next(e for e in record["@graph"] if e["@id"].startswith("#run-"))


def ids(value) -> list[str]:
    return [item["@id"] for item in (value if isinstance(value, list) else [value])]


def linked_runs(record: dict) -> list[str]:
    """The upstream runs the record's run action names as its inputs, by ARN."""
    found = entities(record)
    return sorted(found[ref]["value"] for ref in ids(action(record)["object"])
                  if found[ref].get("propertyID") == "upstream-run")


def test_a_per_sample_step_runs_record_links_its_one_sample_run_and_that_runs_output(omics, props, aws):
    world = World(omics, props, aws, spec_of(aws, per_sample()), samples=3)
    world.end(world.cohort)
    (first, *_) = world.step_runs("annotate")
    read = omics.runs[first]["request"]["parameters"]["vcf"]
    (upstream,) = [run for run in world.cohort if read.endswith(f"/{run}.vcf.gz")]
    world.end([first])
    step_record, sample_record = world.record(first), world.record(upstream)
    assert linked_runs(step_record) == [arn(upstream)] == [action(sample_record)["identifier"]]
    assert read in ids(action(step_record)["object"]) and read in ids(action(sample_record)["result"])


def test_a_shard_runs_record_links_each_of_its_sample_runs(omics, props, aws):
    world = World(omics, props, aws, spec_of(aws, sharded(size=5)), samples=10)
    world.end(world.cohort)
    shard_runs = world.end(world.step_runs("joint"))
    linked = [linked_runs(world.record(run)) for run in shard_runs]
    assert sorted(run for runs in linked for run in runs) == sorted(arn(run) for run in world.cohort)
    assert [len(runs) for runs in linked] == [5, 5]
    counted = entities(world.record(shard_runs[0]))["#property-upstream-runs"]
    assert counted["value"] == 5


def test_a_merges_record_links_its_shard_runs_not_their_samples(omics, props, aws):
    world = World(omics, props, aws, spec_of(aws, sharded(size=5), merged()), samples=10)
    world.end(world.cohort)
    shard_runs = world.end(world.step_runs("joint"))
    (merge,) = world.end(world.step_runs("merge"))
    assert linked_runs(world.record(merge)) == sorted(arn(run) for run in shard_runs)


def test_a_step_runs_record_names_the_chain_step_and_no_sample_id(omics, props, aws):
    """The partition of a per-sample step is its sample (``sample:<id>``, in the run's name): the record says the
    chain and step, and identifies the runs by id only."""
    world = World(omics, props, aws, spec_of(aws, per_sample()), samples=2)
    world.end(world.cohort)
    (first, *_) = world.end(world.step_runs("annotate"))
    record = world.record(first)
    properties = {e.get("propertyID"): e.get("value") for e in record["@graph"]}
    assert properties["deploy:chainStep"] == "germline/annotate"
    assert properties["deploy:logicalId"] == BATCH_LOGICAL_ID
    assert "SAMPLE-000" not in json.dumps(record)


def test_a_step_runs_history_record_lies_beside_the_cohorts_where_a_plan_reads_it(omics, props, aws):
    """Not in the step run's own output folder (one per run of a step: a plan would never find them)."""
    world = World(omics, props, aws, spec_of(aws, sharded(size=5)), samples=5)
    world.end(world.cohort)
    (run,) = world.end(world.step_runs("joint"))
    world.record(run)
    described = omics.client.get_run(id=run)
    bucket, prefix = aws["output_uri"].removeprefix("s3://").split("/", 1)
    key = f"{prefix.rstrip('/')}/.healthomics-run/history/{provenance_history.day(described)}/{described['uuid']}.json"
    assert world.s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


def test_the_step_runs_of_one_state_shard_read_it_once_not_once_a_run(omics, props, aws):
    world = World(omics, props, aws, spec_of(aws, per_sample()), samples=3)
    world.end(world.cohort)
    step_runs = world.end(world.step_runs("annotate"))
    reads: list[str] = []
    world.s3.meta.events.register("before-parameter-build.s3.GetObject",
                                  lambda params, **_: reads.append(params["Key"]))
    owners = world.owners()
    for run in step_runs:
        world.record(run, owners)
    assert len([key for key in reads if key.endswith("/chains/germline/shard-00000.json")]) == 1


def test_a_run_of_another_stack_named_like_a_step_run_is_not_claimed(omics, props, aws):
    world = World(omics, props, aws, spec_of(aws, sharded(size=5)), samples=5)
    world.end(world.cohort)
    (ours,) = world.step_runs("joint")
    theirs = omics.client.start_run(workflowId=JOINT_WORKFLOW, roleArn=aws["role_arn"], outputUri=aws["output_uri"],
                                    name=omics.runs[ours]["request"]["name"], requestId="another-stack")["id"]
    world.end([ours, theirs])
    assert writer.write(world.aws, world.owners(), theirs) == \
        f"run {theirs} was not started by this stack; nothing written"
    assert writer.write(world.aws, world.owners(), ours).endswith("ro-crate-metadata.json")


def test_a_chain_whose_ledger_is_another_stacks_claims_nothing(omics, props, aws):
    """A chain's state lies beside its cohort's ledger, named by the stack's name and id: the state of a chain of
    another stack (the same cohort deployed twice) does not make its runs this stack's."""
    world = World(omics, props, aws, spec_of(aws, sharded(size=5)), samples=5)
    world.end(world.cohort)
    (ours,) = world.end(world.step_runs("joint"))
    outcome = writer.write(world.aws, world.owners(stack_id=OTHER_STACK_ID), ours)
    assert outcome == f"run {ours} was not started by this stack; nothing written"


def test_a_step_runs_event_twice_writes_its_record_once_the_same(omics, props, aws):
    world = World(omics, props, aws, spec_of(aws, sharded(size=5)), samples=5)
    world.end(world.cohort)
    (run,) = world.end(world.step_runs("joint"))
    owners = world.owners()
    first = world.record(run, owners)
    assert writer.write(world.aws, owners, run, only_missing=True) == \
        f"run {run}: written by this writer already"
    assert world.record(run, owners) == first


def test_the_sweep_finds_a_step_run_whose_event_was_lost(omics, props, aws):
    world = World(omics, props, aws, spec_of(aws, sharded(size=5)), samples=5)
    world.end(world.cohort)
    (run,) = world.step_runs("joint")
    world.chain.end([run])
    omics.end_run(run)  # its event never comes: the chain has not heard of it either
    stopped = omics.client.get_run(id=run)["stopTime"]
    scheduled = (stopped + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = provenance_sweep.candidates(omics.client, world.owners(), scheduled)
    assert (run, None) in found
    assert (run, None) not in provenance_sweep.candidates(omics.client, world.owners(chains=[]), scheduled)


def test_the_provenance_command_writes_a_step_runs_missing_record(omics, props, aws):
    """``healthomics-run provenance STACK`` walks the chains' step runs as the sweep does (their state), with the
    chains its writer's settings and environment name."""
    world = World(omics, props, aws, spec_of(aws, sharded(size=5)), samples=5)
    world.end(world.cohort)
    (run,) = world.end(world.step_runs("joint"))
    outcomes = missing.write_missing(world.aws, STACK_ID, world.config, [world.spec])
    assert f"run {run}: wrote {omics.runs[run]['runOutputUri']}/ro-crate-metadata.json" in outcomes
    assert not any(outcome.startswith(f"run {run}:") for outcome in
                   missing.write_missing(world.aws, STACK_ID, world.config))  # without its chains: not walked


def test_a_read_of_more_runs_than_are_kept_records_their_count_and_digest():
    """A merge of 100,000 per-sample runs: the state keeps how many and a digest, not 100,000 ids (bounded state
    and record); up to ``INPUT_RUNS_KEPT`` (a shard's 1,000 samples) the ids are kept."""
    many = [f"{n:07d}" for n in range(1, chaining.INPUT_RUNS_KEPT + 2)]
    assert "runs" not in chaining.input_runs(COHORT, many)
    assert chaining.input_runs(COHORT, many[:-1])["runs"] == many[:-1]
    ended = "2026-12-07T12:00:00+00:00"
    run = {"id": "7654321", "uuid": "u-1", "arn": arn("7654321"), "status": "COMPLETED", "workflowId": MERGE_WORKFLOW,
           "creationTime": ended, "startTime": ended, "stopTime": ended,
           "runOutputUri": "s3://example-output-bucket/germline/chains/germline/merge/0/7654321"}
    built = crate.build(run=run,
                        workflow=None, tasks=[], inputs=[], outputs=[], deploy={"stackId": STACK_ID},
                        parameters_digest="0" * 64, with_values=False, upstream=chaining.input_runs(COHORT, many))
    assert_valid(built)
    found = entities(built)
    assert found["#property-upstream-runs"]["value"] == len(many)
    assert found["#property-upstream-runs-sha256"]["value"] == chaining.input_runs(COHORT, many)["sha256"]
    assert linked_runs(built) == []


def test_the_state_keeps_what_each_step_run_read_when_it_starts_it(omics, props, aws):
    """The controller records each step run's input runs in the chain's state when it starts it (a shard run's
    sample runs here), so the writer asks no GetRun of them, and knows them before the step run ends."""
    world = World(omics, props, aws, spec_of(aws, sharded(size=5)), samples=5)
    world.end(world.cohort)
    (run,) = world.step_runs("joint")
    found = world.owners().chain_runs.of(omics.client.get_run(id=run))
    assert found.inputs == {"after": COHORT, "count": 5, "runs": sorted(world.cohort)}
