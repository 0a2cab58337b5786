"""Advancing a chain after its runs end: the after-run handler calls ``advance`` with the ended runs' ids.

Nothing here trusts an event: each ended run is asked again with GetRun, and only COMPLETED counts (STOPPING is
not an end: the run still deprovisions, and its outputs are there once it is COMPLETED: "Run lifecycle in a
HealthOmics workflow", https://docs.aws.amazon.com/omics/latest/dev/monitoring-runs.html). A completed run's
outputs are read once, from its output summary ``output.json`` ("HealthOmics run outputs",
https://docs.aws.amazon.com/omics/latest/dev/workflows-run-outputs.html), and kept in the chain's state.

Then every step's every partition is looked at (in memory, no call): one whose inputs all COMPLETED (up to
``max_failed_inputs`` of them may have failed) and whose run for exactly these inputs was not started, is
started with StartRun and a requestId from ``run_model.chaining`` (a second event, a retry or a redeploy asks with
the same id: nothing starts twice). What a duplicated event brings is already known; what a lost event would have
brought, ``advance(..., reconcile=True)`` finds by listing the cohort's completed runs (ListRuns by batch).

State: one JSON object per chain beside the cohort's ledger (``<ledger>/chains/<chain>.json``): the shards, the
completed runs' outputs, and for each step's partition the digest and run it was started with. It is a record,
not the guard: the requestId is. A kill switch (``ChainSpec.enabled``) stops the chain from advancing.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Optional

from healthomics_run.run_model import chaining
from healthomics_run.run_model.chaining import COHORT, ChainSpec

from . import ledger, runs, s3_objects
from .log import log

ENDED_BADLY = frozenset({"FAILED", "CANCELLED", "DELETED"})
OUTPUT_SUMMARY = "output.json"
PENDING, DONE, FAILED = "pending", "done", "failed"


def state_uri(chain: ChainSpec) -> str:
    return f"{chain.cohort_ledger_uri.removesuffix('.json')}/{chaining.CHAIN_FOLDER}/{chain.name}.json"


def _new_state() -> dict[str, Any]:
    # samples: runSettingId -> {"key", "run"} of its completed run; outputs: runId -> output summary;
    # failed: runId -> status; runs: a step's runId -> [step, partition]; steps: step -> partition -> record
    return {"version": 1, "shards": {}, "samples": {}, "outputs": {}, "failed": {}, "runs": {}, "steps": {}}


def load_state(s3, chain: ChainSpec, owner: Optional[str] = None) -> dict[str, Any]:
    text = s3_objects.read_text(s3, state_uri(chain), owner) if s3_objects.exists(s3, state_uri(chain), owner) \
        else None
    return json.loads(text) if text else _new_state()


def save_state(s3, chain: ChainSpec, state: dict[str, Any], owner: Optional[str] = None) -> None:
    s3_objects.write_text(s3, state_uri(chain), json.dumps(state, sort_keys=True, separators=(",", ":")), owner)


def read_outputs(s3, run_output_uri: str, owner: Optional[str] = None) -> dict[str, Any]:
    """The run's output summary: the shortest ``output.json`` under its output folder; {} when there is none."""
    bucket, prefix = s3_objects.location(run_output_uri.rstrip("/") + "/")
    extra = {"ExpectedBucketOwner": owner} if owner else {}
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **extra):
        found += [item["Key"] for item in page.get("Contents", []) if item["Key"].rsplit("/", 1)[-1] == OUTPUT_SUMMARY]
    if not found:
        return {}
    return json.loads(s3.get_object(Bucket=bucket, Key=min(found, key=len), **extra)["Body"].read())


