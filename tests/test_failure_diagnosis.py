"""A run that fails while the deploy waits explains itself in the CloudFormation reason.

What HealthOmics says of a failed run, and where: GetRun's ``failureReason`` and ``statusMessage``; ListRunTasks
(filter ``status``) for the failed tasks; GetRunTask for a task's ``failureReason``, ``statusMessage``,
``instanceType``, ``cpus``, ``memory`` and ``logStream`` (HealthOmics API Reference, GetRun / ListRunTasks /
GetRunTask; guide "Debugging a HealthOmics workflow run",
https://docs.aws.amazon.com/omics/latest/dev/workflows-run-debug.html). The failure reasons and what each means:
guide "Run failure reasons", https://docs.aws.amazon.com/omics/latest/dev/workflows-run-errors.html. Logs go to the
CloudWatch Logs group ``/aws/omics/WorkflowLog``, a task's to the stream ``run/<run id>/task/<task id>`` (guide
"Monitoring HealthOmics with CloudWatch Logs", https://docs.aws.amazon.com/omics/latest/dev/monitoring-cloudwatch-logs.html).
"""

from __future__ import annotations

import pytest
from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model import reasons
from healthomics_run.service_calls import diagnosis
from healthomics_run.service_calls.runs import RunError

from tests.world import batch_event, batch_properties, event

RERUN = "To run again with the same settings, change rerun_token."


def _started(omics, props):
    created = event("Create", {**props, "WaitFor": "COMPLETED"})
    answer = handler.on_event(created)
    return {**created, **answer}, answer["Data"]["RunId"]


def _reason(waiting) -> str:
    with pytest.raises(RunError) as raised:
        handler.is_complete(waiting)
    return str(raised.value)


def test_a_run_out_of_memory_names_the_task_what_it_asked_its_log_stream_and_the_next_step(omics, props):
    waiting, run_id = _started(omics, props)
    task = omics.add_task(run_id, "call_variants", failure_reason="OUT_OF_MEMORY_ERROR",
                          status_message="Workflow task call_variants ran out of memory.",
                          instance_type="omics.r.xlarge", cpus=4, memory=32)
    omics.set_status(run_id, "FAILED", failure_reason="RUN_TASK_FAILED", status_message="Run failed because a task failed.")
    assert _reason(waiting) == (
        f"The run {run_id} ended FAILED: RUN_TASK_FAILED; Run failed because a task failed. "
        f"Cause: out of memory. Next: {diagnosis.CAUSES['OUT_OF_MEMORY'].next_step}. "
        f"Failed tasks (1): 'call_variants' (task {task}, omics.r.xlarge, 4 CPUs, 32 GiB): "
        f"Workflow task call_variants ran out of memory, log stream run/{run_id}/task/{task}. "
        f"Logs: CloudWatch Logs group /aws/omics/WorkflowLog, stream run/{run_id} (run), run/{run_id}/engine. {RERUN}")


def test_an_image_pull_failure_says_to_let_healthomics_pull_from_the_repository(omics, props):
    waiting, run_id = _started(omics, props)
    omics.add_task(run_id, "align", failure_reason="ECR_PERMISSION_ERROR",
                   status_message="HealthOmics doesn't have permission to access the image URI.")
    omics.set_status(run_id, "FAILED", failure_reason="ECR_PERMISSION_ERROR")
    reason = _reason(waiting)
    assert "Cause: container image pull (ECR). Next: check that the image exists in ECR in the run's Region and " \
           "that its repository policy lets omics.amazonaws.com ecr:BatchGetImage" in reason
    assert f"'align' (task " in reason and reason.endswith(RERUN)


def test_a_role_that_cannot_read_an_input_points_at_the_service_roles_s3_access(omics, props):
    waiting, run_id = _started(omics, props)
    omics.set_status(run_id, "FAILED", failure_reason="IMPORT_FAILED",
                     status_message="The import failed. Check that the input file exists and the run role can access it.")
    reason = _reason(waiting)
    assert reason.startswith(f"The run {run_id} ended FAILED: IMPORT_FAILED; The import failed.")
    assert "Cause: S3 access of the service role. Next: check that each input exists and the service role may " \
           "s3:GetObject it" in reason and "No task failed." in reason


