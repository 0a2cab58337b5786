"""The example app: deterministic, snapshot-stable, cdk-nag clean and cfn-lint clean."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from aws_cdk import Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks
from cfnlint.api import ManualArgs, lint

import healthomics_run
from healthomics_run import handlers
from healthomics_run.construct_helpers import lambda_assets
from tests.synth import example_app

# A Region that has HealthOmics (AWS::Omics::RunGroup exists in only some Regions).
LINT_REGION = "us-east-1"
LINT_IGNORED = [
    "W3005",  # CDK adds DependsOn on a function's role even where a GetAtt already orders them
    "I4010",  # informational: asks for a hand-written Metadata "Context" block, not a defect
]
SNAPSHOTS = Path(__file__).with_name("snapshots")
STACKS = ["GermlineRunStack", "CohortRunStack", "HelloWorkflowStack"]


def synth_example(outdir: Path, stack: str = "GermlineRunStack", **context) -> dict:
    example_app(str(outdir), **context).synth()
    return json.loads((outdir / f"{stack}.template.json").read_text())


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory) -> Path:
    """The example app with its default context, synthesized once for every test here that only reads it."""
    outdir = tmp_path_factory.mktemp("example")
    example_app(str(outdir)).synth()
    return outdir


@pytest.fixture(scope="module")
def synthesized_again(tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("example-again")
    example_app(str(outdir)).synth()
    return outdir


def read(outdir: Path, stack: str = "GermlineRunStack") -> dict:
    return json.loads((outdir / f"{stack}.template.json").read_text())


@pytest.mark.parametrize("stack", STACKS)
def test_synthesis_is_byte_identical_from_one_run_to_the_next(synthesized, synthesized_again, stack):
    first = (synthesized / f"{stack}.template.json").read_bytes()
    assert first == (synthesized_again / f"{stack}.template.json").read_bytes()


def test_bytecode_caches_beside_the_handler_do_not_change_the_template(tmp_path):
    """A machine that ran the handler's tests must synthesize what a fresh clone does: bytecode caches beside
    the handler and in the shared rooms are left out of the functions' code."""
    example_app(str(tmp_path / "clean")).synth()
    caches = [Path(handlers.__file__).parent / "start_run" / "__pycache__",
              Path(healthomics_run.__file__).parent / "run_model" / "__pycache__"]
    probes = []
    for cache in caches:
        cache.mkdir(exist_ok=True)
        probes.append(cache / f"probe-{os.getpid()}.cpython-311.pyc")
        probes[-1].write_bytes(os.urandom(64))
    lambda_assets.staged.cache_clear()
    try:
        example_app(str(tmp_path / "cached")).synth()
    finally:
        for probe in probes:
            probe.unlink()
    clean = (tmp_path / "clean" / "GermlineRunStack.template.json").read_bytes()
    assert clean == (tmp_path / "cached" / "GermlineRunStack.template.json").read_bytes()


def without_our_code_hashes(template: dict) -> dict:
    """The template with the hash of the library's own function code named instead: that hash changes with any
    line of the handlers or the shared rooms, and a snapshot that held it would be approved unread. The other
    hashes stay: the Provider framework's (aws-cdk-lib's) and each workflow's zip, whose change is the review."""
    template = json.loads(json.dumps(template))
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        package = str(properties.get("Handler", "")).partition(".")[0]
        if resource.get("Type") == "AWS::Lambda::Function" and package in lambda_assets_handlers():
            properties["Code"]["S3Key"] = f"<code of lambda/{package}>.zip"
    return template


def lambda_assets_handlers() -> set[str]:
    return {path.name for path in Path(handlers.__file__).parent.iterdir() if (path / "__init__.py").exists()}


@pytest.mark.parametrize("stack", STACKS)
def test_example_stack_matches_its_snapshot(synthesized, stack):
    """With UPDATE_SNAPSHOTS=1 the snapshot is written and the test fails: an update is a diff to review."""
    template = without_our_code_hashes(read(synthesized, stack))
    snapshot = SNAPSHOTS / f"{stack}.template.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(json.dumps(template, indent=1, sort_keys=True) + "\n")
        pytest.fail(f"{snapshot.name} written: review `git diff {snapshot}`, commit it, and run again without "
                    "UPDATE_SNAPSHOTS")
    assert template == json.loads(snapshot.read_text()), "run UPDATE_SNAPSHOTS=1 make test and review the diff"


