"""The mistakes a new user makes (issue 18, "Why"), each a ``ValidationError`` raised at the user's own line,
naming the field, what was given and what to do.

Each mistake is written as a one-line lambda: the traceback must pass through that very line (the mistake
is found while it runs, not later at ``app.synth()``), and every frame after it must be the library's
(never jsii's kernel, as when a check waits for synthesis).
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import aws_cdk as cdk
import healthomics_run
import pytest
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from healthomics_run import (
    BatchStatus,
    HealthOmicsRun,
    HealthOmicsRunBatch,
    RunStatus,
    SampleSheetError,
    ValidationError,
    Workflow,
    WorkflowEngine,
)
from healthomics_run.run_model import service_model

from tests.synth import new_stack

WORKFLOWS = Path(__file__).parent / "fixtures" / "workflows"
LIBRARY = os.path.dirname(healthomics_run.__file__)


def raised_at_the_users_line(mistake) -> ValidationError:
    """Run ``mistake`` (a lambda on the user's line); the ValidationError it raised, checked to come from there."""
    with pytest.raises(ValidationError) as raised:
        mistake()
    frames = traceback.extract_tb(raised.tb)
    (user,) = [index for index, frame in enumerate(frames) if frame.filename == __file__ and frame.name == "<lambda>"]
    assert frames[user].lineno == mistake.__code__.co_firstlineno
    below = frames[user + 1:]
    assert below and all(os.path.realpath(frame.filename).startswith(os.path.realpath(LIBRARY))
                         or "jsii/_runtime.py" in frame.filename for frame in below), [f.filename for f in below]
    assert not type(raised.value).__name__.startswith("_")  # no private class name reaches the user
    return raised.value


def topic_target(stack):
    return targets.SnsTopic(sns.Topic(stack, "Topic"))


def test_a_status_that_runs_never_have_is_named_where_the_rule_is_made():
    stack = new_stack()
    run = HealthOmicsRun(stack, "Run", workflow_id="1234567")
    error = raised_at_the_users_line(lambda: run.on_status_change("Notify", target=topic_target(stack), statuses=["SUCCEEDED"]))
    assert "statuses of a run must be among PENDING, STARTING" in str(error)
    assert "got 'SUCCEEDED' (did you mean COMPLETED?)" in str(error)


def test_a_batch_status_given_to_a_batch_as_a_run_status_is_named():
    stack = new_stack()
    cohort = HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=[{"run_setting_id": "S1"}])
    error = raised_at_the_users_line(lambda: cohort.on_status_change("Notify", target=topic_target(stack), statuses=["COMPLETED"]))
    assert "statuses of a batch must be among" in str(error) and "got 'COMPLETED' (did you mean PROCESSED?)" in str(error)


def test_statuses_are_enums_as_the_service_model_has_them_and_strings_are_still_accepted():
    """RunStatus and BatchStatus, in the service model this library ships (botocore's omics model)."""
    assert [status.value for status in RunStatus] == service_model.shape("RunStatus")["enum"]
    assert [status.value for status in BatchStatus] == service_model.shape("BatchStatus")["enum"]
    stack = new_stack()
    run = HealthOmicsRun(stack, "Run", workflow_id="1234567")
    rule = run.on_status_change("Notify", target=topic_target(stack), statuses=[RunStatus.FAILED, "COMPLETED"])
    assert rule.node.id == "Notify"


def test_a_bucket_uri_as_an_input_is_named_with_the_call_that_makes_a_bucket():
    error = raised_at_the_users_line(lambda: HealthOmicsRun(new_stack(), "Run", workflow_id="1234567", inputs=["s3://example-input-bucket"]))
    assert str(error) == ("TestStack/Run: inputs takes buckets, not names or URIs: give s3.Bucket.from_bucket_name(self, "
                          "\"Inputs\", 'example-input-bucket'); got 's3://example-input-bucket' [InvalidRunProps]")


def test_a_deploy_time_value_as_sample_sheet_is_named_as_such():
    error = raised_at_the_users_line(lambda: HealthOmicsRunBatch(new_stack(), "Cohort", workflow_id="1234567", sample_sheet=cdk.Fn.import_value("SheetPath")))
    assert isinstance(error, SampleSheetError)
    assert "sample_sheet must be the path of a .csv or .json file in your app, read at synth; got a deploy-time value" in str(error)


