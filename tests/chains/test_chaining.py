"""Run chaining: a cohort, a sharded joint step after it, a merge after that, advanced after the deploy.

The cohort is deployed through the start-run handler as CloudFormation drives it (``tests.test_cohorts``); the
chain is advanced by ``service_calls.chain_controller`` with the ended runs' ids, as the after-run handler hands
them over (SQS batches of 10). AWS behaviour relied on:

- A run is ended only once COMPLETED (or FAILED, CANCELLED); STOPPING is not an end: the run still deprovisions
  ("Run lifecycle in a HealthOmics workflow", https://docs.aws.amazon.com/omics/latest/dev/monitoring-runs.html).
- A WDL or CWL run writes an output summary ``output.json`` whose keys are ``WorkflowName.output_name``
  ("HealthOmics run outputs", https://docs.aws.amazon.com/omics/latest/dev/workflows-run-outputs.html); the fake
  writes it at the top of the run's output folder (where under the folder is not documented: the controller
  takes the shortest ``output.json`` there, as ``service_calls.provenance_objects`` does).
- StartRun's requestId is an idempotency token: the same id starts the run once ("Start a run in HealthOmics",
  https://docs.aws.amazon.com/omics/latest/dev/starting-a-run.html).
- EventBridge delivers an event at least once, and a queue's message may be received again (duplicates), or lost
  to a dead-letter queue: both are played here.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from healthomics_run.run_model import chaining
from healthomics_run.run_model.chaining import COHORT, ChainSpec, PerSample, Shards, StepOutputs, StepSpec, WholeSet
from healthomics_run.service_calls import chain_controller, chain_state, clients, ledger
from healthomics_run.service_calls.budget import RetryLater
from healthomics_run.service_calls.runs import start as start_run
from tests.direct_s3 import DirectS3
from tests.fake_omics import REGION
from tests.handlers.test_cohorts import CloudFormation, sample
from tests.world import BATCH_TEMPLATE, LEDGER_URI, batch_properties, sheet_properties, stage_sheet

JOINT_WORKFLOW, MERGE_WORKFLOW, ANNOTATE_WORKFLOW = "2000001", "2000002", "2000003"


@pytest.fixture
def omics(omics):
    omics.workflows["1234567"]["parameterTemplate"] = BATCH_TEMPLATE
    omics.add_workflow(JOINT_WORKFLOW, {"gvcfs": {}})
    omics.add_workflow(MERGE_WORKFLOW, {"vcfs": {}})
    return omics


def cohort(props, samples: list[dict]) -> dict:
    """A cohort's properties, its sheet staged (as the construct stages any sheet of over 100 samples)."""
    uri = stage_sheet(samples, f"sheets/{len(samples)}-{samples[-1]['runSettingId']}.json")
    return sheet_properties(batch_properties(props), samples, uri)


def step(name, after, partition, parameters, workflow, **more) -> StepSpec:
    return StepSpec(name=name, workflow_id=workflow, after=after, partition=chaining.partition_json(partition),
                    parameters={k: chaining.parameter_json(v) for k, v in parameters.items()}, **more)


def chain_of(aws, shard_size: int = 100, **more) -> ChainSpec:
    return ChainSpec(name="germline", role_arn=aws["role_arn"], output_uri=aws["output_uri"],
                     cohort_ledger_uri=LEDGER_URI, cohort_outputs=["gvcf"], steps=[
                         step("joint", COHORT, Shards(size=shard_size), {"gvcfs": StepOutputs("gvcf", collected=True)},
                              JOINT_WORKFLOW, outputs=["vcf"]),
                         step("merge", "joint", WholeSet(), {"vcfs": StepOutputs("vcf", collected=True)},
                              MERGE_WORKFLOW, outputs=["vcf"])], **more)


