"""CloudFormation and IAM limits, checked on the templates of a cloud assembly (nested ones included)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESOURCES = 500  # resources per template
TEMPLATE_BYTES = 1_000_000  # template body uploaded to S3 (what the CDK CLI and nested stacks do)
TEMPLATE_BYTES_DIRECT = 51_200  # template body passed directly (TemplateBody); noted, not required
OUTPUTS = 200
PARAMETERS = 200
ROLE_INLINE_CHARS = 10_240  # all inline policies of one IAM role together, whitespace not counted
# Managed policies attached to one role: the default quota (it can be raised to 20). CDK moves what
# does not fit in a role's default policy into "OverflowPolicy" managed policies, so this is where
# a growing policy ends up.
ROLE_MANAGED_POLICIES = 10
MANAGED_POLICY_CHARS = 6_144  # one managed policy's document, whitespace not counted


@dataclass
class TemplateReport:
    name: str
    resources: int
    bytes: int
    outputs: int
    parameters: int
    role_chars: dict[str, int] = field(default_factory=dict)  # role logical id -> inline policy characters
    role_managed: dict[str, int] = field(default_factory=dict)  # role logical id -> managed policies attached
    managed_chars: dict[str, int] = field(default_factory=dict)  # managed policy logical id -> its characters

    @property
    def largest_role_chars(self) -> int:
        return max(self.role_chars.values(), default=0)

    @property
    def largest_role(self) -> str:
        return max(self.role_chars, key=lambda role: self.role_chars[role], default="")

    @property
    def most_managed_policies(self) -> int:
        return max(self.role_managed.values(), default=0)

    def violations(self) -> list[str]:
        found = [f"{self.resources} resources > {RESOURCES}" if self.resources > RESOURCES else "",
                 f"{self.bytes} bytes > {TEMPLATE_BYTES}" if self.bytes > TEMPLATE_BYTES else "",
                 f"{self.outputs} outputs > {OUTPUTS}" if self.outputs > OUTPUTS else "",
                 f"{self.parameters} parameters > {PARAMETERS}" if self.parameters > PARAMETERS else ""]
        found += [f"role {role}: {chars} inline policy characters > {ROLE_INLINE_CHARS}"
                  for role, chars in self.role_chars.items() if chars > ROLE_INLINE_CHARS]
        found += [f"role {role}: {count} managed policies > {ROLE_MANAGED_POLICIES}"
                  for role, count in self.role_managed.items() if count > ROLE_MANAGED_POLICIES]
        found += [f"managed policy {policy}: {chars} characters > {MANAGED_POLICY_CHARS}"
                  for policy, chars in self.managed_chars.items() if chars > MANAGED_POLICY_CHARS]
        return [problem for problem in found if problem]


# What intrinsic functions resolve to, at their longest usual length: IAM counts the resolved policy.
_PSEUDO = {"AWS::Partition": "aws-us-gov", "AWS::Region": "ap-southeast-2", "AWS::AccountId": "123456789012",
           "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "x" * 128}
_NAME = "x" * 64  # a generated physical name (a bucket, a role, a run group id)
_ARN = "arn:aws-us-gov:service:ap-southeast-2:123456789012:resource/" + _NAME


def resolved(value: Any) -> Any:
    """``value`` with its intrinsic functions replaced by strings as long as they resolve to, or longer."""
    if isinstance(value, dict) and len(value) == 1:
        (key, argument), = value.items()
        if key == "Ref":
            return _PSEUDO.get(argument, _NAME)
        if key == "Fn::GetAtt":
            return _ARN
        if key == "Fn::Join":
            separator, parts = argument
            return separator.join(str(resolved(part)) for part in parts)
        if key == "Fn::Sub":
            return (argument if isinstance(argument, str) else argument[0]).replace("${", "").replace("}", "")
    if isinstance(value, dict):
        return {key: resolved(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolved(item) for item in value]
    return value


def compact_size(document: Any) -> int:
    """A policy's size as IAM counts it: JSON without whitespace, intrinsics resolved (``resolved``)."""
    return len(json.dumps(resolved(document), separators=(",", ":"), ensure_ascii=False))


def role_inline_chars(resources: dict[str, Any]) -> dict[str, int]:
    """Inline policy characters per role: its ``Policies`` plus every AWS::IAM::Policy attached to it.

    A policy attached to a role of another template (a ``Ref`` to a parameter) is counted under that
    parameter's name, prefixed ``param:``.
    """
    sizes = {name: sum(compact_size(policy["PolicyDocument"])
                       for policy in body.get("Properties", {}).get("Policies", []))
             for name, body in resources.items() if body["Type"] == "AWS::IAM::Role"}
    for body in resources.values():
        if body["Type"] != "AWS::IAM::Policy":
            continue
        size = compact_size(body["Properties"]["PolicyDocument"])
        for role in body["Properties"].get("Roles", []):
            ref = role.get("Ref") if isinstance(role, dict) else None
            key = ref if ref in sizes else f"param:{ref or json.dumps(role)}"
            sizes[key] = sizes.get(key, 0) + size
    return sizes


def role_managed_policies(resources: dict[str, Any]) -> dict[str, int]:
    """Managed policies per role: its ``ManagedPolicyArns`` and every AWS::IAM::ManagedPolicy naming it."""
    attached: dict[str, set[str]] = {
        name: {entry["Ref"] if isinstance(entry, dict) and "Ref" in entry else json.dumps(entry, sort_keys=True)
               for entry in body.get("Properties", {}).get("ManagedPolicyArns", [])}
        for name, body in resources.items() if body["Type"] == "AWS::IAM::Role"}
    for name, body in resources.items():
        if body["Type"] == "AWS::IAM::ManagedPolicy":
            for role in body["Properties"].get("Roles", []):
                ref = role.get("Ref") if isinstance(role, dict) else None
                attached.setdefault(ref if ref in attached else f"param:{ref or json.dumps(role)}", set()).add(name)
    return {role: len(policies) for role, policies in attached.items()}


def check(path: Path) -> TemplateReport:
    template = json.loads(path.read_text(encoding="utf-8"))
    resources = template.get("Resources", {})
    return TemplateReport(name=path.name, resources=len(resources), bytes=path.stat().st_size,
                          outputs=len(template.get("Outputs", {})), parameters=len(template.get("Parameters", {})),
                          role_chars=role_inline_chars(resources), role_managed=role_managed_policies(resources),
                          managed_chars={name: compact_size(body["Properties"]["PolicyDocument"])
                                         for name, body in resources.items()
                                         if body["Type"] == "AWS::IAM::ManagedPolicy"})


def check_assembly(directory: Path) -> list[TemplateReport]:
    """Every template the assembly holds: the stacks' and their nested stacks' (``*.nested.template.json``)."""
    return [check(path) for path in sorted(directory.glob("*.template.json"))]
