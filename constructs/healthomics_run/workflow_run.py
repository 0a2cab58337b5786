"""One HealthOmics run as a CloudFormation resource (``Custom::HealthOmicsRun``)."""

from __future__ import annotations

import enum
from typing import Any, Optional

import jsii
from aws_cdk import CustomResource, Duration, IStableStringProducer, Lazy, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct
from typing_extensions import Unpack

from ._lambda.start_run import fields, rules
from ._lambda.start_run.fingerprint import fingerprint
from ._lambda.start_run.properties import parameter_types
from ._provider import RunProvider
from ._validation import acknowledge, add_check, is_unresolved, wildcard_finding
from .enums import DeletePolicy, StorageType, WaitFor, WorkflowType
from .run_group import IRunGroup, RunGroup
from .run_props import RunProps, check_run_props

RESOURCE_TYPE = "Custom::HealthOmicsRun"
DEFAULT_TIMEOUT = Duration.hours(1)
# Shown in ``cdk diff``: it changes exactly when a run setting known at synth time changes,
# that is, when deploying will start a new run.
SETTINGS_DIGEST = "RunSettingsDigest"


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


class WorkflowRun(Construct):
    """Starts one HealthOmics run on deploy, idempotently, for users who bring role and output location.

    :param role: the service role HealthOmics assumes (``RunServiceRole`` or your own).
    :param output_uri: ``s3://bucket/prefix`` where the run writes its outputs.
    :param run_props: see ``RunProps``.

    Attributes (tokens): ``run_id``, ``run_arn``, ``run_uuid``, ``run_output_uri``.
    """

    def __init__(self, scope: Construct, id: str, *, role: iam.IRole, output_uri: str,
                 **run_props: Unpack[RunProps]) -> None:
        super().__init__(scope, id)
        check_run_props(run_props)
        self.role = role
        self.run_group = _run_group(self, run_props.get("run_group"))
        self.request = self._request(role, output_uri, run_props)
        self.delete_policy = _plain(run_props.get("delete_policy", DeletePolicy.RETAIN))
        self.wait_for = _plain(run_props.get("wait_for", WaitFor.STARTED))
        timeout_seconds = run_props.get("timeout", DEFAULT_TIMEOUT).to_seconds()
        rerun_token = run_props.get("rerun_token")
        add_check(self, lambda: rules.run_errors(self.request, is_unresolved)
                  + rules.control_errors(self.delete_policy, self.wait_for, timeout_seconds))

        provider = RunProvider.of(self)
        self._grant_handler(provider.role, run_props)
        properties = {fields.BY_API[api].prop: value for api, value in self.request.items()}
        types = parameter_types(self.request.get("parameters", {}))
        if types:
            properties[fields.PARAMETER_TYPES] = types
        if rerun_token:
            properties[fields.RERUN_TOKEN] = rerun_token
        properties[fields.DELETE_POLICY] = self.delete_policy
        properties[fields.WAIT_FOR] = self.wait_for
        properties[fields.TIMEOUT_SECONDS] = timeout_seconds
        properties[SETTINGS_DIGEST] = Lazy.string(_Digest(self, rerun_token or ""))
        self.resource = CustomResource(self, "Resource", service_token=provider.service_token,
                                       resource_type=RESOURCE_TYPE, properties=properties)
        self.run_id: str = self.resource.get_att_string("RunId")
        self.run_arn: str = self.resource.get_att_string("RunArn")
        self.run_uuid: str = self.resource.get_att_string("RunUuid")
        self.run_output_uri: str = self.resource.get_att_string("RunOutputUri")

    def _request(self, role: iam.IRole, output_uri: str, run_props: RunProps) -> dict[str, Any]:
        given = {**run_props, "role_arn": role.role_arn, "output_uri": output_uri,
                 "run_group_id": self.run_group.run_group_id if self.run_group else None}
        given.setdefault("name", self.node.path[-128:])
        given.setdefault("storage_type", StorageType.DYNAMIC)
        request = {field.api: _plain(given.get(field.snake)) for field in fields.START_RUN_FIELDS}
        return {api: value for api, value in request.items() if value is not None}

    def _workflow_arns(self) -> list[str]:
        workflow_id = self.request.get("workflowId")
        if workflow_id is None:
            return []
        ready2run = self.request.get("workflowType") == WorkflowType.READY2RUN.value
        account = "" if ready2run else self.request.get("workflowOwnerId")
        stack = Stack.of(self)
        arns = [stack.format_arn(service="omics", resource="workflow", resource_name=workflow_id, account=account)]
        if "workflowVersionName" in self.request:
            arns.append(stack.format_arn(service="omics", resource="workflow", account=account,
                                         resource_name=f"{workflow_id}/version/{self.request['workflowVersionName']}"))
        return arns

    def _grant_handler(self, handler_role: iam.IRole, run_props: RunProps) -> None:
        """What the handler needs for this run, and no more."""
        stack = Stack.of(self)
        runs = stack.format_arn(service="omics", resource="run", resource_name="*")
        workflows = self._workflow_arns()
        start_on = [*workflows, runs]
        if self.run_group is not None:
            start_on.append(self.run_group.run_group_arn)
        if "cacheId" in self.request:
            start_on.append(stack.format_arn(service="omics", resource="runCache", resource_name=self.request["cacheId"]))
        statements = [
            iam.PolicyStatement(actions=["omics:StartRun"], resources=start_on),
            iam.PolicyStatement(actions=["omics:GetRun", "omics:CancelRun"], resources=[runs]),
            iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.role.role_arn],
                                conditions={"StringEquals": {"iam:PassedToService": "omics.amazonaws.com"}}),
        ]
        if workflows:
            statements.append(iam.PolicyStatement(actions=["omics:GetWorkflow", "omics:GetWorkflowVersion"],
                                                  resources=workflows))
        if run_props.get("tags"):
            statements.append(iam.PolicyStatement(actions=["omics:TagResource"], resources=[runs]))
        for statement in statements:
            handler_role.add_to_principal_policy(statement)
        acknowledge(handler_role, (
            wildcard_finding(self, runs),
            "Run ids are assigned by HealthOmics when StartRun returns; they cannot be named beforehand. "
            "Actions on runs are limited to this account and Region.",
        ))


def _run_group(scope: Construct, run_group: Optional[IRunGroup | str]) -> Optional[IRunGroup]:
    if isinstance(run_group, str):
        return RunGroup.from_run_group_id(scope, "RunGroup", run_group)
    return run_group


@jsii.implements(IStableStringProducer)
class _Digest:
    """Produces the digest of this run's settings as they stand in the template."""

    def __init__(self, run: WorkflowRun, rerun_token: str) -> None:
        self._run, self._rerun_token = run, rerun_token

    def produce(self) -> str:
        return fingerprint(Stack.of(self._run).resolve(self._run.request), self._rerun_token)[:16]