class Chain:
    """The chain's runs, ended as HealthOmics ends them, their events handed to the controller. ``direct``: the
    controller's clients reach the HealthOmics fake and moto's S3 without HTTP (``FakeHealthOmics.direct``,
    ``tests.direct_s3``): the same answers, for the tens of thousands of calls of a full-size cohort."""

    def __init__(self, omics, spec: ChainSpec, *, direct: bool = False) -> None:
        self.omics, self.spec, self.s3 = omics, spec, boto3.client("s3", region_name=REGION)
        self.direct = DirectS3() if direct else None
        self.clients = (omics.direct(), self.direct) if direct else (clients.omics(), clients.s3())
        self.started: dict[str, int] = {}

    def end(self, run_ids, status: str = "COMPLETED") -> list[str]:
        for run_id in run_ids:
            run = self.omics.runs[run_id]
            run["status"] = status
            if status == "COMPLETED":
                name = "vcf" if run.get("batchId") is None else "gvcf"
                bucket, _, key = run["runOutputUri"].removeprefix("s3://").partition("/")
                body = json.dumps({f"Wf.{name}": f"{run['runOutputUri']}/out/{name}/{run_id}.vcf.gz"}).encode()
                if self.direct is not None:
                    self.direct.put_direct(bucket, f"{key}/output.json", body)
                else:
                    self.s3.put_object(Bucket=bucket, Key=f"{key}/output.json", Body=body)
        return list(run_ids)

    def deliver(self, run_ids, *, reconcile: bool = False) -> dict[str, int]:
        """The events of these runs, in SQS batches of 10."""
        ids, total = list(run_ids), {}
        for start in range(0, max(len(ids), 1), 10):
            started = chain_controller.advance(*self.clients, self.spec, ids[start:start + 10],
                                               reconcile=reconcile and start + 10 >= len(ids))
            for name, count in started.items():
                total[name] = total.get(name, 0) + count
                self.started[name] = self.started.get(name, 0) + count
        return total

    def step_runs(self, name: str) -> list[str]:
        return [run_id for run_id, run in self.omics.runs.items()
                if run["request"].get("name", "").startswith(f"germline/{name}/") and run["status"] == "PENDING"]

    def settle(self) -> None:
        """End every pending step run, step by step, delivering each run's event."""
        for name in ("joint", "merge"):
            self.deliver(self.end(self.step_runs(name)))


def cohort_runs(omics, batch_id: str) -> list[str]:
    return [run["id"] for run in omics.batch_runs(batch_id)]


def annotated(spec: ChainSpec) -> ChainSpec:
    """The chain with a per-sample step after the merge: each sample's annotation of the merged calls (a
    re-emit: every sample's runs again whenever the merge does)."""
    spec.steps.append(step("annotate", "merge", PerSample(), {"vcf": StepOutputs("vcf")}, ANNOTATE_WORKFLOW,
                           outputs=["vcf"]))
    return spec


def test_a_cohort_of_10000_grown_by_1000_starts_its_new_samples_one_new_shard_one_merge_and_the_re_emits(
        omics, props, aws):
    """The done-when of chaining at full size: shards of 1,000 are append-only, so the 1,000 new samples make one
    new shard; the merge runs again over 11 shards, and the per-sample step after it for every sample (its input,
    the merge, changed). A redeploy of the same cohort, every event of the growth again and a sweep for lost ones
    start nothing more; a failed sample of a later growth holds back its shard only, and the merge."""
    omics.add_workflow(ANNOTATE_WORKFLOW, {"vcf": {}})
    spec, samples = annotated(chain_of(aws, shard_size=1000)), [sample(i) for i in range(1, 10_001)]
    deploy = CloudFormation(cohort(props, samples))
    chain = Chain(omics, spec, direct=True)
    assert chain.deliver(chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"]))) == {"joint": 10}
    assert chain.deliver(chain.end(chain.step_runs("joint"))) == {"merge": 1}
    assert chain.deliver(chain.end(chain.step_runs("merge"))) == {"annotate": 10_000}

    grown = samples + [sample(i) for i in range(10_001, 11_001)]
    new = cohort_runs(omics, deploy.update(cohort(props, grown))["Data"]["BatchId"])
    assert len(new) == 1000 and omics.count("StartRunBatch") == 2
    lost = {new[3], new[700]}  # their events never arrive: the new shard waits
    assert chain.deliver([run for run in chain.end(new) if run not in lost]) == {}
    deploy.update(cohort(props, grown))  # the same cohort deployed again: no batch
    # duplicated events start nothing; the sweep finds the two lost: the new shard only, old shards keep members
    assert chain.deliver(new[:100], reconcile=True) == {"joint": 1}
    assert chain.deliver(chain.end(chain.step_runs("joint"))) == {"merge": 1}
    assert chain.deliver(chain.end(chain.step_runs("merge"))) == {"annotate": 11_000}
    assert chain.started == {"joint": 11, "merge": 2, "annotate": 21_000} and omics.count("StartRun") == 21_013

    # every event of the growth again and another sweep: nothing more
    assert chain.deliver(new, reconcile=True) == {}
    assert omics.count("StartRunBatch") == 2 and omics.count("StartRun") == 21_013

    more = cohort_runs(omics, deploy.update(cohort(props, grown + [sample(i) for i in range(11_001, 13_001)]))
                       ["Data"]["BatchId"])
    failed = chain.end(more[:1], status="FAILED")  # in shard 11; shard 12 has none
    assert chain.deliver(failed + chain.end(more[1:])) == {"joint": 1}
    assert chain.deliver(chain.end(chain.step_runs("joint"))) == {}  # the merge waits on shard 11


def test_lost_events_are_found_by_a_sweep_and_duplicates_start_nothing_twice(omics, props, aws):
    spec = chain_of(aws, shard_size=10)
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 31)]))
    chain = Chain(omics, spec)
    runs = chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"]))
    lost = {runs[4], runs[25]}  # one in shard 0, one in shard 2: those shards wait
    assert chain.deliver([r for r in runs if r not in lost] * 2) == {"joint": 1}
    assert chain.deliver([], reconcile=True) == {"joint": 2}  # the sweep finds the lost two
    assert chain.deliver(runs) == {}
    chain.settle()
    assert chain.started == {"joint": 3, "merge": 1}


