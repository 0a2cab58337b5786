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

State: beside the cohort's ledger, one object for the cohort's runs and one per step
(``<ledger>/chains/<chain>/<cohort|step>.json``): the shards, the completed runs' outputs and their fingerprints,
and for each step's partition the digest and run it was started with. Only the objects that changed are written,
each with an S3 conditional write (``State``): of two handlers at once, the second to write reads again and
redoes its batch. The walk over the partitions is skipped when a batch brought nothing new. The state is a
record, not the guard: the requestId is. A kill switch (``ChainSpec.enabled``) stops the chain from advancing.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Iterable, Optional

from healthomics_run.run_model import chaining
from healthomics_run.run_model.chaining import COHORT, ChainSpec

from . import ledger, runs, s3_objects
from .log import log

ENDED_BADLY = frozenset({"FAILED", "CANCELLED", "DELETED"})
OUTPUT_SUMMARY = "output.json"
PENDING, DONE, FAILED = "pending", "done", "failed"


def state_folder(chain: ChainSpec) -> str:
    """The chain's state: beside the cohort's ledger, one object for the cohort's runs, one per step."""
    return f"{chain.cohort_ledger_uri.removesuffix('.json')}/{chaining.CHAIN_FOLDER}/{chain.name}/"


def _new_state() -> dict[str, Any]:
    # samples: runSettingId -> {"key", "run"} of its completed run; outputs: runId -> output summary; prints:
    # runId -> its outputs' fingerprint; failed: runId -> status; runs: a step's runId -> [step, partition];
    # steps: step -> partition -> record; walked: what the last walk of the partitions saw (skipped if unchanged)
    return {"version": 2, "shards": {}, "samples": {}, "outputs": {}, "prints": {}, "failed": {}, "runs": {},
            "steps": {}, "walked": None}


_PER_RUN = ("outputs", "prints", "failed")


class Conflict(Exception):
    """Another handler wrote one of the chain's state objects since this one read it (S3 answered 412)."""


