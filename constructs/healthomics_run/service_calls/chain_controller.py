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

State (``chain_state``): a small census and append-only state shards of at most ``STATE_SHARD`` samples, so that
an SQS batch of ended runs reads and writes the census, the index objects naming its samples' shards, and those
shards: bytes flat in the cohort's size. Only when something spans every shard is every shard read: when the ledger
or the chain changed (a deploy), when a sweep reconciles, when a wide partition (``WholeSet``) becomes ready or its
inputs changed, and when a wide run ends and a per-shard step comes after it; each is a step of the whole cohort,
not of one run. Each object is written on the condition that it did not change since it was read: of two handlers
at once, the second to write reads again and redoes its batch. The state is a record, not the guard: the
requestId is. A kill switch (``ChainSpec.enabled``) stops the chain from advancing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable, Optional

from healthomics_run.run_model import chaining
from healthomics_run.run_model.chaining import ALL, COHORT, ChainSpec

from . import chain_state, ledger, runs, s3_objects
from .chain_state import Conflict
from .log import log

__all__ = ["Conflict", "Controller", "advance", "chains_of", "on_run_ends", "read_outputs"]

ENDED_BADLY = frozenset({"FAILED", "CANCELLED", "DELETED"})
OUTPUT_SUMMARY = "output.json"
PENDING, DONE, FAILED = "pending", "done", "failed"


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


WIDE = "all"  # where a wide partition's run is kept, in its name: the census
Node = dict[str, tuple[list[str], str, Optional[str], dict[str, Any]]]  # key -> (members, status, run, its part)


def _summary(node: Node) -> dict[str, Any]:
    """What the census keeps of a node in one shard: its pending, failed and done partitions, and a signature that
    changes whenever any of them does."""
    statuses = [status for _, status, _, _ in node.values()]
    said = "\n".join(sorted(f"{key} {status} {run or ''}" for key, (_, status, run, _) in node.items()))
    return {"p": statuses.count(PENDING), "f": statuses.count(FAILED), "d": statuses.count(DONE),
            "sig": hashlib.sha256(said.encode("utf-8")).hexdigest()[:16]}


