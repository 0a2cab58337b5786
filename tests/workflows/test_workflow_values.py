"""Run parameters checked as deep as each engine checks its inputs, before anything deploys.

Engine and AWS behaviour the tests rely on, and where it is stated:

- WDL JSON inputs: ``Int`` takes a JSON integer only, ``Pair`` an object of ``left`` and ``right``, a struct an
  object with its non-optional members, ``T?`` also ``null``: miniwdl ``WDL.Value.from_json`` (the suite's
  miniwdl), and WDL 1.1 "JSON Input Format", https://github.com/openwdl/wdl/blob/wdl-1.1/SPEC.md#json-input-format
- WDL lenient converts Float to Int and String to Int/Float where no precision is lost, and Map to
  Array[Pair] and back: "WDL workflow definition specifics", Implicit type conversion in WDL lenient,
  https://docs.aws.amazon.com/omics/latest/dev/workflow-languages-wdl.html
- HealthOmics qualifies WDL inputs by the workflow's name (``SumWorkflow.number1``): the same page, Namespace
  definition in input.json.
- CWL: schema-salad's ``validate_ex`` (as cwltool validates a job order) takes ``int`` as an integer, a record
  with each non-nullable field, a union with ``null`` as optional: CWL v1.2 "CWLType" and "InputRecordSchema",
  https://www.commonwl.org/v1.2/Workflow.html#InputRecordSchema
- nf-schema validates ``params`` with JSON Schema: nested ``properties``, ``required`` and ``items`` apply:
  https://json-schema.org/draft/2020-12/json-schema-validation and
  https://nextflow-io.github.io/nf-schema/latest/nextflow_schema/nextflow_schema_specification
- HealthOmics runs WDL 1.0, 1.1 and development; a WDL document must have a version statement: "Version
  support for HealthOmics workflow definition languages",
  https://docs.aws.amazon.com/omics/latest/dev/workflows-lang-versions.html; womtool's ``upgrade`` rewrites
  draft-2 as 1.0: https://cromwell.readthedocs.io/en/stable/WOMtool/
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import WDL
from aws_cdk.assertions import Annotations, Match

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, ValidationError, Workflow, WorkflowEngine
from healthomics_run.workflows.workflow import TEMPLATE_WARNING_ID
from tests.synth import ROOT, new_stack, template

HELLO = ROOT / "workflows" / "hello"

ATAC_WDL = """version 1.0
struct Sample {
  String id
  Array[File] fastqs
  Int? lanes
}

workflow atac {
  input {
    Int multimapping
    Array[Sample]+ samples
    Map[String, Int] read_lengths = {}
    Pair[File, File]? reference
    Array[Pair[String, Int]] barcodes = []
  }
}
"""

CWL = """cwlVersion: v1.2
class: Workflow
requirements:
  SchemaDefRequirement:
    types:
      - name: Sample
        type: record
        fields:
          id: string
          reads: File[]
          lanes: int?
inputs:
  samples: {type: {type: array, items: Sample}}
  threads: int
  labels: ["null", string, "string[]"]
