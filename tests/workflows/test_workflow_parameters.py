"""Parameter templates read as the engines' tools read definitions, and run parameters checked as the engines
check them.

AWS and engine behaviour the tests rely on, and where it is stated:

- HealthOmics derives a CWL input's description from its ``label`` (empty without one); nullable types and
  defaults are optional: "Parameter template files for HealthOmics workflows", Parameter detection for CWL,
  https://docs.aws.amazon.com/omics/latest/dev/parameter-templates.html
- ``ParameterTemplate`` is create-only on AWS::Omics::Workflow, so a template read differently replaces the
  workflow: resource provider schema (``createOnlyProperties``, as cfn-lint ships it),
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-workflow.html
- CWL documents are YAML 1.2 (CWL v1.2 specification, "Syntax": "YAML 1.2"; cwltool and schema-salad load
  them with ruamel.yaml), https://www.commonwl.org/v1.2/Workflow.html#Syntax
- A CWL ``File`` value is an object with ``class: File`` and a ``location`` or ``path`` (or ``contents``):
  CWL v1.2 "File", https://www.commonwl.org/v1.2/CommandLineTool.html#File
- WDL strings may be single- or double-quoted: WDL 1.0 specification, "Strings",
  https://github.com/openwdl/wdl/blob/legacy/versions/1.0/SPEC.md#strings; HealthOmics takes a WDL ``File``
  input as a string (an S3 or HealthOmics storage URI): "WDL workflow definition specifics",
  https://docs.aws.amazon.com/omics/latest/dev/workflow-languages-wdl.html
- JSON Schema ``allOf``: an instance must be valid against every subschema, so the groups combine
  (JSON Schema 2020-12 Core, "allOf"), https://json-schema.org/draft/2020-12/json-schema-core#name-allof;
  nf-core groups parameters that way: https://nextflow-io.github.io/nf-schema/latest/nextflow_schema/nextflow_schema_specification
- A definition may come from a Git-based repository through AWS CodeConnections (``definitionRepository``);
  ``main``, ``parameterTemplatePath`` and ``readmePath`` are then paths in the repository; a parameter
  template file in the definition is named by ``parameterTemplatePath``: "Package and supply a HealthOmics
  workflow definition", https://docs.aws.amazon.com/omics/latest/dev/workflow-defn-packaging.html
- Cromwell's inputs JSON qualifies each input with the workflow's name (``Workflow.input``); HealthOmics
  takes fully qualified WDL inputs too: "WDL workflow definition specifics", Namespace definition in
  input.json, https://docs.aws.amazon.com/omics/latest/dev/workflow-languages-wdl.html
"""

from __future__ import annotations

import json
import shutil

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, ValidationError, Workflow, WorkflowEngine
from healthomics_run.run_model import parameter_checks
from healthomics_run.workflows import workflow_definition as definitions
from healthomics_run.workflows.workflow import HEALTHOMICS_DESCRIPTIONS, TEMPLATE_WARNING_ID
from tests.synth import ROOT, new_stack, template

HELLO = ROOT / "workflows" / "hello"
FIXTURES = ROOT / "tests" / "fixtures" / "workflows"

DESCRIBED_WDL = """version 1.0
workflow align {
  input {
    File bam
    String sample = 'NA12878'
  }
  parameter_meta {
    bam: 'The reads, as a BAM'
    sample: {description: 'Sample name', group: 'input_genomic_data'}
  }
}
"""

DESCRIBED_CWL = """cwlVersion: v1.2
class: Workflow
inputs:
  reads: {type: File, label: Reads, doc: "The reads, as FASTQ"}
  skip_qc: {type: boolean?, doc: "Skip quality control"}
outputs: []
steps: []
"""


def stack_with(flag: bool | None) -> cdk.Stack:
    context = {} if flag is None else {HEALTHOMICS_DESCRIPTIONS: flag}
    return cdk.Stack(cdk.App(context=context), "TestStack")