def test_a_failed_sample_holds_back_only_its_shard(omics, props, aws):
    spec = chain_of(aws, shard_size=10)
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 21)]))
    chain = Chain(omics, spec)
    chain.deliver(chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"])))
    chain.settle()
    grown = deploy.update(cohort(props, [sample(i) for i in range(1, 41)]))
    new = cohort_runs(omics, grown["Data"]["BatchId"])
    chain.end(new[:1], status="FAILED")
    chain.deliver(new[:1])
    assert chain.deliver(chain.end(new[1:])) == {"joint": 1}  # shard 3, not shard 2 (its failed sample)
    assert chain.deliver(chain.end(chain.step_runs("joint"))) == {}  # the merge waits for every shard
    assert chain.started == {"joint": 3, "merge": 1}


def test_a_stopping_run_is_not_ended(omics, props, aws):
    spec = chain_of(aws, shard_size=10)
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 11)]))
    chain = Chain(omics, spec)
    runs = cohort_runs(omics, deploy.answer["Data"]["BatchId"])
    chain.end(runs)
    omics.runs[runs[0]]["status"] = "STOPPING"  # its event said it ended; GetRun says it has not
    assert chain.deliver(runs) == {}
    omics.runs[runs[0]]["status"] = "COMPLETED"
    assert chain.deliver(runs[:1]) == {"joint": 1}