outputs: []
steps: []
"""

SCHEMA = {
    "$defs": {
        "input_output_options": {
            "required": ["outdir"],
            "properties": {
                "outdir": {"type": "string"},
                "samples": {"type": "array", "items": {
                    "type": "object", "required": ["id"],
                    "properties": {"id": {"type": "string"}, "lanes": {"type": "integer"}}}},
                "aligner": {"type": "string", "enum": ["bwa", "bowtie2"]},
            },
        },
    },
    "allOf": [{"$ref": "#/$defs/input_output_options"}],
}


def workflow_of(tmp_path: Path, engine: WorkflowEngine, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    stack = new_stack()
    return stack, Workflow(stack, "Wf", definition=tmp_path, engine=engine)


def run_errors(stack, workflow, parameters) -> str:
    with pytest.raises(ValidationError) as raised:
        HealthOmicsRun(stack, f"Refused{len(stack.node.children)}", workflow=workflow, parameters=parameters)
    return str(raised.value)


GOOD_ATAC = {"multimapping": 4, "samples": [{"id": "S1", "fastqs": ["s3://b/r1.fq"]}]}


@pytest.mark.parametrize("engine", [WorkflowEngine.WDL, WorkflowEngine.WDL_LENIENT])
def test_a_wdl_run_that_fits_passes(tmp_path, engine):
    stack, workflow = workflow_of(tmp_path, engine, {"main.wdl": ATAC_WDL})
    HealthOmicsRun(stack, "Run", workflow=workflow, parameters={
        **GOOD_ATAC, "read_lengths": {"R1": 150}, "reference": {"left": "s3://b/ref.fa", "right": "s3://b/ref.fai"}})
    template(stack).resource_count_is("Custom::HealthOmicsRun", 1)


def test_nested_wrong_types_fail_synth_in_wdl(tmp_path):
    """miniwdl (the suite's) refuses the same values: the check below is held against it."""
    stack, workflow = workflow_of(tmp_path, WorkflowEngine.WDL, {"main.wdl": ATAC_WDL})
    bad = {"multimapping": 4, "samples": [{"id": "S1", "fastqs": "s3://b/r1.fq"}, {"fastqs": []}],
           "read_lengths": {"R1": "long"}, "reference": {"left": "s3://b/ref.fa"}}
    message = run_errors(stack, workflow, bad)
    assert "parameter 'samples'[0].fastqs must be an array (list); got str 's3://b/r1.fq'" in message
    assert "parameter 'samples'[1].id must be given (Sample requires it)" in message
    assert "parameter 'read_lengths'['R1'] must be an integer; got str 'long'" in message
    assert "parameter 'reference' must be an object with left and right" in message
    document = WDL.load(str(tmp_path / "main.wdl"))
    inputs = {decl.name: decl.type for decl in document.workflow.inputs}
    for name in ("samples", "read_lengths", "reference"):
        with pytest.raises(WDL.Error.InputError):
            WDL.Value.from_json(inputs[name], bad[name])


def test_an_empty_array_for_a_nonempty_type_fails(tmp_path):
    stack, workflow = workflow_of(tmp_path, WorkflowEngine.WDL, {"main.wdl": ATAC_WDL})
    assert "parameter 'samples' must be a non-empty array (the type ends in +)" in run_errors(
        stack, workflow, {"multimapping": 4, "samples": []})


@pytest.mark.parametrize("value", ["8", 8.0])
def test_a_string_or_integral_float_for_an_int_passes_under_wdl_lenient_and_fails_under_wdl(tmp_path, value):
    stack, workflow = workflow_of(tmp_path, WorkflowEngine.WDL_LENIENT, {"main.wdl": ATAC_WDL})
    HealthOmicsRun(stack, "Run", workflow=workflow, parameters={**GOOD_ATAC, "multimapping": value})
    strict_stack, strict = workflow_of(tmp_path, WorkflowEngine.WDL, {"main.wdl": ATAC_WDL})
    assert "parameter 'multimapping' must be an integer (Int)" in run_errors(
        strict_stack, strict, {**GOOD_ATAC, "multimapping": value})
    inputs = {decl.name: decl.type for decl in WDL.load(str(tmp_path / "main.wdl")).workflow.inputs}
    with pytest.raises(WDL.Error.InputError):  # miniwdl, spec-conformant, refuses it too
        WDL.Value.from_json(inputs["multimapping"], value)


def test_lenient_wdl_takes_a_map_for_an_array_of_pairs_and_refuses_lossy_numbers(tmp_path):
    stack, workflow = workflow_of(tmp_path, WorkflowEngine.WDL_LENIENT, {"main.wdl": ATAC_WDL})
    HealthOmicsRun(stack, "Run", workflow=workflow, parameters={**GOOD_ATAC, "barcodes": {"ACGT": 1}})
    assert "parameter 'multimapping' must be an integer" in run_errors(stack, workflow,
                                                                        {**GOOD_ATAC, "multimapping": "8.5"})


def test_a_qualified_name_is_taken_only_with_the_main_workflows_name(tmp_path):
    stack, workflow = workflow_of(tmp_path, WorkflowEngine.WDL, {"main.wdl": ATAC_WDL})
    HealthOmicsRun(stack, "Run", workflow=workflow, parameters={"atac.multimapping": 2,
                                                                 "samples": GOOD_ATAC["samples"]})
    message = run_errors(stack, workflow, {"chip.multimapping": 2, "samples": GOOD_ATAC["samples"]})
    assert "parameter 'chip.multimapping' qualifies 'multimapping' with 'chip', but the workflow is 'atac'" in message


def test_a_nextflow_parameter_is_not_read_as_qualified(tmp_path):
    shutil.copytree(HELLO, tmp_path / "hello")
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=tmp_path / "hello", engine=WorkflowEngine.NEXTFLOW)
    message = run_errors(stack, workflow, {"demo.sample_name": "NA12878"})
    assert "parameter 'demo.sample_name' qualifies 'sample_name' with 'demo', but only WDL reads qualified names" \
        in message


