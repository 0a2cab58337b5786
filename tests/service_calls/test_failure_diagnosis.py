"""A run that fails while the deploy waits explains itself in the CloudFormation reason.

What HealthOmics says of a failed run, and where: GetRun's ``failureReason`` and ``statusMessage``; ListRunTasks
(filter ``status``) for the failed tasks; GetRunTask for a task's ``failureReason``, ``statusMessage``,
``instanceType``, ``cpus``, ``memory`` and ``logStream`` (HealthOmics API Reference, GetRun / ListRunTasks /
GetRunTask; guide "Debugging a HealthOmics workflow run",
https://docs.aws.amazon.com/omics/latest/dev/workflows-run-debug.html). The failure reasons and what each means:
guide "Run failure reasons", https://docs.aws.amazon.com/omics/latest/dev/workflows-run-errors.html. Logs go to the
CloudWatch Logs group ``/aws/omics/WorkflowLog``, a task's to the stream ``run/<run id>/task/<task id>`` (guide
"Monitoring HealthOmics with CloudWatch Logs", https://docs.aws.amazon.com/omics/latest/dev/monitoring-cloudwatch-logs.html).

The reason lands in stack events, which every principal with ``cloudformation:DescribeStackEvents`` reads and
CloudFormation keeps for 90 days (CloudFormation User Guide, "Monitor stack progress" / DescribeStackEvents): it
carries identifiers only. Each test plants the values that must stay out of it (task names, status messages,
URIs, sample ids) and checks with ``_private``; the full explanation goes to the handler's log and to
``healthomics-run status``.
"""

from __future__ import annotations

import json

import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model import reasons
from healthomics_run.service_calls import diagnosis
from healthomics_run.service_calls.runs import RunError
from tests.world import batch_event, batch_properties, event, sheet_properties, stage_sheet

RERUN = "To run again with the same settings, change rerun_token."
SEE_ALL = diagnosis.SEE_ALL


def _private(reason: str, *planted: str) -> None:
    """None of the values the test planted (task names, messages, URIs, sample ids) is in the reason."""
    for value in planted:
        assert value not in reason, value
    assert "s3://" not in reason


def _started(omics, props):
    created = event("Create", {**props, "WaitFor": "COMPLETED"})
    answer = handler.on_event(created)
    return {**created, **answer}, answer["Data"]["RunId"]


def _reason(waiting) -> str:
    with pytest.raises(RunError) as raised:
        handler.is_complete(waiting)
    return str(raised.value)


def test_a_run_out_of_memory_names_the_task_by_id_what_it_asked_its_log_stream_and_the_next_step(omics, props, capsys):
    waiting, run_id = _started(omics, props)
    task = omics.add_task(run_id, "call_variants (PATIENT-0042)", failure_reason="OUT_OF_MEMORY_ERROR",
                          status_message="Workflow task call_variants (PATIENT-0042) ran out of memory.",
                          instance_type="omics.r.xlarge", cpus=4, memory=32)
    omics.set_status(run_id, "FAILED", failure_reason="RUN_TASK_FAILED",
                     status_message="Run failed because a task failed.")
    capsys.readouterr()
    reason = _reason(waiting)
    assert reason == (
        f"The run {run_id} ended FAILED: RUN_TASK_FAILED. Failed tasks: 1. "
        f"Cause: out of memory. Next: {diagnosis.CAUSES['OUT_OF_MEMORY'].next_step}. "
        f"Task {task} (omics.r.xlarge, 4 CPUs, 32 GiB), log stream run/{run_id}/task/{task}. "
        f"Logs: CloudWatch Logs group /aws/omics/WorkflowLog, stream run/{run_id} (run), run/{run_id}/engine. "
        f"{SEE_ALL} {RERUN}")
    _private(reason, "call_variants", "PATIENT-0042", "ran out of memory", "Run failed because")
    logged = capsys.readouterr().out  # the handler's log has it all
    assert "Workflow task call_variants (PATIENT-0042) ran out of memory." in logged and '"failure diagnosis"' in logged


def test_an_image_pull_failure_says_to_let_healthomics_pull_from_the_repository(omics, props):
    waiting, run_id = _started(omics, props)
    omics.add_task(run_id, "align", failure_reason="ECR_PERMISSION_ERROR",
                   status_message="HealthOmics doesn't have permission to access the image URI.")
    omics.set_status(run_id, "FAILED", failure_reason="ECR_PERMISSION_ERROR")
    reason = _reason(waiting)
    assert "Cause: container image pull (ECR). Next: check that the image exists in ECR in the run's Region and " \
           "that its repository policy lets omics.amazonaws.com ecr:BatchGetImage" in reason
    assert f" Task {omics.runs[run_id]['tasks'][0]['taskId']} (" in reason and reason.endswith(RERUN)
    _private(reason, "align", "permission to access the image URI")


