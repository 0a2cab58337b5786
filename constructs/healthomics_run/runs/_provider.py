"""The one custom-resource provider a stack needs, however many runs it holds."""

from __future__ import annotations

import weakref
from typing import Optional, Sequence, cast

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr

from constructs import Construct
from healthomics_run.construct_helpers import lambda_assets
from healthomics_run.construct_helpers.policies import GroupedStatements
from healthomics_run.construct_helpers.tree import stack_of
from healthomics_run.construct_helpers.validation import acknowledge, wildcard_finding
from healthomics_run.run_model import fields

PROVIDER_ID = "HealthOmicsRunProvider"

_FRAMEWORK_REASONS = (
    ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
     "The CDK Provider framework's own functions use the basic execution role for their logs."),
    ("AwsSolutions-SF1", "Waiter state machine logs would copy the event, whose properties hold workflow parameters "
                         "that may identify patients; the execution history is enough."),
    ("AwsSolutions-SF2", "X-Ray tracing of the waiter state machine adds cost and no insight into HealthOmics runs."),
    ("HIPAA.Security-LambdaConcurrency", "Functions run once per lifecycle event of a custom resource, or per status "
                                         "change of a run waited for; reserved concurrency would only take capacity "
                                         "from the account."),
    ("HIPAA.Security-LambdaDLQ", "Invoked synchronously by CloudFormation's provider framework, which reports every "
                                 "failure, or (the status signaller) by EventBridge, which retries; a signal still "
                                 "lost ends in the wait condition's timeout, which fails the deployment visibly."),
    ("HIPAA.Security-LambdaInsideVPC", "The functions call only AWS APIs; a VPC adds NAT or endpoints and no "
                                       "protection."),
    ("HIPAA.Security-IAMNoInlinePolicy", "Each role's policy is generated from the runs of this stack alone; "
                                         "a managed policy would be shared and reviewed apart from them."),
    ("HIPAA.Security-CloudWatchLogGroupEncrypted", "The handler logs ids, statuses and outcomes only, never "
                                                    "parameters or tags; the framework's functions log events whole "
                                                    "but at INFO, and run with application log level FATAL."),
)


# What is read of a failed run, and of a batch's failed runs, to explain the failure in the deploy's reason
# (lambda/start_run/diagnosis.py): each authorized against the ``run`` resource type (Service Authorization
# Reference, "Actions, resources, and condition keys for AWS HealthOmics": GetRun, ListRunTasks, GetRunTask).
DIAGNOSIS_ACTIONS = ["omics:GetRun", "omics:ListRunTasks", "omics:GetRunTask"]
# The Service Authorization Reference defines a task resource (task/${Id}) beside run/${Id} without saying which
# of the two GetRunTask is authorized on: every role that calls it may act on both, right either way.
TASKS_REASON = ("Task ids are assigned by HealthOmics when a run's tasks start; GetRunTask may be authorized on "
                "the task as well as the run. Limited to this account and Region.")


