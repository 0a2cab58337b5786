"""The test account: a synthesized stack deployed into moto, where every call is authorized as AWS would.

- **Each client calls as one principal** (``Account.act_as``): the handler's S3 and HealthOmics clients as the
  handler role, the provenance writer's as its role, the status signaller's as its role, a command's as the
  person running it (``Account.people``: a principal the template does not hold, with the policy the docs give
  it). Each request is authorized against that principal's identity policies and the resource's policy (bucket
  policy, key policy), with ``iam_policy``. HealthOmics actions and their resource types follow the
  Service Authorization Reference, "Actions, resources, and condition keys for AWS HealthOmics";
  S3's follow "Actions, resources, and condition keys for Amazon S3" (GetObject and HeadObject:
  ``s3:GetObject`` on the object, ``s3:GetObjectVersion`` when the request names a ``VersionId`` (S3 API
  Reference, GetObject, "Permissions"); PutObject: ``s3:PutObject``; ListObjectsV2: ``s3:ListBucket`` on the
  bucket, ListObjectVersions: ``s3:ListBucketVersions`` (S3 API Reference, ListObjectVersions), with
  ``s3:prefix`` the request's prefix).
- **The other services' calls** are authorized as the Service Authorization Reference names them:
  CloudFormation's ListStackResources, DescribeStackResource, DescribeStacks and GetTemplate as
  ``cloudformation:<operation>`` on the stack (resource type ``stack``, "Actions, resources, and condition keys
  for AWS CloudFormation"); SQS calls as ``sqs:<operation>`` on the queue, a batch operation as its single one
  (SQS Developer Guide, "Amazon SQS API permissions: Actions and resource reference"; "Amazon SQS batch
  actions": "setting permissions for SendMessage, DeleteMessage, or ChangeMessageVisibility sets permissions
  for the corresponding batch versions"); a Lambda function's configuration as
  ``lambda:GetFunctionConfiguration`` on the function ("... for AWS Lambda"); the Price List's GetProducts as
  ``pricing:GetProducts`` on ``*`` (it has no resource types, "... for AWS Price List"). HealthOmics' ListRuns,
  ListBatch and ListRunGroups are authorized against ``*`` (``UNSCOPED``): only a statement on ``*`` allows them
  here, which is right whether or not AWS checks them against a resource type. ListRunsInBatch is authorized on
  the batch, as the HealthOmics guide's example policy grants it ("Batch runs in HealthOmics", IAM permissions
  for batch operations: ``omics:ListRunsInBatch`` on ``runBatch/*``).
- **A role may run under a session policy** (``Account.sessions``: role logical id -> the session policy's
  statements, as if the role had been assumed with AssumeRole's ``Policy``): its permissions are the
  intersection of its identity policy and the session policy (IAM User Guide, "Permissions for AssumeRole").
- **S3 answers as S3 does**:
  - a GetObject or HeadObject of a missing key is 404 only for a caller that may ``s3:ListBucket`` the
    bucket, else 403 (S3 API Reference, GetObject, "Permissions"). Whether a ListBucket allowed only
    under an ``s3:prefix`` condition counts is not documented: this world takes the strict reading (it
    does not count), so code that is right here is right either way;
  - SSE-KMS objects need ``kms:GenerateDataKey`` to write and ``kms:Decrypt`` to read, authorized by the
    key policy, which may delegate to IAM (S3 User Guide, "Using server-side encryption with AWS KMS
    keys"; KMS Developer Guide, "Default key policy"). S3 calls KMS on the caller's behalf, so the request
    carries ``kms:CallerAccount`` (the caller's account), ``kms:ViaService`` (``s3.<region>.amazonaws.com``)
    and the encryption context S3 uses, ``aws:s3:arn``: the object's ARN, or the bucket's with an S3 Bucket
    Key (S3 User Guide, "Encryption context"; KMS Developer Guide, "AWS KMS condition keys"). A bucket
    encrypted with ``aws:kms`` and no key named uses the AWS managed key ``aws/s3``, whose key policy lets
    every principal of the account use it through S3 only (KMS Developer Guide, kms:CallerAccount and
    kms:ViaService: "All AWS managed keys use a kms:ViaService condition key");
  - ``ExpectedBucketOwner`` naming another account than the bucket's is 403 (S3 User Guide, "Verifying
    bucket ownership with bucket owner condition");
  - ``If-None-Match: *`` on an existing key is 412 (S3 API Reference, PutObject) — moto's own.
- **HealthOmics acts as the service role** (``FakeHealthOmics.service_access``): StartRunBatch reads its
  settings file during the call ("HealthOmics validates access to the file during the synchronous API
  call", API Reference, BatchRunSettings); a run whose role cannot read an input or write its output
  fails with INPUT_URI_NOT_FOUND or EXPORT_FAILED (HealthOmics guide, "Run failure reasons").
- **Lambda acts as the function's role** twice: it sends the function's logs (``lambda_logs``), and an SQS event
  source polls the queue (``event_source_polls``: ``sqs:ReceiveMessage``, ``sqs:DeleteMessage`` and
  ``sqs:GetQueueAttributes``, Lambda Developer Guide, "Using Lambda with Amazon SQS", execution role permissions).
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional

import boto3
from botocore.awsrequest import AWSResponse

from tests.deployed import Deployed
from tests.fake_omics import ACCOUNT, REGION, FakeHealthOmics, ServiceError
from tests.iam_policy import Caller, Policies

# Why a GetObject or HeadObject of a missing key is refused to a caller that may not list the bucket
MISSING_KEY = "a missing key is told apart from a forbidden one only to a caller that may list"
# HealthOmics listings authorized against "*" (see the module's docstring)
UNSCOPED = ("ListRuns", "ListBatch", "ListRunGroups")
OTHER_ACCOUNT = "210987654321"  # an example account for buckets owned elsewhere
SECURE = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}  # every SDK call here is HTTPS, TLS 1.3


class _Body(io.BytesIO):
    def stream(self, **_: Any):
        yield self.getvalue()


@dataclass
class ForeignBucket:
    """A bucket the template does not create: imported, or owned by another account."""

    owner: str = ACCOUNT
    statements: list[dict[str, Any]] = field(default_factory=list)  # its bucket policy
    key_arn: Optional[str] = None
    key_statements: list[dict[str, Any]] = field(default_factory=list)
    bucket_key: bool = False  # an S3 Bucket Key: the encryption context is the bucket's ARN, not the object's


def aws_managed_s3_key(account: str) -> tuple[str, list[dict[str, Any]]]:
    """The AWS managed key ``aws/s3`` of an account and its key policy, written as the KMS Developer Guide shows
    an AWS managed key's ("AWS KMS condition keys", kms:CallerAccount: ``Principal`` every AWS identity, with
    ``kms:CallerAccount`` the account and ``kms:ViaService`` the service that created the key)."""
    return f"arn:aws:kms:{REGION}:{account}:key/aws-managed-s3", [
        {"Sid": "Allow access through S3 for all principals in the account that are authorized to use S3",
         "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": account,
                                        "kms:ViaService": f"s3.{REGION}.amazonaws.com"}}},
        {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*"}]


def _omics_arn(kind: str, name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:omics:{REGION}:{account}:{kind}/{name}"


@dataclass
class Person:
    """A principal the template does not hold (say, whoever runs a command), with its identity statements."""

    caller: Caller
    statements: list[dict[str, Any]]


def queue_arn(url: str) -> str:
    """``https://sqs.<region>.amazonaws.com/<account>/<name>`` -> ``arn:aws:sqs:<region>:<account>:<name>``."""
    host, account, name = url.removeprefix("https://").split("/")
    return f"arn:aws:sqs:{host.split('.')[1]}:{account}:{name}"


