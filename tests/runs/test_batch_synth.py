"""WorkflowRunBatch and HealthOmicsRunBatch, as synthesized templates, and sample sheet validation."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

from healthomics_run import HealthOmicsRunBatch, SampleSheetError, ValidationError, WorkflowType
from healthomics_run.run_model.batch_settings import BatchSettings
from tests.synth import new_stack, template

BATCH = "Custom::HealthOmicsRunBatch"
SHARED = {"workflow_id": "1234567", "parameters": {"reference": "s3://example-reference-bucket/ref.fa"}}


def cohort(count: int, **overrides) -> list[dict]:
    return [{"run_setting_id": f"S{i:05d}", "parameters": {"sample_name": f"SAMPLE-{i:05d}", "threads": 4},
             **overrides} for i in range(count)]


def batch_stack(**props) -> cdk.Stack:
    stack = new_stack("CohortStack")
    HealthOmicsRunBatch(stack, "Cohort", **{**SHARED, **props})
    return stack


def batch_properties(stack) -> dict:
    (resource,) = template(stack).find_resources(BATCH).values()
    return resource["Properties"]


def test_up_to_100_samples_stand_in_the_template_with_their_types():
    properties = batch_properties(batch_stack(samples=cohort(2, priority=7)))
    assert properties["Samples"][0] == {"runSettingId": "S00000", "priority": 7,
                                        "parameters": {"sample_name": "SAMPLE-00000", "threads": 4}}
    assert properties["SampleTypes"]["/1/parameters/threads"] == "number"
    assert properties["SampleCount"] == 2 and properties["BatchName"] == "CohortStack/Cohort/Batch"
    assert "SampleSheetUri" not in properties


def test_more_than_100_samples_go_to_s3_as_an_asset_the_service_role_may_read(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "CohortStack")
    batch = HealthOmicsRunBatch(stack, "Cohort", samples=cohort(101), **SHARED)
    assembly = app.synth()
    properties = batch_properties(stack)
    assert "Samples" not in properties and properties["SampleCount"] == 101
    key = batch.batch.sample_sheet_asset.s3_object_key
    assert properties["SampleSheetUri"] == {"Fn::Sub": f"s3://cdk-hnb659fds-assets-${{AWS::AccountId}}-${{AWS::Region}}/{key}"}
    staged = json.loads((Path(assembly.directory) / f"asset.{key}").read_text())
    assert [entry["runSettingId"] for entry in staged] == [f"S{i:05d}" for i in range(101)]
    role_policies = json.dumps(template(stack).find_resources("AWS::IAM::Policy"))
    statement = {"Action": "s3:GetObject", "Effect": "Allow", "Resource": {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":s3:::",
        {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}, f"/{key}"]]}}
    assert json.dumps(statement) in role_policies


def test_template_size_does_not_grow_with_the_cohort():
    small, large = (json.dumps(template(batch_stack(samples=cohort(n))).to_json()) for n in (1000, 9000))
    assert len(small) == len(large)  # the digest, the asset's key and the count change, never the size


def test_the_settings_digest_ignores_sample_order_and_follows_sample_content():
    digest = lambda samples: batch_properties(batch_stack(samples=samples))["RunSettingsDigest"]  # noqa: E731
    samples = cohort(3)
    changed = cohort(3)
    changed[2]["parameters"]["sample_name"] = "SAMPLE-99999"
    assert digest(samples) == digest(list(reversed(samples)))
    assert digest(samples) != digest(changed)


@pytest.mark.parametrize("count", [2, 150])
def test_the_settings_digest_is_the_handlers_fingerprint(count):
    stack = batch_stack(samples=cohort(count))
    properties = batch_properties(stack)
    assert properties["RunSettingsDigest"] == BatchSettings.from_properties(properties).fingerprint()[:16]


def test_handler_may_start_watch_and_cancel_batches_only():
    policies = template(batch_stack(samples=cohort(2))).find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    start = next(s for s in statements if s["Action"][:2] == ["omics:StartRunBatch", "omics:StartRun"])
    resources = json.dumps(start["Resource"])
    assert ":runBatch/*" in resources and ":run/*" in resources and ":workflow/1234567" in resources
    watch = next(s for s in statements
                 if s["Action"] == ["omics:GetBatch", "omics:CancelRunBatch", "omics:ListRunsInBatch"])
    assert ":runBatch/*" in json.dumps(watch["Resource"])
    cancel_run = next(s for s in statements if s["Action"] == "omics:CancelRun")
    assert ":run/*" in json.dumps(cancel_run["Resource"])


def test_handler_may_read_and_write_the_ledger_folder_and_nothing_else_of_the_output_bucket():
    """The ledger and the settings files of started batches live in one folder under the output URI
    (cohorts.LEDGER_FOLDER); the handler's S3 access is to that folder's objects only."""
    policies = template(batch_stack(samples=cohort(2))).find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    ledger = next(s for s in statements if s["Action"] == ["s3:GetObject", "s3:PutObject"]
                  and "/.healthomics-run/*" in json.dumps(s["Resource"]))
    assert json.dumps(ledger["Resource"]).endswith('/.healthomics-run/*"]]}')


def test_a_csv_sample_sheet_with_parameter_and_tag_columns(tmp_path):
    sheet = tmp_path / "cohort.csv"
    sheet.write_text("run_setting_id,name,priority,parameters.sample_name,tags.site\n"
                     "S1,sample one,5,SAMPLE-0001,lab-a\nS2,,,SAMPLE-0002,\n")
    properties = batch_properties(batch_stack(sample_sheet=str(sheet)))
    assert properties["Samples"] == [
        {"runSettingId": "S1", "name": "sample one", "priority": 5,
         "parameters": {"sample_name": "SAMPLE-0001"}, "runTags": {"site": "lab-a"}},
        {"runSettingId": "S2", "parameters": {"sample_name": "SAMPLE-0002"}}]


def test_lines_of_blanks_in_a_csv_sheet_are_no_samples(tmp_path):
    """A line of spaces (or of empty cells) is not a sample with the id '   ': it is skipped, as an empty line is."""
    sheet = tmp_path / "cohort.csv"
    sheet.write_text("run_setting_id,parameters.sample_name\nS1,SAMPLE-0001\n   \n , \nS2,SAMPLE-0002\n")
    properties = batch_properties(batch_stack(sample_sheet=str(sheet)))
    assert [sample["runSettingId"] for sample in properties["Samples"]] == ["S1", "S2"]


def test_the_handler_may_list_the_bucket_only_under_the_ledger_folder():
    """ListObjectsV2 is authorized as s3:ListBucket on the bucket, and ``s3:prefix`` limits it to keys under a
    prefix (S3 User Guide, "Bucket policy examples using condition keys", example 2)."""
    policies = template(batch_stack(samples=cohort(2))).find_resources("AWS::IAM::Policy")
    statements = [s for name, p in policies.items() if "HandlerRole" in name
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    (listing,) = [s for s in statements if s["Action"] == "s3:ListBucket" and "Condition" in s]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": "CohortStack/Cohort/.healthomics-run/*"}}
    assert json.dumps(listing["Resource"]).endswith('{"Ref": "CohortOutputBucketBED2FFD7"}]]}')


def test_a_json_sample_sheet_keeps_value_types(tmp_path):
    sheet = tmp_path / "cohort.json"
    sheet.write_text(json.dumps(cohort(2)))
    properties = batch_properties(batch_stack(sample_sheet=str(sheet)))
    assert properties["Samples"][1]["parameters"]["threads"] == 4


def _sheet(tmp_path, text: str, name: str = "cohort.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text, message", [
    # the header is line 1, so the first sample is line 2
    ("run_setting_id,parameters.x\nS1,a\nS2,b\nS1,c\n", r"cohort.csv line 4: run_setting_id 'S1' repeats line 2;"),
    ("run_setting_id,sample,colour\nS1,a,b\n", r"cohort.csv line 1 \(header\): unknown columns 'sample', 'colour'; "
                                                r"allowed: run_setting_id, name, priority, output_uri, "
                                                r"output_bucket_owner_id, parameters.<name>"),
    ("run_setting_id,priority\nS1,5\nS2,high\n", r"cohort.csv line 3: priority must be a whole number, got 'high'"),
    ("run_setting_id,priority\nS1,100001\n", r"cohort.csv line 2: priority must be between 0 and 100000, got 100001"),
    ("name\nsample one\n", r"cohort.csv line 1 \(header\): no run_setting_id column"),
    ("run_setting_id,name\nS1,a,extra\n", r"cohort.csv line 2: 3 values but the header has 2 columns"),
    # blank lines and cells holding newlines count as the lines they are in the file
    ("run_setting_id,name\n\nS1,\"two\nlines\"\nS2,a\nS1,b\n",
     r"cohort.csv line 6: run_setting_id 'S1' repeats line 3;"),
    ("run_setting_id,name,priority\nS1,\"a\nb\nc\",1\nS2,d,x\n", r"cohort.csv line 5: priority must be a whole number"),
    ("run_setting_id\n", r"a batch needs at least one sample"),
])
def test_a_bad_csv_sheet_fails_at_construction_naming_the_row(tmp_path, text, message):
    with pytest.raises(ValidationError, match=message) as raised:
        batch_stack(sample_sheet=_sheet(tmp_path, text))
    assert raised.value.code == "InvalidSampleSheet" and raised.value.path == "CohortStack/Cohort/Batch"


def test_csv_errors_list_allowed_keys_in_one_order_from_run_to_run(tmp_path):
    messages = set()
    for _ in range(3):
        with pytest.raises(ValidationError) as raised:
            batch_stack(sample_sheet=_sheet(tmp_path, "run_setting_id,zebra,apple\nS1,a,b\n"))
        messages.add(str(raised.value))
    (message,) = messages
    assert "unknown columns 'zebra', 'apple'" in message


def test_code_written_for_earlier_releases_still_catches_sample_sheet_errors(tmp_path):
    with pytest.raises(SampleSheetError, match="a batch needs at least one sample"):
        batch_stack(sample_sheet=_sheet(tmp_path, "run_setting_id\n"))


def test_a_bad_json_sheet_row_is_named(tmp_path):
    rows = cohort(3)
    rows[1]["output_uri"] = "s3://example-output-bucket/\u0000"
    rows[2]["colour"] = "blue"
    with pytest.raises(ValidationError,
                       match=r"row 2: output_uri must match the pattern.*row 3: unknown keys 'colour'"):
        batch_stack(sample_sheet=_sheet(tmp_path, json.dumps(rows), "cohort.json"))


def test_more_than_100000_samples_are_refused():
    with pytest.raises(ValidationError, match="100001 samples; a batch holds at most 100000"):
        batch_stack(samples=[{"run_setting_id": f"S{i}"} for i in range(100_001)])


def test_a_sheet_must_be_csv_or_json(tmp_path):
    with pytest.raises(ValidationError, match="must be a .csv or .json file, got '.xlsx'"):
        batch_stack(sample_sheet=_sheet(tmp_path, "", "cohort.xlsx"))


@pytest.mark.parametrize("props", [{}, {"samples": cohort(1), "sample_sheet": "cohort.csv"}])
def test_exactly_one_of_samples_or_sample_sheet(props):
    with pytest.raises(ValidationError, match="exactly one of samples"):
        batch_stack(**props)


@pytest.mark.parametrize("props, message", [
    ({"source_run_id": "1000001"}, "source_run_id is not available for run batches"),
    ({"workflow_type": WorkflowType.READY2RUN}, "READY2RUN: HealthOmics runs batches of PRIVATE workflows only"),
    ({"batch_name": "x" * 65}, "batch_name must be 1 to 64 characters long, got 65"),
    ({"priority": -1}, "priority must be between 0 and 100000, got -1"),
])
def test_shared_settings_a_batch_cannot_have_fail_at_construction(props, message):
    with pytest.raises(ValidationError, match=message) as raised:
        batch_stack(samples=cohort(1), **props)
    assert raised.value.code == "InvalidRunProps"


def test_deploy_time_values_may_stand_in_inline_samples_but_not_in_a_staged_sheet():
    stack = new_stack("CohortStack")
    bucket = s3.Bucket(stack, "Outputs")
    HealthOmicsRunBatch(stack, "Small", samples=cohort(2, output_uri=f"s3://{bucket.bucket_name}/x/"), **SHARED)
    cdk.App.of(stack).synth()
    with pytest.raises(ValidationError, match="deploy-time values \\(tokens\\) cannot resolve"):
        HealthOmicsRunBatch(stack, "Large", samples=cohort(101, output_uri=f"s3://{bucket.bucket_name}/x/"), **SHARED)


def test_a_number_known_only_at_deploy_time_is_never_written_into_a_staged_sheet():
    """A number token is a double near -1.9e+289 (CDK's number encoding): in a staged file it would reach the
    workflow as that number."""
    stack = new_stack("CohortStack")
    threads = cdk.CfnParameter(stack, "Threads", type="Number").value_as_number
    rows = [{"run_setting_id": f"S{i:05d}", "parameters": {"threads": threads}} for i in range(101)]
    with pytest.raises(ValidationError, match="deploy-time values \\(tokens\\) cannot resolve"):
        HealthOmicsRunBatch(stack, "Large", samples=rows, **SHARED)


@pytest.mark.parametrize("count", [2, 150])
def test_cdk_nag_finds_nothing_unacknowledged_in_a_batch_stack(tmp_path, count):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "CohortStack")
    reference = s3.Bucket.from_bucket_name(stack, "Reference", "example-reference-bucket")
    HealthOmicsRunBatch(stack, "Cohort", samples=cohort(count), inputs=[reference], **SHARED)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert all(r["conclusion"] == "success" for r in report["pluginReports"]), report
