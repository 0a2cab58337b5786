"""Reading what the plan compares: a cloud assembly (``cdk.out``) or a single template file.

A cloud assembly gives every stack by name, nested stacks included (as ``Parent/NestedId``), and
the staged sample sheets of batches; a template file (from ``cdk synth`` or ``aws cloudformation
get-template``) gives one stack, named after the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healthomics_run.run_model import batch_settings


class PlanInputError(ValueError):
    """An input the plan cannot read; the message says which and why."""


@dataclass(frozen=True)
class StackTemplate:
    name: str
    template: dict[str, Any]
    assembly: Path | None = field(default=None, compare=False)  # where staged sample sheets live
    region: str | None = field(default=None, compare=False)  # the manifest's environment; None: agnostic, or a file

    @property
    def resources(self) -> dict[str, Any]:
        return self.template.get("Resources") or {}

    def sample_sheet(self, properties: dict[str, Any]) -> list[dict[str, Any]] | None:
        """A staged sheet's settings, read from the assembly; None when not at hand (a template file)."""
        return self._staged(properties.get(batch_settings.SAMPLE_SHEET_URI))

    def staged_parameters(self, uri: Any) -> dict[str, Any] | None:
        """Parameters staged to S3 (``stage_parameters``) at ``uri``, read from the assembly; None when not at hand."""
        return self._staged(uri)

    def _staged(self, uri: Any) -> Any:
        key = _asset_key(uri)
        path = self.assembly / f"asset.{key}" if self.assembly is not None and key else None
        if path is None or not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))


def _asset_key(uri: Any) -> str | None:
    """The object key of a staged sheet, from the ``Fn::Sub`` CDK writes for an asset's S3 URL."""
    text = uri.get("Fn::Sub") if isinstance(uri, dict) else uri
    match = re.search(r"/([0-9a-f]{64}\.json)$", text) if isinstance(text, str) else None
    return match[1] if match else None


def load(path: str | Path) -> dict[str, StackTemplate]:
    """Every stack in a cloud assembly directory, or the one stack of a template file."""
    path = Path(path)
    if path.is_dir():
        return _assembly(path)
    if path.is_file():
        name = re.sub(r"(\.template)?\.json$", "", path.name)
        return {name: StackTemplate(name, _template(path))}
    raise PlanInputError(f"{path}: no such cloud assembly directory or template file")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PlanInputError(f"{path}: not readable as JSON ({error}); YAML templates are not read") from error


def _template(path: Path) -> dict[str, Any]:
    """A template; also the whole output of ``aws cloudformation get-template`` (its ``TemplateBody``)."""
    loaded = _read_json(path)
    if isinstance(loaded, dict) and "Resources" not in loaded and "TemplateBody" in loaded:
        loaded = loaded["TemplateBody"]
    if not isinstance(loaded, dict):
        raise PlanInputError(f"{path}: a template is a JSON object with Resources (YAML templates are not read)")
    return loaded


def _assembly(directory: Path) -> dict[str, StackTemplate]:
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise PlanInputError(f"{directory}: no manifest.json; give a cdk.out directory or a template file")
    artifacts = sorted((_read_json(manifest_path).get("artifacts") or {}).items())
    # Staged files by asset hash, from the asset manifests: nested stack templates are among them.
    files = {file_hash: entry["source"]["path"]
             for _, artifact in artifacts if artifact.get("type") == "cdk:asset-manifest"
             for file_hash, entry in (_read_json(directory / artifact["properties"]["file"]).get("files")
                                      or {}).items()}
    stacks: dict[str, StackTemplate] = {}
    for artifact_id, artifact in artifacts:
        if artifact.get("type") == "aws:cloudformation:stack":
            name = artifact.get("displayName") or artifact_id
            _add(stacks, name, _template(directory / artifact["properties"]["templateFile"]), directory, files,
                 _region(artifact.get("environment")))
        elif artifact.get("type") == "cdk:cloud-assembly":  # a stage: its own nested assembly
            stacks.update(_assembly(directory / artifact["properties"]["directoryName"]))
    return stacks


def _region(environment: Any) -> str | None:
    """The Region of ``aws://ACCOUNT/REGION`` (a stack artifact's environment); None when environment-agnostic."""
    region = str(environment).rsplit("/", 1)[-1] if isinstance(environment, str) else ""
    return None if not region or region.startswith("unknown-") else region


def _add(stacks: dict[str, StackTemplate], name: str, template: dict[str, Any], directory: Path,
         files: dict[str, str], region: str | None = None) -> None:
    stacks[name] = StackTemplate(name, template, directory, region)
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::CloudFormation::Stack":
            continue
        staged = re.search(r"([0-9a-f]{64})\.json", json.dumps((resource.get("Properties") or {}).get("TemplateURL")))
        nested = files.get(staged[1]) if staged else None
        if nested and (directory / nested).is_file():
            _add(stacks, f"{name}/{logical_id}", _template(directory / nested), directory, files, region)