def test_a_role_that_cannot_read_an_input_points_at_the_service_roles_s3_access(omics, props):
    waiting, run_id = _started(omics, props)
    omics.set_status(run_id, "FAILED", failure_reason="IMPORT_FAILED",
                     status_message="The import failed. Check that the input file exists and the run role can "
                                    "access it.")
    reason = _reason(waiting)
    assert reason.startswith(f"The run {run_id} ended FAILED: IMPORT_FAILED. Cause: S3 access of the service role. "
                             "Next: check that each input exists and the service role may s3:GetObject it")
    assert "No task failed." in reason
    _private(reason, "The import failed")


def test_a_missing_input_keeps_its_uri_and_sample_out_of_the_reason_and_in_the_log(omics, props, capsys):
    """INPUT_URI_NOT_FOUND's status message names the input ("Run failure reasons")."""
    waiting, run_id = _started(omics, props)
    uri = "s3://example-input-bucket/cohort/PATIENT-0042.bam"
    omics.set_status(run_id, "FAILED", failure_reason="INPUT_URI_NOT_FOUND",
                     status_message=f"The provided URI does not exist: {uri}.")
    capsys.readouterr()
    reason = _reason(waiting)
    assert reason.startswith(f"The run {run_id} ended FAILED: INPUT_URI_NOT_FOUND. "
                             "Cause: S3 access of the service role.")
    _private(reason, uri, "PATIENT-0042", "does not exist")
    assert uri in capsys.readouterr().out


def test_a_failure_reason_in_words_stays_out_of_the_reason(omics, props):
    """HealthOmics documents failure reasons as codes; anything else may quote an input."""
    waiting, run_id = _started(omics, props)
    omics.set_status(run_id, "FAILED", failure_reason="Could not read s3://bucket/PATIENT-0042.bam")
    reason = _reason(waiting)
    assert reason.startswith(f"The run {run_id} ended FAILED: a failure reason in words (not shown here).")
    _private(reason, "PATIENT-0042")


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
    assert (diagnosis.classify(["SOMETHING_NEW"], ["task exited with exit code 137"])
            is diagnosis.CAUSES["OUT_OF_MEMORY"])
    assert diagnosis.classify([""], ["Access Denied reading s3://in/x.bam"]) is diagnosis.CAUSES["S3_ACCESS"]


def test_many_failed_tasks_with_long_messages_fit_the_reason_naming_the_first_and_counting_the_rest(omics, props):
    waiting, run_id = _started(omics, props)
    for index in range(40):
        omics.add_task(run_id, f"shard_{index:02d}_" + "n" * 100, failure_reason="OUT_OF_MEMORY_ERROR",
                       status_message="m" * 900)
    omics.set_status(run_id, "FAILED", failure_reason="RUN_TASK_FAILED", status_message="s" * 5000)
    reason = _reason(waiting)
    assert len(reason.encode()) <= reasons.MAX_MESSAGE_BYTES
    assert "Failed tasks: 40. Cause: out of memory. Next: " in reason
    named = reason.count(f", log stream run/{run_id}/task/")
    assert named == diagnosis.TASKS_NAMED and f" {40 - named} more failed tasks not named. Logs: " in reason
    assert reason.endswith(RERUN)
    _private(reason, "shard_", "mmm", "sss")
    assert omics.count("GetRunTask") == diagnosis.TASKS_NAMED  # no more asked than named


def test_more_failed_tasks_than_a_page_are_all_counted(omics, props):
    """ListRunTasks is paginated (``nextToken``, ``maxResults`` at most 100; API Reference, ListRunTasks): every
    page is read."""
    waiting, run_id = _started(omics, props)
    for index in range(150):
        omics.add_task(run_id, f"shard_{index}", failure_reason="TASK_TIMED_OUT")
    omics.set_status(run_id, "FAILED", failure_reason="RUN_TASK_FAILED")
    reason = _reason(waiting)
    assert " Failed tasks: 150. Cause: task timed out." in reason and "147 more failed tasks not named" in reason
    assert omics.count("ListRunTasks") == 2
    _private(reason, "shard_")