class Controller:
    def __init__(self, omics, s3, chain: ChainSpec, owner: Optional[str] = None) -> None:
        self.omics, self.s3, self.chain, self.owner = omics, s3, chain, owner
        self.state = load_state(s3, chain, owner)
        self.book = ledger.load(s3, chain.cohort_ledger_uri, owner)
        self.started: dict[str, int] = {}
        # runSettingId -> (key, batch) of the wanted run of each sample, in the ledger's (append) order
        self.wanted: dict[str, tuple[str, str]] = {}
        if self.book is not None:
            for key, entry in self.book.samples.items():
                if ledger.WANTED in entry[2]:
                    self.wanted[entry[0]] = (key, entry[1])

    # -- what ended --------------------------------------------------------------------------------
    def observe(self, run_id: str, *, run_setting_id: Optional[str] = None) -> None:
        """Record what ``run_id`` is now, as GetRun says (never as an event says)."""
        if run_id in self.state["outputs"]:
            return  # a duplicated event: known already
        found = runs.describe(self.omics, run_id)
        if found is None or found["status"] not in {"COMPLETED", *ENDED_BADLY}:
            return  # not ended (STOPPING included), or gone
        if run_id in self.state["runs"]:
            self._ended(run_id, found)
            return
        batch = found.get("batchId")
        if batch is None or self.book is None or batch not in self.book.batches:
            return  # not a run of this chain
        if run_setting_id is None:
            listed = runs.call("ListRunsInBatch", self.omics.list_runs_in_batch, batchId=batch, runId=run_id)
            run_setting_id = next((r["runSettingId"] for r in listed.get("runs", []) if r.get("runId") == run_id),
                                  None)
        wanted = self.wanted.get(run_setting_id or "")
        if wanted is None or wanted[1] != batch:
            return  # a sample no longer wanted, or an older run of it
        if self._ended(run_id, found):
            self.state["samples"][run_setting_id] = {"key": wanted[0], "run": run_id}

    def _ended(self, run_id: str, found: dict[str, Any]) -> bool:
        if found["status"] != "COMPLETED":
            self.state["failed"][run_id] = found["status"]
            return False
        self.state["failed"].pop(run_id, None)
        self.state["outputs"][run_id] = read_outputs(self.s3, found["runOutputUri"], self.owner)
        return True

    def reconcile(self) -> None:
        """Find what lost events would have said: the cohort's completed and failed runs (ListRuns by batch and
        status, ListRunsInBatch for their samples) and the chain's own runs not known to have ended (GetRun)."""
        if self.book is None:
            return
        known = set(self.state["outputs"]) | set(self.state["failed"])
        for batch in {b for _, b in self.wanted.values()}:
            ended = set()
            for status in ("COMPLETED", *sorted(ENDED_BADLY)):
                ended |= {run["id"] for run in _pages(self.omics.list_runs, "items", batchId=batch, status=status)}
            if not ended - known:
                continue
            samples = {r["runId"]: r["runSettingId"] for r in _pages(self.omics.list_runs_in_batch, "runs",
                                                                     token_name="startingToken", batchId=batch)
                       if r.get("runId")}
            for run_id in sorted(ended - known):
                self.observe(run_id, run_setting_id=samples.get(run_id))
        for run_id in list(self.state["runs"]):
            if run_id not in known:
                self.observe(run_id)

    # -- what starts -------------------------------------------------------------------------------
    def advance(self) -> dict[str, int]:
        if not self.chain.enabled:
            log("chain", chain=self.chain.name, outcome="not advanced: the chain's kill switch is on")
            return {}
        samples = list(self.wanted)
        for step in self.chain.steps:
            if step.partition["kind"] == chaining.Shards.kind:
                size = str(step.partition["size"])
                self.state["shards"][size] = chaining.extend_shards(self.state["shards"].get(size, []), samples,
                                                                     int(size))
        nodes: dict[str, dict[str, tuple[list[str], str, Optional[str]]]] = {COHORT: self._cohort(samples)}
        for step in self.chain.ordered():
            nodes[step.name] = self._step(step, samples, nodes[step.after])
        return dict(self.started)

    def _cohort(self, samples: list[str]) -> dict[str, tuple[list[str], str, Optional[str]]]:
        """partition key -> (its samples, its status, its run when done) for the cohort's per-sample runs."""
        node = {}
        for sample in samples:
            done = self.state["samples"].get(sample)
            if done is not None and done["key"] == self.wanted[sample][0]:
                node[f"sample:{sample}"] = ([sample], DONE, done["run"])
            else:
                node[f"sample:{sample}"] = ([sample], PENDING, None)
        return node

    def _step(self, step, samples: list[str], upstream) -> dict[str, tuple[list[str], str, Optional[str]]]:
        members_of = {key: members for key, (members, _, _) in upstream.items()}
        node, records = {}, self.state["steps"].setdefault(step.name, {})
        for key, members in chaining.partitions(step.partition, samples, self.state["shards"]).items():
            inputs = [upstream[name] for name in chaining.inputs_of(members, members_of)]
            statuses = [status for _, status, _ in inputs]
            done = [run for _, status, run in inputs if status == DONE]
            if PENDING in statuses or not inputs:
                node[key] = (members, PENDING, None)  # never before every input it needs has ended
                continue
            if statuses.count(FAILED) > step.max_failed_inputs or not done:
                node[key] = (members, FAILED, None)  # held back: it, and what depends on it
                continue
            summaries = [self.state["outputs"][run] for run in done]
            digest = chaining.step_digest(self.chain.name, step, key, [chaining.outputs_fingerprint(s)
                                                                       for s in summaries])
            record = records.get(key)
            if record is None or record["digest"] != digest:
                record = records[key] = {"digest": digest, "run": self._start(step, key, digest, summaries)}
                self.state["runs"][record["run"]] = [step.name, key]
            run = record["run"]
            status = DONE if run in self.state["outputs"] else FAILED if run in self.state["failed"] else PENDING
            node[key] = (members, status, run if status == DONE else None)
        return node

    def _start(self, step, key: str, digest: str, summaries: list[dict[str, Any]]) -> str:
        request = {"workflowId": step.workflow_id, "roleArn": self.chain.role_arn,
                   "name": f"{self.chain.name}/{step.name}/{key}"[:128],
                   "outputUri": chaining.step_output_uri(self.chain.output_uri, self.chain.name, step.name, digest),
                   "parameters": chaining.step_parameters(step, summaries)}
        found = runs.start(self.omics, request, chaining.step_request_id(digest))
        self.started[step.name] = self.started.get(step.name, 0) + 1
        return found["id"]

    def save(self) -> None:
        save_state(self.s3, self.chain, self.state, self.owner)


