"""``healthomics-run status``: a stack's runs and batches as HealthOmics holds them, failures diagnosed, drift named.

The world is the handler's: runs and batches started by the handler itself (moto's S3 holds a cohort's ledger, the
HealthOmics fake validates every call against the service model), then changed the ways a real account changes
them. Sources for what HealthOmics does:

- failure reasons and their meaning: guide "Run failure reasons",
  https://docs.aws.amazon.com/omics/latest/dev/workflows-run-errors.html; task fields: API Reference ListRunTasks /
  GetRunTask; task log streams ``run/<run>/task/<task>`` in ``/aws/omics/WorkflowLog``: guide "Monitoring
  HealthOmics with CloudWatch Logs", https://docs.aws.amazon.com/omics/latest/dev/monitoring-cloudwatch-logs.html.
- REMOVE retention: "Specify REMOVE to automatically remove the oldest runs when you reach the maximum service
  retention limit for runs" (API Reference StartRun, ``retentionMode``); GetRun then answers ResourceNotFound
  ("HealthOmics stores a fixed number of runs that are available to the console and API", API Reference GetRun).
- batches: GetBatch's ``runSummary`` and ``submissionSummary`` counts; ListRunsInBatch's ``submissionStatus``
  filter and ``submissionFailureReason``; ListBatch and ListRuns filter by ``name`` (API Reference; guide "Batch
  runs in HealthOmics", https://docs.aws.amazon.com/omics/latest/dev/workflows-batch.html).
- why a status command and not events alone: EventBridge delivers HealthOmics events on a best-effort basis
  (guide "Using EventBridge with AWS HealthOmics").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from healthomics_run.commands.cli import console
from healthomics_run.commands.status import cli, declared, render
from healthomics_run.commands.status.declared import Declared
from healthomics_run.commands.status.survey import Row, State, Survey
from healthomics_run.handlers.start_run import handler
from healthomics_run.service_calls import diagnosis
from tests.commands.aws_prices import LARGE, SMALL, US_EAST_1
from tests.fake_omics import REGION
from tests.world import BATCH_LOGICAL_ID, RUN_LOGICAL_ID, STACK_ID, batch_event, batch_properties, event

RUN_PATH, BATCH_PATH = "GermlineRunStack/Germline/Run", "GermlineRunStack/Cohort"
RERUN = "change rerun_token and deploy to run it again"


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.fixture
def survey(omics) -> Survey:
    s3 = boto3.client("s3", region_name=REGION)
    return Survey(omics=lambda: omics.client, s3=lambda: s3)


def _deployed_run(omics, props) -> tuple[Declared, dict]:
    answer = handler.on_event(event("Create", props))
    run = omics.runs[answer["Data"]["RunId"]]
    return Declared("GermlineRunStack", RUN_LOGICAL_ID, RUN_PATH, "run", props, answer["PhysicalResourceId"],
                    STACK_ID), run


def _failed_row(run: dict, found: diagnosis.RunDiagnosis) -> Row:
    return Row(stack="GermlineRunStack", path=RUN_PATH, kind="run", id=run["id"], status="FAILED", state=State.FAILED,
               created=_iso(run["creationTime"]), output=run["runOutputUri"], progress="tasks: 1 failed",
               cost="not priced", diagnosis=found, action=found.cause.next_step)


def test_a_run_out_of_memory_is_a_failed_row_with_its_diagnosis(omics, props, survey):
    item, run = _deployed_run(omics, props)
    task = omics.add_task(run["id"], "call_variants", failure_reason="OUT_OF_MEMORY_ERROR",
                          status_message="Workflow task call_variants ran out of memory.", cpus=4, memory=32)
    omics.set_status(run["id"], "FAILED", failure_reason="RUN_TASK_FAILED")
    expected = diagnosis.RunDiagnosis(
        run_id=run["id"], status="FAILED", failure_reason="RUN_TASK_FAILED", cause=diagnosis.CAUSES["OUT_OF_MEMORY"],
        failed_tasks=1, tasks=(diagnosis.FailedTask(
            id=task, name="call_variants", status_message="Workflow task call_variants ran out of memory.",
            failure_reason="OUT_OF_MEMORY_ERROR", instance_type="omics.m.xlarge", cpus=4, memory=32,
            log_stream=f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/omics/WorkflowLog:log-stream:"
                       f"run/{run['id']}/task/{task}", cause=diagnosis.CAUSES["OUT_OF_MEMORY"]),))
    assert survey.rows([item]) == [_failed_row(run, expected)]


def test_an_image_pull_failure_is_a_failed_row_saying_to_let_healthomics_pull(omics, props, survey):
    item, run = _deployed_run(omics, props)
    omics.add_task(run["id"], "align", failure_reason="ECR_PERMISSION_ERROR")
    omics.set_status(run["id"], "FAILED", failure_reason="ECR_PERMISSION_ERROR")
    (row,) = survey.rows([item])
    assert (row.state, row.diagnosis.cause) == (State.FAILED, diagnosis.CAUSES["IMAGE_PULL"])
    assert row == _failed_row(run, row.diagnosis)
    assert row.diagnosis.as_dict()["failedTasks"][0]["logStream"] == f"run/{run['id']}/task/{row.diagnosis.tasks[0].id}"


def test_a_role_that_cannot_read_an_input_is_a_failed_row_naming_the_roles_s3_access(omics, props, survey):
    item, run = _deployed_run(omics, props)
    omics.set_status(run["id"], "FAILED", failure_reason="IMPORT_FAILED", status_message="The import failed.")
    (row,) = survey.rows([item])
    assert row == Row(stack="GermlineRunStack", path=RUN_PATH, kind="run", id=run["id"], status="FAILED",
                      state=State.FAILED, created=_iso(run["creationTime"]), output=run["runOutputUri"],
                      cost="not priced", action=diagnosis.CAUSES["S3_ACCESS"].next_step,
                      diagnosis=diagnosis.RunDiagnosis(run["id"], "FAILED", "IMPORT_FAILED", "The import failed.",
                                                       diagnosis.CAUSES["S3_ACCESS"], (), 0))


def test_a_run_deleted_by_remove_retention_is_drift_with_what_to_do(omics, props, survey):
    item, run = _deployed_run(omics, props)
    omics.delete_run(run["id"])
    assert survey.rows([item]) == [Row(
        stack="GermlineRunStack", path=RUN_PATH, kind="run", id=run["id"], status="DELETED", state=State.DRIFT,
        drift="HealthOmics no longer has this run: deleted by hand, or by retention_mode REMOVE (the oldest such runs "
              "are removed at the run-count maximum)",
        action=f"its outputs, if any, stay in S3; {RERUN}, or ignore")]


def test_a_reused_run_id_naming_a_strangers_run_is_drift_as_deleted(omics, props, survey):
    """Run ids are reused after deletion; the uuid never is (run_ref)."""
    item, run = _deployed_run(omics, props)
    omics.delete_run(run["id"])
    omics.start_stranger_run(run["id"])
    (row,) = survey.rows([item])
    assert (row.status, row.state) == ("DELETED", State.DRIFT)


def test_a_run_cancelled_by_hand_is_drift_with_what_to_do(omics, props, survey):
    item, run = _deployed_run(omics, props)
    omics.client.cancel_run(id=run["id"])
    assert survey.rows([item]) == [Row(
        stack="GermlineRunStack", path=RUN_PATH, kind="run", id=run["id"], status="CANCELLED", state=State.DRIFT,
        created=_iso(run["creationTime"]), output=run["runOutputUri"], cost="not priced",
        drift="cancelled outside the stack (the stack cancels only runs it no longer names)",
        action=f"{RERUN}, or ignore")]


def test_a_duplicate_run_started_outside_the_stack_under_its_name_is_drift(omics, props, survey):
    item, run = _deployed_run(omics, props)
    outside = omics.client.start_run(workflowId="1234567", roleArn=props["RoleArn"], outputUri=props["OutputUri"],
                                     name=props["Name"], parameters={"sample_name": "x"}, requestId="by-hand")
    rows = survey.rows([item])
    assert [(row.id, row.state) for row in rows] == [(run["id"], State.ACTIVE), (outside["id"], State.DRIFT)]
    assert rows[1].action == (f"cancel it if it duplicates the stack's run (aws omics cancel-run --id "
                              f"{outside['id']}); else ignore")


def test_a_running_run_is_active_with_its_tasks_counted(omics, props, survey):
    item, run = _deployed_run(omics, props)
    omics.set_status(run["id"], "RUNNING")
    omics.add_task(run["id"], "align", status="COMPLETED")
    omics.add_task(run["id"], "call", status="RUNNING")
    (row,) = survey.rows([item])
    assert (row.state, row.status, row.progress) == (State.ACTIVE, "RUNNING", "tasks: 1 completed, 1 running")


def _deployed_cohort(omics, props, count: int) -> tuple[Declared, str]:
    samples = [{"runSettingId": f"S{i}", "parameters": {"sample_name": f"S{i}"}} for i in range(count)]
    properties = {**batch_properties(props), "Samples": samples, "SampleTypes": {}, "SampleCount": str(count)}
    omics.add_workflow("1234567", {"reference": {}, "sample_name": {}})
    answer = handler.on_event(batch_event("Create", properties))
    return Declared("GermlineRunStack", BATCH_LOGICAL_ID, BATCH_PATH, "batch", properties,
                    answer["PhysicalResourceId"], STACK_ID), answer["Data"]["BatchId"]


def test_a_batch_with_mixed_outcomes_counts_them_diagnoses_failures_and_names_the_drift(omics, props, survey):
    item, batch_id = _deployed_cohort(omics, props, 5)
    runs = sorted(omics.batch_runs(batch_id), key=lambda run: run["runSettingId"])
    omics.fail_submissions(batch_id, ["S4"], "ValidationException", "bad parameter")
    omics.set_status(runs[0]["id"], "COMPLETED")
    omics.set_status(runs[1]["id"], "FAILED", failure_reason="OUT_OF_MEMORY_ERROR")
    omics.set_status(runs[2]["id"], "CANCELLED")  # by hand
    omics.set_status(runs[3]["id"], "COMPLETED")
    omics.set_batch_status(batch_id, "PROCESSED", completedRunCount=2, failedRunCount=1, cancelledRunCount=1)
    omics.batches[batch_id]["submissionSummary"]["successfulStartSubmissionCount"] = 4
    batch = omics.batches[batch_id]
    rows = survey.rows([item])
    failed_run = diagnosis.RunDiagnosis(runs[1]["id"], "FAILED", "OUT_OF_MEMORY_ERROR", "",
                                        diagnosis.CAUSES["OUT_OF_MEMORY"], (), 0)
    base = {"stack": "GermlineRunStack", "path": BATCH_PATH, "kind": "batch", "id": batch_id, "status": "PROCESSED"}
    assert rows == [
        Row(**base, state=State.FAILED, created=_iso(batch["creationTime"]), output=props["OutputUri"],
            progress="5 runs: 2 completed, 1 failed, 1 cancelled; submissions: 4 submitted, 1 failed",
           cost="not priced",
            diagnosis=diagnosis.BatchDiagnosis(batch_id, "PROCESSED", "", 1, 5, {"ValidationException": 1},
                                               (failed_run,), 2),
            action=diagnosis.CAUSES["OUT_OF_MEMORY"].next_step),
        Row(**base, state=State.DRIFT, drift="1 sample of this batch never submitted",
            action=f"aws omics list-runs-in-batch --batch-id {batch_id} --submission-status FAILED says why; fix those "
                   f"samples, then {RERUN}"),
        Row(**base, state=State.DRIFT, drift="1 run of this batch cancelled outside the stack",
            action=f"{RERUN} (every sample runs), or ignore")]
    assert "S4" not in json.dumps(render.as_json(rows))  # sample ids may identify patients


def test_a_batch_cancelled_outside_the_stack_that_still_wants_its_runs_is_drift(omics, props, survey):
    item, batch_id = _deployed_cohort(omics, props, 2)
    omics.client.cancel_run_batch(batchId=batch_id)
    omics.set_batch_status(batch_id, "CANCELLED")
    (row,) = survey.rows([item])
    assert (row.state, row.drift) == (State.DRIFT, "cancelled outside the stack, which still wants its runs")


def test_a_batch_still_going_is_active_with_its_counts(omics, props, survey):
    item, batch_id = _deployed_cohort(omics, props, 2)
    omics.set_batch_status(batch_id, "INPROGRESS", runningRunCount=1, pendingRunCount=1)
    (row,) = survey.rows([item])
    assert (row.state, row.progress) == (State.ACTIVE, "2 runs: 1 running, 1 pending")


# -- the command -------------------------------------------------------------------------------

def _stack_template(props: dict) -> dict:
    return {"Resources": {RUN_LOGICAL_ID: {"Type": "Custom::HealthOmicsRun", "Properties": props,
                                           "Metadata": {"aws:cdk:path": f"{RUN_PATH}/Default"}},
                          "Bucket": {"Type": "AWS::S3::Bucket"}}}


def _cloudformation(template: dict, physical_id: str):
    """CloudFormation answering for the stack: botocore's Stubber checks each request and answer against the model."""
    client = boto3.client("cloudformation", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_response("describe_stacks", {"Stacks": [{"StackName": "GermlineRunStack", "StackId": STACK_ID,
                                                         "CreationTime": dt.datetime(2026, 1, 1),
                                                         "StackStatus": "UPDATE_COMPLETE"}]},
                         {"StackName": "GermlineRunStack"})
    stubber.add_response("get_template", {"TemplateBody": json.dumps(template)},
                         {"StackName": STACK_ID, "TemplateStage": "Original"})
    summaries = [{"LogicalResourceId": RUN_LOGICAL_ID, "PhysicalResourceId": physical_id,
                  "ResourceType": "Custom::HealthOmicsRun", "LastUpdatedTimestamp": dt.datetime(2026, 1, 1),
                  "ResourceStatus": "CREATE_COMPLETE"},
                 {"LogicalResourceId": "Bucket", "PhysicalResourceId": "example-output-bucket",
                  "ResourceType": "AWS::S3::Bucket", "LastUpdatedTimestamp": dt.datetime(2026, 1, 1),
                  "ResourceStatus": "CREATE_COMPLETE"}]
    stubber.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": STACK_ID})
    stubber.activate()
    return client


def _arguments(*argv: str) -> argparse.Namespace:
    return cli.add_arguments(argparse.ArgumentParser()).parse_args(argv)


def test_a_deployed_stack_is_read_by_its_template_and_physical_ids(omics, props):
    """ListStackResources, since DescribeStackResources returns only a stack's first 100 resources (CloudFormation
    API Reference, DescribeStackResources)."""
    answer = handler.on_event(event("Create", props))
    template = _stack_template({**props, "OutputUri": {"Fn::Join": ["", ["s3://", {"Ref": "Bucket"}, "/germline/"]]}})
    (item,) = declared.from_stack(_cloudformation(template, answer["PhysicalResourceId"]), "GermlineRunStack")
    assert item == Declared("GermlineRunStack", RUN_LOGICAL_ID, RUN_PATH, "run",
                            {**props, "OutputUri": "s3://example-output-bucket/germline/"},
                            answer["PhysicalResourceId"], STACK_ID)


@pytest.mark.parametrize("status, code", [("RUNNING", cli.ALL_WELL), ("COMPLETED", cli.ALL_WELL),
                                          ("FAILED", cli.FAILED), ("CANCELLED", cli.DRIFT)])
def test_the_exit_code_says_all_well_failed_or_drift(omics, props, survey, capsys, status, code):
    answer = handler.on_event(event("Create", props))
    omics.set_status(answer["Data"]["RunId"], status)
    cloudformation = _cloudformation(_stack_template(props), answer["PhysicalResourceId"])
    capsys.readouterr()  # the handler's own log lines
    assert cli.run(_arguments("GermlineRunStack"), survey, lambda: cloudformation) == code
    assert capsys.readouterr().out.startswith("healthomics-run status: 1 run: 1 ")


def test_markdown_and_json_show_the_same_rows(omics, props, survey, capsys):
    answer = handler.on_event(event("Create", props))
    run_id = answer["Data"]["RunId"]
    omics.set_status(run_id, "FAILED", failure_reason="RUN_TIMED_OUT", status_message="Run timed out after 60 minutes.")
    capsys.readouterr()  # the handler's own log lines
    for fmt in ("markdown", "json"):
        cloudformation = _cloudformation(_stack_template(props), answer["PhysicalResourceId"])
        assert cli.run(_arguments("GermlineRunStack", "--format", fmt), survey,
                       lambda cloudformation=cloudformation: cloudformation) == cli.FAILED
    markdown, document = capsys.readouterr().out.split("\n{", 1)
    assert f"| **FAILED** | run | `{RUN_PATH}` | {run_id} | FAILED | not priced | - |" in markdown
    assert "Cause: run timed out (run group max_duration). Next: raise the run group's max_duration" in markdown
    resource = json.loads("{" + document)["resources"][0]
    assert (resource["state"], resource["diagnosis"]["cause"], resource["action"]) == \
        ("FAILED", "RUN_TIMEOUT", diagnosis.CAUSES["RUN_TIMEOUT"].next_step)


def test_wait_prints_one_progress_line_per_look_until_nothing_is_going(omics, props, survey, capsys, monkeypatch):
    answer = handler.on_event(event("Create", props))
    run_id = answer["Data"]["RunId"]
    omics.set_status(run_id, "RUNNING")
    looks = iter(["RUNNING", "COMPLETED"])
    monkeypatch.setattr(cli.time, "sleep", lambda seconds: omics.set_status(run_id, next(looks)))
    cloudformation = _cloudformation(_stack_template(props), answer["PhysicalResourceId"])
    assert cli.run(_arguments("GermlineRunStack", "--wait", "--interval", "5"), survey, lambda: cloudformation) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith("[20") for line in lines)
    assert lines[0].endswith(f"] 1 run: 1 active | {RUN_PATH} {run_id} RUNNING")
    assert lines[2].endswith("] 1 run: 1 done")


