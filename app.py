#!/usr/bin/env python3
"""Example app: one stack that starts one HealthOmics run, configured from cdk.json context."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from healthomics_run import HealthOmicsRun

HERE = Path(__file__).resolve().parent


def build(app: cdk.App) -> cdk.Stack:
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


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
