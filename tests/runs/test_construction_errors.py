"""Bad input fails at construction, on the user's own line, as one ValidationError naming it.

Every case constructs only (no synthesis): the error must come from the constructor call, before
anything is built from the bad value. Tokens are never judged here.
"""

from __future__ import annotations

import codecs
import datetime
import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from healthomics_run import (
    HealthOmicsRun,
    HealthOmicsRunBatch,
    RunServiceRole,
    ValidationError,
    WorkflowRun,
    WorkflowRunBatch,
)
from healthomics_run.errors import CODES
from tests.synth import new_stack, only_run_properties, template

SAMPLES = [{"run_setting_id": "S1"}, {"run_setting_id": "S2"}]


def run(**props):
    return HealthOmicsRun(new_stack(), "Run", **{"workflow_id": "1234567", **props})


def batch(**props):
    return HealthOmicsRunBatch(new_stack(), "Cohort", **{"workflow_id": "1234567", "samples": SAMPLES, **props})


def workflow_run(**props):
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/omics-run-role")
    return WorkflowRun(stack, "Run", role=role, **{"output_uri": "s3://example-output-bucket/run/",
                                                    "workflow_id": "1234567", **props})


def workflow_run_batch(**props):
    stack = new_stack()
    return WorkflowRunBatch(stack, "Cohort", role=RunServiceRole(stack, "Role"),
                            **{"output_uri": "s3://example-output-bucket/cohort/", "workflow_id": "1234567",
                               "samples": SAMPLES, **props})


class Opaque:
    pass


CASES = [
    # (construct, props, code, path, text in the message)
    (run, {"workflow_id": 1234567}, "InvalidRunProps", "TestStack/Run/Run",
     "workflow_id must be a string, got 1234567"),
    (run, {"name": 42}, "InvalidRunProps", "TestStack/Run/Run", "name must be a string, got 42"),
    (run, {"configuration_name": 7}, "InvalidRunProps", "TestStack/Run/Run", "configuration_name must be a string"),
    (run, {"prioriti": 1}, "UnknownProps", "TestStack/Run", "unknown run props: prioriti (did you mean priority?)"),
    (run, {"timeout": 3600}, "InvalidRunProps", "TestStack/Run", "timeout must be a Duration"),
    (run, {"run_group": 5}, "InvalidRunProps", "TestStack/Run",
     "run_group must be a RunGroup, an IRunGroup or a run group id"),
    (run, {"cache": "1234567"}, "InvalidRunProps", "TestStack/Run", "cache must be a RunCache or an IRunCache"),
    (run, {"rerun_token": 2}, "InvalidRunProps", "TestStack/Run", "rerun_token must be a string; got 2"),
    (run, {"output_prefix": "/runs/"}, "InvalidOutputLocation", "TestStack/Run",
     "output_prefix must not start with '/': it follows s3://bucket/, so the outputs would go under s3://bucket//runs/"),
    (run, {"parameters": {"intervals": ["chr1", "chr2", {"chr3"}]}}, "InvalidParameters", "TestStack/Run/Run",
     "parameters/intervals/2: must be a string, number, boolean, null, list or mapping; got a set (use a list)"),
    (run, {"parameters": {"reads": b"ACGT"}}, "InvalidParameters", "TestStack/Run/Run",
     "parameters/reads: must be a string, number, boolean, null, list or mapping; got bytes (decode them to a string)"),
    (run, {"parameters": {"since": datetime.date(2024, 1, 31)}}, "InvalidParameters", "TestStack/Run/Run",
     "parameters/since: must be a string, number, boolean, null, list or mapping; got a date or time"),
    (run, {"parameters": {"cutoff": float("nan")}}, "InvalidParameters", "TestStack/Run/Run",
     "parameters/cutoff: must be a finite number (JSON has no NaN or infinity); got nan"),
    (run, {"parameters": {"x": {"y/z": [float("inf")]}}}, "InvalidParameters", "TestStack/Run/Run",
     "parameters/x/y~1z/0: must be a finite number"),
    (run, {"parameters": {"tool": Opaque()}}, "InvalidParameters", "TestStack/Run/Run", "parameters/tool: must be a "
     "string, number, boolean, null, list or mapping; got an object of type Opaque"),
    (run, {"parameters": {"": "empty"}}, "InvalidParameters", "TestStack/Run/Run",
     "parameters: keys must be non-empty strings; got ''"),
    (run, {"parameters": {"bins": {1: "a"}}}, "InvalidParameters", "TestStack/Run/Run",
     "parameters/bins: keys must be non-empty strings; got 1"),
    (workflow_run, {"output_uri": "https://example.com/out/"}, "InvalidOutputLocation", "TestStack/Run",
     "output_uri must be an S3 URI (s3://bucket/prefix/); got 'https://example.com/out/'"),
    (workflow_run_batch, {"output_uri": "example-output-bucket/cohort/"}, "InvalidOutputLocation", "TestStack/Cohort",
     "output_uri must be an S3 URI"),
    (batch, {"parameters": {"ref": float("-inf")}}, "InvalidParameters", "TestStack/Cohort/Batch",
     "parameters/ref: must be a finite number"),
    (batch, {"samples": [{"run_setting_id": "S1"}, {"run_setting_id": "S2"},
                         {"run_setting_id": "S3", "parameters": {"fastq": {"r1.fq"}}}]},
     "InvalidSampleSheet", "TestStack/Cohort/Batch", "samples row 3: parameters/fastq: must be a string, number,"),
    (batch, {"samples": [{"run_setting_id": "S1", "output_uri": "gs://bucket/s1/"}]}, "InvalidSampleSheet",
     "TestStack/Cohort/Batch", "samples row 1: output_uri must be an S3 URI (s3://bucket/prefix/); got 'gs://bucket/s1/'"),
    (batch, {"samples": {"run_setting_id": "S1"}}, "InvalidSampleSheet", "TestStack/Cohort/Batch",
     "samples must be a list of dicts, one per sample; got dict"),
    (batch, {"samples": None, "sample_sheet": "no/such/sheet.csv"}, "InvalidSampleSheet", "TestStack/Cohort/Batch",
     "no/such/sheet.csv: cannot read the sample sheet (No such file or directory)"),
    (batch, {"batch_name": 64}, "InvalidRunProps", "TestStack/Cohort/Batch", "batch_name must be a string, got 64"),
]