def test_the_snapshot_ignores_only_the_code_hash_of_our_functions(synthesized):
    template = read(synthesized)
    normalised = without_our_code_hashes(template)
    changed = sorted(name for name in template["Resources"]
                     if template["Resources"][name] != normalised["Resources"][name])
    assert changed and all(template["Resources"][name]["Type"] == "AWS::Lambda::Function" for name in changed)
    assert any(resource["Type"] == "AWS::Lambda::Function" and resource == template["Resources"][name]
               for name, resource in normalised["Resources"].items())  # the framework's keep their hash


def test_changing_a_parameter_changes_only_the_run_resource(synthesized, tmp_path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"sample_name": "NA24385", "threads": 8, "use_gpu": False,
                                  "intervals": ["chr1", "chr2"]}))
    before = read(synthesized)
    after = synth_example(tmp_path / "after", parameters_file=str(params))
    changed = {name for name in before["Resources"] if before["Resources"][name] != after["Resources"][name]}
    assert changed == {"GermlineRun1DD31D54"}
    run_before, run_after = before["Resources"]["GermlineRun1DD31D54"], after["Resources"]["GermlineRun1DD31D54"]
    assert run_before["Properties"]["RunSettingsDigest"] != run_after["Properties"]["RunSettingsDigest"]


def test_cdk_nag_finds_nothing_unacknowledged(tmp_path):
    app = example_app(str(tmp_path))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))
    app.synth()  # raises ValidationFailed when any finding is not acknowledged
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert all(r["conclusion"] == "success" for r in report["pluginReports"]), report


def test_cdk_nag_really_runs_and_fails_an_unacknowledged_finding(tmp_path):
    app = example_app(str(tmp_path))
    s3.Bucket(app.node.find_child("GermlineRunStack"), "Unlogged")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    report = (tmp_path / "validation-report.json").read_text()
    assert "AwsSolutions-S1" in report and "HIPAA.Security-S3BucketLoggingEnabled" in report


@pytest.mark.parametrize("stack", STACKS)
def test_cfn_lint_finds_nothing(synthesized, stack):
    template = read(synthesized, stack)
    matches = lint(json.dumps(template), config=ManualArgs(regions=[LINT_REGION], ignore_checks=LINT_IGNORED))
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize("rule", ["AwsSolutions", "HIPAA"])
def test_every_acknowledgement_states_a_reason(tmp_path, rule):
    app = example_app(str(tmp_path))
    acknowledged = [entry.data for node in app.node.find_all() for entry in node.node.metadata
                    if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY]
    reasons = [reason for data in acknowledged for rule_id, reason in data.items() if rule in rule_id]
    assert reasons and all(len(reason) > 30 for reason in reasons)


def test_the_hello_stack_builds_the_workflow_and_runs_it_once_it_exists(synthesized):
    """The workflow from ``workflows/hello`` and a run of it, in one stack: the run names the workflow's id
    (``Fn::GetAtt``) and depends on it (AWS::Omics::Workflow, ``Id`` and ``Arn`` attributes:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-workflow.html)."""
    template = read(synthesized, "HelloWorkflowStack")
    (workflow_id,) = [name for name, r in template["Resources"].items() if r["Type"] == "AWS::Omics::Workflow"]
    (run,) = [r for r in template["Resources"].values() if r["Type"] == "Custom::HealthOmicsRun"]
    assert run["Properties"]["WorkflowId"] == {"Fn::GetAtt": [workflow_id, "Id"]}
    assert workflow_id in run["DependsOn"]
    assert run["Properties"]["Parameters"] == {"sample_name": "NA12878", "threads": 2}


def test_the_hello_runs_parameters_are_checked_at_synth(tmp_path):
    """A misspelt parameter fails synthesis, naming it, before anything deploys (parameter templates:
    https://docs.aws.amazon.com/omics/latest/dev/parameter-templates.html)."""
    from healthomics_run import ValidationError

    with pytest.raises(ValidationError, match="sampel_name \\(did you mean sample_name\\?\\)"):
        synth_example(tmp_path, "HelloWorkflowStack", hello_parameters={"sampel_name": "NA12878"})
