"""Waiting for COMPLETED past the Provider framework's hour: a CloudFormation wait condition.

The custom resource returns once the run (or batch) has started. A wait condition then holds
the deployment until the run's status change event signals it, for up to 12 hours:

    run resource ──▶ rule (this run's uuid, ended statuses) ──▶ completion check ──▶ wait condition
                         │                                          │
                         └─ on an event: GetRun, signal ◀───────────┘ once: ended already? signal

The check closes the gap between the run starting and the rule existing. The handle, the check
and the condition carry the settings digest and the timeout in their logical ids (``generation``):
CloudFormation cannot update a wait condition, so a new run or a new timeout gets a new wait,
and an unchanged run is not waited for again.
"""

from __future__ import annotations

from aws_cdk import CfnWaitCondition, CfnWaitConditionHandle, CustomResource
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets

from constructs import Construct
from healthomics_run.construct_helpers.status_events import StatusEvents
from healthomics_run.run_model.settings import CHECK_RESOURCE_TYPE

from ._provider import RunProvider


class CompletionWait(Construct):
    """Holds the deployment until ``resource`` ended, or fails it with the reason; see the module."""

    def __init__(self, scope: Construct, id: str, *, resource: CustomResource, resource_type: str, id_attribute: str,
                 uuid_attribute: str, status_events: StatusEvents, timeout_seconds: int, generation: str) -> None:
        super().__init__(scope, id)
        provider = RunProvider.of(self)
        handle = CfnWaitConditionHandle(self, f"Handle{generation}")
        identity = {"ResourceType": resource_type, "Id": resource.get_att_string(id_attribute),
                    "Uuid": resource.get_att_string(uuid_attribute), "Handle": handle.ref}
        rule = events.Rule(self, "Rule", description=f"Signals the wait for {scope.node.path} when it has ended",
                           event_pattern=status_events.pattern(identity["Uuid"], status_events.ended))
        signaller = provider.signaller()
        rule.add_target(targets.LambdaFunction(signaller, event=events.RuleTargetInput.from_object(identity)))
        check = CustomResource(self, f"Check{generation}", service_token=provider.service_token,
                               resource_type=CHECK_RESOURCE_TYPE, properties=identity)
        check.node.add_dependency(rule, signaller)  # the rule and its permission to invoke the signaller
        self.condition = CfnWaitCondition(self, f"Condition{generation}", handle=handle.ref, count=1,
                                          timeout=str(timeout_seconds))
        self.condition.node.add_dependency(check)
