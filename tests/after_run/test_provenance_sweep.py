"""After the run, at cohort scale: a lost event recovered by the hourly sweep, a record that fails going back to
the queue and then to its dead-letter queue (and the alarm on it), HealthOmics calls paced to the writer's share
of the quotas, and each ended run's history record.

AWS behaviour relied on (each test names the one it needs):
- HealthOmics delivers status events to EventBridge on a best-effort basis ("Using EventBridge with AWS
  HealthOmics", https://docs.aws.amazon.com/omics/latest/dev/eventbridge.html).
- A scheduled rule sends its target an event whose ``time`` is the scheduled time ("Creating a rule that runs on
  a schedule in Amazon EventBridge", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html).
- ListRuns filters by status, pages 100 runs at most, and gives each run's ``stopTime`` ("ListRuns - HealthOmics
  API Reference", https://docs.aws.amazon.com/omics/latest/api/API_ListRuns.html).
- GetRun, ListRunTasks, GetRunTask and ListRuns are 10 TPS each by default per account and Region ("HealthOmics
  API quotas", https://docs.aws.amazon.com/omics/latest/dev/api-quotas.html).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from healthomics_run import HealthOmicsRun
from healthomics_run.after_run.provenance_writer import MAX_RECEIVES
from healthomics_run.commands.plan.history import History
from healthomics_run.handlers.after_run import handler as after_run
from healthomics_run.run_model.provenance_settings import QUEUE_URL_ENV, Config
from healthomics_run.run_model.run_ref import RunRef
from healthomics_run.service_calls import provenance as writer
from healthomics_run.service_calls import provenance_sweep
from healthomics_run.service_calls.provenance_owners import Owners
from healthomics_run.service_calls.provenance_pace import Pace, TokenBucket
from tests.fake_omics import REGION
from tests.provenance_world import deployed_run, finish, omics, record_at, s3, stack, write  # noqa: F401 (fixtures)
from tests.synth import new_stack, template
from tests.virtual_time import VirtualClock
from tests.world import STACK_ID


def _sweep_time(stopped: datetime) -> str:
    """A sweep whose window holds ``stopped``: two periods after the hour it stopped in."""
    hour = stopped.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return (hour + timedelta(hours=2, minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def queue(aws, monkeypatch):
    """The writer's queue (moto), its dead-letter queue after ``MAX_RECEIVES`` receives, named in the writer's
    environment as the construct names it."""
    sqs = boto3.client("sqs", region_name=REGION)
    dead = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="run-ends", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(MAX_RECEIVES)})})["QueueUrl"]
    monkeypatch.setenv(QUEUE_URL_ENV, url)
    monkeypatch.setattr(after_run, "_queue", lambda: sqs)
    return sqs, url, dead


def _writer(monkeypatch, omics, s3, stack, config=None):  # noqa: F811
    config = config or Config()
    aws = writer.Clients(omics=omics.client, s3=s3, cfn=stack.client)
    monkeypatch.setattr(after_run, "_world", lambda: (aws, Owners(stack.client, STACK_ID, config)))


def _deliver(sqs, url):
    """As the SQS event source does: receive a batch, invoke, delete what the function did not name as failed."""
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    records = [{"messageId": m["MessageId"], "body": m["Body"], "receiptHandle": m["ReceiptHandle"]} for m in received]
    if not records:
        return None
    answer = after_run.on_run_end({"Records": records})
    failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    for record in records:
        if record["messageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
    return answer


def test_a_run_whose_event_was_lost_gets_its_record_from_the_hourly_sweep(omics, s3, stack, props, queue,
                                                                         monkeypatch):
    """Events are best effort (HealthOmics' EventBridge page): the sweep finds the ended run of this stack with no
    record (ListRuns' stop time in its window) and sends it to the queue; the writer writes it from there."""
    sqs, url, _ = queue
    _writer(monkeypatch, omics, s3, stack)
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)  # no event reaches the writer
    stopped = omics.client.get_run(id=ref.id)["stopTime"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"sweep": _sweep_time(stopped)}))  # the schedule's
    assert _deliver(sqs, url) == {"batchItemFailures": []}
    assert _deliver(sqs, url) == {"batchItemFailures": []}  # the run the sweep sent
    assert record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json")
    assert _deliver(sqs, url) is None


