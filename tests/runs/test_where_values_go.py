"""Where parameter values go once deployed: which logs may hold them, and which never do.

The handler logs ids, statuses and outcomes only (``test_handler_lifecycle``). The Provider framework's own
functions ``console.log`` each CloudFormation event whole, properties included (framework.js in aws-cdk-lib's
provider asset); they share the handler's log group, whose cdk-nag acknowledgement says it holds no values.
That holds only while those functions log in JSON with application log level FATAL: "if you set your
function's application log level to WARN, Lambda doesn't send any log outputs at the INFO and DEBUG levels",
and log-level filtering needs the JSON log format (Lambda Developer Guide, "Log-level filtering",
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
"""

from __future__ import annotations

from healthomics_run import HealthOmicsRun
from tests.synth import new_stack, template


def _functions() -> dict:
    stack = new_stack()
    HealthOmicsRun(stack, "Germline", workflow_id="1234567", parameters={"sample_name": "NA12878"})
    return template(stack).find_resources("AWS::Lambda::Function")


def test_the_frameworks_functions_send_no_info_logs_so_their_event_dumps_never_reach_cloudwatch():
    framework = [f["Properties"] for f in _functions().values()
                 if f["Properties"].get("Handler", "").startswith("framework.")]
    assert len(framework) == 3
    for properties in framework:
        assert properties["LoggingConfig"]["LogFormat"] == "JSON"
        assert properties["LoggingConfig"]["ApplicationLogLevel"] == "FATAL"


def test_the_handler_and_the_framework_share_one_log_group():
    groups = {str(f["Properties"]["LoggingConfig"]["LogGroup"]) for f in _functions().values()
              if "LoggingConfig" in f["Properties"]}
    assert len(groups) == 1
