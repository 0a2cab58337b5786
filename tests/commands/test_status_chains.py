"""healthomics-run status shows a cohort's chains step by step, from the chain state objects beside its ledger:
partitions and runs per step, what waits on what, what failed. The chain is advanced in the fake world as the
after-run handler advances it (``tests/chains/test_chaining.py``)."""

from __future__ import annotations

import json

from healthomics_run.commands.status import render
from healthomics_run.commands.status.declared import Declared
from healthomics_run.commands.status.survey import State
from healthomics_run.service_calls import chain_state, clients
from tests.chains.test_chaining import Chain, chain_of, cohort, cohort_runs, omics  # noqa: F401 - the fixture
from tests.commands.test_status import BATCH_PATH, survey  # noqa: F401 - the fixture
from tests.handlers.test_cohorts import CloudFormation, sample
from tests.world import BATCH_LOGICAL_ID, LEDGER_URI, STACK_ID


def deployed(props, count: int):
    deploy = CloudFormation(cohort(props, [sample(i) for i in range(1, count + 1)]))
    item = Declared("GermlineRunStack", BATCH_LOGICAL_ID, BATCH_PATH, "batch", deploy.props,
                    deploy.answer["PhysicalResourceId"], STACK_ID)
    return deploy, item


def test_status_shows_each_step_its_runs_what_waits_and_what_failed(omics, props, aws, survey):  # noqa: F811
    deploy, item = deployed(props, 30)
    chain = Chain(omics, chain_of(aws, shard_size=10))
    assert chain.deliver(chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"]))) == {"joint": 3}
    joint = sorted(chain.step_runs("joint"))
    chain.deliver(chain.end(joint[:1]) + chain.end(joint[1:2], status="FAILED"))

    states = chain_state.read_states(clients.s3(), LEDGER_URI)
    assert sorted(states["germline"]) == ["cohort", "joint", "merge"]
    assert states["germline"]["merge"]["partitions"] == {}  # the merge has started nothing yet

    rows = [row for row in survey.rows([item]) if row.kind == "chain step"]
    by_step = {row.path.rsplit("/", 1)[-1]: row for row in rows}
    assert list(by_step) == ["cohort", "joint", "merge"]
    assert by_step["cohort"].state is State.DONE
    assert by_step["cohort"].progress.startswith("30 samples' runs completed as the chain saw them, 0 failed")
    assert "shards made: 3 shards of 10" in by_step["cohort"].progress
    failed = by_step["joint"]
    assert failed.state is State.FAILED and failed.id == joint[1]
    assert failed.progress == ("after cohort, shards of 10: 3 partitions started, 1 completed, 1 running, "
                               "1 failed")
    assert f"aws omics get-run --id {joint[1]}" in failed.action
    assert failed.path == f"{BATCH_PATH}/chains/germline/joint"
    held = by_step["merge"]
    assert held.state is State.ACTIVE and held.progress.endswith(
        "0 partitions started, 0 completed, 0 running, 0 failed; held back where inputs failed: 1 failed runs of joint")

    text = render.table(survey.rows([item]))
    assert "chain step" in text and "S1" not in text.replace("S10", "")  # no sample id
    document = json.loads(render.as_json(survey.rows([item])))
    assert any(r["kind"] == "chain step" and r["state"] == "FAILED" for r in document["resources"])


def test_a_step_waits_on_the_running_step_before_it(omics, props, aws, survey):  # noqa: F811
    deploy, item = deployed(props, 20)
    chain = Chain(omics, chain_of(aws, shard_size=10))
    chain.deliver(chain.end(cohort_runs(omics, deploy.answer["Data"]["BatchId"])))
    joint = sorted(chain.step_runs("joint"))
    chain.deliver(chain.end(joint))  # both shards done: the merge starts
    merge = chain.step_runs("merge")
    assert len(merge) == 1
    rows = {row.path.rsplit("/", 1)[-1]: row for row in survey.rows([item]) if row.kind == "chain step"}
    assert list(rows) == ["cohort", "joint", "merge"]
    assert rows["joint"].state is State.DONE and rows["merge"].state is State.ACTIVE
    assert rows["merge"].progress == ("after joint, whole set: 1 partitions started, 0 completed, 1 running, "
                                      "0 failed")