@pytest.mark.parametrize("construct, props, code, path, message", CASES,
                         ids=[f"{case[0].__name__}-{case[2]}-{i}" for i, case in enumerate(CASES)])
def test_bad_input_fails_at_construction_naming_it(construct, props, code, path, message):
    """StartRun takes ``parameters`` as a JSON value and writes outputs to the S3 ``outputUri``
    (HealthOmics API Reference, "StartRun", https://docs.aws.amazon.com/omics/latest/api/API_StartRun.html)."""
    with pytest.raises(ValidationError) as raised:
        construct(**props)
    error = raised.value
    assert (error.code, error.path) == (code, path)
    assert message in str(error)
    assert str(error).startswith(f"{path}: ") and str(error).endswith(f" [{code}]")
    assert error.code in CODES


def test_every_problem_is_listed_at_once_with_the_code_of_the_first_kind():
    with pytest.raises(ValidationError) as raised:
        run(priority=-1, parameters={"a": float("nan")})
    assert raised.value.code == "InvalidRunProps"
    assert raised.value.problems == ["priority must be between 0 and 100000, got -1",
                                     "parameters/a: must be a finite number (JSON has no NaN or infinity); got nan"]


def test_parameters_too_large_for_the_provider_event_fail_at_construction():
    """The provider's Step Functions execution gets the whole CloudFormation event (old and new
    properties on update) as input, at most 256 KiB: Step Functions Developer Guide, "Step Functions
    service quotas" (Maximum input or output size for a task, state, or execution: 262,144 bytes),
    https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html."""
    with pytest.raises(ValidationError) as raised:
        run(parameters={"intervals": ["chr1:1-1000"] * 30_000}, stage_parameters=False)  # about 400 KB, kept inline
    error = raised.value
    assert error.code == "PropertiesTooLarge" and error.path == "TestStack/Run/Run"
    assert "bytes as JSON, mostly parameters; at most 120,000 fit" in str(error)
    assert "Make parameters smaller" in str(error)


