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
import pytest
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns

import healthomics_run
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

WORKFLOWS = Path(__file__).parent.parent / "fixtures" / "workflows"
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
    error = raised_at_the_users_line(lambda: run.on_status_change("Notify", target=topic_target(stack),
                                                                  statuses=["SUCCEEDED"]))
    assert "statuses of a run must be among PENDING, STARTING" in str(error)
    assert "got 'SUCCEEDED' (did you mean COMPLETED?)" in str(error)


def test_a_batch_status_given_to_a_batch_as_a_run_status_is_named():
    stack = new_stack()
    cohort = HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=[{"run_setting_id": "S1"}])
    error = raised_at_the_users_line(lambda: cohort.on_status_change("Notify", target=topic_target(stack),
                                                                     statuses=["COMPLETED"]))
    assert "statuses of a batch must be among" in str(error)
    assert "got 'COMPLETED' (did you mean PROCESSED?)" in str(error)


def test_statuses_are_enums_as_the_service_model_has_them_and_strings_are_still_accepted():
    """RunStatus and BatchStatus, in the service model this library ships (botocore's omics model)."""
    assert [status.value for status in RunStatus] == service_model.shape("RunStatus")["enum"]
    assert [status.value for status in BatchStatus] == service_model.shape("BatchStatus")["enum"]
    stack = new_stack()
    run = HealthOmicsRun(stack, "Run", workflow_id="1234567")
    rule = run.on_status_change("Notify", target=topic_target(stack), statuses=[RunStatus.FAILED, "COMPLETED"])
    assert rule.node.id == "Notify"


def test_a_bucket_uri_as_an_input_is_named_with_the_call_that_makes_a_bucket():
    error = raised_at_the_users_line(lambda: HealthOmicsRun(new_stack(), "Run", workflow_id="1234567",
                                                            inputs=["s3://example-input-bucket"]))
    assert str(error) == ("TestStack/Run: inputs takes buckets, not names or URIs: give "
                          "s3.Bucket.from_bucket_name(self, \"Inputs\", 'example-input-bucket'); "
                          "got 's3://example-input-bucket' [InvalidRunProps]")


def test_a_deploy_time_value_as_sample_sheet_is_named_as_such():
    error = raised_at_the_users_line(lambda: HealthOmicsRunBatch(new_stack(), "Cohort", workflow_id="1234567",
                                                                 sample_sheet=cdk.Fn.import_value("SheetPath")))
    assert isinstance(error, SampleSheetError)
    assert ("sample_sheet must be the path of a .csv or .json file in your app, read at synth; "
            "got a deploy-time value") in str(error)


def test_a_sheet_without_a_run_setting_id_column_says_so_once(tmp_path):
    sheet = tmp_path / "cohort.csv"
    sheet.write_text("parameters.sample_name,name\nNA1,a\nNA2,b\nNA3,c\n")
    error = raised_at_the_users_line(lambda: HealthOmicsRunBatch(new_stack(), "Cohort", workflow_id="1234567",
                                                                 sample_sheet=str(sheet)))
    assert error.problems == [f"{sheet} line 1 (header): no run_setting_id column; add one holding an id for each "
                              "sample, unique in the sheet (each sample's run is named by it)"]


def test_a_problem_every_sample_has_is_said_once_with_the_samples_counted():
    samples = [{"parameters": {"sample_name": f"NA{i}"}} for i in range(40)]
    error = raised_at_the_users_line(lambda: HealthOmicsRunBatch(new_stack(), "Cohort", workflow_id="1234567",
                                                                 samples=samples))
    assert error.problems == ["samples, all 40 samples: run_setting_id is required"]


def test_a_misspelt_csv_column_gets_a_did_you_mean(tmp_path):
    sheet = tmp_path / "cohort.csv"
    sheet.write_text("run_setting_id,paramters.sample_name\nS1,NA1\n")
    error = raised_at_the_users_line(lambda: HealthOmicsRunBatch(new_stack(), "Cohort", workflow_id="1234567",
                                                                 sample_sheet=str(sheet)))
    assert "unknown columns 'paramters.sample_name' (did you mean parameters.sample_name?)" in str(error)


def test_a_misspelt_sample_key_gets_a_did_you_mean():
    error = raised_at_the_users_line(lambda: HealthOmicsRunBatch(new_stack(), "Cohort", workflow_id="1234567",
                                                                 samples=[{"run_setting_id": "S1", "priorty": 1}]))
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
    error = raised_at_the_users_line(lambda: Workflow(new_stack(), "Workflow", definition=str(WORKFLOWS / folder),
                                                      engine=engine))
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