class State:
    """The chain's state, read from and written to its objects with S3 conditional writes: each object is put
    with ``If-Match`` the ETag it was read with, or ``If-None-Match: *`` when it was not there, so that of two
    handlers that read it, the second to write gets 412 Precondition Failed and starts over ("How to prevent
    object overwrites with conditional writes", https://docs.aws.amazon.com/AmazonS3/latest/userguide/
    conditional-writes.html). Only objects whose content changed are written: a batch of the cohort's runs
    writes the cohort's object, a step's object changes only when one of its runs starts or ends."""

    def __init__(self, s3, chain: ChainSpec, owner: Optional[str]) -> None:
        self.s3, self.chain, self.owner = s3, chain, owner
        self.etags: dict[str, Optional[str]] = {}  # of the objects read; none: the object was not there
        self.texts: dict[str, Optional[str]] = {}
        self.data = _new_state()
        bucket, prefix = s3_objects.location(state_folder(chain))
        extra = {"ExpectedBucketOwner": owner} if owner else {}
        listed = s3_objects.call("ListObjectsV2", lambda: s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **extra))
        there = {item["Key"] for item in listed.get("Contents", [])}  # a chain's few objects: one page
        for name in [COHORT, *(step.name for step in chain.steps)]:
            part = self._read(name) if s3_objects.location(self._uri(name))[1] in there else None
            if part is None:
                continue
            for key in (*_PER_RUN, "runs"):
                self.data[key].update(part.get(key, {}))
            if name == COHORT:
                for key in ("shards", "samples", "walked"):
                    self.data[key] = part.get(key, self.data[key])
            else:
                self.data["steps"][name] = part.get("partitions", {})

    def _uri(self, name: str) -> str:
        return f"{state_folder(self.chain)}{name}.json"

    def _read(self, name: str) -> Optional[dict[str, Any]]:
        bucket, key = s3_objects.location(self._uri(name))
        extra = {"ExpectedBucketOwner": self.owner} if self.owner else {}
        found = s3_objects.call("GetObject", lambda: self.s3.get_object(Bucket=bucket, Key=key, **extra))
        text = found["Body"].read().decode("utf-8")
        self.etags[name], self.texts[name] = found["ETag"], text
        return json.loads(text)

    def parts(self) -> dict[str, dict[str, Any]]:
        """The state split into its objects: each run's outputs, fingerprint and failure with the step that
        started it (the cohort's runs with the cohort)."""
        owner_of = {run: step for run, (step, _) in self.data["runs"].items()}
        parts: dict[str, dict[str, Any]] = {
            COHORT: {"version": 2, "shards": self.data["shards"], "samples": self.data["samples"],
                     "walked": self.data["walked"], **{key: {} for key in _PER_RUN}}}
        for step in self.chain.steps:
            parts[step.name] = {"version": 2, "partitions": self.data["steps"].get(step.name, {}), "runs": {},
                                "after": step.after, "partition": step.partition,  # for `healthomics-run status`
                                **{key: {} for key in _PER_RUN}}
        for run, (step, key) in self.data["runs"].items():
            if step in parts:
                parts[step]["runs"][run] = [step, key]
        for key in _PER_RUN:
            for run, value in self.data[key].items():
                parts.get(owner_of.get(run, COHORT), parts[COHORT])[key][run] = value
        return parts

    def save(self) -> int:
        """Write the objects that changed; raises ``Conflict`` on 412. Returns how many were written."""
        from botocore.exceptions import ClientError

        written = 0
        for name, part in self.parts().items():
            text = json.dumps(part, sort_keys=True, separators=(",", ":"))
            if text == self.texts.get(name):
                continue
            bucket, key = s3_objects.location(self._uri(name))
            condition = {"IfMatch": self.etags[name]} if self.etags.get(name) else {"IfNoneMatch": "*"}
            extra = {"ExpectedBucketOwner": self.owner} if self.owner else {}
            put = functools.partial(self.s3.put_object, Bucket=bucket, Key=key, Body=text.encode("utf-8"),
                                    ContentType="application/json", **condition, **extra)
            try:
                answer = s3_objects.call("PutObject", put)
            except ClientError as error:
                if s3_objects.error_code(error) in ("PreconditionFailed", "412"):
                    raise Conflict(f"{self._uri(name)} changed since it was read") from error
                raise
            self.etags[name], self.texts[name] = answer.get("ETag"), text
            written += 1
        return written


def read_states(s3, ledger_uri: str, owner: Optional[str] = None) -> dict[str, dict[str, dict[str, Any]]]:
    """Every chain's state beside a cohort's ledger, as its objects hold it: chain -> object name (``cohort`` or
    a step's) -> its content; what ``healthomics-run status`` shows step by step."""
    bucket, prefix = s3_objects.location(f"{ledger_uri.removesuffix('.json')}/{chaining.CHAIN_FOLDER}/")
    extra = {"ExpectedBucketOwner": owner} if owner else {}
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **extra):
        for item in page.get("Contents", []):
            chain, _, name = item["Key"][len(prefix):].partition("/")
            if not name.endswith(".json") or "/" in name:
                continue
            body = s3.get_object(Bucket=bucket, Key=item["Key"], **extra)["Body"].read()
            found.setdefault(chain, {})[name.removesuffix(".json")] = json.loads(body)
    return found


