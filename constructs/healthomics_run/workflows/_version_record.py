"""The record of workflow versions an app has synthesized, so that a changed definition under a name already
used fails synth instead of failing the deploy.

``AWS::Omics::WorkflowVersion``'s ``VersionName`` and ``DefinitionUri`` are both create-only and version
names are unique per workflow (AWS::Omics::WorkflowVersion reference,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-workflowversion.html;
"Create a workflow version", https://docs.aws.amazon.com/omics/latest/dev/workflows-version-create.html):
CloudFormation replaces a version whose definition changed by creating the new one first, and that create
fails on the name. Synth alone cannot know what was deployed, so the app keeps a record: a JSON file named by
the context key ``VERSIONS_FILE_CONTEXT`` (relative to the directory synth runs in, where ``cdk.json`` is),
committed with the app, mapping each workflow to its versions' digests. Without the key nothing is recorded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_cdk import Annotations

from healthomics_run.construct_helpers.validation import is_unresolved

if TYPE_CHECKING:
    from constructs import Construct

VERSIONS_FILE_CONTEXT = "@healthomics-run/workflow:versionsFile"
"""Context key naming the JSON file (relative to where synth runs) that records each workflow version's digest;
commit it with the app. Unset: nothing is recorded and a changed version is not caught at synth."""


def version_record_problems(version: Construct, workflow: Any, version_name: str, digest: str) -> list[str]:
    """Records ``version_name``'s ``digest`` for ``workflow``; a problem when the record holds another digest."""
    file = version.node.try_get_context(VERSIONS_FILE_CONTEXT)
    if file is None:
        return []
    path = Path(str(file))
    try:
        record: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, json.JSONDecodeError) as error:
        return [f"the workflow versions file {str(path)!r} ({VERSIONS_FILE_CONTEXT}) cannot be read: {error}"]
    key = workflow.node.path if is_unresolved(workflow.workflow_id) else f"workflow {workflow.workflow_id}"
    versions = record.setdefault(key, {})
    recorded = versions.get(version_name)
    if recorded is not None and recorded != digest:
        return [f"version_name {version_name!r} of {key} was synthesized from another definition (digest "
                f"{recorded[:16]}, now {digest[:16]}, recorded in {path}). A version cannot change: HealthOmics "
                "version names are unique per workflow and CloudFormation would create the changed version before "
                "deleting the old one, which fails. Give the changed definition a new version_name (or put "
                f"{{digest}} in the name); if {version_name!r} was never deployed, delete its entry from {path}"]
    if recorded is None:
        versions[version_name] = digest
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        Annotations.of(version).add_info(f"version_name {version_name!r} recorded in {path}: commit it with the app")
    return []
