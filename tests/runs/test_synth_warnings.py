"""Settings that synthesize but fail in the account are warned about at synth, naming the construct and the
value, with how to fix or acknowledge each (``Annotations.acknowledge_warning``, as for any CDK warning id).

AWS facts: HealthOmics reads inputs and writes outputs as the run's service role, so S3 locations outside the
role's policy fail the run with AccessDenied ("Service roles for AWS HealthOmics",
https://docs.aws.amazon.com/omics/latest/dev/permissions-service.html); a CloudFormation wait condition waits
12 hours at most (AWS::CloudFormation::WaitCondition ``Timeout``).
"""

from __future__ import annotations

import enum

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, RunServiceRole, ValidationError, WaitFor, WorkflowRun
from healthomics_run.runs._synth_warnings import (
    DUPLICATE_RUN,
    INPUT_NOT_READABLE,
    OUTPUT_NOT_WRITABLE,
    SHORT_COMPLETED_WAIT,
    STATIC_STORAGE_ROUNDED,
)
from tests.synth import new_stack


def warnings(stack) -> list[str]:
    return [message.entry.data for message in Annotations.from_stack(stack).find_warning("*", Match.any_value())]


def test_an_output_uri_the_role_may_not_write_is_warned_about_naming_both():
    stack = new_stack()
    role = RunServiceRole(stack, "Role",
                          output_bucket=s3.Bucket.from_bucket_name(stack, "Out", "example-output-bucket"),
                          output_prefix="runs/")
    WorkflowRun(stack, "Run", role=role, output_uri="s3://example-outptu-bucket/runs/", workflow_id="1234567")
    (warning,) = warnings(stack)
    assert warning.startswith("TestStack/Run: output_uri 's3://example-outptu-bucket/runs/' is outside what its "
                              "service role TestStack/Role may write (s3://example-output-bucket/runs/*)")
    assert OUTPUT_NOT_WRITABLE in warning


def test_an_output_uri_inside_the_granted_prefix_is_not_warned_about():
    stack = new_stack()
    role = RunServiceRole(stack, "Role",
                          output_bucket=s3.Bucket.from_bucket_name(stack, "Out", "example-output-bucket"),
                          output_prefix="runs/")
    WorkflowRun(stack, "Run", role=role, output_uri="s3://example-output-bucket/runs/germline/", workflow_id="1234567")
    assert warnings(stack) == []


def test_a_str_enum_parameter_naming_a_bucket_the_role_may_not_read_is_warned_about():
    """A ``str`` Enum member reaches the template as its value, so HealthOmics reads that object."""
    class Reference(str, enum.Enum):
        GRCH38 = "s3://example-reference-bucket/GRCh38.fasta"

    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", parameters={"ref": Reference.GRCH38})
    (warning,) = warnings(stack)
    assert "may not read: " in warning and "example-reference-bucket" in warning and INPUT_NOT_READABLE in warning


def test_a_run_refused_at_construction_and_caught_leaves_the_rest_of_the_stack_to_synthesize():
    """A notebook or a test may catch the ValidationError of a run; the runs made before it still synthesize."""
    stack = new_stack()
    HealthOmicsRun(stack, "Good", workflow_id="1234567")
    with pytest.raises(ValidationError):
        HealthOmicsRun(stack, "Refused", workflow_id="1234567", parameters={"region": cdk.Aws.REGION},
                       stage_parameters=True)
    resources = Template.from_stack(stack).find_resources("Custom::HealthOmicsRun")
    assert [logical_id for logical_id in resources if logical_id.startswith("Good")] and len(resources) == 1


def test_parameters_in_buckets_the_role_may_not_read_are_warned_about_with_the_fix():
    stack = new_stack()
    reference = s3.Bucket.from_bucket_name(stack, "Reference", "example-reference-bucket")
    HealthOmicsRun(stack, "Run", workflow_id="1234567", inputs=[reference],
                   parameters={"ref": "s3://example-reference-bucket/r.fa", "reads": ["s3://example-input-bucket/a.fq"]})
    (warning,) = warnings(stack)
    assert "TestStack/Run/Run: parameters name S3 objects its service role TestStack/Run/ServiceRole may not read: " \
           "'s3://example-input-bucket/a.fq'" in warning
    assert "s3.Bucket.from_bucket_name(self, ..., 'example-input-bucket')" in warning and INPUT_NOT_READABLE in warning


def test_sample_values_the_role_may_not_read_are_warned_about():
    stack = new_stack()
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567",
                        samples=[{"run_setting_id": "S1", "parameters": {"reads": "s3://example-input-bucket/S1.fq"}}])
    (warning,) = warnings(stack)
    assert "'s3://example-input-bucket/S1.fq'" in warning


