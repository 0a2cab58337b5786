"""The apps the benchmark synthesizes, one case per fresh process.

    python -m bench.cases KIND COUNT OUTDIR [SAMPLE_SHEET]

KIND is ``runs`` (COUNT WorkflowRuns in one stack), ``nested`` (the same runs in NestedStacks of
NESTED_SIZE), ``workflows`` (COUNT runs in one stack, each of its own workflow), ``workflows_nested`` (the
same in NestedStacks of NESTED_SIZE), ``batch`` (one
HealthOmicsRunBatch reading SAMPLE_SHEET) or ``baseline`` (COUNT plain ``AwsCustomResource``s calling
omics:startRun). The cloud assembly goes to OUTDIR; the last line on
stdout is ``BENCH {json}`` with the in-process seconds, from before the App to after ``app.synth()``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr

from constructs import Construct
from healthomics_run import HealthOmicsRunBatch, RunGroup, RunOutputBucket, RunServiceRole, WorkflowRun

from .samples import INPUT_BUCKET, reads, sample

WORKFLOW_ID = "1234567"  # example values only
REFERENCE = "s3://example-reference-bucket/GRCh38/GRCh38.fasta"
NESTED_SIZE = 250
# CDK itself refuses a stack of more than 500 resources at synth (TooManyResourcesInStack). The
# one-stack series lift that check (0 = off) so their templates can be measured and checked here;
# nested stacks and batches synthesize with CDK's defaults.
NO_RESOURCE_LIMIT = {"@aws-cdk/core:stackResourceLimit": 0}


class Shared:
    """The pieces every run of a case shares: one service role, one output bucket, one run group. The role may
    read the runs' inputs, as a stack whose runs can start must let it (otherwise each WorkflowRun is warned at
    synth that HealthOmics will refuse it)."""

    def __init__(self, stack: cdk.Stack) -> None:
        self.bucket = RunOutputBucket(stack, "Output")
        inputs = s3.Bucket.from_bucket_name(stack, "Inputs", INPUT_BUCKET)
        self.role = RunServiceRole(stack, "ServiceRole", inputs=[inputs], output_bucket=self.bucket,
                                   output_prefix="runs/")
        self.run_group = RunGroup(stack, "RunGroup", max_cpus=256, max_runs=5, max_duration=cdk.Duration.days(7))
        self.output_uri = f"s3://{self.bucket.bucket_name}/runs/"


def add_runs(scope: Construct, shared: Shared, numbers: range,
             workflow_id: Callable[[int], str] = lambda _: WORKFLOW_ID) -> None:
    for i in numbers:
        WorkflowRun(scope, f"Run{i:06d}", role=shared.role, output_uri=shared.output_uri, run_group=shared.run_group,
                    workflow_id=workflow_id(i), parameters={"sample_name": sample(i), "reads": reads(i)})


def build_runs(app: cdk.App, count: int, _sheet: Any) -> None:
    stack = cdk.Stack(app, f"Runs{count}")
    add_runs(stack, Shared(stack), range(count))


def build_nested(app: cdk.App, count: int, _sheet: Any) -> None:
    """The library makes one provider per (nested) stack: ``RunProvider.of`` uses ``Stack.of``."""
    stack = cdk.Stack(app, f"Runs{count}Nested")
    shared = Shared(stack)
    for part, start in enumerate(range(0, count, NESTED_SIZE)):
        add_runs(cdk.NestedStack(stack, f"Part{part}"), shared, range(start, min(count, start + NESTED_SIZE)))


def build_workflows(app: cdk.App, count: int, _sheet: Any) -> None:
    """Each run of its own workflow: the handler role is granted StartRun on each workflow's ARN."""
    stack = cdk.Stack(app, f"Workflows{count}")
    add_runs(stack, Shared(stack), range(count), workflow_id=lambda i: str(2000001 + i))


def build_workflows_nested(app: cdk.App, count: int, _sheet: Any) -> None:
    """Each run of its own workflow, in nested stacks of NESTED_SIZE: each nested stack's handler role is
    granted its runs' workflows."""
    stack = cdk.Stack(app, f"Workflows{count}Nested")
    shared = Shared(stack)
    for part, start in enumerate(range(0, count, NESTED_SIZE)):
        add_runs(cdk.NestedStack(stack, f"Part{part}"), shared, range(start, min(count, start + NESTED_SIZE)),
                 workflow_id=lambda i: str(2000001 + i))


def build_batch(app: cdk.App, count: int, sheet: str) -> None:
    stack = cdk.Stack(app, f"Batch{count}")
    HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, sample_sheet=sheet,
                        parameters={"reference": REFERENCE})


def build_baseline(app: cdk.App, count: int, _sheet: Any) -> None:
    """Plain CDK: one AwsCustomResource per run, sharing the same role, bucket and run group."""
    stack = cdk.Stack(app, f"Baseline{count}")
    shared = Shared(stack)
    for i in range(count):
        call = cr.AwsSdkCall(
            service="Omics", action="startRun",
            parameters={"workflowId": WORKFLOW_ID, "roleArn": shared.role.role_arn, "outputUri": shared.output_uri,
                        "runGroupId": shared.run_group.run_group_id, "name": f"{stack.stack_name}/Run{i:06d}",
                        "parameters": {"sample_name": sample(i), "reads": reads(i)},
                        "requestId": f"{stack.stack_name}-Run{i:06d}"},
            physical_resource_id=cr.PhysicalResourceId.from_response("id"))
        run = cr.AwsCustomResource(stack, f"Run{i:06d}", on_create=call,
                                   policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
                                       resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE))
        # The singleton function's role; CDK merges this identical statement into one.
        run.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=["iam:PassRole"], resources=[shared.role.role_arn]))


BUILDERS: dict[str, tuple[Callable[[cdk.App, int, Any], None], dict[str, Any]]] = {
    "runs": (build_runs, NO_RESOURCE_LIMIT),
    "nested": (build_nested, {}),
    "workflows": (build_workflows, NO_RESOURCE_LIMIT),
    "workflows_nested": (build_workflows_nested, {}),
    "batch": (build_batch, {}),
    "baseline": (build_baseline, NO_RESOURCE_LIMIT),
}


def main(argv: list[str]) -> None:
    kind, count, outdir, sheet = argv[0], int(argv[1]), argv[2], (argv[3] if len(argv) > 3 else None)
    build, context = BUILDERS[kind]
    started = time.perf_counter()
    app = cdk.App(outdir=outdir, context=context)
    build(app, count, sheet)
    built = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    print("BENCH " + json.dumps({"in_process_s": done - started, "build_s": built - started, "synth_s": done - built}))


if __name__ == "__main__":
    main(sys.argv[1:])