def test_the_kill_switch_stops_the_chain(omics, props, aws):
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 11)]))
    chain = Chain(omics, chain_of(aws, shard_size=10, enabled=False))
    assert chain.deliver(chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"]))) == {}
    assert omics.count("StartRun") == 0


def test_each_step_run_writes_to_a_new_content_addressed_prefix(omics, props, aws):
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 11)]))
    chain = Chain(omics, chain_of(aws, shard_size=10))
    chain.deliver(chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"])))
    (request,) = omics.params_of("StartRun")
    assert request["outputUri"].startswith(f"{aws['output_uri']}chains/germline/joint/")
    assert request["requestId"] == "hr-" + request["outputUri"].rstrip("/").rsplit("/", 1)[-1][:32] + \
        request["requestId"][35:]
    assert len(request["parameters"]["gvcfs"]) == 10


# -- pure ----------------------------------------------------------------------------------------------

def test_shards_are_append_only():
    shards = chaining.extend_shards([], [f"s{i}" for i in range(250)], 100)
    assert [len(s) for s in shards] == [100, 100, 50]
    grown = chaining.extend_shards(shards, [f"s{i}" for i in range(260)], 100)
    assert grown[:3] == shards and grown[3] == [f"s{i}" for i in range(250, 260)]


def test_a_steps_shards_are_carved_from_state_shards_of_1000_and_never_span_two():
    """A step's shards of 300 over 2,500 new samples: the state shards hold 1,000, 1,000 and 500, each carved in
    300s, so no shard of the step spans two state objects; the plan counts the same."""
    sizes = [1000, 1000, 500]
    carved = [chaining.carve(sizes, index, [f"s{index}-{n}" for n in range(size)], 300)
              for index, size in enumerate(sizes)]
    assert [len(members) for shards in carved for members in shards.values()] == [300, 300, 300, 100] * 2 + [300, 200]
    assert list(carved[1])[0] == "shard:300:4"  # numbered on from the state shards before
    assert chaining.shards_for(2500, 300) == 10 and chaining.shards_for(1000, 1000) == 1


def test_version_2_step_shards_partly_full_and_of_two_sizes_are_carved_back_as_they_were():
    """Version 2 grew each size's shards by deploy: 25 samples then 10 more made [10, 10, 5, 10] at size 10 and
    [25, 10] at size 25. The state shards made of them carve back every shard, its members and its number."""
    samples = [f"s{i}" for i in range(35)]
    old = {10: [samples[0:10], samples[10:20], samples[20:25], samples[25:35]], 25: [samples[0:25], samples[25:35]]}
    groups = chaining.group_shards(old)
    sizes = [len(group) for group in groups]
    for size, shards in old.items():
        carved = {key: members for index, group in enumerate(groups)
                  for key, members in chaining.carve(sizes, index, group, size).items()}
        assert carved == {f"shard:{size}:{number}": shard for number, shard in enumerate(shards)}


def test_version_2_full_step_shards_are_joined_into_state_shards_of_at_most_1000():
    """Full shards end nowhere in particular: 2,500 samples in 25 shards of 100 make state shards of 1,000, 1,000
    and 500 (an ended run then costs one state shard's bytes), not 25 small ones."""
    shards = [[f"s{n}" for n in range(start, start + 100)] for start in range(0, 2500, 100)]
    assert [len(group) for group in chaining.group_shards({100: shards})] == [1000, 1000, 500]


def test_synth_checks_name_unknown_outputs_cycles_and_single_values_for_many_inputs(aws):
    spec = chain_of(aws)
    spec.steps[0].parameters["gvcfs"]["stepOutput"] = "bam"
    spec.steps[1].parameters["vcfs"]["collected"] = False
    spec.steps.append(step("a", "b", PerSample(), {}, "1"))
    spec.steps.append(step("b", "a", PerSample(), {}, "1"))
    spec.steps[0].parameter_template = {"gvcfs": {}, "reference": {}}
    spec.steps.append(step("wide", COHORT, Shards(size=1001), {}, "1"))
    errors = "\n".join(chaining.chain_errors(spec))
    assert "declares no output 'bam'" in errors
    assert "parameter 'vcfs' takes one value" in errors
    assert "steps in a cycle: ['a', 'b']" in errors
    assert "required parameter 'reference' has no value" in errors
    assert "step 'wide': Shards(size) must be from 1 to 1,000" in errors


def test_the_after_run_hook_advances_the_stacks_chains_with_the_batchs_runs(omics, props, aws):
    """The chains come from the writer's settings asset with each deploy-time value as ``{"$ref": n}``, the
    values from the function's environment: Lambda allows 4 KB for all of a function's variables ("Lambda
    quotas", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)."""
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 11)]))
    chain = Chain(omics, chain_of(aws, shard_size=10))
    runs = chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"]))
    records = [{"messageId": f"m{n}", "body": json.dumps({"detail": {"runId": run_id, "status": "COMPLETED"}})}
               for n, run_id in enumerate(runs)]
    settings = chain.spec.to_json()
    settings["roleArn"], settings["steps"][0]["workflowId"] = {chaining.REF: "0"}, {chaining.REF: "1"}
    env = {chaining.CHAIN_REFS_ENV: json.dumps({"0": chain.spec.role_arn, "1": JOINT_WORKFLOW})}
    (found,) = chain_controller.chains_of([settings], env)
    assert found.to_json() == chain.spec.to_json()
    failures: list = []
    chain_controller.on_run_ends(clients.omics(), clients.s3(), {"Records": records}, [found], failures)
    assert failures == [] and omics.count("StartRun") == 1
    chain_controller.on_run_ends(clients.omics(), clients.s3(), {"Records": records},
                                 chain_controller.chains_of([], {}), failures)
    assert omics.count("StartRun") == 1  # no chains: nothing asked