def test_from_a_template_runs_are_found_by_their_names(omics, props, survey, tmp_path, capsys):
    answer = handler.on_event(event("Create", props))
    omics.set_status(answer["Data"]["RunId"], "COMPLETED")
    path = tmp_path / "GermlineRunStack.template.json"
    path.write_text(json.dumps(_stack_template(props)))
    capsys.readouterr()  # the handler's own log lines
    assert cli.run(_arguments("--template", str(path)), survey) == cli.ALL_WELL
    assert f"DONE   run   {RUN_PATH}  {answer['Data']['RunId']}  COMPLETED" in capsys.readouterr().out


def test_neither_a_stack_nor_a_template_is_a_usage_error(capsys):
    assert cli.run(_arguments()) == cli.ERROR
    assert "give a stack name, or --template PATH" in capsys.readouterr().err


def test_a_template_that_is_not_there_is_an_error_naming_it(capsys, tmp_path):
    assert cli.run(_arguments("--template", str(tmp_path / "missing.json"))) == cli.ERROR
    assert capsys.readouterr().err == f"healthomics-run status: {tmp_path / 'missing.json'}: no such cloud assembly " \
                                      "directory or template file\n"


def test_a_stack_cloudformation_does_not_know_is_an_error_naming_it(capsys):
    client = boto3.client("cloudformation", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_client_error("describe_stacks", "ValidationError", "Stack with id Nope does not exist")
    stubber.activate()
    assert cli.run(_arguments("Nope"), Survey(omics=None, s3=None), lambda: client) == cli.ERROR
    assert "stack Nope: An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with " \
           "id Nope does not exist" in capsys.readouterr().err


def test_the_console_script_runs_status_without_loading_aws_cdk(tmp_path):
    path = tmp_path / "Empty.template.json"
    path.write_text(json.dumps({"Resources": {}}))
    script = ("import sys; from healthomics_run.commands.cli import console; code = console(['status', '--template', "
              f"{str(path)!r}]); assert 'aws_cdk' not in sys.modules; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={"AWS_DEFAULT_REGION": REGION, "PATH": ""})
    assert (done.returncode, done.stdout) == (0, "healthomics-run status: No HealthOmics runs or batches in this "
                                                 "stack.\n\nSTATE  KIND  RESOURCE  ID  STATUS  COST  PROGRESS\n")


def test_the_package_installs_the_console_the_status_script_runs():
    scripts = tomllib.loads((Path(__file__).parent.parent.parent / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["healthomics-run"].partition(":")
    assert (module, name) == (console.__module__, console.__name__)


def test_a_batch_still_going_with_a_failed_run_stays_active_yet_counts_as_failed(omics, props, survey):
    """--wait follows it to its end; the exit code already says a run failed."""
    item, batch_id = _deployed_cohort(omics, props, 2)
    failed = sorted(omics.batch_runs(batch_id), key=lambda run: run["runSettingId"])[0]
    omics.set_status(failed["id"], "FAILED", failure_reason="INSTANCE_RESERVATION_FAILED")
    omics.set_batch_status(batch_id, "INPROGRESS", runningRunCount=1, failedRunCount=1)
    (row,) = survey.rows([item])
    assert (row.state, row.diagnosis.causes, cli.exit_code([row])) == \
        (State.ACTIVE, {"service quota or capacity": 1}, cli.FAILED)
    assert row.diagnosis.text().startswith(f"The batch {batch_id} is INPROGRESS: no failure reason given. "
                                           "Runs failed: 1")


def test_a_batchs_runs_are_not_duplicates_of_a_run_resource_of_the_same_name(omics, props, survey):
    item, run = _deployed_run(omics, props)
    _deployed_cohort(omics, props, 2)  # its runs carry the same name (the world's batch shares the run's settings)
    assert [row.id for row in survey.rows([item])] == [run["id"]]


def test_duplicates_are_looked_for_with_one_listing_per_active_status_whatever_the_number_of_runs(omics, props, survey):
    """ListRuns filters by one status per call (API Reference, ListRuns): three calls a look, not one per run."""
    items = []
    for index in range(4):
        answer = handler.on_event(event("Create", {**props, "Name": f"GermlineRunStack/Germline/Run{index}"}))
        items.append(Declared("GermlineRunStack", f"Run{index}", f"{RUN_PATH}{index}", "run",
                              {**props, "Name": f"GermlineRunStack/Germline/Run{index}"}, answer["PhysicalResourceId"],
                              STACK_ID))
    assert [row.state for row in survey.rows(items)] == [State.ACTIVE] * 4
    assert [params["status"] for params in omics.params_of("ListRuns")] == ["PENDING", "RUNNING", "STARTING"]


def test_a_nested_stacks_runs_are_read_with_their_own_stack_and_physical_ids(omics, props):
    """A nested stack's resources are listed under its own stack id, the parent's physical id of its
    AWS::CloudFormation::Stack resource (CloudFormation User Guide, "Nested stacks")."""
    nested_id = STACK_ID.replace("GermlineRunStack", "GermlineRunStack-Inner-1A2B3C")
    client = boto3.client("cloudformation", region_name=REGION)
    stubber = Stubber(client)
    when = dt.datetime(2026, 1, 1)
    for stack_id, name, template, summaries in (
            (STACK_ID, "GermlineRunStack", {"Resources": {"Inner": {"Type": "AWS::CloudFormation::Stack"}}},
             [{"LogicalResourceId": "Inner", "PhysicalResourceId": nested_id,
              "ResourceType": "AWS::CloudFormation::Stack",
               "LastUpdatedTimestamp": when, "ResourceStatus": "CREATE_COMPLETE"}]),
            (nested_id, nested_id, _stack_template(props),
             [{"LogicalResourceId": RUN_LOGICAL_ID, "PhysicalResourceId": "pending/0123456789abcdef",
               "ResourceType": "Custom::HealthOmicsRun", "LastUpdatedTimestamp": when,
               "ResourceStatus": "CREATE_IN_PROGRESS"}])):
        stubber.add_response("describe_stacks", {"Stacks": [{"StackName": name, "StackId": stack_id,
                                                             "CreationTime": when,
                                                             "StackStatus": "CREATE_COMPLETE"}]}, {"StackName": name})
        stubber.add_response("get_template", {"TemplateBody": json.dumps(template)},
                             {"StackName": stack_id, "TemplateStage": "Original"})
        stubber.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": stack_id})
    stubber.activate()
    (item,) = declared.from_stack(client, "GermlineRunStack")
    assert (item.stack, item.stack_id, item.path, item.physical_id) == \
        ("GermlineRunStack-Inner-1A2B3C", nested_id, RUN_PATH, "pending/0123456789abcdef")


def test_a_run_resource_that_names_no_run_yet_is_drift_saying_to_read_the_stacks_events(omics, props, survey):
    item = Declared("GermlineRunStack", RUN_LOGICAL_ID, RUN_PATH, "run", props, "pending/0123456789abcdef", STACK_ID)
    assert survey.rows([item]) == [Row(
        stack="GermlineRunStack", path=RUN_PATH, kind="run", id="", status="NOT STARTED", state=State.DRIFT,
        drift="the resource names no run (a create that failed, or one still waiting to start)",
        action="read the stack's events; deploy again")]


def test_wait_skips_a_look_that_healthomics_throttles(omics, props, survey, capsys, monkeypatch):
    """Throttling that outlasts botocore's retries is waited out (runs.RetryLater), as the handler does."""
    answer = handler.on_event(event("Create", props))
    omics.set_status(answer["Data"]["RunId"], "COMPLETED")
    omics.fail_next("GetRun", "ThrottlingException", "Rate exceeded", times=3)
    monkeypatch.setattr(cli.time, "sleep", lambda seconds: None)
    cloudformation = _cloudformation(_stack_template(props), answer["PhysicalResourceId"])
    assert cli.run(_arguments("GermlineRunStack", "--wait"), survey, lambda: cloudformation) == cli.ALL_WELL
    first, second = capsys.readouterr().err.splitlines()
    assert first.endswith("] HealthOmics is throttling (HealthOmics GetRun: ThrottlingException); looking again")
    assert second.endswith("] 1 run: 1 done")


def test_runs_of_a_batch_deleted_by_remove_retention_are_drift(omics, props, survey):
    """GetBatch's runSummary counts deleted runs (``deletedRunCount``); REMOVE retention deletes runs of batches
    too (API Reference, GetBatch and StartRunBatch ``defaultRunSetting.retentionMode``)."""
    item, batch_id = _deployed_cohort(omics, props, 3)
    omics.set_batch_status(batch_id, "PROCESSED", completedRunCount=1, deletedRunCount=2)
    rows = survey.rows([item])
    assert [(row.state, row.drift) for row in rows] == [
        (State.DONE, ""), (State.DRIFT, "2 runs of this batch deleted: by hand, or by retention_mode REMOVE")]
    assert rows[1].action == f"their outputs, if any, stay in S3; ignore, or {RERUN} (every sample runs)"


def test_a_ledger_the_credentials_cannot_read_leaves_the_batches_found_by_their_name(omics, props):
    """S3 answers 403 AccessDenied to a request the caller may not make: here the ListObjectsV2 that asks whether
    the ledger is there (s3:ListBucket; S3 API Reference, ListObjectsV2)."""
    item, batch_id = _deployed_cohort(omics, props, 2)
    omics.set_batch_status(batch_id, "PROCESSED", completedRunCount=2)
    s3 = boto3.client("s3", region_name=REGION)
    stubber = Stubber(s3)
    stubber.add_client_error("list_objects_v2", "AccessDenied", "Access Denied", http_status_code=403)
    stubber.activate()
    (row,) = Survey(omics=lambda: omics.client, s3=lambda: s3).rows([item])
    assert (row.id, row.state) == (batch_id, State.DONE)
    assert row.action.startswith("(found by its name: the cohort's ledger s3://example-output-bucket/germline/"
                                 ".healthomics-run/GermlineRunStack/") and "AccessDenied" in row.action


def test_the_progress_line_of_a_large_stack_names_the_first_few_runs_going_and_counts_the_rest():
    rows = [Row(stack="S", path=f"S/Run{index}", kind="run", id=str(index), status="RUNNING", state=State.ACTIVE)
            for index in range(300)]
    assert render.progress_line(rows, "2026-01-01T00:00:00Z") == (
        "[2026-01-01T00:00:00Z] 300 runs: 300 active | S/Run0 0 RUNNING; S/Run1 1 RUNNING; S/Run2 2 RUNNING; "
        "S/Run3 3 RUNNING; S/Run4 4 RUNNING and 295 more")


def test_a_runs_cost_so_far_is_priced_as_the_plan_prices_with_a_history_files_prices(omics, props, tmp_path):
    """Priced by the plan's rules (tests/commands/test_plan_cost.py: each task at least 60 s of its instance type,
    STATIC storage of at least 1,200 GiB charged while the run runs), with the prices `export-history` wrote.
    Hand calculation at the us-east-1 prices of tests/commands/aws_prices.py (sourced there): omics.c.4xlarge for
    1,800 s at 0.918/h = 0.459; 1,200 GiB × 3,600 s at 0.0001918/GB-h = 0.23016; a task of 20 s billed 60 s on
    omics.m.xlarge at 0.2592/h = 0.00432. Total 0.69348 → "$0.69"."""
    from healthomics_run.commands.plan import history
    from healthomics_run.commands.status.pricing import HistoryPricing

    item, run = _deployed_run(omics, {**props, "StorageType": "STATIC", "StorageCapacity": "1200"})
    begun = run["creationTime"]
    omics.end_run(run["id"], startTime=begun, stopTime=begun + dt.timedelta(seconds=3600))
    omics.add_task(run["id"], "call", status="COMPLETED", instance_type=LARGE, startTime=begun,
                   stopTime=begun + dt.timedelta(seconds=1800))
    omics.add_task(run["id"], "index", status="COMPLETED", instance_type=SMALL, startTime=begun,
                   stopTime=begun + dt.timedelta(seconds=20))
    prices = tmp_path / "history.json"
    prices.write_text(history.History(prices=dict(US_EAST_1), region=REGION).to_json())
    s3 = boto3.client("s3", region_name=REGION)
    (row,) = Survey(omics=lambda: omics.client, s3=lambda: s3,
                    pricer=HistoryPricing(history.read(prices).prices)).rows([item])
    assert row.cost == "$0.69"


def test_status_refuses_a_history_file_that_export_history_did_not_write(tmp_path, capsys):
    from healthomics_run.commands.status import cli

    bad = tmp_path / "not-a-history.json"
    bad.write_text("{}")
    arguments = cli.add_arguments(argparse.ArgumentParser()).parse_args(["--template", "t.json", "--history", str(bad)])
    assert cli.run(arguments) == cli.ERROR
    assert "not a history written by `healthomics-run export-history`" in capsys.readouterr().err


def test_status_still_shows_the_status_messages_and_task_names_the_deploys_reason_leaves_out(omics, props, survey):
    """The account's own access controls guard ``status`` (GetRun, GetRunTask), unlike stack events."""
    item, run = _deployed_run(omics, props)
    omics.add_task(run["id"], "call_variants (PATIENT-0042)", failure_reason="OUT_OF_MEMORY_ERROR",
                   status_message="Task call_variants (PATIENT-0042) ran out of memory.")
    omics.set_status(run["id"], "FAILED", failure_reason="RUN_TASK_FAILED",
                     status_message="Input s3://example-input-bucket/PATIENT-0042.bam was read.")
    rows = survey.rows([item])
    shown = render.table(rows)
    assert "'call_variants (PATIENT-0042)' (task " in shown
    assert "Task call_variants (PATIENT-0042) ran out of memory" in shown
    assert "Input s3://example-input-bucket/PATIENT-0042.bam was read" in shown
    assert "PATIENT-0042" not in rows[0].diagnosis.text()  # what the deploy's reason says
    comment = render.markdown(rows)  # a comment others read: as the deploy's reason says it
    assert "Cause: out of memory. Next: " in comment and "PATIENT-0042" not in comment and "s3://" not in comment


# -- what an on-call engineer reads ------------------------------------------------------------------------

def test_a_running_cohort_with_a_failed_run_shows_the_failure_in_every_format(omics, props, survey):
    """Exit 2 says a run failed; each format says which and why. GetBatch's runSummary counts failed runs of a
    batch still going (API Reference, GetBatch, https://docs.aws.amazon.com/omics/latest/api/API_GetBatch.html)."""
    item, batch_id = _deployed_cohort(omics, props, 2)
    failed = sorted(omics.batch_runs(batch_id), key=lambda run: run["runSettingId"])[0]
    omics.set_status(failed["id"], "FAILED", failure_reason="OUT_OF_MEMORY_ERROR")
    omics.set_batch_status(batch_id, "INPROGRESS", runningRunCount=1, failedRunCount=1)
    rows = survey.rows([item])
    assert cli.exit_code(rows) == cli.FAILED
    table, markdown = render.table(rows), render.markdown(rows)
    assert table.startswith("healthomics-run status: 1 batch: 1 active (1 still going with failed runs)")
    assert f"FAILED RUNS (still going) {BATCH_PATH} {batch_id}" in table and "Cause: out of memory" in table
    assert f"<b>FAILED RUNS (still going)</b> <code>{BATCH_PATH}</code> {batch_id}" in markdown
    assert "Cause: out of memory" in markdown
    document = json.loads(render.as_json(rows))
    assert document["summary"]["failedRuns"] == 1 and document["resources"][0]["failed"] is True
    assert document["resources"][0]["diagnosis"] is not None


def _ledger_uri(item: Declared) -> str:
    from healthomics_run.run_model import ledger_location

    return ledger_location.ledger_uri({"ResourceProperties": item.properties, "StackId": STACK_ID,
                                       "LogicalResourceId": item.logical_id})


@pytest.mark.parametrize("text", ["{}", '{"samples": {"k": ["S0", "1", "w"]}, "batches": {}', "\xff\xfe"])
def test_an_edited_or_garbled_ledger_is_a_failure_whose_fix_is_restoring_it_never_a_rerun(omics, props, survey,
                                                                                          text):
    """The ledger is a versioned S3 object; its earlier versions are listed with ListObjectVersions and copied
    back with CopyObject naming the versionId (S3 User Guide, "Restoring previous versions",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/RestoringPreviousVersions.html). Changing rerun_token
    runs every sample again: never the advice here."""
    item, batch_id = _deployed_cohort(omics, props, 2)
    omics.set_batch_status(batch_id, "PROCESSED", completedRunCount=1, cancelledRunCount=1)
    from healthomics_run.service_calls import s3_objects

    bucket, key = s3_objects.location(_ledger_uri(item))
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=text.encode("latin-1"))
    rows = survey.rows([item])
    assert (rows[0].status, rows[0].state, cli.exit_code(rows)) == ("LEDGER NOT A LEDGER", State.FAILED, cli.FAILED)
    assert rows[0].action.startswith(f"restore the ledger: The bucket keeps earlier versions of it: list them with "
                                     f"`aws s3api list-object-versions --bucket {bucket} --prefix {key}`")
    assert rows[0].action.endswith("Do not change rerun_token: that runs every sample again")
    assert batch_id in [row.id for row in rows[1:]]  # what HealthOmics holds under the name, still shown
    assert not any(RERUN in row.action or "every sample runs" in row.action for row in rows)
    assert "S0" not in render.markdown(rows) and "S0" not in render.as_json(rows)  # sample ids may identify patients


def test_a_deleted_workflow_is_drift(omics, props, survey):
    """GetWorkflow of a workflow that is gone answers ResourceNotFoundException (HealthOmics API Reference,
    GetWorkflow, https://docs.aws.amazon.com/omics/latest/api/API_GetWorkflow.html)."""
    item, run = _deployed_run(omics, props)
    del omics.workflows[props["WorkflowId"]]
    rows = survey.rows([item])
    assert [(row.status, row.state) for row in rows] == [("PENDING", State.ACTIVE), ("WORKFLOW DELETED", State.DRIFT)]
    assert rows[1].drift.startswith(f"HealthOmics no longer has workflow {props['WorkflowId']}, which the stack names")
    assert cli.exit_code(rows) == cli.DRIFT


def test_a_run_of_another_workflow_than_the_templates_is_drift(omics, props, survey):
    """GetRun says which workflow a run ran (``workflowId``: HealthOmics API Reference, GetRun,
    https://docs.aws.amazon.com/omics/latest/api/API_GetRun.html)."""
    item, run = _deployed_run(omics, props)
    omics.add_workflow("7654321", {"sample_name": {}})
    replaced = Declared(item.stack, item.logical_id, item.path, "run", {**item.properties, "WorkflowId": "7654321"},
                        item.physical_id, item.stack_id)
    rows = survey.rows([replaced])
    assert [(row.status, row.state) for row in rows] == [("PENDING", State.ACTIVE), ("WORKFLOW REPLACED", State.DRIFT)]
    assert rows[1].drift == (f"the run ran workflow {props['WorkflowId']}, but the stack names workflow 7654321: the "
                             "workflow was replaced outside the stack, or the runs were started by hand")


STATUS_PERMISSIONS_ROW = "| `healthomics-run status STACK` |"
S3_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject"}


def _documented_status_permissions() -> set[str]:
    """The actions docs/security.md ("What each command needs") lists for status, service prefix carried over."""
    import re

    line = next(line for line in (Path(__file__).parent.parent.parent / "docs" / "security.md").read_text().splitlines()
                if line.startswith(STATUS_PERMISSIONS_ROW))
    actions, service = set(), ""
    for name in re.findall(r"`([a-z0-9-]+:[A-Za-z]+|[A-Z][A-Za-z]+)`", line.split("|")[3]):
        service, _, action = name.rpartition(":") if ":" in name else (service, "", name)
        actions.add(f"{service}:{action}")
    return actions


def test_the_permissions_status_documents_are_the_calls_it_makes(omics, props, capsys):
    """Each call's IAM action (Service Authorization Reference: HealthOmics actions are ``omics:<Operation>``;
    S3's ListObjectsV2 needs ``s3:ListBucket``, GetObject ``s3:GetObject``: S3 API Reference, ListObjectsV2 and
    GetObject, https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html). ``kms:Decrypt`` is not a
    call of the command: S3 makes it on the caller's behalf to read an SSE-KMS object (S3 User Guide, "Using
    server-side encryption with AWS KMS keys",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)."""
    called: set[str] = set()

    def record(service: str):
        return lambda model, **_: called.add(f"{service}:{S3_ACTIONS.get(model.name, model.name).split(':')[-1]}")

    s3 = boto3.client("s3", region_name=REGION)
    s3.meta.events.register("before-call.s3", record("s3"))
    omics.client.meta.events.register("before-call.omics", record("omics"))
    item, run = _deployed_run(omics, props)
    omics.add_task(run["id"], "call", failure_reason="OUT_OF_MEMORY_ERROR")
    omics.set_status(run["id"], "FAILED", failure_reason="RUN_TASK_FAILED")
    cohort, batch_id = _deployed_cohort(omics, props, 2)
    failed = sorted(omics.batch_runs(batch_id), key=lambda run: run["runSettingId"])[0]
    omics.set_status(failed["id"], "FAILED", failure_reason="OUT_OF_MEMORY_ERROR")
    omics.set_batch_status(batch_id, "PROCESSED", completedRunCount=1, failedRunCount=1)
    called.clear()  # the handler's own calls
    cloudformation = _cloudformation(_stack_template(props), item.physical_id)
    cloudformation.meta.events.register_first("before-parameter-build.cloudformation", record("cloudformation"))
    survey = Survey(omics=lambda: omics.client, s3=lambda: s3)
    assert cli.run(_arguments("GermlineRunStack"), survey, lambda: cloudformation) == cli.FAILED
    survey.rows([cohort])  # a cohort: its ledger, its batch
    assert _documented_status_permissions() == called | {"kms:Decrypt"}