def test_a_warning_can_be_acknowledged():
    stack = new_stack()
    run = HealthOmicsRun(stack, "Run", workflow_id="1234567", parameters={"reads": "s3://example-input-bucket/a.fq"})
    cdk.Annotations.of(run).acknowledge_warning(INPUT_NOT_READABLE, "the role is granted in another stack")
    assert warnings(stack) == []


def test_waiting_for_completed_for_less_than_an_hour_is_warned_about():
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.minutes(5))
    (warning,) = warnings(stack)
    assert warning.startswith("TestStack/Run/Run: wait_for=COMPLETED with a timeout of 300 s")
    assert SHORT_COMPLETED_WAIT in warning


def test_waiting_for_completed_for_hours_is_not_warned_about():
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", wait_for=WaitFor.COMPLETED, timeout=cdk.Duration.hours(6))
    assert warnings(stack) == []


IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bwa:0.7.17"


def _definition(tmp_path):
    folder = tmp_path / "aligner"
    folder.mkdir()
    (folder / "main.nf").write_text(f"process ALIGN {{\n  container '{IMAGE}'\n  script: 'bwa mem'\n}}\n"
                                    "workflow { ALIGN() }\n")
    return folder


def test_a_workflow_naming_private_ecr_images_without_their_repositories_is_warned_about(tmp_path):
    """HealthOmics pulls private ECR images only when the repository policy lets omics.amazonaws.com pull and
    the run's role may pull (HealthOmics guide, "Amazon ECR permissions",
    https://docs.aws.amazon.com/omics/latest/dev/permissions-ecr.html)."""
    from healthomics_run import Workflow, WorkflowEngine
    from healthomics_run.workflows._image_warnings import WARNING_ID

    stack = new_stack()
    Workflow(stack, "Aligner", definition=_definition(tmp_path), engine=WorkflowEngine.NEXTFLOW)
    (warning,) = warnings(stack)
    assert warning.startswith("TestStack/Aligner: its definition names private ECR images in repositories that are "
                              "not among its container_repositories: 123456789012.dkr.ecr.us-east-1.amazonaws.com/bwa")
    assert "ecr.Repository.from_repository_name(self, ..., 'bwa')" in warning and WARNING_ID in warning


def test_a_workflow_given_the_repositories_of_its_images_is_not_warned_about(tmp_path):
    from aws_cdk import aws_ecr as ecr

    from healthomics_run import Workflow, WorkflowEngine

    stack = new_stack()
    Workflow(stack, "Aligner", definition=_definition(tmp_path), engine=WorkflowEngine.NEXTFLOW,
             container_repositories=[ecr.Repository(stack, "Bwa", repository_name="bwa")])
    assert warnings(stack) == []


def test_a_warning_is_acknowledged_by_the_id_the_cdk_cli_prints_with_either_api():
    """The CDK CLI prints a warning's rule as its ``[ack: <id>]`` id when the id holds ``::``, else as
    ``Annotation::<id>`` (aws-cdk-lib 2.275 ``core/lib/private/annotation-plugin.js``, ``collectAnnotationReport``);
    ``Annotations.acknowledge_warning`` matches the ``[ack: <id>]`` tag exactly ("Annotations", aws-cdk-lib API
    reference, https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Annotations.html)."""
    for acknowledge in (lambda run, id: cdk.Annotations.of(run).acknowledge_warning(id, "granted elsewhere"),
                        lambda run, id: cdk.Validations.of(run).acknowledge(
                            cdk.Acknowledgment(id=id, reason="granted elsewhere"))):
        stack = new_stack()
        HealthOmicsRun(stack, "Run", workflow_id="1234567", parameters={"reads": "s3://example-input-bucket/a.fq"})
        (warning,) = warnings(stack)
        printed = warning[warning.rindex("[ack: ") + len("[ack: "):-1]
        assert printed == INPUT_NOT_READABLE and "::" in printed  # so the CLI prints it unchanged
        assert f"acknowledge_warning({printed!r}, reason)" in warning  # the message's own hint names it too
        stack = new_stack()
        reads = {"reads": "s3://example-input-bucket/a.fq"}
        run = HealthOmicsRun(stack, "Run", workflow_id="1234567", parameters=reads)
        acknowledge(run, printed)
        assert warnings(stack) == []


def test_static_storage_that_healthomics_rounds_up_is_warned_about_with_what_is_billed():
    """Static run storage is 1,200 GiB or multiples of 2,400 GiB, a request between rounded up ("a request for
    1,000 GiB provisions the minimum size of 1,200 GiB"; 5,000 GiB provisions 7,200 GiB): HealthOmics guide, "Run
    storage types in HealthOmics workflows", https://docs.aws.amazon.com/omics/latest/dev/workflows-run-types.html."""
    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", storage_type="STATIC", storage_capacity=1000)
    HealthOmicsRun(stack, "Large", workflow_id="1234567", storage_type="STATIC", storage_capacity=5000)
    small, large = warnings(stack)
    assert small.startswith("TestStack/Run/Run: storage_capacity 1,000 GiB of STATIC storage is provisioned, and "
                            "billed, as 1,200 GiB: HealthOmics provides 1,200 GiB or multiples of 2,400 GiB")
    assert "as 7,200 GiB" in large and "storage_capacity=7200" in large and STATIC_STORAGE_ROUNDED in large