def known_runs(spec: ChainSpec) -> set[str]:
    """Every run the chain's state holds the outputs of (the census and every shard)."""
    states = chain_state.read_states(clients.s3(), spec.cohort_ledger_uri)[spec.name]
    return {run for part in states.values() for run in part.get("outputs", {})}


def test_two_handlers_at_once_lose_nothing_the_second_to_write_reads_again(omics, props, aws, monkeypatch):
    """Two handlers read the state, each observes half the cohort; the first writes, the second's write is put
    with ``If-Match`` the ETag it read, which S3 answers with 412 Precondition Failed since the object changed
    ("How to prevent object overwrites with conditional writes",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html; moto answers so too). The
    second reads again and redoes its batch: no run is lost, and the shard of every sample starts once."""
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 21)]))
    chain = Chain(omics, chain_of(aws, shard_size=20))
    runs = chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"]))
    chain.deliver(runs[:1])  # the state's objects exist: the next writes are If-Match
    real_save, conflicts = chain_controller.Controller.save, []

    def another_handler_writes_first(controller):
        if not conflicts:
            conflicts.append("other")
            chain_controller.advance(clients.omics(), clients.s3(), chain.spec, runs[1:10])
        return real_save(controller)

    monkeypatch.setattr(chain_controller.Controller, "save", another_handler_writes_first)
    chain_controller.advance(clients.omics(), clients.s3(), chain.spec, runs[10:])
    monkeypatch.setattr(chain_controller.Controller, "save", real_save)
    assert conflicts == ["other"] and known_runs(chain.spec) >= set(runs)
    assert omics.count("StartRun") == 1  # the shard of the 20, started by the retried batch