class Account:
    """The deployed stack and the rules of the account it runs in."""

    def __init__(self, deployed: Deployed, foreign: Optional[dict[str, ForeignBucket]] = None) -> None:
        self.deployed = deployed
        self.foreign = foreign or {}
        self.denied: list[str] = []  # every refusal, for the statement-removal test
        self.writes: Counter = Counter()  # (bucket, key) -> PutObjects that landed
        self.removed: Optional[tuple[str, dict[str, Any]]] = None  # (role logical id, a statement) left out
        self.enforcing = True  # False: what an earlier release did, in an account where it could
        self.sessions: dict[str, list[dict[str, Any]]] = {}  # role logical id -> its session policy's statements
        self.people: dict[str, Person] = {}  # principals the template does not hold, by a name of the test's
        self.calling = ""  # who makes the HealthOmics request under way (the fake's hook has no request context)
        self._raw_s3 = boto3.client("s3", region_name=REGION)

    # -- who is who --------------------------------------------------------------------------------------
    @property
    def handler_role(self) -> str:
        return next(logical for logical in self.deployed.of_type("AWS::IAM::Role") if "HandlerRole" in logical)

    def role(self, part: str) -> str:
        """The logical id of the template's one role whose logical id holds ``part``."""
        (found,) = [logical for logical in self.deployed.of_type("AWS::IAM::Role") if part in logical]
        return found

    def caller(self, role_logical: str) -> Caller:
        if role_logical in self.people:
            return self.people[role_logical].caller
        return Caller(account=self.deployed.account, arn=self.deployed.role_arn(role_logical))

    def statements(self, role_logical: str) -> list[dict[str, Any]]:
        found = self.people[role_logical].statements if role_logical in self.people else \
            self.deployed.role_statements(role_logical)
        if self.removed is not None and self.removed[0] == role_logical:
            found = [statement for statement in found if statement != self.removed[1]]
        return found

    # -- deciding ----------------------------------------------------------------------------------------
    def _bucket(self, name: str) -> tuple[str, list[dict[str, Any]], Optional[str], list[dict[str, Any]]]:
        """(owner, bucket policy, KMS key ARN, key policy) of a bucket: its customer managed key, or ``aws/s3``
        for a template bucket encrypted with ``aws:kms`` and no key named; no key for SSE-S3."""
        logical = self.deployed.bucket_logical_of(name)
        if logical is not None:
            key = self.deployed.bucket_key_arn(logical)
            if key is None and self.deployed.bucket_uses_aws_managed_key(logical):
                key, key_statements = aws_managed_s3_key(self.deployed.account)
            else:
                key_statements = self.deployed.key_statements(key) if key else []
            return self.deployed.account, self.deployed.bucket_statements(logical), key, key_statements
        foreign = self.foreign.get(name, ForeignBucket())
        return foreign.owner, foreign.statements, foreign.key_arn, foreign.key_statements

    def _bucket_key(self, name: str) -> bool:
        logical = self.deployed.bucket_logical_of(name)
        if logical is not None:
            return self.deployed.bucket_key_enabled(logical)
        return self.foreign.get(name, ForeignBucket()).bucket_key

    def _policies(self, role_logical: str, resource: list[dict[str, Any]], owner: str) -> Policies:
        return Policies(self.statements(role_logical), resource, owner, self.sessions.get(role_logical))

    def may(self, role_logical: str, action: str, resource: str, context: Optional[dict[str, Any]] = None, *,
            bucket: Optional[str] = None) -> tuple[bool, str]:
        who = self.caller(role_logical)
        owner, statements = self.deployed.account, []
        if bucket is not None:
            owner, statements, _, _ = self._bucket(bucket)
        decision = self._policies(role_logical, statements, owner).decide(who, action, resource,
                                                                          {**SECURE, **(context or {})})
        return decision.allowed, decision.why

    def may_as(self, who: Caller, identity: list[dict[str, Any]], action: str, resource: str,
               context: Optional[dict[str, Any]] = None, *, bucket: str) -> tuple[bool, str]:
        """A request by a principal the template does not hold (say, a role of another account, with its own
        identity statements) on a bucket of this world: its identity policy and the bucket's policy decide."""
        owner, statements, _, _ = self._bucket(bucket)
        decision = Policies(identity, statements, owner).decide(who, action, resource, {**SECURE, **(context or {})})
        return decision.allowed, decision.why

    def may_use_key(self, role_logical: str, action: str, bucket: str, key: str = "") -> tuple[bool, str]:
        """The KMS half of an S3 request on an SSE-KMS bucket (object ``key``): S3 calls KMS for the caller, with
        the encryption context it uses (the bucket's ARN with an S3 Bucket Key, else the object's)."""
        owner, _, key_arn, key_statements = self._bucket(bucket)
        if key_arn is None:
            return True, "no KMS key"
        who = self.caller(role_logical)
        s3_arn = f"arn:aws:s3:::{bucket}" if self._bucket_key(bucket) else f"arn:aws:s3:::{bucket}/{key}"
        context = {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:CallerAccount": who.account,
                   "kms:EncryptionContext:aws:s3:arn": s3_arn, "kms:EncryptionContextKeys": ["aws:s3:arn"]}
        decision = self._policies(role_logical, key_statements, owner).decide(who, action, key_arn, context,
                                                                              key_policy=True)
        return decision.allowed, decision.why

    def refuse(self, who: str, action: str, resource: str, why: str) -> str:
        message = f"User: {who} is not authorized to perform: {action} on resource: {resource} because {why}"
        self.denied.append(message)
        return message

    # -- an S3 client ---------------------------------------------------------------------------------------
    def _who_calls(self, name: str, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["account_world_params"] = dict(params)
        context["account_world_caller"] = self.calling = name

    def _s3_call(self, model, context: dict[str, Any], **_: Any):
        params = context.get("account_world_params", {})
        if not self.enforcing:
            return None
        role = context["account_world_caller"]
        who = self.caller(role).arn
        bucket, key = params.get("Bucket", ""), params.get("Key", "")
        owner, _, _, _ = self._bucket(bucket)
        operation = model.name
        if params.get("ExpectedBucketOwner") not in (None, owner):
            return self._error(403, "AccessDenied", "Access Denied (ExpectedBucketOwner does not own the bucket)")
        if operation in ("GetObject", "HeadObject", "PutObject"):
            action = "s3:PutObject" if operation == "PutObject" else \
                "s3:GetObjectVersion" if params.get("VersionId") else "s3:GetObject"
            resource = f"arn:aws:s3:::{bucket}/{key}"
            allowed, why = self.may(role, action, resource, bucket=bucket)
            if not allowed:
                return self._error(403, "AccessDenied", self.refuse(who, action, resource, why))
            if operation != "PutObject" and not self._exists(bucket, key, params.get("VersionId")):
                may_list, _ = self.may(role, "s3:ListBucket", f"arn:aws:s3:::{bucket}", bucket=bucket)
                if not may_list:  # S3 API Reference, GetObject, "Permissions"
                    return self._error(403, "AccessDenied", self.refuse(
                        who, "s3:ListBucket", f"arn:aws:s3:::{bucket}", MISSING_KEY))
                return None
            kms_action = "kms:GenerateDataKey" if operation == "PutObject" else "kms:Decrypt"
            allowed, why = self.may_use_key(role, kms_action, bucket, key)
            if not allowed:
                return self._error(403, "AccessDenied", self.refuse(who, kms_action, bucket, why))
            return None
        if operation in ("ListObjectsV2", "ListObjects", "ListObjectVersions"):
            action = "s3:ListBucketVersions" if operation == "ListObjectVersions" else "s3:ListBucket"
            resource = f"arn:aws:s3:::{bucket}"
            context = {"s3:prefix": params["Prefix"]} if "Prefix" in params else {}
            allowed, why = self.may(role, action, resource, context, bucket=bucket)
            if not allowed:
                return self._error(403, "AccessDenied", self.refuse(who, action, resource, why))
            return None
        raise NotImplementedError(f"the account world does not authorize S3 {operation} yet")

    # -- CloudFormation, SQS and Lambda clients -----------------------------------------------------------------
    def _stack_arn(self, name: str) -> str:
        """A stack named by its id or its name (CloudFormation's ``StackName`` takes either)."""
        if name in (self.deployed.stack_id, self.deployed.stack_name):
            return self.deployed.stack_id
        return name if name.startswith("arn:") else \
            f"arn:aws:cloudformation:{REGION}:{self.deployed.account}:stack/{name}/*"

    def _needs(self, service: str, operation: str, params: dict[str, Any]) -> tuple[str, str]:
        """(action, resource) a CloudFormation, SQS, Price List or Lambda request is authorized for."""
        if service == "cloudformation" and operation in ("ListStackResources", "DescribeStackResource",
                                                         "DescribeStacks", "GetTemplate"):
            return f"cloudformation:{operation}", self._stack_arn(params["StackName"])
        single = operation.removesuffix("Batch")
        if service == "sqs" and single in ("SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"):
            return f"sqs:{single}", queue_arn(params["QueueUrl"])
        if service == "pricing" and operation == "GetProducts":  # no resource types ("... for AWS Price List")
            return "pricing:GetProducts", "*"
        if service == "lambda" and operation == "GetFunctionConfiguration":
            name = params["FunctionName"]
            return "lambda:GetFunctionConfiguration", name if name.startswith("arn:") else \
                f"arn:aws:lambda:{REGION}:{self.deployed.account}:function:{name}"
        raise NotImplementedError(f"the account world does not authorize {service} {operation} yet")

    def _other_call(self, service: str, model, context: dict[str, Any], **_: Any):
        if not self.enforcing:
            return None
        role = context["account_world_caller"]
        action, resource = self._needs(service, model.name, context.get("account_world_params", {}))
        allowed, why = self.may(role, action, resource)
        if allowed:
            return None
        return self._error(400 if service == "sqs" else 403, "AccessDenied",
                           self.refuse(self.caller(role).arn, action, resource, why))

    def _s3_landed(self, model, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params = context.get("account_world_params", {})
        if model.name == "PutObject" and "ETag" in parsed:
            self.writes[(params["Bucket"], params["Key"])] += 1

    def _exists(self, bucket: str, key: str, version: Optional[str] = None) -> bool:
        try:
            self._raw_s3.head_object(Bucket=bucket, Key=key, **({"VersionId": version} if version else {}))
            return True
        except self._raw_s3.exceptions.ClientError:
            return False

    @staticmethod
    def _error(status: int, code: str, message: str):
        """A refusal, answered before the request is sent (as the service would answer it, already parsed)."""
        response = AWSResponse("https://s3.amazonaws.com", status, {}, _Body(b""))
        return response, {"Error": {"Code": code, "Message": message},
                          "ResponseMetadata": {"HTTPStatusCode": status}}

    # -- a HealthOmics client -------------------------------------------------------------------------------
    def _omics_resources(self, operation: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        """(action, resource ARN, context) for each authorization a HealthOmics request needs."""
        if operation in ("StartRun", "StartRunBatch"):
            request = params if operation == "StartRun" else params["defaultRunSetting"]
            kind = "run" if operation == "StartRun" else "runBatch"
            on = [_omics_arn(kind, "*")]
            if "workflowId" in request:
                ready2run = request.get("workflowType") == "READY2RUN"
                owner = "" if ready2run else request.get("workflowOwnerId", ACCOUNT)
                on.append(_omics_arn("workflow", request["workflowId"], owner))
                if "workflowVersionName" in request:
                    on.append(_omics_arn("workflow", f"{request['workflowId']}/version/"
                                                     f"{request['workflowVersionName']}", owner))
            for member, kind_of in (("runGroupId", "runGroup"), ("cacheId", "runCache"),
                                    ("configurationName", "configuration")):
                if member in request:
                    on.append(_omics_arn(kind_of, request[member]))
            needs = [(f"omics:{operation}", arn, {}) for arn in on]
            needs.append(("iam:PassRole", request["roleArn"], {"iam:PassedToService": "omics.amazonaws.com"}))
            # A batch's runTags are authorized as each run is created (the fake's submission), not here.
            if params.get("tags"):
                needs.append(("omics:TagResource", _omics_arn("run", "*"), {}))
            return needs
        by_run = {"GetRun": "id", "CancelRun": "id", "DeleteRun": "id", "ListRunTasks": "id", "GetRunTask": "id"}
        by_batch = {"GetBatch": "batchId", "CancelRunBatch": "batchId", "ListRunsInBatch": "batchId",
                    "DeleteBatch": "batchId", "DeleteRunBatch": "batchId"}
        if operation in by_run:
            return [(f"omics:{operation}", _omics_arn("run", params[by_run[operation]]), {})]
        if operation in by_batch:
            return [(f"omics:{operation}", _omics_arn("runBatch", params[by_batch[operation]]), {})]
        if operation == "GetWorkflow":
            owner = "" if params.get("type") == "READY2RUN" else params.get("workflowOwnerId", ACCOUNT)
            return [("omics:GetWorkflow", _omics_arn("workflow", params["id"], owner), {})]
        if operation == "GetWorkflowVersion":
            owner = "" if params.get("type") == "READY2RUN" else params.get("workflowOwnerId", ACCOUNT)
            return [("omics:GetWorkflowVersion",
                     _omics_arn("workflow", f"{params['workflowId']}/version/{params['versionName']}", owner), {})]
        if operation in ("TagResource", "UntagResource"):
            return [(f"omics:{operation}", params["resourceArn"], {})]
        raise NotImplementedError(f"the account world does not authorize HealthOmics {operation} yet")

    def authorize_omics(self, operation: str, params: dict[str, Any]) -> None:
        """As whoever the client making the request acts as (``calling``: set as the request is built)."""
        if not self.enforcing:
            return
        role = self.calling
        needs = [(f"omics:{operation}", "*", {})] if operation in UNSCOPED else self._omics_resources(operation, params)
        for action, resource, context in needs:
            allowed, why = self.may(role, action, resource, context)
            if not allowed:
                raise ServiceError("AccessDeniedException", self.refuse(self.caller(role).arn, action, resource, why))

    # -- HealthOmics acting as the service role ----------------------------------------------------------------
    def service_access(self, access: str, role_arn: str, uri: str) -> Optional[str]:
        """Why the service role cannot ``access`` ``uri`` ("read" or "write" an S3 URI; "log" a run's log streams,
        ``run/<id>``; publish "metrics"), or None when it can."""
        role = self.deployed.role_logical_of(role_arn)
        if role is None or not self.enforcing:  # a role the template does not hold: the test brought its own (moto's)
            return None
        if access in ("log", "metrics"):
            return self._service_logs_and_metrics(role, role_arn, access, uri)
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        action, kms_action = ("s3:PutObject", "kms:GenerateDataKey") if access == "write" else \
            ("s3:GetObject", "kms:Decrypt")
        resource = f"arn:aws:s3:::{bucket}/{key}"
        allowed, why = self.may(role, action, resource, bucket=bucket)
        if allowed:
            allowed, why = self.may_use_key(role, kms_action, bucket, key)
        return None if allowed else self.refuse(role_arn, action, resource, why)

    def _service_logs_and_metrics(self, role: str, role_arn: str, access: str, target: str) -> Optional[str]:
        """HealthOmics writes a run's logs under /aws/omics/WorkflowLog, creating the group on first use, and
        publishes run metrics with cloudwatch:PutMetricData, which has no resource types (HealthOmics guide:
        "Service roles for AWS HealthOmics", "Run metrics for Private Workflows")."""
        group = f"arn:aws:logs:{REGION}:{self.deployed.account}:log-group:/aws/omics/WorkflowLog"
        needs = [("cloudwatch:PutMetricData", "*")] if access == "metrics" else [
            ("logs:CreateLogGroup", f"{group}:*"), ("logs:CreateLogStream", f"{group}:log-stream:{target}/engine"),
            ("logs:PutLogEvents", f"{group}:log-stream:{target}/engine")]
        for action, resource in needs:
            allowed, why = self.may(role, action, resource)
            if not allowed:
                return self.refuse(role_arn, action, resource, why)
        return None

    def lambda_logs(self, role: Optional[str] = None) -> None:
        """What the Lambda service does for each invocation of a function of the library (the deploy handler by
        default): send its logs to the function's log group, the provider's, as the function's role (Lambda
        Developer Guide, "Sending Lambda function logs to CloudWatch Logs": the execution role needs
        logs:CreateLogStream and logs:PutLogEvents). A refusal loses the logs: recorded."""
        if not self.enforcing:
            return
        role = role or self.handler_role
        (group,) = [logical for logical in self.deployed.of_type("AWS::Logs::LogGroup")
                    if "HealthOmicsRunProvider" in logical]
        stream = f"{self.deployed.get_att(group, 'Arn').removesuffix(':*')}:log-stream:2026/12/06/[$LATEST]0"
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            allowed, why = self.may(role, action, stream)
            if not allowed:
                self.refuse(self.deployed.role_arn(role), action, stream, why)

    def event_source_polls(self, role: str, queue_url: str) -> bool:
        """Whether an SQS event source may poll ``queue_url`` for a function of ``role``: it receives, deletes
        and reads the queue's attributes as the function's execution role (Lambda Developer Guide, "Using Lambda
        with Amazon SQS"). A refusal leaves the messages in the queue: recorded."""
        if not self.enforcing:
            return True
        polled = True
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
            allowed, why = self.may(role, action, queue_arn(queue_url))
            if not allowed:
                self.refuse(self.deployed.role_arn(role), action, queue_arn(queue_url), why)
                polled = False
        return polled

    # -- attaching -----------------------------------------------------------------------------------------------
    def attach(self, fake: FakeHealthOmics, s3_client) -> None:
        """The HealthOmics fake answers as this account, and the handler's clients call as the handler role."""
        fake.authorize = self.authorize_omics
        fake.service_access = self.service_access
        self.act_as(self.handler_role, fake.client, s3_client)

    def act_as(self, name: str, *clients: Any) -> None:
        """Each of ``clients`` calls as ``name`` (a role logical id of the template, or one of ``people``): a
        HealthOmics client the fake serves, or an S3, CloudFormation, SQS, Price List or Lambda client."""
        for client in clients:
            service = client.meta.service_model.service_id.hyphenize()
            client.meta.events.register(f"before-parameter-build.{service}", functools.partial(self._who_calls, name))
            if service == "s3":
                client.meta.events.register_first("before-call.s3", self._s3_call)
                client.meta.events.register("after-call.s3", self._s3_landed)
            elif service != "omics":
                client.meta.events.register_first(f"before-call.{service}", functools.partial(self._other_call,
                                                                                             service))

    def create_resources(self) -> None:
        """Every bucket and role of the template, and the foreign buckets, in moto (owners are this world's)."""
        iam = boto3.client("iam", region_name=REGION)
        for logical in self.deployed.of_type("AWS::IAM::Role"):
            with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
                iam.create_role(RoleName=self.deployed.names[logical], AssumeRolePolicyDocument="{}")
        names = [self.deployed.names[logical] for logical in self.deployed.of_type("AWS::S3::Bucket")]
        sqs = boto3.client("sqs", region_name=REGION)
        for logical in self.deployed.of_type("AWS::SQS::Queue"):
            sqs.create_queue(QueueName=self.deployed.names[logical])
        for name in [*names, *self.foreign]:
            with contextlib.suppress(self._raw_s3.exceptions.BucketAlreadyOwnedByYou):
                self._raw_s3.create_bucket(Bucket=name)
            if name in names:
                self._raw_s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

