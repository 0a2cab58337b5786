"""The chain controller's work per ended run, at cohort scale: S3 bytes read and written, S3 and HealthOmics calls
of one SQS batch of ended cohort runs, once the chain's state already holds the rest of the cohort.

    python -m bench.chain_controller [SAMPLES ...]     # default 1,000 10,000 100,000; last line: BENCH {json}

The world is in memory (S3 with conditional writes, HealthOmics' GetRun, ListRunsInBatch and StartRun), so the
figures are the controller's own: each of the cohort's ``SAMPLES`` runs COMPLETED, all but the last ``BATCH`` seen
by one earlier advance (which builds the state: shards of 1,000, the completed runs' outputs), then the last
``BATCH`` ended runs arrive as one SQS batch (``advance`` with their ids, as the after-run handler calls it). The
chain: per-sample cohort -> ``Shards(size=1000)`` joint step -> ``WholeSet`` merge. Measured: that one advance.

Quotas: HealthOmics allows 10 calls a second per operation, account and Region by default ("HealthOmics API quotas",
https://docs.aws.amazon.com/omics/latest/dev/api-quotas.html). The controller calls HealthOmics through the after-run
function's client, which ``provenance_pace.Pace`` paces to the stack's share (``Config.calls_per_second``, 5 by
default) per operation: computed from the calls measured here, the hours a cohort's ended runs take at that share
(``paced_hours``, the operation called most bounding), the chain alone, and whether that share is within the quota.
"""

from __future__ import annotations

import json
import sys
import time
from types import SimpleNamespace
from typing import Any

from botocore.exceptions import ClientError

from healthomics_run.run_model.chaining import COHORT, ChainSpec, StepSpec
from healthomics_run.run_model.provenance_settings import QUOTA_TPS, Config
from healthomics_run.service_calls import chain_controller
from healthomics_run.service_calls.ledger import WANTED, Ledger

BATCH = 10  # the after-run function's SQS batch size
SIZES = (1_000, 10_000, 100_000)
LEDGER = "s3://out/germline/.healthomics-run/Stack/uuid/CohortBatch.json"


class S3:
    """In-memory S3: what the controller calls, with If-Match / If-None-Match, counting calls and bytes."""

    exceptions = SimpleNamespace(NoSuchKey=KeyError)

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.calls: dict[str, int] = {}
        self.read = self.written = 0

    def _count(self, action: str) -> None:
        self.calls[action] = self.calls.get(action, 0) + 1

    def get_object(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        self._count("GetObject")
        body = self.objects.get((Bucket, Key))
        if body is None:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "no such key"}}, "GetObject")
        self.read += len(body)
        return {"Body": SimpleNamespace(read=lambda: body), "ETag": str(hash(body))}

    def put_object(self, Bucket: str, Key: str, Body: bytes, IfMatch: str | None = None,
                   IfNoneMatch: str | None = None, **_: Any) -> dict[str, Any]:
        self._count("PutObject")
        there = self.objects.get((Bucket, Key))
        if (IfNoneMatch and there is not None) or (IfMatch and (there is None or str(hash(there)) != IfMatch)):
            raise ClientError({"Error": {"Code": "PreconditionFailed", "Message": "412"}}, "PutObject")
        self.objects[(Bucket, Key)] = Body
        self.written += len(Body)
        return {"ETag": str(hash(Body))}

    def list_objects_v2(self, Bucket: str, Prefix: str, MaxKeys: int = 1000, **_: Any) -> dict[str, Any]:
        self._count("ListObjectsV2")
        keys = sorted(key for bucket, key in self.objects if bucket == Bucket and key.startswith(Prefix))
        return {"Contents": [{"Key": key, "ETag": str(hash(self.objects[(Bucket, key)]))} for key in keys[:MaxKeys]]}

    def get_paginator(self, _: str) -> Any:
        return SimpleNamespace(paginate=lambda **params: [self.list_objects_v2(**params, MaxKeys=10**9)])