def test_a_stale_handler_cannot_write_over_a_shard_another_changed(omics, props, aws):
    """A handler that read a shard before another wrote it gets 412 from its ``If-Match`` write ("How to prevent
    object overwrites with conditional writes",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html), and what the other wrote stays."""
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 21)]))
    chain = Chain(omics, chain_of(aws, shard_size=20))
    chain.deliver(chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"])))
    stale, (joint,) = chain_controller.Controller(clients.omics(), clients.s3(), chain.spec), chain.step_runs("joint")
    stale.shards.setdefault(0, stale.objects.read(chain_state.shard_name(0)) or {})
    chain.deliver(chain.end([joint]))  # another handler writes the shard (its joint run's outputs)
    stale.shards[0]["failed"][joint] = "FAILED"  # what a handler that read before would write over it
    with pytest.raises(chain_controller.Conflict):
        stale.save()
    assert joint in known_runs(chain.spec)


class Version2:
    """What release 0.3.0's controller wrote (state version 2, before state shards): per ``Shards`` size the
    chain's append-only shards, grown by each deploy's new samples (so partly full ones stay in the middle),
    keyed ``shard:<size>:<n>`` in that list's order; one object for the cohort (``shards``, ``samples``,
    ``walked`` and its runs' ``outputs``, ``prints``, ``failed``) and one per step (``partitions``: key ->
    {"digest", "run"}, its ``runs``, ``after``, ``partition`` and its runs' outputs); runs named
    ``<chain>/<step>/<partition>``. Each partition's run is started as that release did, with the same digest,
    and ended here unless its step is ``left`` running."""

    def __init__(self, chain: Chain) -> None:
        self.chain, self.spec, self.prints, self.left = chain, chain.spec, {}, ""
        self.parts = {COHORT: {"version": 2, "shards": {}, "samples": {}, "walked": None, **self._per_run()},
                      **{step.name: {"version": 2, "partitions": {}, "runs": {}, "after": step.after,
                                     "partition": step.partition, **self._per_run()} for step in self.spec.steps}}

    @staticmethod
    def _per_run() -> dict:
        return {"outputs": {}, "prints": {}, "failed": {}}

    def _ended(self, part: dict, run_id: str) -> None:
        outputs = chain_controller.read_outputs(clients.s3(), self.chain.omics.runs[run_id]["runOutputUri"])
        part["outputs"][run_id] = outputs
        part["prints"][run_id] = self.prints[run_id] = chaining.outputs_fingerprint(outputs)

    def advance(self, cohort_run_ids: list[str]) -> None:
        """A deploy's cohort runs completed and recorded, its new samples made new shards, every step run."""
        book = ledger.load(clients.s3(), LEDGER_URI, None)
        wanted = {entry[0]: [key, entry[1]] for key, entry in book.samples.items() if ledger.WANTED in entry[2]}
        cohort_part = self.parts[COHORT]
        for run_id in cohort_run_ids:
            sample_id = self.chain.omics.runs[run_id]["runSettingId"]
            cohort_part["samples"][sample_id] = {"key": wanted[sample_id][0], "run": run_id}
            self._ended(cohort_part, run_id)
        cohort_part["walked"] = chaining.content_digest({"chain": self.spec.to_json(), "wanted": sorted(
            wanted.items())})
        nodes = {COHORT: {f"sample:{sample_id}": ([sample_id], cohort_part["samples"][sample_id]["run"])
                          for sample_id in wanted}}
        for step in self.spec.ordered():
            shards = None
            if step.partition["kind"] == Shards.kind:
                size = step.partition["size"]
                made = cohort_part["shards"][str(size)] = chaining.extend_shards(
                    cohort_part["shards"].get(str(size), []), wanted, size)
                shards = {f"shard:{size}:{number}": shard for number, shard in enumerate(made)}
            upstream, node = nodes[step.after], nodes.setdefault(step.name, {})
            inputs = chaining.Inputs({key: members for key, (members, _) in upstream.items()})
            for key, members in chaining.partitions(step.partition, list(wanted), shards).items():
                prints = [self.prints[upstream[name][1]] for name in inputs.of(members)]
                node[key] = (members, self._run(step, key, prints))

    def _run(self, step: StepSpec, key: str, prints: list[str]) -> str:
        digest, part = chaining.step_digest(self.spec.name, step, key, prints), self.parts[step.name]
        if part["partitions"].get(key, {}).get("digest") != digest:
            found = start_run(clients.omics(), {
                "workflowId": step.workflow_id, "roleArn": self.spec.role_arn, "name": f"germline/{step.name}/{key}",
                "outputUri": chaining.step_output_uri(self.spec.output_uri, self.spec.name, step.name, digest),
                "parameters": {}}, chaining.step_request_id(digest))
            part["partitions"][key], part["runs"][found["id"]] = {"digest": digest, "run": found["id"]}, [step.name,
                                                                                                        key]
            if step.name != self.left:
                self._ended(part, self.chain.end([found["id"]])[0])
        return part["partitions"][key]["run"]

    def write(self) -> None:
        bucket, prefix = chain_state.folder(self.spec).removeprefix("s3://").split("/", 1)
        for name, part in self.parts.items():
            self.chain.s3.put_object(Bucket=bucket, Key=f"{prefix}{name}.json", Body=json.dumps(part).encode())


def test_a_chain_whose_state_is_version_2_with_partly_full_shards_restarts_nothing_and_grows_by_new_shards(
        omics, props, aws):
    """A chain deployed before state shards: 25 samples, then 10 more, in shards of 10, made shards of
    [10, 10, 5, 10] (``Version2``). The controller reads that state once and keeps each shard's members and key,
    so every digest is the one already started: nothing starts again (StartRun's requestId is an idempotency
    token, "Start a run in HealthOmics", https://docs.aws.amazon.com/omics/latest/dev/starting-a-run.html, but a
    re-cut shard has new members, a new digest and so a new run); the merge left running is seen to end. A growth
    by 10 then starts one new shard, ``shard:10:4``, and the merge."""
    chain = Chain(omics, chain_of(aws, shard_size=10))
    old = Version2(chain)
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 26)]))
    old.advance(chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"])))
    grown, old.left = deploy.update(cohort(props, [sample(i) for i in range(1, 36)])), "merge"
    old.advance(chain.end(cohort_runs(omics, grown["Data"]["BatchId"])))
    old.write()
    assert [len(shard) for shard in old.parts[COHORT]["shards"]["10"]] == [10, 10, 5, 10]
    (merge,), before = chain.step_runs("merge"), omics.count("StartRun")

    assert chain.deliver(chain.end([merge])) == {}  # its old name says no shard: found in the state all the same
    assert chain.deliver(list(omics.runs), reconcile=True) == {}
    assert omics.count("StartRun") == before and merge in known_runs(chain.spec)
    more = deploy.update(cohort(props, [sample(i) for i in range(1, 46)]))
    assert chain.deliver(chain.end(cohort_runs(omics, more["Data"]["BatchId"]))) == {"joint": 1}
    (joint,) = chain.step_runs("joint")
    assert omics.runs[joint]["request"]["name"] == "germline/joint/2/shard:10:4"  # state shard 2: the new samples
    assert chain.deliver(chain.end([joint])) == {"merge": 1}


def test_a_save_whose_census_write_failed_is_finished_by_the_retry_and_starts_nothing_twice(omics, props, aws):
    """An attempt writes the new shard (``If-None-Match: *``) and then S3 answers the census's PutObject with
    InternalError, which a client is to retry ("Amazon S3 error best practices",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorBestPractices.html); the batch is received again.
    The retry must read the shard that attempt left: ``If-None-Match: *`` on a key that exists is 412
    Precondition Failed ("How to prevent object overwrites with conditional writes",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html), which would be a Conflict on
    every attempt for good. The retry writes it ``If-Match`` its ETag, and the joint run it holds starts once."""
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 11)]))
    chain = Chain(omics, chain_of(aws, shard_size=10), direct=True)
    runs = chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"]))
    put, failed = chain.direct.put_object, []

    def census_fails_once(**params):
        if params["Key"].endswith("/census.json") and not failed:
            failed.append(params["Key"])
            raise ClientError({"Error": {"Code": "InternalError", "Message": "InternalError"}}, "PutObject")
        return put(**params)

    chain.direct.put_object = census_fails_once
    with pytest.raises(RetryLater):
        chain.deliver(runs)
    assert chain.deliver(runs) == {}  # the retry of the batch: finishes the save, starts nothing
    (joint,) = [run for run in omics.runs.values() if run["request"].get("name", "").startswith("germline/joint/")]
    assert failed and omics.count("StartRun") == 1 and chain.step_runs("joint") == [joint["id"]]
    assert chain.deliver(chain.end([joint["id"]])) == {"merge": 1}


