"""The provenance writer: calls and time per record, and what a 100,000-run cohort's records cost.

    python -m bench.provenance_records [RUNS]     # the last line on stdout is BENCH {json}

Each run has ``TASKS`` tasks, ``INPUTS`` S3 inputs and ``OUTPUTS`` outputs named by ``output.json``; the
writer asks the HealthOmics fake (``tests/fake_omics.py``), moto's S3 and the CloudFormation fake
(``tests/fake_cloudformation.py``) as the tests do. A record needs one GetRun, one GetWorkflow, one
ListRunTasks page per 100 tasks and one GetRunTask per task; CloudFormation is asked once a minute per
writer container (``owners.FRESH_SECONDS``), not per record. Throttling is the clients' to wait out
(adaptive retries), so the cohort's time is bounded by the HealthOmics quota on GetRunTask: see
``cohort_minutes``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter
from typing import Any

import boto3
import pytest

from healthomics_run.run_model.provenance_settings import Config
from healthomics_run.service_calls import provenance as writer
from healthomics_run.service_calls.provenance_owners import Owners
from tests.fake_cloudformation import FakeStack
from tests.fake_omics import REGION, FakeHealthOmics
from tests.world import STACK_ID, WORKFLOW_ID, attach_fake, moto_world

RUNS = 50
TASKS = 20
INPUTS = 2
OUTPUTS = 5
COHORT = 100_000
# GetRunTask requests per second assumed for the cohort estimate; the quota is per account and Region and
# can be raised (Service Quotas, AWS HealthOmics): the estimate scales with it.
ASSUMED_TPS = 10


def _world(patch: pytest.MonkeyPatch, aws: dict[str, str]) -> tuple[FakeHealthOmics, Any, Counter, FakeStack]:
    omics = attach_fake(patch)
    omics.workflows[WORKFLOW_ID]["said"] = {"status": "ACTIVE", "engine": "WDL", "name": "germline"}
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="example-input-bucket")
    s3_calls: Counter = Counter()
    s3.meta.events.register("before-call.s3", lambda model, **_: s3_calls.update([model.name]))
    stack = FakeStack(STACK_ID)
    for i in range(RUNS):
        inputs = {f"reads_{n}": f"s3://example-input-bucket/S{i:05d}/{n}.cram" for n in range(INPUTS)}
        for uri in inputs.values():
            s3.put_object(Bucket="example-input-bucket", Key=uri.split("/", 3)[3], Body=b"reads")
        started = omics.client.start_run(workflowId=WORKFLOW_ID, roleArn=aws["role_arn"], outputUri=aws["output_uri"],
                                         parameters={"sample_name": f"S{i:05d}", **inputs}, requestId=f"bench-{i}")
        folder = started["runOutputUri"].split("/", 3)[3]
        outputs = {}
        for n in range(OUTPUTS):
            key = f"{folder}/out/o{n}/S{i:05d}.vcf.gz"
            s3.put_object(Bucket="example-output-bucket", Key=key, Body=b"calls")
            outputs[f"Germline.o{n}"] = f"s3://example-output-bucket/{key}"
        s3.put_object(Bucket="example-output-bucket", Key=f"{folder}/logs/output.json",
                      Body=json.dumps(outputs).encode())
        for t in range(TASKS):
            omics.add_task(started["id"], f"Germline.task{t % 5}", task_id=f"{started['id']}{t:03d}",
                           status="COMPLETED", image="123456789012.dkr.ecr.us-east-1.amazonaws.com/gatk:4.5",
                           image_digest="sha256:" + "1f" * 32)
        omics.end_run(started["id"])
        stack.add(f"Run{i}", "Custom::HealthOmicsRun", f"{started['id']}/{started['uuid']}/0123456789abcdef",
                  f"Stack/Run{i}/Resource")
    return omics, s3, s3_calls, stack


def measure() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch, moto_world(patch) as aws:
        omics, s3, s3_calls, stack = _world(patch, aws)
        omics.calls.clear()
        s3_calls.clear()
        aws_clients = writer.Clients(omics=omics.client, s3=s3, cfn=stack.client)
        owners = Owners(stack.client, STACK_ID, Config())
        times = []
        for run_id in list(omics.runs):
            started = time.perf_counter()
            outcome = writer.write(aws_clients, owners, run_id)
            times.append(1000 * (time.perf_counter() - started))
            assert "wrote" in outcome, outcome
        omics_calls = Counter(name for name, _ in omics.calls)
        per_record = {f"omics:{op}": n / RUNS for op, n in sorted(omics_calls.items())}
        per_record.update({f"s3:{op}": n / RUNS for op, n in sorted(s3_calls.items())})
        per_record.update({f"cloudformation:{op}": n / RUNS for op, n in sorted(Counter(stack.calls).items())})
    task_calls = per_record.get("omics:GetRunTask", 0)
    return {"runs": RUNS, "tasks_per_run": TASKS, "inputs_per_run": INPUTS, "outputs_per_run": OUTPUTS,
            "median_ms": statistics.median(times), "first_ms": times[0], "calls_per_record": per_record,
            "cohort_calls": {op: round(n * COHORT) for op, n in per_record.items()
                             if not op.startswith("cloudformation")},
            "cohort_minutes": round(COHORT * task_calls / ASSUMED_TPS / 60), "assumed_tps": ASSUMED_TPS}


def main() -> None:
    global RUNS
    if len(sys.argv) == 2:  # fewer records (bench.run --quick)
        RUNS = int(sys.argv[1])
    print("BENCH " + json.dumps(measure()))


if __name__ == "__main__":
    main()