def test_the_sweep_asks_nothing_of_runs_this_stack_did_not_start_and_skips_runs_outside_its_window(
        omics, s3, stack, props, aws):
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    other = omics.client.start_run(workflowId="1234567", roleArn=aws["role_arn"], outputUri=aws["output_uri"],
                                   requestId="someone-else")
    omics.end_run(other["id"])
    stopped = omics.client.get_run(id=ref.id)["stopTime"]
    owners = Owners(stack.client, STACK_ID, Config())
    before = omics.count("GetRun")
    assert provenance_sweep.candidates(omics.client, owners, _sweep_time(stopped)) == [(ref.id, ref.uuid)]
    assert provenance_sweep.candidates(omics.client, owners, _sweep_time(stopped - timedelta(hours=1))) == []
    assert provenance_sweep.candidates(omics.client, owners, _sweep_time(stopped + timedelta(hours=1))) == []
    assert omics.count("GetRun") == before  # listings only: ListRuns by status, and the stack's resources


def test_windows_of_successive_sweeps_tile_so_each_ended_run_is_looked_at_once():
    first = provenance_sweep.window("2026-12-07T14:00:37Z")
    second = provenance_sweep.window("2026-12-07T15:00:02Z")
    assert first[1] == second[0] and second[1] - second[0] == timedelta(hours=1)
    assert first == (datetime(2026, 12, 7, 12, tzinfo=timezone.utc), datetime(2026, 12, 7, 13, tzinfo=timezone.utc))


def test_a_record_that_fails_goes_back_to_the_queue_then_to_its_dead_letter_queue(omics, s3, stack, queue,
                                                                                 monkeypatch):
    """The function names the message in ``batchItemFailures``, so SQS delivers it again ("Handling errors for an SQS
    event source in Lambda", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html); after
    ``maxReceiveCount`` receives SQS moves it to the dead-letter queue ("Using dead-letter queues in Amazon SQS",
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html)."""
    sqs, url, dead = queue
    _writer(monkeypatch, omics, s3, stack)
    omics.fail_next("GetRun", "InternalServerException", "down", times=MAX_RECEIVES * 3)  # retries outlasted
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"detail": {"runId": "1234567", "uuid": "u"}}))
    answers = [_deliver(sqs, url) for _ in range(MAX_RECEIVES + 1)]
    assert [len(a["batchItemFailures"]) for a in answers[:MAX_RECEIVES]] == [1] * MAX_RECEIVES
    assert answers[MAX_RECEIVES] is None  # moved on its next receive
    assert len(sqs.receive_message(QueueUrl=dead).get("Messages", [])) == 1