def test_a_403_for_a_state_object_the_folders_listing_lacks_is_read_as_not_there(omics, props, aws):
    """A role that may not list the bucket gets 403 AccessDenied, not 404, for a missing key (GetObject,
    "Permissions", Amazon S3 API Reference, https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html):
    the state folder's listing, which the roles may make, lacks the key, so the chain starts its state and goes on."""
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 11)]))
    chain = Chain(omics, chain_of(aws, shard_size=10), direct=True)
    chain.direct.missing_code = "AccessDenied"
    assert chain.deliver(chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"]))) == {"joint": 1}
    assert chain.deliver(chain.end(chain.step_runs("joint"))) == {"merge": 1}


def test_a_403_for_a_state_object_that_is_there_raises_naming_the_key_and_the_permission(omics, props, aws):
    """A 403 does not say the object is absent (GetObject, "Permissions", Amazon S3 API Reference,
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html): a shard the folder's listing holds but
    GetObject refuses is a missing permission. The chain stops with an error naming the key and ``s3:GetObject``
    rather than taking the shard for new (and retrying into 412s), and the shard is left as it was."""
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, 21)]))
    chain = Chain(omics, chain_of(aws, shard_size=10), direct=True)
    runs = chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"]))
    chain.deliver(runs[:1])
    bucket, folder = chain_state.folder(chain.spec).removeprefix("s3://").split("/", 1)
    shard = f"{folder}{chain_state.shard_name(0)}.json"
    before = chain.direct.get_object(Bucket=bucket, Key=shard)["ETag"]
    chain.direct.denied.add(shard)
    with pytest.raises(chain_state.Denied, match=rf"s3://{bucket}/{shard} .*403.*s3:GetObject"):
        chain.deliver(runs[1:])
    chain.direct.denied.clear()
    assert chain.direct.get_object(Bucket=bucket, Key=shard)["ETag"] == before