def _stacks(other_region="eu-west-1", other_account="111111111111"):
    app = cdk.App()
    here = cdk.Stack(app, "Runs", env=cdk.Environment(account="111111111111", region="us-east-1"))
    there = cdk.Stack(app, "Elsewhere", env=cdk.Environment(account=other_account, region=other_region))
    return here, there


NEXTFLOW = str(WORKFLOWS / "nextflow_hello")
PARAMETERS = {"input": "s3://example-input-bucket/a.fq", "sample_name": "NA1"}


def test_a_workflow_of_another_regions_stack_names_both_regions():
    """HealthOmics is Regional: a workflow's ARN names its Region (Service Authorization Reference, "Actions,
    resources, and condition keys for AWS HealthOmics",
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthomics.html), and a run's
    inputs and outputs must be in the workflow's Region ("HealthOmics workflow definition requirements",
    https://docs.aws.amazon.com/omics/latest/dev/workflow-defn-requirements.html)."""
    here, there = _stacks()
    workflow = Workflow(there, "Aligner", definition=NEXTFLOW, engine=WorkflowEngine.NEXTFLOW)
    error = raised_at_the_users_line(lambda: HealthOmicsRun(here, "Run", workflow=workflow, parameters=PARAMETERS))
    assert error.problems == ["workflow Elsewhere/Aligner is in Region eu-west-1, and this run is in us-east-1: "
                              "HealthOmics uses only what is in the Region of the run. Put this run in a stack of "
                              "eu-west-1, or make (or copy) workflow in us-east-1"]
    assert error.code == "InvalidRunProps"


def test_an_imported_run_cache_of_another_region_names_both_regions():
    """Run cache ARNs name their Region (Service Authorization Reference, resource type ``runCache``,
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthomics.html)."""
    from healthomics_run import RunCache

    here, _ = _stacks()
    cache = RunCache.from_run_cache_arn(here, "Cache", "arn:aws:omics:eu-west-1:111111111111:runCache/1234567")
    error = raised_at_the_users_line(lambda: HealthOmicsRun(here, "Run", workflow_id="1234567", cache=cache))
    assert "cache Runs/Cache is in Region eu-west-1, and this run is in us-east-1" in str(error)


def test_an_ecr_repository_of_another_region_names_the_region_not_the_repository_name():
    """HealthOmics pulls only from ECR repositories in the Region of the call ("Container images for private
    workflows", https://docs.aws.amazon.com/omics/latest/dev/workflows-ecr.html); aws-cdk-lib's own error would be
    CannotUseCrossEnvironment about the repository's physical name."""
    from aws_cdk import aws_ecr as ecr

    here, there = _stacks()
    props = {"definition": NEXTFLOW, "engine": WorkflowEngine.NEXTFLOW,
             "container_repositories": [ecr.Repository(there, "Bwa")]}
    error = raised_at_the_users_line(lambda: Workflow(here, "A", **props))
    assert error.problems == ["container_repositories Elsewhere/Bwa is in Region eu-west-1, and this workflow is in "
                              "us-east-1: HealthOmics uses only what is in the Region of the run. Put this workflow "
                              "in a stack of eu-west-1, or make (or copy) container_repositories in us-east-1"]


def test_a_workflow_made_in_another_accounts_stack_asks_for_sharing_and_import_by_id():
    here, there = _stacks(other_region="us-east-1", other_account="222222222222")
    workflow = Workflow(there, "Aligner", definition=NEXTFLOW, engine=WorkflowEngine.NEXTFLOW)
    error = raised_at_the_users_line(lambda: HealthOmicsRun(here, "Run", workflow=workflow, parameters=PARAMETERS))
    assert "workflow Elsewhere/Aligner is made in a stack of account 222222222222, and this run is in " \
           "111111111111" in str(error) and "Workflow.from_workflow_id(..., owner_id=...)" in str(error)


def test_a_workflow_of_another_stack_of_the_same_region_and_account_is_fine():
    here, there = _stacks(other_region="us-east-1")
    workflow = Workflow(there, "Aligner", definition=NEXTFLOW, engine=WorkflowEngine.NEXTFLOW)
    HealthOmicsRun(here, "Run", workflow=workflow, parameters=PARAMETERS)
    assert cdk.assertions.Template.from_stack(here).find_resources("Custom::HealthOmicsRun")