def test_inline_samples_too_large_name_parameters_and_samples():
    """See the Step Functions quota above (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html)."""
    samples = [{"run_setting_id": f"S{i}", "parameters": {"notes": "x" * 1500}} for i in range(100)]
    with pytest.raises(ValidationError, match="mostly parameters and samples; at most 120,000 fit") as raised:
        batch(samples=samples)
    assert raised.value.code == "PropertiesTooLarge"


def test_deploy_time_values_are_accepted_in_parameters_and_samples():
    stack = new_stack()
    reference = cdk.CfnParameter(stack, "Reference").value_as_string
    threads = cdk.CfnParameter(stack, "Threads", type="Number").value_as_number
    made = cdk.Fn.get_att("Upstream", "Uri")
    HealthOmicsRun(stack, "Run", workflow_id="1234567",
                   parameters={"reference": reference, "threads": threads, "inputs": [made, {"deep": made}]})
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", parameters={"reference": made},
                        samples=[{"run_setting_id": "S1", "parameters": {"fastq": made, "threads": threads}},
                                 {"run_setting_id": "S2", "parameters": {"fastq": reference}}])
    properties = only_run_properties(stack)
    assert properties["Parameters"]["reference"] == {"Ref": "Reference"}
    assert properties["Parameters"]["inputs"][1] == {"deep": {"Fn::GetAtt": ["Upstream", "Uri"]}}
    (cohort,) = template(stack).find_resources("Custom::HealthOmicsRunBatch").values()
    assert cohort["Properties"]["Samples"][0]["parameters"]["fastq"] == {"Fn::GetAtt": ["Upstream", "Uri"]}


def _sheet(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_utf16_sheet_is_named_and_told_to_be_saved_as_utf8(tmp_path):
    text = "run_setting_id,parameters.sample_name\nS1,SAMPLE-1\n"
    sheet = _sheet(tmp_path, "cohort.csv", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    with pytest.raises(ValidationError) as raised:
        batch(samples=None, sample_sheet=sheet)
    assert raised.value.code == "InvalidSampleSheet"
    assert f"{sheet}: a sample sheet must be UTF-8 text; byte 0 is not UTF-8 (the file is UTF-16). Save it again as " \
           "UTF-8" in str(raised.value)


def test_a_duplicated_csv_column_is_named(tmp_path):
    sheet = _sheet(tmp_path, "cohort.csv", b"run_setting_id,parameters.fastq,parameters.fastq\nS1,a.fq,b.fq\n")
    with pytest.raises(ValidationError, match=r"cohort.csv line 1 \(header\): columns 'parameters.fastq' appear more "
                                              r"than once; give each column once \[InvalidSampleSheet\]"):
        batch(samples=None, sample_sheet=sheet)


def test_a_json_sheet_that_is_not_json_names_the_line(tmp_path):
    rows = json.dumps([{"run_setting_id": "S1"}, {"run_setting_id": "S2"}], indent=1).replace('"S2"', "'S2'")
    sheet = _sheet(tmp_path, "cohort.json", rows.encode())
    with pytest.raises(ValidationError, match=r"cohort.json line 6 column 21: not valid JSON \(Expecting value\)"):
        batch(samples=None, sample_sheet=sheet)


def test_a_whole_number_beyond_2_to_the_53_is_named_not_rounded():
    """jsii and CloudFormation carry numbers as JavaScript doubles: integers beyond Number.MAX_SAFE_INTEGER
    (2**53 - 1) lose digits (ECMAScript Language Specification, Number.MAX_SAFE_INTEGER,
    https://tc39.es/ecma262/#sec-number.max_safe_integer)."""
    with pytest.raises(ValidationError, match=r"parameters/n: 9223372036854775808 is beyond the whole numbers"):
        run(parameters={"n": 2**63})


def test_delete_policy_or_wait_for_as_a_deploy_time_value_is_named():
    stack = new_stack()
    policy = cdk.CfnParameter(stack, "Policy").value_as_string
    with pytest.raises(ValidationError, match="delete_policy must be known at synth"):
        HealthOmicsRun(stack, "Run", workflow_id="1234567", delete_policy=policy)
