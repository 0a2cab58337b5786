"""Workflow versions are immutable: a definition changed under a name already used fails synth, or the name
follows the definition.

AWS behaviour the tests rely on, and where it is stated:

- On AWS::Omics::WorkflowVersion both ``VersionName`` and ``DefinitionUri`` are create-only, so CloudFormation
  replaces a changed version, creating the new one before deleting the old: "AWS::Omics::WorkflowVersion",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-workflowversion.html
  (and its resource provider schema's ``createOnlyProperties``, as cfn-lint ships it); "Update behaviors of
  stack resources" (Replacement: the new resource is created first),
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html
- Version names are unique per workflow; 1 to 64 letters, digits, ``-``, ``.``, ``_``: "Create a workflow
  version", https://docs.aws.amazon.com/omics/latest/dev/workflows-version-create.html, and the service
  model's ``CreateWorkflowVersion.versionName``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match

from healthomics_run import VERSIONS_FILE_CONTEXT, ValidationError, Workflow, WorkflowEngine, WorkflowVersion
from tests.synth import ROOT, template

DIGEST = WorkflowVersion.DIGEST

HELLO = ROOT / "workflows" / "hello"


def version_of(definition: Path, version_name: str, context: dict | None = None):
    stack = cdk.Stack(cdk.App(context=context or {}), "TestStack")
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW)
    return workflow.add_version("Next", version_name=version_name, definition=definition)


def changed_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "hello-changed"
    shutil.copytree(HELLO, folder)
    (folder / "main.nf").write_text((folder / "main.nf").read_text() + "\n// changed\n")
    return folder


def test_a_digest_in_the_version_name_follows_the_definition(tmp_path):
    same = version_of(HELLO, f"1.x-{DIGEST}")
    changed = version_of(changed_copy(tmp_path), f"1.x-{DIGEST}")
    assert same.version_name == f"1.x-{same.definition_asset.asset_hash[:16]}"
    assert changed.version_name != same.version_name and changed.version_name.startswith("1.x-")
    template(same.stack).has_resource_properties("AWS::Omics::WorkflowVersion", {"VersionName": same.version_name})


def test_the_same_definition_keeps_its_digest_name(tmp_path):
    copy = tmp_path / "elsewhere" / "hello"  # the same files, another folder, synthesized in another app
    shutil.copytree(HELLO, copy)
    name = version_of(HELLO, DIGEST).version_name
    assert version_of(copy, DIGEST).version_name == name
    assert len(name) == 16 and int(name, 16) >= 0  # the digest itself: 16 hex characters


def test_a_changed_definition_under_a_recorded_name_fails_synth_saying_what_to_do(tmp_path):
    record = tmp_path / "workflow-versions.json"
    context = {VERSIONS_FILE_CONTEXT: str(record)}
    first = version_of(HELLO, "1.1", context)
    assert json.loads(record.read_text()) == {"TestStack/Hello": {"1.1": first.definition_asset.asset_hash}}
    Annotations.from_stack(first.stack).has_info("/TestStack/Hello/Next", Match.string_like_regexp(
        "version_name '1.1' recorded in .*workflow-versions.json: commit it with the app"))
    version_of(HELLO, "1.1", context)  # the same definition again: nothing to say
    with pytest.raises(ValidationError) as raised:
        version_of(changed_copy(tmp_path), "1.1", context)
    message = str(raised.value)
    assert raised.value.path == "TestStack/Hello/Next" and raised.value.code == "InvalidResourceProps"
    assert "version_name '1.1' of TestStack/Hello was synthesized from another definition" in message
    assert "Give the changed definition a new version_name (or put {digest} in the name)" in message
    assert f"if '1.1' was never deployed, delete its entry from {record}" in message


def test_a_changed_definition_under_a_new_name_is_recorded_beside_the_old(tmp_path):
    record = tmp_path / "workflow-versions.json"
    context = {VERSIONS_FILE_CONTEXT: str(record)}
    version_of(HELLO, "1.1", context)
    version_of(changed_copy(tmp_path), "1.2", context)
    assert set(json.loads(record.read_text())["TestStack/Hello"]) == {"1.1", "1.2"}


def test_without_a_versions_file_nothing_is_recorded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    version_of(HELLO, "1.1")
    assert list(tmp_path.iterdir()) == []


def test_a_digest_name_for_a_repository_definition_is_refused():
    stack = cdk.Stack(cdk.App(), "TestStack")
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW)
    with pytest.raises(ValidationError, match=r"holds \{digest\}, which names a local definition's digest"):
        workflow.add_version("Next", version_name=f"v-{DIGEST}", definition_repository={
            "connection_arn": "arn:aws:codeconnections:us-east-1:123456789012:connection/abc",
            "full_repository_id": "example-org/hello"})