class RunProvider(Construct):
    """``on_event`` and ``is_complete`` functions behind ``custom_resources.Provider``."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR)
        self.role = iam.Role(self, "HandlerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="Starts, watches and cancels HealthOmics runs for this stack")
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[f"{self.log_group.log_group_arn}"]))
        self.code = lambda_assets.code("start_run")
        on_event = self._function("OnEvent", self.role, "start_run.handler.on_event")
        is_complete = self._function("IsComplete", self.role, "start_run.handler.is_complete")
        self.provider = cr.Provider(
            self, "Provider",
            on_event_handler=on_event,
            is_complete_handler=is_complete,
            query_interval=Duration.seconds(fields.QUERY_INTERVAL_SECONDS),
            total_timeout=Duration.seconds(fields.PROVIDER_TOTAL_TIMEOUT_SECONDS),
            log_group=self.log_group,
        )
        acknowledge(self, *_FRAMEWORK_REASONS)
        # find_child is typed IConstruct; the framework's children of these ids are its Lambda functions
        invoked = [on_event, is_complete, *(cast(lambda_.IFunction, self.provider.node.find_child(f"framework-{name}"))
                                            for name in ("isComplete", "onTimeout"))]
        acknowledge(self, *((wildcard_finding(self, f"{fn.function_arn}:*"),
                             "The Provider framework invokes any version of its own functions.") for fn in invoked))
        self.service_token = self.provider.service_token
        self._grouped = GroupedStatements(self.role)
        self._acknowledged: set[str] = set()
        self._arns: dict[tuple, str] = {}
        self._attributes: dict[tuple, tuple[object, str]] = {}
        # One Duration for every resource's ServiceTimeout: CloudFormation's most (see fields).
        self.service_timeout = Duration.seconds(fields.CFN_SERVICE_TIMEOUT_SECONDS)

    def allow(self, actions: Sequence[str], resources: Sequence[str], conditions: Optional[dict] = None) -> None:
        """Let the handler do ``actions`` on ``resources`` (see ``GroupedStatements``)."""
        self._grouped.allow(actions, resources, conditions)

    def attribute(self, construct: object, name: str) -> str:
        """``construct.<name>`` (a role's ARN, a run group's id), asked of jsii once per construct and stack."""
        key = (id(construct), name)
        if key not in self._attributes:
            self._attributes[key] = (construct, getattr(construct, name))  # the construct kept: ids stay unique
        return self._attributes[key][1]

    def arn(self, resource: str, name: str, account: Optional[str] = None) -> str:
        """``arn:<partition>:omics:<region>:<account>:<resource>/<name>`` of this stack, made once per value."""
        key = (resource, name, account)
        if key not in self._arns:
            self._arns[key] = stack_of(self).format_arn(service="omics", resource=resource, resource_name=name,
                                                        account=account)
        return self._arns[key]

    def acknowledge_wildcard(self, arn: str, reason: str) -> None:
        """Acknowledge cdk-nag's IAM5 finding for a wildcard ``arn`` on the handler role, once."""
        if arn not in self._acknowledged:
            self._acknowledged.add(arn)
            acknowledge(self.role, (wildcard_finding(self, arn), reason))

    def signaller(self) -> lambda_.Function:
        """The function that signals wait conditions on status change events; created on first use.

        It has a role of its own: it may only read runs and batches (for the failure reason and its diagnosis).
        """
        existing = self.node.try_find_child("StatusSignaller")
        if isinstance(existing, lambda_.Function):
            return existing
        role = iam.Role(self, "SignallerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description="Reads HealthOmics runs and batches to signal CloudFormation wait conditions")
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[self.log_group.log_group_arn]))
        stack = Stack.of(self)
        readable = [stack.format_arn(service="omics", resource=kind, resource_name="*")
                    for kind in ("run", "runBatch", "task")]
        # GetRun and GetBatch for the status; the rest for the failure's diagnosis (lambda/start_run/diagnosis.py).
        role.add_to_policy(iam.PolicyStatement(actions=[*DIAGNOSIS_ACTIONS, "omics:GetBatch", "omics:ListRunsInBatch"],
                                               resources=readable))
        acknowledge(role, *((wildcard_finding(self, arn), "Run and batch ids are assigned by HealthOmics when they "
                             "start; reading them is limited to this account and Region.") for arn in readable[:2]),
                    (wildcard_finding(self, readable[2]), TASKS_REASON))
        return self._function("StatusSignaller", role, "start_run.completion.on_status_event")

    def _function(self, id: str, role: iam.IRole, handler: str) -> lambda_.Function:
        return lambda_.Function(
            self, id,
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            code=self.code,
            handler=handler,
            role=role,
            log_group=self.log_group,
            timeout=Duration.seconds(fields.FUNCTION_TIMEOUT_SECONDS),
            memory_size=fields.FUNCTION_MEMORY_MB,
            description="HealthOmics run lifecycle (healthomics-run)",
        )

    @classmethod
    def of(cls, scope: Construct) -> "RunProvider":
        """The stack's provider, created on first use (and remembered per stack: a stack of 1,000 runs asks
        1,000 times)."""
        stack = stack_of(scope)
        if stack not in _PROVIDERS:
            existing = stack.node.try_find_child(PROVIDER_ID)
            _PROVIDERS[stack] = existing if isinstance(existing, RunProvider) else cls(stack, PROVIDER_ID)
        return _PROVIDERS[stack]


_PROVIDERS: "weakref.WeakKeyDictionary[Stack, RunProvider]" = weakref.WeakKeyDictionary()