def test_a_run_with_mixed_causes_gets_the_next_step_of_each_once(omics, props):
    waiting, run_id = _started(omics, props)
    oom = omics.add_task(run_id, "call_variants", failure_reason="OUT_OF_MEMORY_ERROR")
    slow = omics.add_task(run_id, "bwa_mem", failure_reason="TASK_TIMED_OUT")
    omics.add_task(run_id, "sort", failure_reason="OUT_OF_MEMORY_ERROR")
    omics.set_status(run_id, "FAILED", failure_reason="RUN_TASK_FAILED")
    reason = _reason(waiting)
    for key in ("OUT_OF_MEMORY", "TASK_TIMEOUT"):
        assert reason.count(f"Next: {diagnosis.CAUSES[key].next_step}.") == 1, key
    assert "Cause: out of memory (2 tasks). Next: " in reason and "Cause: task timed out (1 task). Next: " in reason
    assert reason.index(f"Task {oom} (") < reason.index("Cause: task timed out") < reason.index(f"Task {slow} (")
    _private(reason, "call_variants", "bwa_mem", "sort")


def test_tasks_that_cannot_be_read_leave_the_runs_own_diagnosis(omics, props):
    waiting, run_id = _started(omics, props)
    omics.set_status(run_id, "FAILED", failure_reason="OUT_OF_MEMORY_ERROR")
    omics.fail_next("ListRunTasks", "AccessDeniedException", "not authorized")
    reason = _reason(waiting)
    assert "Cause: out of memory." in reason
    assert "Failed tasks not read (HealthOmics ListRunTasks failed with AccessDeniedException)." in reason