def test_static_storage_of_a_supported_size_is_not_warned_about():
    stack = new_stack()
    for size in (1200, 2400, 4800):
        HealthOmicsRun(stack, f"Run{size}", workflow_id="1234567", storage_type="STATIC", storage_capacity=size)
    assert warnings(stack) == []


def _sheet(tmp_path):
    sheet = tmp_path / "cohort.csv"
    sheet.write_text("run_setting_id,parameters.sample_name,parameters.threads,parameters.dedup\n"
                     "S1,NA1,8,true\nS2,NA2,16,false\n")
    return sheet


def test_csv_numbers_and_booleans_sent_as_strings_for_want_of_a_template_are_warned_about(tmp_path):
    """A CSV cell is text; StartRun's ``parameters`` are JSON values, passed to the workflow as given (HealthOmics
    API Reference, "StartRun", https://docs.aws.amazon.com/omics/latest/api/API_StartRun.html): without a template
    at synth, nothing turns ``8`` into a number."""
    from healthomics_run.runs.workflow_run_batch import UNTYPED_SHEET_VALUES

    stack = new_stack()
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", sample_sheet=str(_sheet(tmp_path)))
    (warning,) = warnings(stack)
    assert warning.startswith(f"TestStack/Cohort/Batch: {tmp_path / 'cohort.csv'} holds numbers or booleans in "
                              "parameters.dedup, parameters.threads: dedup ('true' on line 2), threads ('8' on line "
                              "2); "
                              "they reach the workflow as strings, because workflow_id= names a workflow whose "
                              "parameter template is unknown at synth")
    assert "parameter_template={'dedup': {'type': ...}, 'threads': {'type': ...}}" in warning
    assert UNTYPED_SHEET_VALUES in warning


@pytest.mark.parametrize("cell", ["8", " 16 ", "+.5", "-3", "1e3", "1_000", "\u0661\u0662", "inf", "-nan", "Infinity",
                                  "true", " FALSE ", "", " ", "-", ".", "+", "0x10", "1e", "NA12878",
                                  "s3://example-input-bucket/x.bam", "truthy"])
def test_a_cell_is_warned_about_exactly_when_it_reads_as_a_number_or_a_boolean(tmp_path, cell):
    """The warning's quick test of 100,000 cells agrees with the parsers that type them when a template is known."""
    from healthomics_run.run_model.samples import SheetRows
    from healthomics_run.runs._sheet_types import _PARSERS, looks_typed

    def reads(parse) -> bool:
        try:
            parse(cell)
        except ValueError:
            return False
        return True

    rows = SheetRows([{"parameters": {"p": cell}}], lines=[2])
    assert bool(looks_typed(rows, None)) == (reads(_PARSERS["number"]) or reads(_PARSERS["boolean"]))


def test_csv_values_typed_by_a_known_template_are_not_warned_about(tmp_path):
    from healthomics_run import Workflow

    stack = new_stack()
    workflow = Workflow.from_workflow_id(stack, "Workflow", "1234567", parameter_template={
        "sample_name": {"description": "s"}, "threads": {"description": "t", "type": "integer"},
        "dedup": {"description": "d", "type": "boolean"}})
    HealthOmicsRunBatch(stack, "Cohort", workflow=workflow, sample_sheet=str(_sheet(tmp_path)))
    assert warnings(stack) == []


def test_two_runs_of_one_stack_with_the_same_settings_are_warned_about_as_starting_twice():
    """Each resource's ``requestId`` is scoped to its stack and logical id (``run_model/fingerprint.py``), and
    HealthOmics starts a run once per request ID only ("Start a run in HealthOmics",
    https://docs.aws.amazon.com/omics/latest/dev/starting-a-run.html): two resources mean two runs."""
    from healthomics_run.run_model.fingerprint import request_id

    assert request_id("stack", "RunA", "f") != request_id("stack", "RunB", "f")
    stack = new_stack()
    for id in ("Germline", "GermlineAgain"):
        WorkflowRun(stack, id, role=_role(stack), output_uri="s3://example-output-bucket/runs/",
                    workflow_id="1234567", parameters={"sample": "NA1"})
    (warning,) = warnings(stack)
    assert warning.startswith("TestStack/GermlineAgain: the same run as TestStack/Germline (every setting "
                              "alike but the name): each resource starts its own run, so the deploy starts this one "
                              "twice and both are billed")
    assert DUPLICATE_RUN in warning and "rerun_token" in warning