def test_the_writers_queue_dead_letters_and_alarm_and_the_hourly_sweep_are_in_the_template():
    """An alarm on the dead-letter queue's ``ApproximateNumberOfMessagesVisible`` ("Available CloudWatch metrics for
    Amazon SQS", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html);
    a scheduled rule (``rate(1 hour)``) whose target input carries the event's ``time``."""
    stack = new_stack()
    HealthOmicsRun(stack, "Germline", workflow_id="1234567")
    found = template(stack)
    queues = found.find_resources("AWS::SQS::Queue")
    (dead_id,) = [name for name in queues if name.startswith("HealthOmicsRunProvenanceDeadLetters")]
    (ends,) = [q for name, q in queues.items() if name.startswith("HealthOmicsRunProvenanceRunEnds")]
    assert ends["Properties"]["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dead_id, "Arn"]},
                                                   "maxReceiveCount": MAX_RECEIVES}
    (alarm,) = found.find_resources("AWS::CloudWatch::Alarm").values()
    assert {k: alarm["Properties"][k] for k in ("MetricName", "Namespace", "Threshold", "ComparisonOperator")} == {
        "MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS", "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold"}
    assert alarm["Properties"]["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dead_id, "QueueName"]}}]
    (sweep,) = [r for r in found.find_resources("AWS::Events::Rule").values()
                if "ScheduleExpression" in r["Properties"]]
    assert sweep["Properties"]["ScheduleExpression"] == "rate(1 hour)"
    assert sweep["Properties"]["Targets"][0]["InputTransformer"] == {"InputPathsMap": {"time": "$.time"},
                                                                     "InputTemplate": '{"sweep":<time>}'}


def test_each_container_paces_healthomics_calls_to_its_part_of_the_share_so_none_is_throttled(
        omics, s3, stack, props, monkeypatch):
    """The quota is 10 TPS per operation (HealthOmics API quotas); the writer's default share is half, split between
    its 2 containers: 2.5 GetRun a second each, whatever the backlog. The fake throttles beyond 10 a second."""
    refs = []
    for n in range(12):  # 12 resources of the stack, each with its run
        started = omics.client.start_run(workflowId="1234567", roleArn=props["RoleArn"], outputUri=props["OutputUri"],
                                         parameters={"sample_name": f"S{n}"}, requestId=f"paced-{n}")
        stack.add(f"Run{n}", "Custom::HealthOmicsRun", f"{started['id']}/{started['uuid']}/0123456789abcdef",
                  f"Stack/Run{n}/Resource")
        omics.end_run(started["id"])
        refs.append(RunRef.parse(f"{started['id']}/{started['uuid']}/0123456789abcdef"))
    clock = VirtualClock(monkeypatch)
    omics.limit("GetRun", 10, clock)
    at: list[float] = []
    omics.client.meta.events.register("before-send.omics.GetRun", lambda **_: at.append(clock.time()))
    Pace(Config().per_container()).attach(omics.client)
    for ref in refs:
        assert "wrote" in write(omics, s3, stack, ref.id, ref.uuid)
    assert Config().per_container() == 2.5
    per_second = [sum(1 for t in at if int(t) == second) for second in {int(t) for t in at}]
    assert max(per_second) <= 3 and at[-1] - at[0] >= (len(at) - 2) / 2.5
    assert len(at) == len(refs)  # none throttled: no GetRun sent twice


def test_two_containers_together_stay_within_the_share_over_any_stretch_of_time(monkeypatch):
    clock = VirtualClock(monkeypatch)
    share = Config().calls_per_second
    containers = [TokenBucket(Config().per_container()) for _ in range(2)]
    calls = []
    for _ in range(200):  # each container calls as fast as its bucket allows; the clock is the later one's
        for bucket in containers:
            start = clock.time()
            bucket.take()
            calls.append(clock.time())
            clock.set(start)
        clock.set(max(calls))
    span = max(calls) - min(calls)
    assert len(calls) <= share * span + 2


def test_the_share_is_set_by_context_and_a_wrong_value_fails_synth():
    import aws_cdk as cdk

    stack = new_stack()
    stack.node.set_context("healthomics-run:provenance-calls-per-second", "8")
    HealthOmicsRun(stack, "Germline", workflow_id="1234567")
    from tests.after_run.test_provenance_synth import config

    assert config(stack).calls_per_second == 8.0 and config(stack).per_container() == 4.0
    bad = cdk.Stack(cdk.App(context={"healthomics-run:provenance-calls-per-second": "fast"}), "Bad")
    HealthOmicsRun(bad, "Germline", workflow_id="1234567")
    with pytest.raises(Exception, match="must be a positive number of calls per second"):
        cdk.App.of(bad).synth()


def test_each_ended_run_appends_one_history_record_the_plan_reads(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    assert "wrote" in write(omics, s3, stack, ref.id, ref.uuid)
    run = omics.client.get_run(id=ref.id)
    day = run["stopTime"].astimezone(timezone.utc).strftime("%Y-%m-%d")
    uri = f"{run['outputUri'].rstrip('/')}/.healthomics-run/history/{day}/{ref.uuid}.json"
    history = History.from_json(record_at(s3, uri).decode(), uri)
    (entry,) = history.runs
    assert entry.workflow_id == "1234567" and entry.workflow_name == "germline-calling"
    assert sorted((t.instance_type, t.cpus, t.cache_hit) for t in entry.tasks) == [("omics.c.xlarge", 4, False),
                                                                                   ("omics.m.2xlarge", 8, True)]
    assert history.region == REGION and json.loads(record_at(s3, uri))["run"]["status"] == "COMPLETED"
    write(omics, s3, stack, ref.id, ref.uuid)  # received again: the first history record stays, no second
    bucket, prefix = uri.removeprefix("s3://").split("/", 1)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix.rsplit("/", 2)[0])["Contents"]
    assert [o["Key"] for o in listed] == [prefix]


def test_a_failed_runs_history_record_names_its_workflow_for_the_failure_share(omics, s3, stack, props):
    """A plan counts a workflow's FAILED and CANCELLED runs in its failure share (``commands/plan/cost.py``) and
    forecasts from its COMPLETED ones only: the record says which run of which workflow failed."""
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id, "FAILED", failureReason="OUT_OF_MEMORY")
    write(omics, s3, stack, ref.id, ref.uuid)
    run = omics.client.get_run(id=ref.id)
    day = run["stopTime"].astimezone(timezone.utc).strftime("%Y-%m-%d")
    body = record_at(s3, f"{run['outputUri'].rstrip('/')}/.healthomics-run/history/{day}/{ref.uuid}.json")
    (entry,) = History.from_json(body.decode()).runs
    assert (entry.status, entry.workflow_id) == ("FAILED", "1234567")