class Omics:
    """The cohort's runs, each COMPLETED with an output summary; StartRun records the chain's runs."""

    def __init__(self, s3: S3, samples: int) -> None:
        self.calls: dict[str, int] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        for n in range(samples):
            run_id = f"{1_000_000 + n}"
            uri = f"s3://out/germline/{run_id}"
            self.runs[run_id] = {"id": run_id, "status": "COMPLETED", "batchId": "B1", "runOutputUri": uri,
                                 "runSettingId": f"S{n:06d}"}
            s3.objects[("out", f"germline/{run_id}/output.json")] = json.dumps(
                {"Germline.gvcf": f"{uri}/out/S{n:06d}.g.vcf.gz"}).encode()

    def _count(self, action: str) -> None:
        self.calls[action] = self.calls.get(action, 0) + 1

    def get_run(self, id: str) -> dict[str, Any]:
        self._count("GetRun")
        return dict(self.runs[id])

    def list_runs_in_batch(self, batchId: str, runId: str, **_: Any) -> dict[str, Any]:
        self._count("ListRunsInBatch")
        return {"runs": [{"runId": runId, "runSettingId": self.runs[runId]["runSettingId"]}]}

    def start_run(self, requestId: str, **request: Any) -> dict[str, Any]:
        self._count("StartRun")
        run_id = f"9{len(self.runs):07d}"
        self.runs[run_id] = {"id": run_id, "status": "PENDING", "runOutputUri": request["outputUri"],
                             "name": request["name"]}
        return {"id": run_id, "status": "PENDING"}


def chain() -> ChainSpec:
    return ChainSpec(name="germline", role_arn="arn:aws:iam::111122223333:role/r", output_uri="s3://out/germline",
                     cohort_ledger_uri=LEDGER, cohort_outputs=["gvcf"], steps=[
                         StepSpec("joint", "2000001", COHORT, {"kind": "shards", "size": 1000},
                                  {"gvcfs": {"stepOutput": "gvcf", "collected": True, "type": "File"}}),
                         StepSpec("merge", "2000002", "joint", {"kind": "whole-set"},
                                  {"vcfs": {"stepOutput": "vcf", "collected": True, "type": "File"}})])


def measure(samples: int) -> dict[str, Any]:
    s3 = S3()
    omics = Omics(s3, samples)
    book = Ledger(batches={"B1": "uuid"})
    for n in range(samples):
        book.samples[f"key{n:06d}"] = [f"S{n:06d}", "B1", WANTED]
    s3.objects[("out", LEDGER.removeprefix("s3://out/"))] = book.to_json().encode()
    run_ids = list(omics.runs)
    spec = chain()
    chain_controller.advance(omics, s3, spec, run_ids[:-BATCH])  # the state as the earlier batches left it
    s3.calls.clear()
    omics.calls.clear()
    s3.read = s3.written = 0
    began = time.perf_counter()
    started = chain_controller.advance(omics, s3, spec, run_ids[-BATCH:])
    seconds = time.perf_counter() - began
    state = sum(len(body) for (_, key), body in s3.objects.items() if "/chains/" in key)
    share = Config().calls_per_second
    per_operation = {name: count / BATCH for name, count in sorted(omics.calls.items())}
    return {"samples": samples, "ended_runs": BATCH, "started": started, "seconds": round(seconds, 3),
            "s3_read_bytes": s3.read, "s3_written_bytes": s3.written, "s3_calls": sum(s3.calls.values()),
            "omics_calls": sum(omics.calls.values()), "state_bytes": state,
            "per_ended_run": {"s3_read_bytes": s3.read // BATCH, "s3_written_bytes": s3.written // BATCH,
                              "omics_calls": sum(omics.calls.values()) / BATCH,
                              "s3_calls": sum(s3.calls.values()) / BATCH},
            "omics_per_operation": per_operation, "share_tps": share, "quota_tps": QUOTA_TPS,
            "within_quota": share <= QUOTA_TPS,
            "paced_hours": round(samples * max(per_operation.values()) / share / 3600, 2)}


def main(argv: list[str]) -> int:
    sizes = [int(text.replace(",", "").replace("_", "")) for text in argv] or list(SIZES)
    found = [measure(size) for size in sizes]
    print(f"{'samples':>9} {'S3 read/run':>14} {'S3 written/run':>15} {'S3 calls/run':>13} {'omics calls/run':>16} "
          f"{'state':>12} {'seconds':>8} {'paced h':>8}")
    for item in found:
        per = item["per_ended_run"]
        print(f"{item['samples']:>9,} {per['s3_read_bytes']:>14,} {per['s3_written_bytes']:>15,} "
              f"{per['s3_calls']:>13} {per['omics_calls']:>16} {item['state_bytes']:>12,} {item['seconds']:>8} "
              f"{item['paced_hours']:>8}")
    print("BENCH " + json.dumps(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
