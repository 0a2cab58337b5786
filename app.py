#!/usr/bin/env python3
"""Example app, configured from cdk.json context: one germline run, a cohort as one batch, and a workflow
built from this repository (``workflows/hello``) with a run of it."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from healthomics_run import (
    DeletePolicy,
    HealthOmicsRun,
    HealthOmicsRunBatch,
    RunCache,
    WaitFor,
    Workflow,
    WorkflowEngine,
)

HERE = Path(__file__).resolve().parent


def build(app: cdk.App) -> list[cdk.Stack]:
    return [build_germline(app), build_cohort(app), build_hello(app)]


def build_germline(app: cdk.App) -> cdk.Stack:
    ctx = app.node.try_get_context
    stack = cdk.Stack(app, ctx("stack_name") or "GermlineRunStack",
                      description="One AWS HealthOmics workflow run, started on deploy (healthomics-run example)")
    parameters = json.loads((HERE / ctx("parameters_file")).read_text(encoding="utf-8"))
    reference = s3.Bucket.from_bucket_name(stack, "Reference", ctx("reference_bucket"))
    run = HealthOmicsRun(stack, "Germline", workflow_id=ctx("workflow_id"), parameters=parameters,
                         inputs=[reference], rerun_token=ctx("rerun_token"))
    cdk.CfnOutput(stack, "RunId", value=run.run_id)
    cdk.CfnOutput(stack, "RunOutputUri", value=run.run_output_uri)
    return stack


def build_cohort(app: cdk.App) -> cdk.Stack:
    """A cohort from a sample sheet, with a run cache, notifications and a wait for the whole batch."""
    ctx = app.node.try_get_context
    stack = cdk.Stack(app, ctx("cohort_stack_name") or "CohortRunStack",
                      description="A cohort as one AWS HealthOmics run batch, started on deploy "
                                  "(healthomics-run example)")
    reference = s3.Bucket.from_bucket_name(stack, "Reference", ctx("reference_bucket"))
    samples = s3.Bucket.from_bucket_name(stack, "Samples", ctx("input_bucket"))
    topic = sns.Topic(stack, "RunStatus", enforce_ssl=True,
                      master_key=kms.Key(stack, "RunStatusKey", enable_key_rotation=True,
                                         description="Encrypts the cohort's run status notifications"))
    cohort = HealthOmicsRunBatch(
        stack, "Cohort", workflow_id=ctx("workflow_id"), sample_sheet=HERE / ctx("sample_sheet"),
        parameters={"reference": f"s3://{ctx('reference_bucket')}/GRCh38/GRCh38.fasta"},
        inputs=[reference, samples], cache=RunCache(stack, "Cache"), notification_topic=topic,
        wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.hours(12), delete_policy=DeletePolicy.CANCEL,
        rerun_token=ctx("cohort_rerun_token"))
    cdk.CfnOutput(stack, "BatchId", value=cohort.batch_id)
    return stack


def build_hello(app: cdk.App) -> cdk.Stack:
    """Workflow and run together: the workflow is created from ``workflows/hello`` (its parameter template
    derived from ``nextflow_schema.json``), and the run's parameters are checked against it at synth."""
    ctx = app.node.try_get_context
    stack = cdk.Stack(app, ctx("hello_stack_name") or "HelloWorkflowStack",
                      description="An AWS HealthOmics workflow built from this repository, and a run of it "
                                  "(healthomics-run example)")
    hello = Workflow(stack, "Hello", definition=HERE / "workflows" / "hello", engine=WorkflowEngine.NEXTFLOW,
                     description="Greets one sample (healthomics-run example)")
    run = HealthOmicsRun(stack, "HelloRun", workflow=hello, parameters=ctx("hello_parameters"),
                         rerun_token=ctx("hello_rerun_token"))
    cdk.CfnOutput(stack, "WorkflowId", value=hello.workflow_id)
    cdk.CfnOutput(stack, "RunId", value=run.run_id)
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