def test_a_sweep_waits_while_the_queue_holds_a_cohorts_events_then_runs_after_at_most_twelve_hours(
        omics, stack, queue):
    """A sweep put back with ``DelaySeconds`` (0 to 900: "Amazon SQS delay queues",
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-delay-queues.html) while the
    queue holds more than the batch handled (``ApproximateNumberOfMessages``); past 12 hours it sweeps whatever
    the queue holds."""
    sqs, url, _ = queue
    for n in range(25):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"detail": {"runId": str(n)}}))
    owners = Owners(stack.client, STACK_ID, Config())
    scheduled = "2026-12-07T14:00:00Z"
    at = datetime(2026, 12, 7, 14, 0, 5, tzinfo=timezone.utc)
    assert provenance_sweep.sweep(omics.client, sqs, url, owners, scheduled, now=at) is None
    bodies = [json.loads(m["Body"]) for _ in range(4)
              for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    assert {"sweep": scheduled} not in bodies  # delayed: not yet visible
    assert provenance_sweep.sweep(omics.client, sqs, url, owners, scheduled, now=at + timedelta(hours=12)) == []


def test_a_run_the_sweep_sends_that_this_writer_recorded_costs_no_healthomics_call(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    aws = writer.Clients(omics=omics.client, s3=s3, cfn=stack.client)
    owners = Owners(stack.client, STACK_ID, Config())
    assert "wrote" in writer.write(aws, owners, ref.id, ref.uuid)
    before = omics.count("GetRun")
    assert "already" in writer.write(aws, owners, ref.id, ref.uuid, only_missing=True)
    assert omics.count("GetRun") == before


def test_a_sweep_out_of_time_sends_itself_on_from_where_it_stopped(omics, s3, stack, props, queue):
    """A cohort's ListRuns pages (100 runs each) at the writer's pace can take longer than one invocation: the
    sweep stops between pages and sends its place to the queue."""
    sqs, url, _ = queue
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    scheduled = _sweep_time(omics.client.get_run(id=ref.id)["stopTime"])
    owners = Owners(stack.client, STACK_ID, Config())
    assert provenance_sweep.sweep(omics.client, sqs, url, owners, scheduled, resume_at=[0, None],
                                  out_of_time=lambda: True) == []
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    body = json.loads(message["Body"])
    assert body == {"sweep": scheduled, "resume": [0, None]}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert provenance_sweep.sweep(omics.client, sqs, url, owners, scheduled, resume_at=body["resume"]) == [
        (ref.id, ref.uuid)]