def test_a_cancelled_run_is_not_diagnosed_further(omics, props):
    waiting, run_id = _started(omics, props)
    omics.set_status(run_id, "CANCELLED")
    assert _reason(waiting) == (f"The run {run_id} ended CANCELLED: no failure reason given. "
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
    omics.set_batch_status(batch_id, "FAILED", failure_reason="RUNS_FAILED", failedRunCount=3, completedRunCount=1)
    with pytest.raises(RunError) as raised:
        handler.is_complete({**created, **answer})
    reason = str(raised.value)
    assert reason.startswith(
        f"The batch {batch_id} ended FAILED: RUNS_FAILED. Samples that failed to submit: 1 (ValidationException 1). "
        f"Runs failed: 3 of 6. Cause: out of memory, 2 runs ({runs[0]['id']}, {runs[1]['id']}). "
        f"Next: {diagnosis.CAUSES['OUT_OF_MEMORY'].next_step}. Cause: container image pull (ECR), 1 run "
        f"({runs[2]['id']}). Next: ")
    assert len(reason.encode()) <= reasons.MAX_MESSAGE_BYTES and reason.endswith(RERUN)
    _private(reason, "S5", "bad parameter")  # sample ids may identify patients: counted, not named


def test_a_cohort_of_500_runs_with_300_failed_is_counted_across_every_page_with_each_causes_next_step_once(
        omics, props, capsys):
    """ListRunsInBatch pages at most 100 runs (``maxItems``, ``nextToken``; API Reference, ListRunsInBatch): a
    cohort's failed submissions and failed runs are counted over every page; the fake pages the same way."""
    settings = [{"runSettingId": f"PATIENT-{i:04d}",
                 "parameters": {"sample_name": f"PATIENT-{i:04d}", "reads": f"s3://example-input-bucket/PATIENT-{i:04d}.bam"}}
                for i in range(620)]
    omics.add_workflow("1234567", {"reference": {}, "sample_name": {}, "reads": {}})
    props_ = {**sheet_properties(batch_properties(props), settings, stage_sheet(settings, "sheet-620.json")),
              "WaitFor": "COMPLETED"}
    created = batch_event("Create", props_)
    answer = handler.on_event(created)
    batch_id = answer["Data"]["BatchId"]
    omics.fail_submissions(batch_id, [f"PATIENT-{i:04d}" for i in range(500, 620)], "ValidationException")
    runs = sorted(omics.batch_runs(batch_id), key=lambda run: run["runSettingId"])
    assert len(runs) == 500
    for run in runs[:150]:
        omics.set_status(run["id"], "FAILED", failure_reason="OUT_OF_MEMORY_ERROR")
    for run in runs[150:250]:
        uri = run["request"]["parameters"]["reads"]
        omics.set_status(run["id"], "FAILED", failure_reason="INPUT_URI_NOT_FOUND",
                         status_message=f"The provided URI does not exist: {uri}.")
    for run in runs[250:300]:
        omics.add_task(run["id"], f"bwa_mem ({run['runSettingId']})", failure_reason="TASK_TIMED_OUT",
                       status_message=f"Task bwa_mem ({run['runSettingId']}) timed out.")
        omics.set_status(run["id"], "FAILED", failure_reason="RUN_TASK_FAILED")
    for run in runs[300:]:
        omics.set_status(run["id"], "COMPLETED")
    omics.set_batch_status(batch_id, "FAILED", failure_reason="RUNS_FAILED", failedRunCount=300, completedRunCount=200)
    capsys.readouterr()
    with pytest.raises(RunError) as raised:
        handler.is_complete({**created, **answer})
    reason = str(raised.value)
    assert reason.startswith(f"The batch {batch_id} ended FAILED: RUNS_FAILED. Samples that failed to submit: 120 "
                             "(ValidationException 120). Runs failed: 300 of 620. Cause: out of memory, 150 runs (")
    assert "Cause: S3 access of the service role, 100 runs (" in reason
    timed_out = runs[250]
    assert (f"Cause: task timed out, 50 runs ({timed_out['id']}, {runs[251]['id']}, {runs[252]['id']} and 47 more; "
            f"e.g. task {omics.runs[timed_out['id']]['tasks'][0]['taskId']} of run {timed_out['id']}, log stream "
            f"run/{timed_out['id']}/task/") in reason
    for key in ("OUT_OF_MEMORY", "S3_ACCESS", "TASK_TIMEOUT"):
        assert reason.count(diagnosis.CAUSES[key].next_step) == 1, key
    assert len(reason.encode()) <= reasons.MAX_MESSAGE_BYTES and reason.endswith(RERUN)
    _private(reason, "PATIENT-", "bwa_mem", "does not exist", "timed out.")
    # every page: 2 of failed submissions, then submitted runs until all 300 failed ones are found (3 pages or more)
    assert omics.count("ListRunsInBatch") >= 2 + 3
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"failure diagnosis"' in line]
    assert len(logged) == 1 + 300 and logged[0]["batch"]["failedRunsFound"] == 300
    assert {key: len(cause["runs"]) for key, cause in logged[0]["batch"]["causes"].items()} == \
        {"OUT_OF_MEMORY": 150, "S3_ACCESS": 100, "TASK_TIMEOUT": 50}
    assert any("PATIENT-0150.bam" in run["run"]["statusMessage"] for run in logged[1:])


def test_a_batchs_failure_reason_in_words_stays_out_of_the_reason(omics, props):
    samples = [{"runSettingId": "S0", "parameters": {"sample_name": "S0"}}]
    created = batch_event("Create", {**batch_properties(props), "Samples": samples, "SampleTypes": {},
                                     "SampleCount": "1", "WaitFor": "COMPLETED"})
    omics.add_workflow("1234567", {"reference": {}, "sample_name": {}})
    answer = handler.on_event(created)
    omics.set_batch_status(answer["Data"]["BatchId"], "FAILED", failure_reason="ETag changed for s3://b/S0.json")
    with pytest.raises(RunError) as raised:
        handler.is_complete({**created, **answer})
    assert "ended FAILED: a failure reason in words (not shown here)." in str(raised.value)
    _private(str(raised.value), "S0.json", "ETag")


def test_the_troubleshooting_page_starts_with_status_and_shows_each_cause_as_cdk_deploy_prints_it():
    from tests.synth import ROOT

    operating = (ROOT / "docs" / "operating.md").read_text()
    troubleshooting = operating.split("\n## Troubleshooting\n", 1)[1].split("\n## ", 1)[0]
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
    _private(signal["Reason"], "bwa_mem", "exited 137")


def test_a_run_deleted_while_the_deploy_waits_says_what_may_have_deleted_it(omics, props):
    """REMOVE retention deletes the oldest runs at the run-count maximum (API Reference, StartRun ``retentionMode``)."""
    waiting, run_id = _started(omics, props)
    omics.delete_run(run_id)
    assert _reason(waiting) == (f"The run {run_id} no longer exists in HealthOmics; it was deleted while we waited (by "
                                f"hand, or by retention_mode REMOVE at the run-count maximum). {RERUN}")


def test_a_batch_failing_for_every_cause_keeps_its_reason_within_the_bound_and_points_at_the_rest():
    """Within what CloudFormation takes (test_failure_reasons): causes whose next step does not fit are counted."""
    failed = tuple(diagnosis.RunDiagnosis(f"{9000000 + index}", "FAILED", "X", "", cause, (), 0)
                   for index, cause in enumerate(diagnosis.CAUSES.values()) for _ in range(index + 1))
    found = diagnosis.BatchDiagnosis("1234567", "FAILED", "RUNS_FAILED", len(failed), 900, runs=failed,
                                     examined=len(failed))
    text = found.text()
    assert reasons.sent_size(text) <= reasons.MAX_MESSAGE_BYTES - 400
    assert "more causes (" in text and "their next steps in healthomics-run status" in text
    assert text.endswith(SEE_ALL)