def test_runs_that_differ_in_a_setting_or_a_rerun_token_are_not_warned_about():
    stack = new_stack()
    role = _role(stack)
    for id, sample, token in (("NA1", "NA1", None), ("NA2", "NA2", None), ("NA2Again", "NA2", "2")):
        WorkflowRun(stack, id, role=role, output_uri="s3://example-output-bucket/runs/", workflow_id="1234567",
                    parameters={"sample": sample}, **({"rerun_token": token} if token else {}))
    assert warnings(stack) == []


def _role(stack):
    if stack.node.try_find_child("Role") is None:
        RunServiceRole(stack, "Role", output_bucket=s3.Bucket.from_bucket_name(stack, "Out", "example-output-bucket"))
    return stack.node.find_child("Role")


def _cohort(max_runs, samples=200):
    from healthomics_run import DeletePolicy, RunGroup

    stack = new_stack()
    group = RunGroup(stack, "Group", max_runs=max_runs)
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", run_group=group, wait_for=WaitFor.COMPLETED,
                        timeout=cdk.Duration.hours(12), delete_policy=DeletePolicy.CANCEL,
                        samples=[{"run_setting_id": f"S{i}"} for i in range(samples)])
    return stack


def test_a_cohort_whose_wait_cannot_end_at_its_run_groups_max_runs_is_warned_about():
    """A run group queues runs beyond max_runs ("Using HealthOmics run groups",
    https://docs.aws.amazon.com/omics/latest/dev/creating-run-groups.html); a deploy waits 12 hours at most (see the
    module). 200 samples 5 at a time are 40 waves: 18 minutes a run."""
    from healthomics_run.runs._synth_warnings import COHORT_WAIT_TOO_SHORT

    (warning,) = warnings(_cohort(max_runs=5))
    assert warning.startswith(
        "TestStack/Cohort/Batch: wait_for=COMPLETED for 200 samples in run group TestStack/Group, which runs "
        "max_runs=5 at once: they run in 40 waves, so within the timeout (12 h) each run may take only 18 min; the "
        "deploy will likely time out and its rollback cancels the batch (delete_policy=CANCEL). Raise the run "
        "group's max_runs to 17 or more")
    assert COHORT_WAIT_TOO_SHORT in warning


def test_a_cohort_whose_run_group_leaves_each_run_hours_is_not_warned_about():
    assert warnings(_cohort(max_runs=50)) == []  # 4 waves: 3 hours a run


def test_removal_policies_destroy_over_what_the_library_retains_is_warned_about():
    """``RemovalPolicies.of(scope).destroy()`` (aws-cdk-lib 2.275, "RemovalPolicies",
    https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.RemovalPolicies.html) sets DeletionPolicy Delete on
    every resource of the scope; HealthOmics refuses to delete a run group while runs use it ("Deleting runs and run
    groups", https://docs.aws.amazon.com/omics/latest/dev/deleting-runs.html)."""
    from healthomics_run import RunGroup, RunOutputBucket
    from healthomics_run.construct_helpers.retention import RETAINED_RESOURCE_DELETED

    stack = new_stack()
    bucket = RunOutputBucket(stack, "Outputs")
    HealthOmicsRun(stack, "Run", workflow_id="1234567", output_bucket=bucket, run_group=RunGroup(stack, "Group"))
    cdk.RemovalPolicies.of(stack).destroy()
    found = warnings(stack)
    group = [w for w in found if w.startswith("TestStack/Group: its AWS::Omics::RunGroup has DeletionPolicy Delete, "
                                              "not Retain: retained runs (TestStack/Run/Run) use it")]
    assert group and "RemovalPolicies.of(scope).destroy(exclude_resource_types=['AWS::Omics::RunGroup'])" in group[0]
    assert any(w.startswith("TestStack/Outputs: its AWS::S3::Bucket has DeletionPolicy Delete") for w in found)
    assert all(RETAINED_RESOURCE_DELETED in w for w in found)
    assert cdk.assertions.Template.from_stack(stack).find_resources("AWS::Omics::RunGroup", {
        "DeletionPolicy": "Delete"})  # the trap is real: the template deletes the run group


def test_what_the_library_retains_is_not_warned_about_when_it_stays_retained():
    from healthomics_run import RunGroup, RunOutputBucket

    stack = new_stack()
    HealthOmicsRun(stack, "Run", workflow_id="1234567", output_bucket=RunOutputBucket(stack, "Outputs"),
                   run_group=RunGroup(stack, "Group"))
    cdk.RemovalPolicies.of(stack).destroy(exclude_resource_types=["AWS::Omics::RunGroup", "AWS::S3::Bucket"])
    assert warnings(stack) == []
