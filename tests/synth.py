"""Helpers to synthesize stacks and the example app in tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]


def new_stack(name: str = "TestStack") -> cdk.Stack:
    return cdk.Stack(cdk.App(), name)


def template(stack: cdk.Stack) -> Template:
    return Template.from_stack(stack)


def runs(stack: cdk.Stack) -> dict[str, Any]:
    return template(stack).find_resources("Custom::HealthOmicsRun")


def only_run_properties(stack: cdk.Stack) -> dict[str, Any]:
    (run,) = runs(stack).values()
    return run["Properties"]


def example_app(outdir: str, **context: Any) -> cdk.App:
    import app as example

    app = cdk.App(outdir=outdir, context={**EXAMPLE_CONTEXT, **context})
    example.build(app)
    return app