def read_outputs(s3, run_output_uri: str, owner: Optional[str] = None) -> dict[str, Any]:
    """The run's output summary: ``output.json`` at the top of its output folder, else the shortest one under
    it (where HealthOmics puts it is not documented); {} when there is none."""
    from botocore.exceptions import ClientError

    bucket, prefix = s3_objects.location(run_output_uri.rstrip("/") + "/")
    extra = {"ExpectedBucketOwner": owner} if owner else {}
    try:  # one call where HealthOmics put it at the top: a 404 (or the 403 S3 may answer for a missing key to
        # a caller whose ListBucket is limited by s3:prefix) is asked again by listing, a denial then raises
        top = f"{prefix}{OUTPUT_SUMMARY}"
        return json.loads(s3_objects.call("GetObject", lambda: s3.get_object(Bucket=bucket, Key=top, **extra)
                                          ["Body"].read()))
    except ClientError as error:
        if s3_objects.error_code(error) not in ("NoSuchKey", "404", "AccessDenied", "403"):
            raise
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **extra):
        found += [item["Key"] for item in page.get("Contents", []) if item["Key"].rsplit("/", 1)[-1] == OUTPUT_SUMMARY]
    if not found:
        return {}
    return json.loads(s3.get_object(Bucket=bucket, Key=min(found, key=len), **extra)["Body"].read())


class Controller:
    def __init__(self, omics, s3, chain: ChainSpec, owner: Optional[str] = None) -> None:
        self.omics, self.s3, self.chain, self.owner = omics, s3, chain, owner
        self.stored = State(s3, chain, owner)
        self.state = self.stored.data
        self.seen_new = False  # whether this batch brought anything the state did not know
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
            self.seen_new = self.seen_new or self.state["failed"].get(run_id) != found["status"]
            self.state["failed"][run_id] = found["status"]
            return False
        self.state["failed"].pop(run_id, None)
        outputs = read_outputs(self.s3, found["runOutputUri"], self.owner)
        self.state["outputs"][run_id] = outputs
        self.state["prints"][run_id] = chaining.outputs_fingerprint(outputs)  # once per run, not per walk
        self.seen_new = True
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
        walk = chaining.content_digest({"chain": self.chain.to_json(), "wanted": sorted(self.wanted.items())})
        if not self.seen_new and self.state["walked"] == walk:
            return {}  # nothing ended, and neither the chain nor the cohort changed: nothing can be ready
        self.state["walked"] = walk
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
        node: dict[str, tuple[list[str], str, Optional[str]]] = {}
        records = self.state["steps"].setdefault(step.name, {})
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
            prints = [self.state["prints"].get(run) or chaining.outputs_fingerprint(self.state["outputs"][run])
                      for run in done]
            digest = chaining.step_digest(self.chain.name, step, key, prints)
            record = records.get(key)
            if record is None or record["digest"] != digest:
                summaries = [self.state["outputs"][run] for run in done]
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

    def save(self) -> int:
        return self.stored.save()


def _pages(method, items: str, *, token_name: str = "startingToken", **params: Any) -> Iterable[dict[str, Any]]:
    token = None
    while True:
        page = runs.call(method.__name__, method, **params, **({token_name: token} if token else {}))
        yield from page.get(items, [])
        token = page.get("nextToken")
        if not token:
            return


ATTEMPTS = 5  # of one batch's advance, when other handlers keep writing the state first


def advance(omics, s3, chain: ChainSpec, ended: Iterable[str] = (), *, reconcile: bool = False,
            owner: Optional[str] = None) -> dict[str, int]:
    """Observe the ended runs, start what is now ready, save the state; returns step -> runs started.

    When another handler wrote the state first (412), everything is read again and done again: observing is
    asking GetRun again, and a start asks StartRun with the same requestId, which starts nothing twice."""
    ended = list(ended)
    for attempt in range(1, ATTEMPTS + 1):
        controller = Controller(omics, s3, chain, owner)
        if not chain.enabled:
            return controller.advance()
        for run_id in ended:
            controller.observe(run_id)
        if reconcile:
            controller.reconcile()
        started = controller.advance()
        try:
            controller.save()
        except Conflict as conflict:
            log("chain", chain=chain.name, outcome=f"attempt {attempt}: {conflict}; read again")
            if attempt == ATTEMPTS:
                raise
            continue
        log("chain", chain=chain.name, started=started)
        return started
    raise AssertionError("unreachable")


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