def service_template(stack: cdk.Stack) -> dict:
    (resource,) = template(stack).find_resources("AWS::Omics::Workflow").values()
    return resource["Properties"]["ParameterTemplate"]


# -- readers --------------------------------------------------------------------------------------------

def test_cwl_is_read_as_yaml_1_2_as_cwltool_reads_it():
    """PyYAML (YAML 1.1) refuses ``{type: boolean?, ...}`` in a flow mapping; YAML 1.2 reads ``boolean?``."""
    derived = definitions.from_cwl(DESCRIBED_CWL, "wf.cwl")
    assert derived["skip_qc"] == {"optional": True, "description": "Skip quality control", "type": "boolean",
                                  "declared_type": "boolean?",
                                  "engine_type": {"engine": "CWL", "type": {"t": "optional", "of": {"t": "boolean"}}}}


def test_a_group_may_require_what_another_all_of_group_defines(tmp_path):
    """nf-core/ampliseq 2.3.x: one group requires ``outdir``, which a later group defines."""
    (tmp_path / "main.nf").write_text("")
    (tmp_path / "nextflow_schema.json").write_text(json.dumps({
        "$defs": {"input_output_options": {"required": ["input", "outdir"],
                                           "properties": {"input": {"type": "string"}}},
                  "other": {"properties": {"outdir": {"type": "string"}, "email": {"type": "string"}}}},
        "allOf": [{"$ref": "#/$defs/input_output_options"}, {"$ref": "#/$defs/other"}]}))
    derived = definitions.derive(tmp_path, "NEXTFLOW")
    assert {name: spec["optional"] for name, spec in derived.items()} == {"input": False, "outdir": False,
                                                                          "email": True}


def test_the_top_levels_required_still_names_only_its_own_properties(tmp_path):
    """Before groups were combined, a top-level ``required`` naming a group's parameter was ignored; reading it
    now would turn that parameter required in templates already deployed, replacing their workflows."""
    (tmp_path / "main.nf").write_text("")
    (tmp_path / "nextflow_schema.json").write_text(json.dumps({
        "required": ["input", "own"], "properties": {"own": {"type": "string"}},
        "$defs": {"a": {"properties": {"input": {"type": "string"}}}}, "allOf": [{"$ref": "#/$defs/a"}]}))
    derived = definitions.derive(tmp_path, "NEXTFLOW")
    assert (derived["own"]["optional"], derived["input"]["optional"]) == (False, True)


def test_a_requirement_no_group_defines_is_still_refused(tmp_path):
    (tmp_path / "main.nf").write_text("")
    (tmp_path / "nextflow_schema.json").write_text(json.dumps({
        "$defs": {"a": {"required": ["outdir"], "properties": {"input": {"type": "string"}}}},
        "allOf": [{"$ref": "#/$defs/a"}]}))
    with pytest.raises(definitions.DefinitionError, match="#/\\$defs/a requires outdir, which no group of the schema "
                                                          "defines"):
        definitions.derive(tmp_path, "NEXTFLOW")


def test_descriptions_as_healthomics_reads_them_behind_the_context_flag(tmp_path):
    (tmp_path / "main.wdl").write_text(DESCRIBED_WDL)
    stack = stack_with(True)
    Workflow(stack, "Align", definition=tmp_path, engine=WorkflowEngine.WDL)
    assert service_template(stack) == {"bam": {"Description": "The reads, as a BAM", "Optional": False},
                                       "sample": {"Description": "Sample name", "Optional": True}}


def test_without_the_flag_an_existing_wdl_template_reads_as_before(tmp_path):
    """Releases before 0.3 dropped single-quoted descriptions: the template of an existing workflow must not
    change on upgrade (it is create-only)."""
    (tmp_path / "main.wdl").write_text(DESCRIBED_WDL)
    stack = stack_with(None)
    Workflow(stack, "Align", definition=tmp_path, engine=WorkflowEngine.WDL)
    assert service_template(stack) == {"bam": {"Optional": False}, "sample": {"Optional": True}}


