"""Status notifications (EventBridge) and waiting for COMPLETED past one hour (a wait condition)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, ValidationError, WaitFor
from tests.synth import new_stack, only_run_properties, template

WAIT_CONDITION = "AWS::CloudFormation::WaitCondition"


def germline(stack, **props):
    return HealthOmicsRun(stack, "Germline", workflow_id="1234567", parameters={"sample_name": "NA12878"}, **props)


def cohort(stack, **props):
    return HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=[{"run_setting_id": "S1"}], **props)


def secure_topic(stack):
    topic = sns.Topic(stack, "Topic", master_key=kms.Key(stack, "TopicKey", enable_key_rotation=True),
                      enforce_ssl=True)
    return topic


def test_on_status_change_matches_this_runs_events_by_uuid():
    stack = new_stack()
    run = germline(stack)
    queue = sqs.Queue(stack, "Queue")
    run.on_status_change("Ended", target=targets.SqsQueue(queue), statuses=["COMPLETED", "FAILED"])
    (run_id,) = template(stack).find_resources("Custom::HealthOmicsRun")
    template(stack).has_resource_properties("AWS::Events::Rule", {"EventPattern": {
        "source": ["aws.omics"], "detail-type": ["Run Status Change"],
        "detail": {"uuid": [{"Fn::GetAtt": [run_id, "RunUuid"]}], "status": ["COMPLETED", "FAILED"]}}})


def test_on_status_change_of_a_batch_matches_its_batch_events():
    stack = new_stack()
    batch = cohort(stack)
    batch.on_status_change("Processed", target=targets.SqsQueue(sqs.Queue(stack, "Queue")),
                                 statuses=["PROCESSED"])
    (batch_id,) = template(stack).find_resources("Custom::HealthOmicsRunBatch")
    template(stack).has_resource_properties("AWS::Events::Rule", {"EventPattern": {
        "source": ["aws.omics"], "detail-type": ["RunBatch Status Change"],
        "detail": {"uuid": [{"Fn::GetAtt": [batch_id, "BatchUuid"]}], "status": ["PROCESSED"]}}})


def test_an_unknown_status_fails_where_the_rule_is_made_naming_the_allowed_ones():
    stack = new_stack()
    run = germline(stack)
    with pytest.raises(ValidationError,
                       match="statuses of a run must be among PENDING, STARTING, RUNNING.*; got 'DONE'"):
        run.run.on_status_change("Done", target=targets.SqsQueue(sqs.Queue(stack, "Queue")), statuses=["DONE"])


def test_notification_topic_receives_every_status_change():
    stack = new_stack()
    topic = secure_topic(stack)
    germline(stack, notification_topic=topic)
    template(stack).has_resource_properties("AWS::Events::Rule", {
        "EventPattern": {"source": ["aws.omics"], "detail-type": ["Run Status Change"],
                         "detail": {"uuid": [Match.any_value()]}},
        "Targets": [Match.object_like({"Arn": {"Ref": stack.get_logical_id(topic.node.default_child)}})]})
    template(stack).has_resource_properties("AWS::SNS::TopicPolicy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Action": "sns:Publish", "Principal": {"Service": "events.amazonaws.com"}})])}})


def test_up_to_50_minutes_the_provider_waits_and_no_wait_condition_is_made():
    stack = new_stack()
    germline(stack, wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.minutes(50))
    assert only_run_properties(stack)["WaitFor"] == "COMPLETED"
    template(stack).resource_count_is(WAIT_CONDITION, 0)


def test_past_50_minutes_a_wait_condition_waits_for_completed():
    stack = new_stack()
    germline(stack, wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.hours(8))
    properties = only_run_properties(stack)
    assert (properties["WaitFor"], properties["TimeoutSeconds"]) == ("STARTED", 3000)
    t = template(stack)
    ((condition_id, condition),) = t.find_resources(WAIT_CONDITION).items()
    assert condition["Properties"]["Timeout"] == "28800" and condition["Properties"]["Count"] == 1
    ((check_id, check),) = t.find_resources("Custom::HealthOmicsRunCompletionCheck").items()
    assert condition["DependsOn"] == [check_id]
    ((rule_id, rule),) = [(name, rule) for name, rule in t.find_resources("AWS::Events::Rule").items()
                          if rule["Properties"]["Description"].startswith("Signals the wait")]
    assert rule_id in check["DependsOn"]
    assert rule["Properties"]["EventPattern"]["detail"]["status"] == ["COMPLETED", "FAILED", "CANCELLED", "DELETED"]
    target_input = json.dumps(rule["Properties"]["Targets"][0]["Input"])
    assert condition["Properties"]["Handle"]["Ref"] in target_input


def test_a_batch_waits_past_an_hour_for_processed():
    stack = new_stack()
    cohort(stack, wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.hours(12))
    t = template(stack)
    t.has_resource_properties(WAIT_CONDITION, {"Timeout": "43200"})
    t.has_resource_properties("AWS::Events::Rule", {"EventPattern": Match.object_like({
        "detail-type": ["RunBatch Status Change"],
        "detail": Match.object_like({"status": ["PROCESSED", "FAILED", "CANCELLED"]})})})


def _wait_ids(**props) -> set[str]:
    stack = new_stack()
    germline(stack, wait_for=WaitFor.COMPLETED, **props)
    return set(template(stack).find_resources(WAIT_CONDITION)) | set(
        template(stack).find_resources("AWS::CloudFormation::WaitConditionHandle"))


def test_a_new_run_or_timeout_gets_a_new_wait_and_an_unchanged_one_keeps_its_wait():
    eight = _wait_ids(timeout=cdk.Duration.hours(8))
    assert _wait_ids(timeout=cdk.Duration.hours(8)) == eight
    assert _wait_ids(timeout=cdk.Duration.hours(9)).isdisjoint(eight)
    assert _wait_ids(timeout=cdk.Duration.hours(8), rerun_token="again").isdisjoint(eight)


@pytest.mark.parametrize("props, message", [
    ({"wait_for": WaitFor.COMPLETED, "timeout": cdk.Duration.hours(13)},
     "timeout must be between 1 second and 12 hours for wait_for COMPLETED"),
    ({"wait_for": WaitFor.RUNNING, "timeout": cdk.Duration.hours(2)},
     "timeout must be between 1 second and 50 minutes for wait_for RUNNING"),
])
def test_timeouts_beyond_what_can_wait_fail_where_the_run_is_constructed(props, message):
    with pytest.raises(ValidationError, match=message):
        germline(new_stack(), **props)


def test_cdk_nag_finds_nothing_unacknowledged_with_long_waits_and_notifications(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "LongStack")
    topic = secure_topic(stack)
    germline(stack, wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.hours(8), notification_topic=topic)
    cohort(stack, wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.hours(8), notification_topic=topic)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert all(r["conclusion"] == "success" for r in report["pluginReports"]), report