class Controller:
    def __init__(self, omics, s3, chain: ChainSpec, owner: Optional[str] = None) -> None:
        self.omics, self.s3, self.chain, self.owner = omics, s3, chain, owner
        self.objects = chain_state.Objects(s3, chain_state.folder(chain), owner)
        self.shards: dict[int, dict[str, Any]] = {}
        self.indexes: dict[int, dict[str, Any]] = {}
        self.started: dict[str, int] = {}
        self.touched: set[int] = set()  # the shards an ended run changed
        self.wide_ended = False  # a wide run's end changed the census
        self.complete = False  # every shard is loaded, and is walked
        census = self.objects.read(chain_state.CENSUS)
        self.census: dict[str, Any] = census if census is not None else chain_state.new_part(sizes=[], summary=[])
        tag = self._ledger_tag()
        if census is None or census.get("ledger") != tag or census.get("chain") != self._digest():
            self._build(tag, first=census is None)

    def _digest(self) -> str:
        return chaining.content_digest(self.chain.to_json())

    def _ledger_tag(self) -> Optional[str]:
        """The ledger's ETag, listed (no body read): the census is rebuilt only when it changed."""
        bucket, key = s3_objects.location(self.chain.cohort_ledger_uri)
        extra = {"ExpectedBucketOwner": self.owner} if self.owner else {}
        listed = s3_objects.call("ListObjectsV2", lambda: self.s3.list_objects_v2(Bucket=bucket, Prefix=key,
                                                                                  MaxKeys=1, **extra))
        return next((item.get("ETag") for item in listed.get("Contents", []) if item["Key"] == key), None)

    # -- the state's objects -------------------------------------------------------------------------
    def _shard(self, index: int) -> dict[str, Any]:
        if index not in self.shards:
            self.shards[index] = (self.objects.read(chain_state.shard_name(index))
                                  or chain_state.new_part(members=[], wanted={}))
        return self.shards[index]

    def _load_all(self) -> None:
        for index in range(len(self.census["sizes"])):
            self._shard(index)
        self.complete = True

    def _index(self, sample: str) -> dict[str, int]:
        bucket = chaining.index_bucket(sample)
        if bucket not in self.indexes:
            self.indexes[bucket] = self.objects.read(chain_state.index_name(bucket)) or {"shards": {}}
        return self.indexes[bucket]["shards"]

    def _build(self, tag: Optional[str], *, first: bool) -> None:
        """The census and shards for the ledger as it is now (a deploy changed it, or the chain changed): new
        samples form new shards, every shard learns which of its samples the ledger wants. Reads every shard."""
        book = ledger.load(self.s3, self.chain.cohort_ledger_uri, self.owner)
        wanted: dict[str, list[str]] = {}  # runSettingId -> [key, batch] of its wanted run, in the ledger's order
        for key, entry in (book.samples.items() if book is not None else ()):
            if ledger.WANTED in entry[2]:
                wanted[entry[0]] = [key, entry[1]]
        old = chain_state.read_v2(self.objects, self.chain, self.objects.names()) if first else None
        self._load_all()
        members = [self.shards[index]["members"] for index in sorted(self.shards)]
        if old is not None:  # version 2: every size's step shards kept as they are, grouped into state shards
            sizes = dict.fromkeys(int(step.partition["size"]) for step in self.chain.ordered()
                                  if step.partition["kind"] == chaining.Shards.kind)
            members = chaining.group_shards({size: old["shards"].get(str(size), []) for size in sizes})
        indexed = set() if old is not None else {sample for shard in members for sample in shard}
        for index, shard in enumerate(chaining.extend_shards(members, wanted, chaining.STATE_SHARD)):
            part = self._shard(index)  # read even when new: an attempt whose census write failed may have written it
            part["members"], part["wanted"] = shard, {sample: wanted[sample] for sample in shard if sample in wanted}
            for sample in shard:
                if sample not in indexed:
                    self._index(sample)[sample] = index
        self.census.update(ledger=tag, chain=self._digest(), batches=sorted(book.batches) if book else [],
                           sizes=[len(self.shards[index]["members"]) for index in sorted(self.shards)],
                           layout={step.name: {"after": step.after, "partition": step.partition}
                                   for step in self.chain.steps})
        self.census["summary"] += [{}] * (len(self.census["sizes"]) - len(self.census["summary"]))
        if old is not None:
            self._distribute(old)

    def _distribute(self, old: dict[str, Any]) -> None:
        """Version 2's records, each into the shard of its samples (a wide partition's into the census)."""
        shard_of = {sample: index for index, part in self.shards.items() for sample in part["members"]}
        home = self._homes()
        owner: dict[str, dict[str, Any]] = {}  # runId -> its part
        for sample, record in old["samples"].items():
            if sample in shard_of:
                part = owner[record["run"]] = self.shards[shard_of[sample]]
                part["samples"][sample] = record
        for step, records in old["steps"].items():
            for key, record in records.items():
                part = home.get(key, self.census)
                part["steps"].setdefault(step, {})[key] = record
                part["runs"][record["run"]] = [step, key]
                owner[record["run"]] = part
        for key in chain_state.PER_RUN:  # a failed cohort run's sample is not recorded: it is asked again
            for run, value in old[key].items():
                if run in owner:
                    owner[run][key][run] = value

    def _homes(self) -> dict[str, dict[str, Any]]:
        """Partition key -> the shard that holds it, for every per-sample and sharded partition."""
        home: dict[str, dict[str, Any]] = {}
        for index, part in self.shards.items():
            home.update({f"sample:{sample}": part for sample in part["members"]})
            for step in self.chain.steps:
                if step.partition["kind"] == chaining.Shards.kind:
                    home.update(dict.fromkeys(chaining.carve(self.census["sizes"], index, part["members"],
                                                             step.partition["size"]), part))
        return home

    # -- what ended --------------------------------------------------------------------------------
    def observe(self, run_id: str, *, run_setting_id: Optional[str] = None) -> None:
        """Record what ``run_id`` is now, as GetRun says (never as an event says)."""
        found = runs.describe(self.omics, run_id)
        if found is None or found["status"] not in {"COMPLETED", *ENDED_BADLY}:
            return  # not ended (STOPPING included), or gone
        batch = found.get("batchId")
        if batch is None:
            self._step_run_ended(run_id, found)
            return
        if batch not in self.census["batches"]:
            return  # not a run of this chain
        if run_setting_id is None:
            listed = runs.call("ListRunsInBatch", self.omics.list_runs_in_batch, batchId=batch, runId=run_id)
            run_setting_id = next((r["runSettingId"] for r in listed.get("runs", []) if r.get("runId") == run_id),
                                  None)
        index = self._index(run_setting_id).get(run_setting_id) if run_setting_id else None
        if index is None:
            return
        part = self._shard(index)
        wanted = part["wanted"].get(run_setting_id)
        if wanted is None or wanted[1] != batch or run_id in part["outputs"]:
            return  # a sample no longer wanted, an older run of it, or a duplicated event
        if self._ended(part, run_id, found):
            part["samples"][run_setting_id] = {"key": wanted[0], "run": run_id}
        self.touched.add(index)

    def _step_run_ended(self, run_id: str, found: dict[str, Any]) -> None:
        """A step's run: its name says where its record is (``_start``); a name that does not (a run started
        before state shards) is looked for in every shard."""
        name = found.get("name") or ""
        if not name.startswith(f"{self.chain.name}/"):
            return  # not a run of this chain
        where = next((name[len(f"{self.chain.name}/{step.name}/"):].split("/", 1)[0] for step in self.chain.steps
                      if name.startswith(f"{self.chain.name}/{step.name}/")), "")
        if not (where == WIDE or where.isdigit()):
            self._load_all()
        parts = [self.census] if where == WIDE else [self._shard(int(where))] if where.isdigit() else \
            [self.census, *self.shards.values()]
        part = next((part for part in parts if run_id in part["runs"]), None)
        if part is None or run_id in part["outputs"]:
            return
        self._ended(part, run_id, found)
        if part is self.census:
            self.wide_ended = True
        else:
            self.touched.add(next(index for index, shard in self.shards.items() if shard is part))

    def _ended(self, part: dict[str, Any], run_id: str, found: dict[str, Any]) -> bool:
        if found["status"] != "COMPLETED":
            part["failed"][run_id] = found["status"]
            return False
        part["failed"].pop(run_id, None)
        outputs = read_outputs(self.s3, found["runOutputUri"], self.owner)
        part["outputs"][run_id] = outputs
        part["prints"][run_id] = chaining.outputs_fingerprint(outputs)  # once per run, not per walk
        return True

    def reconcile(self) -> None:
        """Find what lost events would have said: the cohort's completed and failed runs (ListRuns by batch and
        status, ListRunsInBatch for their samples) and the chain's own runs not known to have ended (GetRun).
        Reads every shard, and walks them all."""
        self._load_all()
        parts = [self.census, *self.shards.values()]
        known = {run for part in parts for key in ("outputs", "failed") for run in part[key]}
        for batch in sorted({batch for part in self.shards.values() for _, batch in part["wanted"].values()}):
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
        for run_id in [run for part in parts for run in part["runs"] if run not in known]:
            self.observe(run_id)

    # -- what starts -------------------------------------------------------------------------------
    def advance(self) -> dict[str, int]:
        """Walk the shards an ended run changed (every shard when the whole cohort is concerned), start what is
        ready; a wide partition that may have become ready, or a wide run's end, walks every shard."""
        if self.wide_ended:
            self._load_all()
        if not (self.touched or self.complete):
            return {}  # nothing ended, and neither the chain nor the cohort changed: nothing can be ready
        if not self._walk():
            self._load_all()
            self._walk()
        return dict(self.started)

    def _walk(self) -> bool:
        """Walk the loaded shards; False when a wide partition needs every shard and not all were loaded."""
        indices = sorted(self.shards) if self.complete else sorted(self.touched)
        nodes: dict[int, dict[str, Node]] = {index: {COHORT: self._cohort(self.shards[index])} for index in indices}
        for step in self.chain.ordered():
            if not chaining.wide(step.partition):
                for index in indices:
                    part = self.shards[index]
                    carved = chaining.carve(self.census["sizes"], index, part["members"],
                                            step.partition["size"]) if "size" in step.partition else None
                    samples = self._samples(part)
                    nodes[index][step.name] = self._step(step, part, str(index), chaining.partitions(
                        step.partition, samples, carved), nodes[index][step.after])
                continue
            node = self._wide(step, indices, nodes) if self.complete else self._wide_known(step, indices, nodes)
            if node is None:
                return False
            for index in indices:
                samples = self._samples(self.shards[index])
                nodes[index][step.name] = {key: (samples, status, run, part)
                                           for key, (_, status, run, part) in node.items()}
        for index in indices:
            self.census["summary"][index] = {name: _summary(node) for name, node in nodes[index].items()}
        return True

    @staticmethod
    def _samples(part: dict[str, Any]) -> list[str]:
        return [sample for sample in part["members"] if sample in part["wanted"]]

    def _wide(self, step, indices: list[int], nodes: dict[int, dict[str, Node]]) -> Node:
        """A wide step's partition over every shard (all loaded)."""
        upstream: Node = {}
        for index in indices:
            upstream.update(nodes[index][step.after])
        samples = [sample for index in indices for sample in self._samples(self.shards[index])]
        return self._step(step, self.census, WIDE, chaining.partitions(step.partition, samples), upstream)

    def _wide_known(self, step, indices: list[int], nodes: dict[int, dict[str, Node]]) -> Optional[Node]:
        """A wide step's partition from the census (its inputs' counts per shard, this walk's for the shards
        walked); None when its inputs may have changed and are all ended: then it is walked over every shard."""
        fresh = {index: _summary(nodes[index][step.after]) for index in indices}
        counts = [fresh.get(index) or self.census["summary"][index].get(step.after) or {"p": 1}
                  for index in range(len(self.census["sizes"]))]
        record = self.census["steps"].get(step.name, {}).get(ALL)
        pending, failed, done = (sum(found.get(key, 0) for found in counts) for key in ("p", "f", "d"))
        if pending or not counts:
            status = PENDING
        elif failed > step.max_failed_inputs or not done:
            status = FAILED
        elif record is None or any(fresh[index]["sig"] != self.census["summary"][index].get(step.after, {}).get("sig")
                                   for index in indices):
            return None
        else:
            status = self._status(self.census, record["run"])
        run = record["run"] if record is not None and status == DONE else None
        return {ALL: ([], status, run, self.census)}

    def _cohort(self, part: dict[str, Any]) -> Node:
        """partition key -> (its samples, its status, its run when done, its part) for a shard's samples."""
        node: Node = {}
        for sample in self._samples(part):
            done = part["samples"].get(sample)
            if done is not None and done["key"] == part["wanted"][sample][0]:
                node[f"sample:{sample}"] = ([sample], DONE, done["run"], part)
            else:
                node[f"sample:{sample}"] = ([sample], PENDING, None, part)
        return node

    @staticmethod
    def _status(part: dict[str, Any], run: str) -> str:
        return DONE if run in part["outputs"] else FAILED if run in part["failed"] else PENDING

    def _step(self, step, part: dict[str, Any], where: str, partitions: dict[str, list[str]], upstream: Node) -> Node:
        inputs_of = chaining.Inputs({key: members for key, (members, _, _, _) in upstream.items()})
        node: Node = {}
        records, settings = part["steps"].setdefault(step.name, {}), step.settings_digest()
        for key, members in partitions.items():
            inputs = [upstream[name] for name in inputs_of.of(members)]
            statuses = [status for _, status, _, _ in inputs]
            done = [(run, home) for _, status, run, home in inputs if status == DONE]
            if PENDING in statuses or not inputs:
                node[key] = (members, PENDING, None, part)  # never before every input it needs has ended
                continue
            if statuses.count(FAILED) > step.max_failed_inputs or not done:
                node[key] = (members, FAILED, None, part)  # held back: it, and what depends on it
                continue
            prints = [home["prints"].get(run) or chaining.outputs_fingerprint(home["outputs"][run])
                      for run, home in done]
            digest = chaining.step_digest(self.chain.name, step, key, prints, settings)
            record = records.get(key)
            if record is None or record["digest"] != digest:
                summaries = [home["outputs"][run] for run, home in done]
                record = records[key] = {"digest": digest, "run": self._start(step, where, key, digest, summaries)}
                part["runs"][record["run"]] = [step.name, key]
                read = [str(run) for run, _ in done]  # kept for the step run's provenance record
                part.setdefault("inputs", {})[record["run"]] = chaining.input_runs(step.after, read)
            status = self._status(part, record["run"])
            node[key] = (members, status, record["run"] if status == DONE else None, part)
        return node

    def _start(self, step, where: str, key: str, digest: str, summaries: list[dict[str, Any]]) -> str:
        """StartRun; the run's name says where its record is (a shard's number, or ``all``: the census)."""
        request = {"workflowId": step.workflow_id, "roleArn": self.chain.role_arn,
                   "name": f"{self.chain.name}/{step.name}/{where}/{key}"[:128],
                   "outputUri": chaining.step_output_uri(self.chain.output_uri, self.chain.name, step.name, digest),
                   "parameters": chaining.step_parameters(step, summaries)}
        found = runs.start(self.omics, request, chaining.step_request_id(digest))
        self.started[step.name] = self.started.get(step.name, 0) + 1
        return found["id"]

    def save(self) -> int:
        """Write what changed, the shards and indexes first, the census last; raises ``Conflict`` on 412."""
        written = sum(self.objects.write(chain_state.shard_name(index), part) for index, part in self.shards.items())
        written += sum(self.objects.write(chain_state.index_name(bucket), found)
                       for bucket, found in self.indexes.items() if found["shards"])
        return written + self.objects.write(chain_state.CENSUS, self.census)


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
    if not chain.enabled:
        log("chain", chain=chain.name, outcome="not advanced: the chain's kill switch is on")
        return {}
    for attempt in range(1, ATTEMPTS + 1):
        controller = Controller(omics, s3, chain, owner)
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
