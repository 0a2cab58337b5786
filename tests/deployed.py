"""A synthesized template as CloudFormation would deploy it into the test account.

Each resource gets a physical name and the attributes ``Ref`` and ``Fn::GetAtt`` return (as the
CloudFormation resource reference pages list them: a bucket's ``Ref`` is its name and ``Arn`` is
``arn:aws:s3:::name``; a role's ``Arn`` is ``arn:aws:iam::<account>:role/<name>``; a KMS key's ``Ref``
is its key id; an ``AWS::Omics::*`` resource's ``Ref`` is its id; a queue's ``Ref`` is its URL and ``Arn``
``arn:aws:sqs:<region>:<account>:<name>``). The intrinsic functions the
library's templates use are resolved, so the world can read the policies exactly as IAM would
receive them, and the custom resources' properties exactly as CloudFormation hands them to the
handler (every scalar a string, as the CloudFormation custom resource request reference says).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from tests.fake_omics import ACCOUNT, REGION

PSEUDO = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": "amazonaws.com",
          "AWS::NoValue": None}


def _short(logical: str, n: int = 8) -> str:
    return hashlib.sha256(logical.encode()).hexdigest()[:n]


@dataclass
class Deployed:
    template: dict[str, Any]
    stack_name: str
    account: str = ACCOUNT
    region: str = REGION
    names: dict[str, str] = field(default_factory=dict)  # logical id -> physical name (Ref)
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)  # (logical id, attribute) -> value
    _memo: dict[tuple, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for logical, resource in self.resources.items():
            self.names.setdefault(logical, self._physical_name(logical, resource))

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    @property
    def stack_id(self) -> str:
        return f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.stack_name}/" \
               f"{_short(self.stack_name, 8)}-0000-4000-8000-000000000001"

    def _physical_name(self, logical: str, resource: dict[str, Any]) -> str:
        props = resource.get("Properties", {})
        kind = resource["Type"]
        given = {"AWS::S3::Bucket": "BucketName", "AWS::IAM::Role": "RoleName"}.get(kind)
        if given and isinstance(props.get(given), str):
            return props[given]
        if kind == "AWS::S3::Bucket":
            return f"{self.stack_name}-{logical}".lower()[:55] + "-" + _short(logical, 6)
        if kind == "AWS::KMS::Key":
            return f"{_short(logical, 8)}-1234-4000-8000-{_short(logical, 12)}"
        if kind.startswith("AWS::Omics::"):
            return str(int(_short(logical, 6), 16) % 9_000_000 + 1_000_000)
        return f"{self.stack_name}-{logical}"[:64]

    # -- what Ref and Fn::GetAtt return -----------------------------------------------------------------
    def ref(self, logical: str) -> Any:
        if logical in PSEUDO:
            return PSEUDO[logical]
        if logical == "AWS::StackName":
            return self.stack_name
        if logical == "AWS::StackId":
            return self.stack_id
        if logical in self.template.get("Parameters", {}):
            return self.template["Parameters"][logical].get("Default", f"{logical}-value")
        if self.resources[logical]["Type"] == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.names[logical]}"
        return self.names[logical]

    def get_att(self, logical: str, attribute: str) -> str:
        if (logical, attribute) in self.overrides:
            return self.overrides[(logical, attribute)]
        kind, name = self.resources[logical]["Type"], self.names[logical]
        a, r = self.account, self.region
        arns = {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{a}:role/{name}",
            "AWS::KMS::Key": f"arn:aws:kms:{r}:{a}:key/{name}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{r}:{a}:log-group:{name}:*",
            "AWS::Lambda::Function": f"arn:aws:lambda:{r}:{a}:function:{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{r}:{a}:{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{r}:{a}:{name}",
            "AWS::ECR::Repository": f"arn:aws:ecr:{r}:{a}:repository/{name}",
            "AWS::Omics::RunGroup": f"arn:aws:omics:{r}:{a}:runGroup/{name}",
            "AWS::Omics::RunCache": f"arn:aws:omics:{r}:{a}:runCache/{name}",
            "AWS::Omics::Workflow": f"arn:aws:omics:{r}:{a}:workflow/{name}",
            "AWS::StepFunctions::StateMachine": f"arn:aws:states:{r}:{a}:stateMachine:{name}",
        }
        if attribute == "Arn" and kind == "AWS::Omics::WorkflowVersion":  # workflow/{id}/version/{name} (SAR)
            props = self.resolve(self.resources[logical]["Properties"])
            return f"arn:aws:omics:{r}:{a}:workflow/{props['WorkflowId']}/version/{props['VersionName']}"
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        if attribute in ("Id", "RunGroupId", "KeyId"):
            return name
        if kind == "AWS::S3::Bucket" and attribute == "RegionalDomainName":
            return f"{name}.s3.{r}.amazonaws.com"
        return f"{name}.{attribute}"

    # -- intrinsic functions ------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attribute)
            if key == "Fn::Join":
                separator, items = arg
                return separator.join(str(self.resolve(item)) for item in self.resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                variables = {name: self.resolve(item) for name, item in variables.items()}
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(variables[m[1]] if m[1] in variables else
                                                              self._sub_name(m[1])), text)
            if key.startswith("Fn::"):
                raise NotImplementedError(f"{key} is not modelled by the test world")
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub_name(self, name: str) -> str:
        logical, _, attribute = name.partition(".")
        return str(self.get_att(logical, attribute) if attribute else self.ref(logical))

    # -- what the world reads -------------------------------------------------------------------------------
    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {logical: resource for logical, resource in self.resources.items() if resource["Type"] == kind}

    def properties(self, logical: str) -> dict[str, Any]:
        """A resource's properties as CloudFormation hands them to a custom resource: resolved, every scalar
        a string (CloudFormation user guide, custom resource request objects: "all values are strings")."""
        return _strings(self.resolve(self.resources[logical].get("Properties", {})))

    def _once(self, key: tuple, make: Callable[[], Any]) -> Any:
        """What the world reads of the template, resolved once (it asks for each call the handler makes)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def role_statements(self, role_logical: str) -> list[dict[str, Any]]:
        """The identity-based statements of a role: its inline policies, and the ``AWS::IAM::Policy`` and
        ``AWS::IAM::ManagedPolicy`` resources attached to it."""
        return self._once(("role", role_logical), lambda: self._role_statements(role_logical))

    def _role_statements(self, role_logical: str) -> list[dict[str, Any]]:
        role = self.resources[role_logical]
        documents = [policy["PolicyDocument"] for policy in role.get("Properties", {}).get("Policies", [])]
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for resource in self.of_type(kind).values():
                props = resource["Properties"]
                if {"Ref": role_logical} in props.get("Roles", []):
                    documents.append(props["PolicyDocument"])
        return [statement for document in documents for statement in self.resolve(document)["Statement"]]

    def role_arn(self, role_logical: str) -> str:
        return self.get_att(role_logical, "Arn")

    def role_logical_of(self, arn: str) -> Optional[str]:
        return self._once(("role of", arn), lambda: next((logical for logical in self.of_type("AWS::IAM::Role")
                                                          if self.role_arn(logical) == arn), None))

    def bucket_logical_of(self, name: str) -> Optional[str]:
        return self._once(("bucket of", name), lambda: next(
            (logical for logical in self.of_type("AWS::S3::Bucket") if self.names[logical] == name), None))

    def bucket_statements(self, bucket_logical: str) -> list[dict[str, Any]]:
        return self._once(("bucket policy", bucket_logical), lambda: self._bucket_statements(bucket_logical))

    def _bucket_statements(self, bucket_logical: str) -> list[dict[str, Any]]:
        for resource in self.of_type("AWS::S3::BucketPolicy").values():
            if resource["Properties"]["Bucket"] == {"Ref": bucket_logical}:
                return self.resolve(resource["Properties"]["PolicyDocument"])["Statement"]
        return []

    def bucket_key_arn(self, bucket_logical: str) -> Optional[str]:
        """The customer managed key a bucket encrypts with by default, if any (``aws/s3`` is AWS managed)."""
        rules = self.resources[bucket_logical].get("Properties", {}).get("BucketEncryption", {}) \
            .get("ServerSideEncryptionConfiguration", [])
        for rule in rules:
            default = rule.get("ServerSideEncryptionByDefault", {})
            if default.get("SSEAlgorithm") == "aws:kms" and default.get("KMSMasterKeyID"):
                return self.resolve(default["KMSMasterKeyID"])
        return None

    def bucket_key_enabled(self, bucket_logical: str) -> bool:
        """Whether the bucket's default SSE-KMS rule uses an S3 Bucket Key (``BucketKeyEnabled``)."""
        rules = self.resources[bucket_logical].get("Properties", {}).get("BucketEncryption", {}) \
            .get("ServerSideEncryptionConfiguration", [])
        return any(str(self.resolve(rule.get("BucketKeyEnabled", False))).lower() == "true" for rule in rules)

    def bucket_uses_aws_managed_key(self, bucket_logical: str) -> bool:
        """Whether the bucket's default encryption is SSE-KMS with no key named: the AWS managed key ``aws/s3``
        (S3 User Guide, "Using server-side encryption with AWS KMS keys": "If you don't specify a customer
        managed key, Amazon S3 automatically creates an AWS KMS key in your AWS account")."""
        rules = self.resources[bucket_logical].get("Properties", {}).get("BucketEncryption", {}) \
            .get("ServerSideEncryptionConfiguration", [])
        return any(rule.get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm") == "aws:kms"
                   and not rule["ServerSideEncryptionByDefault"].get("KMSMasterKeyID") for rule in rules)

    def key_statements(self, key_arn: str) -> list[dict[str, Any]]:
        return self._once(("key policy", key_arn), lambda: self._key_statements(key_arn))

    def _key_statements(self, key_arn: str) -> list[dict[str, Any]]:
        for logical, resource in self.of_type("AWS::KMS::Key").items():
            if self.get_att(logical, "Arn") == key_arn:
                return self.resolve(resource["Properties"]["KeyPolicy"])["Statement"]
        return []


def _strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strings(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if value is None else str(value)
