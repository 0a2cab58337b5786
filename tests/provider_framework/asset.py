"""The Provider framework's runtime as aws-cdk-lib ships it, taken from a stack synthesized here, so the
tests need no prior ``make synth`` and always run the framework of the installed aws-cdk-lib.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

FRAMEWORK_ENTRY = "framework.js"


@dataclass(frozen=True)
class ProviderAsset:
    directory: Path  # framework.js, cfn-response.js, outbound.js, consts.js, util.js
    waiter_max_attempts: int  # the waiter state machine's Retry MaxAttempts


def synth_provider_asset(outdir: Path) -> ProviderAsset:
    """Synthesize one WorkflowRun (seconds: do it once per session) and find the framework's asset."""
    from healthomics_run import RunServiceRole, WorkflowRun  # here, so a construct error fails the fixture only

    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "ProviderFrameworkStack")
    # An explicit timeout that every version of the construct's limit accepts (the default is changing).
    WorkflowRun(stack, "Run", role=RunServiceRole(stack, "Role"), output_uri="s3://example-output-bucket/out/",
                workflow_id="1234567", timeout=cdk.Duration.minutes(30))
    assembly = app.synth()
    template = assembly.get_stack_artifact(stack.artifact_id).template
    return ProviderAsset(_framework_directory(Path(assembly.directory)), _waiter_max_attempts(template))


def _framework_directory(assembly_dir: Path) -> Path:
    """The file asset, listed in the stack's asset manifest, whose folder holds framework.js."""
    folders = {assembly_dir / asset["source"]["path"]
               for manifest in assembly_dir.glob("*.assets.json")
               for asset in json.loads(manifest.read_text())["files"].values()}
    found = [folder for folder in folders if (folder / FRAMEWORK_ENTRY).is_file()]
    assert len(found) == 1, f"expected one provider framework asset, found {found}"
    return found[0]


def _waiter_max_attempts(template: dict[str, Any]) -> int:
    """MaxAttempts of the isComplete task's Retry, read from the state machine's definition string."""
    (machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    definition = machine["Properties"]["DefinitionString"]
    text = "".join(part for part in definition["Fn::Join"][1] if isinstance(part, str))
    (attempts,) = re.findall(r'"MaxAttempts":(\d+)', text)
    return int(attempts)