def test_a_sheet_without_a_run_setting_id_column_says_so_once(tmp_path):
    sheet = tmp_path / "cohort.csv"
    sheet.write_text("parameters.sample_name,name\nNA1,a\nNA2,b\nNA3,c\n")
    error = raised_at_the_users_line(lambda: HealthOmicsRunBatch(new_stack(), "Cohort", workflow_id="1234567", sample_sheet=str(sheet)))
    assert error.problems == [f"{sheet} line 1 (header): no run_setting_id column; add one holding an id for each sample, "
                              "unique in the sheet (each sample's run is named by it)"]


def test_a_problem_every_sample_has_is_said_once_with_the_samples_counted():
    samples = [{"parameters": {"sample_name": f"NA{i}"}} for i in range(40)]
    error = raised_at_the_users_line(lambda: HealthOmicsRunBatch(new_stack(), "Cohort", workflow_id="1234567", samples=samples))
    assert error.problems == ["samples, all 40 samples: run_setting_id is required"]


def test_a_misspelt_csv_column_gets_a_did_you_mean(tmp_path):
    sheet = tmp_path / "cohort.csv"
    sheet.write_text("run_setting_id,paramters.sample_name\nS1,NA1\n")
    error = raised_at_the_users_line(lambda: HealthOmicsRunBatch(new_stack(), "Cohort", workflow_id="1234567", sample_sheet=str(sheet)))
    assert "unknown columns 'paramters.sample_name' (did you mean parameters.sample_name?)" in str(error)


def test_a_misspelt_sample_key_gets_a_did_you_mean():
    error = raised_at_the_users_line(lambda: HealthOmicsRunBatch(new_stack(), "Cohort", workflow_id="1234567", samples=[{"run_setting_id": "S1", "priorty": 1}]))
    assert "samples row 1: unknown keys 'priorty' (did you mean 'priority'?)" in str(error)


def test_a_misspelt_prop_gets_a_did_you_mean_not_a_list_of_every_prop():
    error = raised_at_the_users_line(lambda: HealthOmicsRun(new_stack(), "Run", worfklow_id="1234567"))
    assert str(error) == "TestStack/Run: unknown run props: worfklow_id (did you mean workflow_id?) [UnknownProps]"


def test_a_prop_name_with_nothing_close_lists_the_props():
    error = raised_at_the_users_line(lambda: HealthOmicsRun(new_stack(), "Run", workflow_id="1234567", colour="red"))
    assert "unknown run props: colour; allowed: cache, cache_behavior," in str(error)


def test_a_workflow_arn_as_workflow_id_names_the_id_to_give():
    """Workflow ARNs are ``arn:${Partition}:omics:${Region}:${Account}:workflow/${Id}`` (Service Authorization
    Reference, "Actions, resources, and condition keys for AWS HealthOmics", resource type ``workflow``,
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthomics.html); StartRun takes
    the id (``workflowId``, pattern ``[0-9]+``, in the service model)."""
    arn = "arn:aws:omics:us-east-1:123456789012:workflow/1234567"
    error = raised_at_the_users_line(lambda: HealthOmicsRun(new_stack(), "Run", workflow_id=arn))
    assert error.problems == [f"workflow_id takes the workflow's id, not its ARN: give workflow_id='1234567' (and "
                              f"workflow_owner_id='123456789012' if another account shares it with you); got {arn!r}"]


@pytest.mark.parametrize("folder, engine, right", [("wdl_hello", WorkflowEngine.NEXTFLOW, "WDL"),
                                                   ("nextflow_hello", WorkflowEngine.WDL, "NEXTFLOW"),
                                                   ("cwl_hello", WorkflowEngine.WDL, "CWL")])
def test_the_wrong_engine_for_a_definition_folder_names_the_right_one(folder, engine, right):
    error = raised_at_the_users_line(lambda: Workflow(new_stack(), "Workflow", definition=str(WORKFLOWS / folder), engine=engine))
    assert f"no {engine.value} file in it" in str(error) and f"it looks like {right}: give engine={right}" in str(error)


def test_the_app_as_scope_asks_for_a_stack():
    """A CloudFormation resource belongs to a stack; aws-cdk-lib's ``Stack.of`` finds none above an App ("Stack",
    aws-cdk-lib API reference, https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Stack.html)."""
    app = cdk.App()
    error = raised_at_the_users_line(lambda: HealthOmicsRun(app, "Run", workflow_id="1234567"))
    assert str(error) == ("Run: HealthOmicsRun needs a Stack as its scope (or a construct inside one), got the App: "
                          "make a stack and give it, e.g. stack = cdk.Stack(app, 'RunStack'); "
                          "HealthOmicsRun(stack, 'Run', ...) [InvalidScope]")
    assert error.code == "InvalidScope"