def test_nested_wrong_types_fail_synth_in_cwl(tmp_path):
    stack, workflow = workflow_of(tmp_path, WorkflowEngine.CWL, {"main.cwl": CWL})
    reads = [{"class": "File", "location": "s3://b/r1.fq"}]
    HealthOmicsRun(stack, "Ok", workflow=workflow, parameters={
        "samples": [{"id": "S1", "reads": reads}], "threads": 4, "labels": ["a", "b"]})
    message = run_errors(stack, workflow, {"samples": [{"id": "S1", "reads": ["s3://b/r1.fq"], "lanes": 1.5}],
                                           "threads": 4.0, "labels": 3})
    assert "parameter 'samples'[0].reads[0] must be a CWL File object" in message
    assert "parameter 'samples'[0].lanes must be an integer; got float 1.5" in message
    assert "parameter 'threads' must be an integer (int); got float 4.0" in message
    assert "parameter 'labels' must be a string or an array (list)" in message


def test_a_cwl_union_with_null_is_optional_as_cwltool_reads_it(tmp_path):
    """``["null", string, "string[]"]`` (and ``[string?, string[]]``) may be left out."""
    stack, workflow = workflow_of(tmp_path, WorkflowEngine.CWL, {"main.cwl": CWL.replace(
        '["null", string, "string[]"]', '["string?", "string[]"]')})
    assert workflow.parameter_template["labels"]["optional"] is True
    HealthOmicsRun(stack, "Run", workflow=workflow, parameters={"samples": [], "threads": 1})


def test_nested_wrong_types_fail_synth_in_nextflow(tmp_path):
    stack, workflow = workflow_of(tmp_path, WorkflowEngine.NEXTFLOW, {
        "main.nf": "workflow { }\n", "nextflow_schema.json": json.dumps(SCHEMA)})
    HealthOmicsRun(stack, "Ok", workflow=workflow, parameters={"outdir": "s3://b/out/", "samples": [
        {"id": "S1", "lanes": 2.0}], "aligner": "bwa"})
    message = run_errors(stack, workflow, {"outdir": "s3://b/out/", "samples": [{"lanes": "2"}], "aligner": "star"})
    assert "parameter 'samples'[0].id must be given (object requires it)" in message
    assert "parameter 'samples'[0].lanes must be an integer; got str '2'" in message
    assert "parameter 'aligner' must be one of 'bwa', 'bowtie2'" in message


def test_a_batch_checks_each_sample_as_deep(tmp_path):
    stack, workflow = workflow_of(tmp_path, WorkflowEngine.WDL, {"main.wdl": ATAC_WDL})
    samples = [{"run_setting_id": "S1", "parameters": GOOD_ATAC},
               {"run_setting_id": "S2", "parameters": {**GOOD_ATAC, "samples": [{"id": "S2", "fastqs": [3]}]}}]
    with pytest.raises(ValidationError) as raised:
        HealthOmicsRunBatch(stack, "Cohort", workflow=workflow, samples=samples)
    assert "row 2 ('S2'): parameter 'samples'[0].fastqs[0] must be a string; got int" in str(raised.value)
    assert "row 1" not in str(raised.value)


def test_a_parameter_template_file_is_checked_as_thoroughly_as_the_dict_form(tmp_path):
    folder = tmp_path / "hello"
    shutil.copytree(HELLO, folder)
    (folder / "parameters.json").write_text(json.dumps({"sample_name": {"description": "Sample"},
                                                        "sample_nmae": {"optional": True}}))
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW,
                        parameter_template_path="parameters.json")
    Annotations.from_stack(stack).has_warning("/TestStack/Hello", Match.string_like_regexp(
        f"parameter_template names sample_nmae, which the definition's inputs do not.*{TEMPLATE_WARNING_ID}"))
    assert "parameter 'sample_name' must be a string" in run_errors(stack, workflow, {"sample_name": 7})


def test_wdl_draft_2_is_refused_with_an_upgrade_that_works(tmp_path):
    (tmp_path / "main.wdl").write_text("workflow hello {\n  String name\n  call greet { input: name = name }\n}\n"
                                       "task greet {\n  String name\n  command { echo ${name} }\n}\n")
    with pytest.raises(ValidationError) as raised:
        Workflow(new_stack(), "Hello", definition=tmp_path, engine=WorkflowEngine.WDL)
    message = str(raised.value)
    assert "no `version` statement, so this is WDL draft-2, which HealthOmics does not run" in message
    assert "java -jar womtool.jar upgrade main.wdl" in message and "parameter_template=" not in message