@pytest.mark.parametrize("failure_reason, cause", [
    ("OUT_OF_MEMORY_ERROR", "OUT_OF_MEMORY"), ("CANNOT_START_CONTAINER_ERROR", "IMAGE_PULL"),
    ("IMAGE_VERIFICATION_FAILURE", "IMAGE_PULL"), ("INPUT_URI_NOT_FOUND", "S3_ACCESS"), ("EXPORT_FAILED", "S3_ACCESS"),
    ("ASSUME_ROLE_FAILED", "SERVICE_ROLE"), ("INSTANCE_RESERVATION_FAILED", "CAPACITY"),
    ("INVALID_URI_INPUT", "INVALID_PARAMETERS"), ("INVALID_TASK_RESOURCE_VALUE", "INVALID_PARAMETERS"),
    ("RUN_TIMED_OUT", "RUN_TIMEOUT"), ("TASK_TIMED_OUT", "TASK_TIMEOUT"), ("FILE_SYSTEM_OUT_OF_SPACE", "RUN_STORAGE"),
    ("SERVICE_ERROR", "TRANSIENT"), ("WORKFLOW_RUN_FAILED", "WORKFLOW")])
def test_each_documented_failure_reason_has_its_cause_class(failure_reason, cause):
    """The reasons of the guide's "Run failure reasons" table."""
    assert diagnosis.classify([failure_reason], []) is diagnosis.CAUSES[cause]


def test_a_tasks_own_reason_comes_before_the_runs_generic_one():
    assert diagnosis.classify(["TASK_TIMED_OUT", "RUN_TASK_FAILED"], []) is diagnosis.CAUSES["TASK_TIMEOUT"]


def test_a_status_message_without_a_documented_reason_is_read_for_its_cause():
    assert diagnosis.classify(["SOMETHING_NEW"], ["task exited with exit code 137"]) is diagnosis.CAUSES["OUT_OF_MEMORY"]
    assert diagnosis.classify([""], ["Access Denied reading s3://in/x.bam"]) is diagnosis.CAUSES["S3_ACCESS"]


def test_many_failed_tasks_with_long_messages_fit_the_reason_naming_the_first_and_counting_the_rest(omics, props):
    waiting, run_id = _started(omics, props)
    for index in range(40):
        omics.add_task(run_id, f"shard_{index:02d}_" + "n" * 100, failure_reason="OUT_OF_MEMORY_ERROR",
                       status_message="m" * 900)
    omics.set_status(run_id, "FAILED", failure_reason="RUN_TASK_FAILED", status_message="s" * 5000)
    reason = _reason(waiting)
    assert len(reason.encode()) <= reasons.MAX_MESSAGE_BYTES
    assert "Cause: out of memory. Next: " in reason and "Failed tasks (40): 'shard_00_" in reason
    named = reason.count(f", log stream run/{run_id}/task/")
    assert named >= 2 and f"; and {40 - named} more. Logs: CloudWatch Logs group /aws/omics/WorkflowLog" in reason
    assert reason.endswith(RERUN)
    assert omics.count("GetRunTask") == diagnosis.TASKS_NAMED  # no more asked than named


def test_more_failed_tasks_than_a_page_are_counted_as_at_least_a_page(omics, props):
    """ListRunTasks is paginated (``nextToken``; API Reference, ListRunTasks): one page is read."""
    waiting, run_id = _started(omics, props)
    for index in range(150):
        omics.add_task(run_id, f"shard_{index}", failure_reason="TASK_TIMED_OUT")
    omics.set_status(run_id, "FAILED", failure_reason="RUN_TASK_FAILED")
    reason = _reason(waiting)
    assert "Cause: task timed out." in reason and " Failed tasks (100+): 'shard_0' (task " in reason
    assert omics.count("ListRunTasks") == 1


def test_tasks_that_cannot_be_read_leave_the_runs_own_diagnosis(omics, props):
    waiting, run_id = _started(omics, props)
    omics.set_status(run_id, "FAILED", failure_reason="OUT_OF_MEMORY_ERROR")
    omics.fail_next("ListRunTasks", "AccessDeniedException", "not authorized")
    reason = _reason(waiting)
    assert "Cause: out of memory." in reason
    assert "Failed tasks not read (HealthOmics ListRunTasks failed with AccessDeniedException" in reason


def test_a_cancelled_run_is_not_diagnosed_further(omics, props):
    waiting, run_id = _started(omics, props)
    omics.set_status(run_id, "CANCELLED")
    assert _reason(waiting) == (f"The run {run_id} ended CANCELLED: no failure reason given; no status message. "
                                f"Logs: CloudWatch Logs group /aws/omics/WorkflowLog, stream run/{run_id} (run), "
                                f"run/{run_id}/engine. {RERUN}")
    assert omics.count("ListRunTasks") == 0