def _pages(method, items: str, *, token_name: str = "startingToken", **params: Any) -> Iterable[dict[str, Any]]:
    token = None
    while True:
        page = runs.call(method.__name__, method, **params, **({token_name: token} if token else {}))
        yield from page.get(items, [])
        token = page.get("nextToken")
        if not token:
            return


def advance(omics, s3, chain: ChainSpec, ended: Iterable[str] = (), *, reconcile: bool = False,
            owner: Optional[str] = None) -> dict[str, int]:
    """Observe the ended runs, start what is now ready; returns step -> runs started."""
    controller = Controller(omics, s3, chain, owner)
    if not chain.enabled:
        return controller.advance()
    for run_id in ended:
        controller.observe(run_id)
    if reconcile:
        controller.reconcile()
    try:
        return controller.advance()
    finally:
        controller.save()
        log("chain", chain=chain.name, started=controller.started)


def chains_of(config_chains: Iterable[dict[str, Any]], environ) -> list[ChainSpec]:
    """The stack's chains: as the writer's settings asset holds them (``Config.chains``), each deploy-time value
    taken from the function's environment (``CHAIN_REFS_ENV``). The chains are never in the environment itself:
    Lambda allows 4 KB for all of a function's variables ("Lambda quotas",
    https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)."""
    chains = list(config_chains)
    if not chains:
        return []
    refs = json.loads(environ.get(chaining.CHAIN_REFS_ENV) or "{}")
    return [ChainSpec.from_json(chaining.resolve_refs(data, refs)) for data in chains]


def on_run_ends(omics, s3, event: dict[str, Any], chains: list[ChainSpec], failures: list[dict[str, str]], *,
                owner: Optional[str] = None) -> None:
    """The after-run handler's hook: advance each of the stack's chains with the runs of this SQS batch. A
    chain that cannot advance fails the whole batch's messages (received again: advancing is idempotent)."""
    if not chains:
        return
    ended = [json.loads(m["body"]).get("detail", {}).get("runId") for m in event.get("Records", [])]
    for chain in chains:
        try:
            advance(omics, s3, chain, [r for r in ended if r], owner=owner)
        except Exception as error:  # noqa: BLE001 - any failure: the batch is received again
            log("chain", chain=chain.name, outcome=f"failed: {type(error).__name__}: {error}")
            failed = {f["itemIdentifier"] for f in failures}
            failures += [{"itemIdentifier": m["messageId"]} for m in event["Records"] if m["messageId"] not in failed]