def test_cwl_descriptions_come_from_the_label_with_the_flag_and_from_doc_without_it(tmp_path):
    (tmp_path / "main.cwl").write_text(DESCRIBED_CWL)
    flagged, legacy = stack_with(True), stack_with(False)
    for stack in (flagged, legacy):
        Workflow(stack, "Qc", definition=tmp_path, engine=WorkflowEngine.CWL)
    assert service_template(flagged) == {"reads": {"Description": "Reads", "Optional": False},
                                         "skip_qc": {"Optional": True}}
    assert service_template(legacy) == {"reads": {"Description": "The reads, as FASTQ", "Optional": False},
                                        "skip_qc": {"Description": "Skip quality control", "Optional": True}}


# -- checks as the engine checks --------------------------------------------------------------------------

def test_a_required_parameter_given_as_null_is_refused():
    assert parameter_checks.parameter_errors({"bam": {"optional": False}, "sample": {"optional": True}},
                                             {"bam": None, "sample": None}) == [
        "required workflow parameters given as null: bam (give each a value)"]


def test_a_null_required_parameter_fails_where_the_run_is_created():
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW)
    with pytest.raises(ValidationError, match="required workflow parameters given as null: sample_name"):
        HealthOmicsRun(stack, "Run", workflow=workflow, parameters={"sample_name": None})


def test_a_batch_names_the_samples_that_give_a_required_parameter_as_null():
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW)
    samples = [{"run_setting_id": "S1", "parameters": {"sample_name": "NA12878"}},
               {"run_setting_id": "S2", "parameters": {"sample_name": None}},
               {"run_setting_id": "S3", "parameters": {"sample_name": "NA24385"}}]
    with pytest.raises(ValidationError) as raised:
        HealthOmicsRunBatch(stack, "Cohort", workflow=workflow, samples=samples)
    assert "sample row 2 ('S2'): required workflow parameters given as null: sample_name" in str(raised.value)
    assert "row 1" not in str(raised.value) and "row 3" not in str(raised.value)


@pytest.mark.parametrize("value, fits", [
    ("s3://bucket/reads.bam", False),
    ({"class": "File", "location": "s3://bucket/reads.bam"}, True),
    ({"class": "File", "path": "/data/reads.bam"}, True),
    ({"class": "Directory", "location": "s3://bucket/dir"}, False),
    ({"location": "s3://bucket/reads.bam"}, False),
])
def test_a_cwl_file_is_an_object_with_class_file(value, fits):
    template = definitions.from_cwl(DESCRIBED_CWL, "wf.cwl")
    errors = definitions.value_type_errors(template, {"reads": value})
    assert (errors == []) is fits
    if not fits:
        assert "must be a CWL File object ({'class': 'File', 'location': 's3://...'}) (File)" in errors[0]


@pytest.mark.parametrize("value, fits", [
    ("s3://bucket/reads.bam", True),
    ({"class": "File", "location": "s3://bucket/reads.bam"}, False),
])
def test_a_wdl_file_is_a_string(value, fits):
    template = definitions.from_wdl(DESCRIBED_WDL, "main.wdl")
    assert (definitions.value_type_errors(template, {"bam": value}) == []) is fits


def test_inputs_qualified_by_the_workflows_name_stand_for_the_input():
    """HealthOmics takes fully qualified WDL inputs (``SumWorkflow.number1``), as Cromwell's inputs JSON
    writes them: they are neither unknown nor leave the input missing."""
    template = {"input_bam": {"optional": False}, "threads": {"optional": True}}
    assert parameter_checks.parameter_errors(template, {"Germline.input_bam": "s3://bucket/a.bam"}) == []


def test_an_input_given_both_bare_and_qualified_is_refused():
    assert parameter_checks.parameter_errors({"input_bam": {"optional": False}}, {
        "input_bam": "s3://bucket/a.bam", "Germline.input_bam": "s3://bucket/b.bam"}) == [
        "parameter 'input_bam' is given twice, as input_bam and as Germline.input_bam: give one"]