def test_a_failed_batch_counts_its_failed_submissions_and_runs_by_cause(omics, props):
    """GetBatch counts; ListRunsInBatch filters by ``submissionStatus`` and gives each failed submission's
    ``submissionFailureReason`` (API Reference, ListRunsInBatch; guide "Batch runs in HealthOmics", Handling failed
    runs, https://docs.aws.amazon.com/omics/latest/dev/workflows-batch.html)."""
    samples = [{"runSettingId": f"S{i}", "parameters": {"sample_name": f"S{i}"}} for i in range(6)]
    created = batch_event("Create", {**batch_properties(props), "Samples": samples, "SampleTypes": {},
                                     "SampleCount": "6", "WaitFor": "COMPLETED"})
    omics.add_workflow("1234567", {"reference": {}, "sample_name": {}})
    answer = handler.on_event(created)
    batch_id = answer["Data"]["BatchId"]
    runs = sorted(omics.batch_runs(batch_id), key=lambda run: run["runSettingId"])
    omics.fail_submissions(batch_id, ["S5"], "ValidationException", "bad parameter")
    omics.set_status(runs[0]["id"], "FAILED", failure_reason="OUT_OF_MEMORY_ERROR")
    omics.set_status(runs[1]["id"], "FAILED", failure_reason="OUT_OF_MEMORY_ERROR")
    omics.set_status(runs[2]["id"], "FAILED", failure_reason="ECR_PERMISSION_ERROR")
    omics.set_status(runs[3]["id"], "COMPLETED")
    omics.set_batch_status(batch_id, "FAILED", failure_reason="Runs failed", failedRunCount=3, completedRunCount=1)
    with pytest.raises(RunError) as raised:
        handler.is_complete({**created, **answer})
    reason = str(raised.value)
    assert reason.startswith(f"The batch {batch_id} ended FAILED: Runs failed. Samples that failed to submit (1): "
                             "ValidationException 1. Runs failed: 3; by cause, among the first 5 runs: out of memory 2, "
                             f"container image pull (ECR) 1. Run {runs[0]['id']}: OUT_OF_MEMORY_ERROR (out of memory: ")
    assert len(reason.encode()) <= reasons.MAX_MESSAGE_BYTES and reason.endswith(RERUN)
    assert "S5" not in reason  # sample ids may identify patients: counted, not named


def test_the_troubleshooting_page_starts_with_status_and_shows_each_cause_as_cdk_deploy_prints_it():
    from tests.synth import ROOT

    troubleshooting = (ROOT / "docs" / "operating.md").read_text().split("\n## Troubleshooting\n", 1)[1].split("\n## ", 1)[0]
    assert troubleshooting.lstrip().startswith("### Start with `healthomics-run status`")
    for cause in diagnosis.CAUSES.values():
        assert f"`Cause: {cause.title}. Next: {cause.next_step}.`" in troubleshooting, cause.key


def test_a_wait_past_the_hour_signals_the_same_diagnosis(omics, props):
    """Past the Provider framework's hour, a wait condition receives the failure (``completion.outcome``)."""
    from healthomics_run.handlers.start_run import completion, kinds

    waiting, run_id = _started(omics, props)
    task = omics.add_task(run_id, "bwa_mem", failure_reason="OUT_OF_MEMORY_ERROR", status_message="exited 137")
    omics.set_status(run_id, "FAILED", failure_reason="RUN_TASK_FAILED")
    signal = completion.outcome(kinds.RUN, omics.client.get_run(id=run_id))
    assert signal["Status"] == "FAILURE" and signal["Reason"] == _reason(waiting)
    assert "Cause: out of memory." in signal["Reason"] and f"run/{run_id}/task/{task}" in signal["Reason"]


def test_a_run_deleted_while_the_deploy_waits_says_what_may_have_deleted_it(omics, props):
    """REMOVE retention deletes the oldest runs at the run-count maximum (API Reference, StartRun ``retentionMode``)."""
    waiting, run_id = _started(omics, props)
    omics.delete_run(run_id)
    assert _reason(waiting) == (f"The run {run_id} no longer exists in HealthOmics; it was deleted while we waited (by "
                                f"hand, or by retention_mode REMOVE at the run-count maximum). {RERUN}")
