"""The deploy's time limits are nested, so that the message that explains a timeout is the one that arrives.

- A custom resource's ``ServiceTimeout`` is "an integer from 1 to 3600. The default value is 3600 seconds"
  (CloudFormation resource specification, as in aws-cdk-lib's ``CfnCustomResourceProps``:
  https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_cloudformation.CfnCustomResourceProps.html);
  past it CloudFormation fails the resource whatever the provider is doing.
- The Provider framework's waiter is a Step Functions task retried every ``IntervalSeconds`` up to
  ``MaxAttempts`` times, then ``onTimeout`` answers a bare "Operation timed out" (framework.js and the
  state machine in aws-cdk-lib's provider-framework).
"""

from __future__ import annotations

import json

from healthomics_run import HealthOmicsRun
from healthomics_run.run_model import fields
from tests.synth import new_stack, template


def _limits() -> dict[str, int]:
    stack = new_stack()
    HealthOmicsRun(stack, "Germline", workflow_id="1234567")
    t = template(stack)
    (run,) = t.find_resources("Custom::HealthOmicsRun").values()
    (machine,) = t.find_resources("AWS::StepFunctions::StateMachine").values()
    definition = json.loads("".join(p if isinstance(p, str) else "ARN"
                                    for p in machine["Properties"]["DefinitionString"]["Fn::Join"][1]))
    (retry,) = definition["States"]["framework-isComplete-task"]["Retry"]
    handlers = [f["Properties"]["Timeout"] for f in t.find_resources("AWS::Lambda::Function").values()
                if f["Properties"].get("Handler", "").startswith("start_run.")]
    return {"service_timeout": int(run["Properties"]["ServiceTimeout"]), "interval": retry["IntervalSeconds"],
            "waiter": retry["IntervalSeconds"] * retry["MaxAttempts"], "function": max(handlers),
            "resource_timeout": int(run["Properties"]["TimeoutSeconds"])}


def test_the_custom_resource_sets_service_timeout_to_cloudformations_most():
    assert _limits()["service_timeout"] == 3600


def test_the_providers_waiter_ends_a_minute_before_cloudformations_timeout():
    limits = _limits()
    # on_event, then the waiter's retries, then one last is_complete
    assert limits["function"] + limits["waiter"] + limits["function"] <= limits["service_timeout"] - 60


def test_the_handlers_own_deadline_fails_before_the_waiter_gives_up():
    limits = _limits()
    assert limits["resource_timeout"] == fields.MAX_TIMEOUT_SECONDS  # the default is the most
    # the deadline passes during one interval; the is_complete that sees it ends within a function timeout
    assert limits["resource_timeout"] + limits["interval"] + limits["function"] <= limits["waiter"]