def test_a_qualified_input_is_type_checked_as_its_input(tmp_path):
    (tmp_path / "main.wdl").write_text(DESCRIBED_WDL)
    stack = new_stack()
    workflow = Workflow(stack, "Align", definition=tmp_path, engine=WorkflowEngine.WDL)
    with pytest.raises(ValidationError, match="parameter 'bam' must be a string"):
        HealthOmicsRun(stack, "Run", workflow=workflow, parameters={"align.bam": {"class": "File"}})


def test_a_hand_written_template_naming_inputs_the_definition_lacks_warns():
    stack = new_stack()
    Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW,
             parameter_template={"sample_name": {"description": "Sample"}, "sample_nmae": {"optional": True}})
    Annotations.from_stack(stack).has_warning("/TestStack/Hello", Match.string_like_regexp(
        f"parameter_template names sample_nmae, which the definition's inputs do not.*"
        f"\\[ack: {TEMPLATE_WARNING_ID}\\]"))


def test_a_hand_written_template_that_fits_the_definition_is_checked_with_its_types():
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW,
                        parameter_template={"sample_name": {"description": "Sample"}, "threads": {"optional": True}})
    Annotations.from_stack(stack).has_no_warning("/TestStack/Hello", Match.any_value())
    with pytest.raises(ValidationError, match="parameter 'threads' must be an integer"):
        HealthOmicsRun(stack, "Run", workflow=workflow, parameters={"sample_name": "NA12878", "threads": "two"})


# -- what AWS::Omics::Workflow has, on the construct --------------------------------------------------------

def test_a_parameter_template_file_in_the_definition_is_sent_by_path_and_read_for_checks(tmp_path):
    folder = tmp_path / "pipeline"
    shutil.copytree(HELLO, folder)
    (folder / "parameters.json").write_text(json.dumps({"sample_name": {"description": "Sample"}}))
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=folder, engine=WorkflowEngine.NEXTFLOW,
                        parameter_template_path="parameters.json")
    template(stack).has_resource_properties("AWS::Omics::Workflow", {
        "ParameterTemplatePath": "parameters.json", "ParameterTemplate": Match.absent()})
    assert workflow.parameter_template == {"sample_name": {
        "description": "Sample", "optional": False, "type": "string", "declared_type": "string",
        "engine_type": {"engine": "NEXTFLOW", "type": {"t": "string"}}}}  # the definition's type, for the checks


def test_a_parameter_template_path_not_in_the_definition_is_refused():
    with pytest.raises(ValidationError, match="parameter_template_path 'params.json' is not in the definition"):
        Workflow(new_stack(), "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW,
                 parameter_template_path="params.json")


def test_a_definition_from_a_git_repository_uploads_nothing():
    stack = new_stack()
    connection = "arn:aws:codeconnections:us-east-1:123456789012:connection/abc"
    repository = {"connection_arn": connection, "full_repository_id": "example-org/germline",
                  "source_reference": {"type": "TAG", "value": "v1.2.0"}}
    workflow = Workflow(stack, "Germline", definition_repository=repository, engine=WorkflowEngine.WDL,
                        main="workflows/germline.wdl", readme_path="README.md")
    template(stack).has_resource_properties("AWS::Omics::Workflow", {
        "DefinitionRepository": {"connectionArn": connection, "fullRepositoryId": "example-org/germline",
                                 "sourceReference": {"type": "TAG", "value": "v1.2.0"}},
        "DefinitionUri": Match.absent(), "WorkflowBucketOwnerId": Match.absent(),
        "Main": "workflows/germline.wdl", "readmePath": "README.md"})
    assert workflow.definition_asset is None and workflow.parameter_template is None


@pytest.mark.parametrize("props", [{}, {"definition": HELLO, "definition_repository": {"FullRepositoryId": "a/b"}}])
def test_exactly_one_definition_source(props):
    with pytest.raises(ValidationError, match="give exactly one of definition .* and definition_repository"):
        Workflow(new_stack(), "Hello", engine=WorkflowEngine.NEXTFLOW, **props)
