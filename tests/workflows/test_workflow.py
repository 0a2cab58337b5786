"""Workflow and WorkflowVersion: the templates they synthesize, parameter templates derived from each
engine's files (and malformed ones, named clearly), container image access, imports.

AWS behaviour the tests rely on, and where it is stated:

- AWS::Omics::Workflow takes ``DefinitionUri`` (a zip in S3), ``Engine``, ``Main``, ``ParameterTemplate``
  (``Description``, ``Optional``), ``WorkflowBucketOwnerId``, ...; ``Ref`` is the id: "AWS::Omics::Workflow",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-workflow.html
  (and its resource provider schema in cfn-lint: primaryIdentifier ``Id``, Engine ``WDL | NEXTFLOW | CWL``,
  ParameterTemplate at most 1,000 entries, create handler permissions incl. ``s3:GetObject``).
- AWS::Omics::WorkflowVersion (``WorkflowId``, ``VersionName`` required; ``Ref``/``Arn`` the version's ARN;
  a version inherits nothing from the workflow): "AWS::Omics::WorkflowVersion",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-workflowversion.html
- A parameter template maps names to ``description`` and ``optional``; CWL: nullable types and defaults are
  optional; WDL: optional types and defaults are optional: "Parameter template files for HealthOmics
  workflows", https://docs.aws.amazon.com/omics/latest/dev/parameter-templates.html
- Engines WDL, WDL lenient, Nextflow, CWL: "Workflow definition files in HealthOmics",
  https://docs.aws.amazon.com/omics/latest/dev/workflow-definition-files.html, and the shipped service model.
- nextflow_schema.json groups parameters in ``$defs`` (nf-schema) or ``definitions`` (nf-validation), brought
  to the top level with ``allOf``: "Nextflow schema specification",
  https://nextflow-io.github.io/nf-schema/latest/nextflow_schema/nextflow_schema_specification and
  https://nextflow-io.github.io/nf-validation/nextflow_schema/nextflow_schema_specification
- HealthOmics pulls private ECR images as ``omics.amazonaws.com``, which needs a repository policy statement:
  "Amazon ECR permissions", https://docs.aws.amazon.com/omics/latest/dev/permissions-ecr.html
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_omics as omics
from aws_cdk.assertions import Annotations, Match
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

from healthomics_run import (
    IWorkflow,
    RunServiceRole,
    ValidationError,
    Workflow,
    WorkflowEngine,
    WorkflowType,
    WorkflowVersion,
)
from healthomics_run.run_model import service_model
from healthomics_run.workflows import workflow_definition as definitions
from tests.synth import ROOT, new_stack, template

FIXTURES = ROOT / "tests" / "fixtures" / "workflows"
HELLO = ROOT / "workflows" / "hello"


def without_engine_types(derived: dict) -> dict:
    """The template without the trees the deep value checks use (tests/workflows/test_workflow_values.py checks
    those)."""
    return {name: {key: value for key, value in spec.items() if key != "engine_type"} for name, spec in derived.items()}


def only(stack: cdk.Stack, resource_type: str) -> tuple[str, dict]:
    (found,) = template(stack).find_resources(resource_type).items()
    return found


# -- the resource ------------------------------------------------------------------------------

def test_workflow_uploads_the_folder_and_sends_the_derived_template_without_types():
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW)
    logical_id, resource = only(stack, "AWS::Omics::Workflow")
    properties = resource["Properties"]
    assert properties["Engine"] == "NEXTFLOW" and properties["Name"] == "TestStack/Hello"
    assert properties["ParameterTemplate"] == {
        "sample_name": {"Description": "Name of the sample to greet.", "Optional": False},
        "threads": {"Description": "vCPUs for the greeting task.", "Optional": True},
    }
    assert properties["WorkflowBucketOwnerId"] == {"Ref": "AWS::AccountId"}
    uri = properties["DefinitionUri"]["Fn::Sub"]
    assert uri.startswith("s3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/") and uri.endswith(".zip")
    assert stack.resolve(workflow.workflow_id) == {"Fn::GetAtt": [logical_id, "Id"]}
    assert stack.resolve(workflow.workflow_arn) == {"Fn::GetAtt": [logical_id, "Arn"]}
    assert workflow.parameter_template == {
        "sample_name": {"description": "Name of the sample to greet.", "optional": False, "type": "string",
                        "declared_type": "string", "engine_type": {"engine": "NEXTFLOW", "type": {"t": "string"}}},
        "threads": {"description": "vCPUs for the greeting task.", "optional": True, "type": "integer",
                    "declared_type": "integer", "engine_type": {"engine": "NEXTFLOW", "type": {"t": "json_int"}}},
    }
    assert (workflow.workflow_type, workflow.owner_id, workflow.version_name) == ("PRIVATE", None, None)
    assert isinstance(workflow, IWorkflow) and isinstance(workflow, cdk.Resource)


def test_every_prop_reaches_the_resource():
    stack = new_stack()
    Workflow(stack, "Hello", definition=HELLO, engine="NEXTFLOW", main="main.nf", name="hello",
             description="Greets a sample", storage_type="STATIC", storage_capacity=1200, accelerators="GPU",
             readme="# Hello\n", container_registry_map=omics.CfnWorkflow.ContainerRegistryMapProperty(
                 registry_mappings=[omics.CfnWorkflow.RegistryMappingProperty(
                     upstream_registry_url="registry-1.docker.io", ecr_repository_prefix="docker-hub")]))
    template(stack).has_resource_properties("AWS::Omics::Workflow", {
        "Main": "main.nf", "Name": "hello", "Description": "Greets a sample", "StorageType": "STATIC",
        "StorageCapacity": 1200, "Accelerators": "GPU", "readmeMarkdown": "# Hello\n",
        "ContainerRegistryMap": {"RegistryMappings": [
            {"UpstreamRegistryUrl": "registry-1.docker.io", "EcrRepositoryPrefix": "docker-hub"}]},
    })


def test_unset_props_are_not_sent():
    stack = new_stack()
    Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW)
    template(stack).has_resource_properties("AWS::Omics::Workflow", {
        key: Match.absent() for key in ("Main", "Description", "StorageType", "StorageCapacity", "Accelerators",
                                        "ContainerRegistryMap", "readmeMarkdown", "Tags")})


def test_readme_from_a_file(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Hello workflow\n", encoding="utf-8")
    stack = new_stack()
    Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW, readme=readme)
    template(stack).has_resource_properties("AWS::Omics::Workflow", {"readmeMarkdown": "# Hello workflow\n"})


def test_a_zip_is_uploaded_as_it_is_and_its_template_derived(tmp_path):
    archive = tmp_path / "hello.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in HELLO.iterdir():
            zipped.write(file, file.name)
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=str(archive), engine=WorkflowEngine.NEXTFLOW)
    assert set(workflow.parameter_template) == {"sample_name", "threads"}
    assert stack.resolve(workflow.definition_asset.s3_object_url)["Fn::Sub"].endswith(".zip")


def test_a_given_template_wins_and_keeps_its_types_out_of_the_resource():
    stack = new_stack()
    given = {"sample_name": {"description": "Sample", "type": "string"}, "threads": {"optional": True}}
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW, parameter_template=given)
    assert without_engine_types(workflow.parameter_template) == {
        "sample_name": {"description": "Sample", "type": "string", "optional": False},
        "threads": {"optional": True, "type": "integer", "declared_type": "integer"}}  # the definition's type
    template(stack).has_resource_properties("AWS::Omics::Workflow", {"ParameterTemplate": {
        "sample_name": {"Description": "Sample", "Optional": False}, "threads": {"Optional": True}}})


def test_nextflow_without_a_schema_leaves_the_template_to_healthomics(tmp_path):
    (tmp_path / "main.nf").write_text("workflow { println 'hi' }\n")
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=tmp_path, engine=WorkflowEngine.NEXTFLOW)
    assert workflow.parameter_template is None
    template(stack).has_resource_properties("AWS::Omics::Workflow", {"ParameterTemplate": Match.absent()})


def test_workflow_engine_has_every_engine_of_the_service_model():
    members = service_model.input_members("CreateWorkflow")
    assert [e.value for e in WorkflowEngine] == members["engine"]["enum"]
    assert members["engine"] == service_model.input_members("CreateWorkflowVersion")["engine"]


def test_wdl_lenient_warns_that_cloudformation_lists_fewer_engines():
    stack = new_stack()
    Workflow(stack, "Hello", definition=FIXTURES / "wdl_hello", engine=WorkflowEngine.WDL_LENIENT)
    Annotations.from_stack(stack).has_warning("/TestStack/Hello", Match.string_like_regexp(
        "engine WDL_LENIENT is in the HealthOmics API, but AWS::Omics::Workflow's resource schema lists only "
        "WDL, NEXTFLOW, CWL"))


# -- derivation per engine ----------------------------------------------------------------------

def test_nextflow_schema_with_defs_all_of_required_and_types():
    derived = definitions.derive(FIXTURES / "nextflow_hello", "NEXTFLOW")
    assert {name: (spec["optional"], spec.get("type")) for name, spec in derived.items()} == {
        "top_level": (True, "string"), "sample_name": (False, "string"), "input": (False, "string"),
        "outdir": (True, "string"), "threads": (True, "integer"), "min_quality": (True, "number"),
        "use_gpu": (True, "boolean"), "intervals": (True, "array"), "options": (True, "object"),
        "maybe": (True, "string"), "anything": (True, None)}
    assert "ignored" not in derived  # a group no allOf brings in is not a parameter group
    assert derived["sample_name"]["description"] == "Name of the sample to greet."  # on one line
    assert "description" not in derived["outdir"]


def test_nextflow_schema_with_draft_07_definitions():
    assert without_engine_types(definitions.derive(FIXTURES / "nextflow_definitions", "NEXTFLOW")) == {
        "reads": {"optional": False, "description": "FASTQ files (S3 URI glob).", "type": "string",
                  "declared_type": "string"},
        "genome": {"optional": True, "description": "Reference genome.", "type": "string", "declared_type": "string"},
    }


def test_nextflow_schema_without_all_of_takes_every_group(tmp_path):
    (tmp_path / "main.nf").write_text("")
    (tmp_path / "nextflow_schema.json").write_text(json.dumps({"$defs": {
        "a": {"required": ["x"], "properties": {"x": {"type": "integer"}}},
        "b": {"properties": {"y": {"type": "boolean"}}}}}))
    derived = definitions.derive(tmp_path, "NEXTFLOW")
    assert ({n: (s["optional"], s["type"]) for n, s in derived.items()}
            == {"x": (False, "integer"), "y": (True, "boolean")})


def test_wdl_input_block():
    derived = definitions.derive(FIXTURES / "wdl_hello", "WDL")
    assert {name: (spec["optional"], spec["type"], spec["declared_type"]) for name, spec in derived.items()} == {
        "sample_name": (False, "string", "String"), "threads": (True, "integer", "Int"),
        "min_quality": (True, "number", "Float?"), "use_gpu": (True, "boolean", "Boolean"),
        "reference": (False, "string", "File"), "reads": (False, "array", "Array[File]+"),
        "limits": (True, "object", "Map[String,Int]"), "intervals": (True, "array", "Array[String]"),
        "sample": (False, "object", "Sample"), "cache_dir": (True, "string", "Directory?"),
        "greeting": (True, "string", "String")}
    assert derived["sample_name"]["description"] == "Name of the sample to greet."
    assert derived["threads"]["description"] == "vCPUs per task."
    assert "name" not in derived  # the task's input is not the workflow's


def test_cwl_inputs_in_yaml():
    derived = definitions.derive(FIXTURES / "cwl_hello", "CWL")
    assert {name: (spec["optional"], spec.get("type")) for name, spec in derived.items()} == {
        "sample_name": (False, "string"), "threads": (True, "integer"), "min_quality": (True, "number"),
        "reference": (False, "cwl_file"), "reads": (False, "array"), "maybe_reads": (True, "cwl_file"),
        "depth": (False, "integer"), "ratio": (False, "number"), "flag": (False, "boolean"),
        "cache": (True, "cwl_directory"), "mode": (False, "string"), "sample": (False, "object"),
        "chunks": (False, "array")}
    assert derived["sample_name"]["description"] == "Name of the sample to greet."
    assert derived["threads"]["description"] == "vCPUs per task."  # from the label


def test_cwl_graph_in_json_takes_the_main_workflow():
    assert without_engine_types(definitions.derive(FIXTURES / "cwl_json", "CWL")) == {
        "sample_name": {"optional": False, "description": "Name of the sample to greet.", "type": "string",
                        "declared_type": "string"},
        "threads": {"optional": True, "type": "integer", "declared_type": "int?"}}


def test_main_picks_the_file_when_there_are_several():
    derived = definitions.derive(FIXTURES / "malformed" / "wdl_two_files", "WDL", main="second.wdl")
    assert "sample_name" in derived


def test_long_multi_line_descriptions_become_one_line_of_at_most_256_characters(tmp_path):
    (tmp_path / "main.nf").write_text("")
    (tmp_path / "nextflow_schema.json").write_text(json.dumps({"properties": {
        "p": {"type": "string", "description": "word\n" * 100}}}))
    description = definitions.derive(tmp_path, "NEXTFLOW")["p"]["description"]
    assert len(description) == 256 and "\n" not in description and description.endswith("…")


# -- malformed definitions: ValidationError naming the file -------------------------------------

@pytest.mark.parametrize("folder, engine, message", [
    ("nextflow_invalid_json", WorkflowEngine.NEXTFLOW,
     "nextflow_invalid_json/nextflow_schema.json: invalid JSON: Expecting property name enclosed in double quotes: "
     "line 5 column 1"),
    ("nextflow_dangling_ref", WorkflowEngine.NEXTFLOW,
     "nextflow_dangling_ref/nextflow_schema.json: reference #/$defs/input_optoins points to nothing in the file"),
    ("wdl_no_input_block", WorkflowEngine.WDL,
     "wdl_no_input_block/main.wdl: no input block found in workflow hello"),
    ("wdl_no_workflow", WorkflowEngine.WDL, "wdl_no_workflow/tasks.wdl: no WDL workflow found"),
    ("wdl_two_files", WorkflowEngine.WDL,
     "wdl_two_files: cannot tell the main WDL file: first.wdl, second.wdl are equally close to the root and none "
     "is main.wdl; give main="),
    ("cwl_invalid_yaml", WorkflowEngine.CWL,
     "cwl_invalid_yaml/hello.cwl: invalid YAML: mapping values are not allowed here"),
    ("cwl_not_a_workflow", WorkflowEngine.CWL,
     "cwl_not_a_workflow/hello.cwl: not a CWL document (expected a mapping with class: Workflow)"),
])
def test_malformed_definitions_fail_on_the_construct_line_naming_the_file(folder, engine, message):
    stack = new_stack()
    with pytest.raises(ValidationError) as raised:
        Workflow(stack, "Broken", definition=FIXTURES / "malformed" / folder, engine=engine)
    assert raised.value.code == "InvalidWorkflowDefinition"
    assert raised.value.path == "TestStack/Broken"
    assert message in str(raised.value)


def test_a_missing_definition_and_a_file_that_is_not_a_zip(tmp_path):
    with pytest.raises(ValidationError, match="definition '/no/such/folder' does not exist"):
        Workflow(new_stack(), "Missing", definition="/no/such/folder", engine=WorkflowEngine.WDL)
    not_zip = tmp_path / "main.wdl"
    not_zip.write_text("version 1.0")
    with pytest.raises(ValidationError, match="must be a folder or a .zip file"):
        Workflow(new_stack(), "File", definition=not_zip, engine=WorkflowEngine.WDL)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ValidationError, match="broken.zip: not a readable .zip file"):
        Workflow(new_stack(), "Zip", definition=broken, engine=WorkflowEngine.WDL)


def test_main_not_in_the_definition():
    with pytest.raises(ValidationError, match="main file 'workflow.nf' not found in the definition"):
        Workflow(new_stack(), "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW, main="workflow.nf")


@pytest.mark.parametrize("given, message", [
    (["sample_name"], "parameter_template must be a mapping of parameter names"),
    ({"sample_name": "required"}, "parameter_template['sample_name'] must be a mapping"),
    ({"sample_name": {"optional": "no"}}, "parameter_template['sample_name']['optional'] must be True or False"),
    ({"sample_name": {"type": "int"}}, "parameter_template['sample_name']['type'] must be one of string, integer"),
    ({"sample_name": {"required": True}}, "parameter_template['sample_name'] has unknown keys required"),
    ({"x" * 129: {}}, "parameter_template keys must be names of 1 to 128 characters"),
    ({f"p{i}": {} for i in range(1001)}, "the parameter template has 1001 parameters; AWS::Omics::Workflow takes "
                                         "at most 1000"),
])
def test_a_bad_given_template_is_refused(given, message):
    with pytest.raises(ValidationError) as raised:
        Workflow(new_stack(), "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW, parameter_template=given)
    assert raised.value.code == "InvalidWorkflowDefinition" and message in str(raised.value)


@pytest.mark.parametrize("props, message", [
    ({"engine": "SNAKEMAKE"}, "engine must be one of WDL, NEXTFLOW, CWL, WDL_LENIENT; got 'SNAKEMAKE'"),
    ({"name": "n" * 129}, "name must be 1 to 128 characters long, got 129"),
    ({"description": ""}, "description must be 1 to 256 characters long, got 0"),
    ({"storage_type": "ELASTIC"}, "storage_type must be one of STATIC, DYNAMIC; got 'ELASTIC'"),
    ({"storage_capacity": 100001}, "storage_capacity"),
    ({"accelerators": "TPU"}, "accelerators must be one of GPU; got 'TPU'"),
])
def test_props_the_service_would_refuse(props, message):
    with pytest.raises(ValidationError) as raised:
        Workflow(new_stack(), "Hello", **{"definition": HELLO, "engine": WorkflowEngine.NEXTFLOW, **props})
    assert raised.value.code == "InvalidResourceProps" and message in str(raised.value)


def test_tokens_are_not_validated():
    stack = new_stack()
    text = cdk.CfnParameter(stack, "Text").value_as_string
    Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW, name=text, description=text)
    template(stack).has_resource_properties("AWS::Omics::Workflow", {"Name": {"Ref": "Text"},
                                                                      "Description": {"Ref": "Text"}})


# -- versions ----------------------------------------------------------------------------------

def test_add_version_makes_a_workflow_version_of_this_workflow():
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW)
    version = workflow.add_version("V2", version_name="v2.0", definition=FIXTURES / "nextflow_definitions",
                                   description="Second version", storage_type="DYNAMIC")
    workflow_id, _ = only(stack, "AWS::Omics::Workflow")
    version_id, resource = only(stack, "AWS::Omics::WorkflowVersion")
    assert resource["Properties"] == {
        "WorkflowId": {"Fn::GetAtt": [workflow_id, "Id"]}, "VersionName": "v2.0", "Engine": "NEXTFLOW",
        "DefinitionUri": resource["Properties"]["DefinitionUri"], "WorkflowBucketOwnerId": {"Ref": "AWS::AccountId"},
        "Description": "Second version", "StorageType": "DYNAMIC",
        "ParameterTemplate": {"reads": {"Description": "FASTQ files (S3 URI glob).", "Optional": False},
                              "genome": {"Description": "Reference genome.", "Optional": True}}}
    assert isinstance(version, WorkflowVersion) and version.workflow is workflow
    assert version.version_name == "v2.0" and set(version.parameter_template) == {"reads", "genome"}
    assert stack.resolve(version.workflow_version_arn) == {"Fn::GetAtt": [version_id, "Arn"]}
    assert stack.resolve(version.workflow_id) == stack.resolve(workflow.workflow_id)
    assert version.workflow_type == "PRIVATE" and version.owner_id is None


def test_version_names_are_checked_and_unique():
    workflow = Workflow(new_stack(), "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW)
    with pytest.raises(ValidationError, match=r"version_name must match the pattern"):
        workflow.add_version("Bad", version_name="-v1", definition=HELLO)
    workflow.add_version("V1", version_name="v1", definition=HELLO)
    with pytest.raises(ValidationError, match="version_name 'v1' is already a version of TestStack/Hello"):
        workflow.add_version("Again", version_name="v1", definition=HELLO)


def test_a_version_of_an_imported_workflow_needs_its_engine():
    stack = new_stack()
    imported = Workflow.from_workflow_id(stack, "Existing", "1234567")
    with pytest.raises(ValidationError, match="engine is required for a version of an imported workflow"):
        WorkflowVersion(stack, "V2", workflow=imported, version_name="v2", definition=HELLO)
    version = WorkflowVersion(stack, "V3", workflow=imported, version_name="v3", definition=HELLO,
                              engine=WorkflowEngine.NEXTFLOW)
    template(stack).has_resource_properties("AWS::Omics::WorkflowVersion", {"WorkflowId": "1234567"})
    assert version.workflow_id == "1234567"


def test_ready2run_and_shared_workflows_take_no_versions():
    stack = new_stack()
    ready = Workflow.from_workflow_id(stack, "Ready", "1234567", workflow_type=WorkflowType.READY2RUN)
    with pytest.raises(ValidationError, match="versions can be added only to this account's private workflows"):
        WorkflowVersion(stack, "V2", workflow=ready, version_name="v2", definition=HELLO, engine="NEXTFLOW")


# -- imports -----------------------------------------------------------------------------------

def test_import_of_a_private_workflow_in_this_account():
    stack = new_stack()
    workflow = Workflow.from_workflow_id(stack, "Existing", "1234567",
                                         parameter_template={"sample_name": {"description": "Sample"}})
    assert workflow.workflow_id == "1234567" and workflow.workflow_type == "PRIVATE" and workflow.owner_id is None
    assert workflow.parameter_template == {"sample_name": {"description": "Sample", "optional": False}}
    assert stack.resolve(workflow.workflow_arn) == {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":omics:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"},
        ":workflow/1234567"]]}


def test_import_of_a_ready2run_workflow_has_no_account_in_its_arn():
    stack = new_stack()
    workflow = Workflow.from_workflow_id(stack, "Ready", "9500764", workflow_type=WorkflowType.READY2RUN)
    assert workflow.workflow_type == "READY2RUN" and workflow.parameter_template is None
    assert stack.resolve(workflow.workflow_arn) == {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":omics:", {"Ref": "AWS::Region"}, "::workflow/9500764"]]}


def test_import_of_a_shared_workflow_names_its_owner_in_the_arn():
    stack = new_stack()
    workflow = Workflow.from_workflow_id(stack, "Shared", "1234567", owner_id="210987654321")
    assert workflow.owner_id == "210987654321"
    assert ":210987654321:workflow/1234567" in json.dumps(stack.resolve(workflow.workflow_arn))


@pytest.mark.parametrize("kwargs, message", [
    ({"workflow_id": "abc"}, "workflow_id must match the pattern [0-9]+; got 'abc'"),
    ({"workflow_id": "1", "workflow_type": "PUBLIC"}, "workflow_type must be one of PRIVATE, READY2RUN"),
    ({"workflow_id": "1", "owner_id": "123"}, "owner_id must be an AWS account id of 12 digits; got '123'"),
    ({"workflow_id": "1", "owner_id": "123456789012", "workflow_type": "READY2RUN"},
     "owner_id is for workflows shared with this account; READY2RUN workflows have none"),
    ({"workflow_id": "1", "parameter_template": {"a": {"optional": 1}}}, "['optional'] must be True or False"),
])
def test_bad_imports_are_refused(kwargs, message):
    with pytest.raises(ValidationError, match=None) as raised:
        Workflow.from_workflow_id(new_stack(), "Existing", **kwargs)
    assert message in str(raised.value)


def test_import_by_a_token_id():
    stack = new_stack()
    workflow_id = cdk.CfnParameter(stack, "WorkflowId").value_as_string
    workflow = Workflow.from_workflow_id(stack, "Existing", workflow_id)
    assert stack.resolve(workflow.workflow_id) == {"Ref": "WorkflowId"}


# -- container images --------------------------------------------------------------------------

def test_container_repositories_get_the_omics_pull_statement():
    stack = new_stack()
    repository = ecr.Repository(stack, "Images")
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW,
                        container_repositories=[repository])
    template(stack).has_resource_properties("AWS::ECR::Repository", {"RepositoryPolicyText": {"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "omics.amazonaws.com"},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]}]}})
    assert workflow.container_repositories == (repository,)


def test_an_imported_repository_gets_a_warning_saying_what_to_add():
    stack = new_stack()
    repository = ecr.Repository.from_repository_name(stack, "Images", "hello-images")
    Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW, container_repositories=[repository])
    Annotations.from_stack(stack).has_warning("/TestStack/Hello", Match.string_like_regexp(
        "ECR repository 'hello-images' is imported.*omics.amazonaws.com"))


def test_the_imported_repository_warning_carries_the_id_to_acknowledge_it_by():
    stack = new_stack()
    repository = ecr.Repository.from_repository_name(stack, "Images", "hello-images")
    Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW, container_repositories=[repository])
    (warning,) = Annotations.from_stack(stack).find_warning("/TestStack/Hello", Match.any_value())
    # add_warning_v2 appends the id users acknowledge the warning by (`cdk acknowledge`,
    # Annotations.acknowledge_warning)
    assert warning.entry.data.endswith(" [ack: healthomics-run::ecr-repository-policy]")


def test_grant_image_pull_to_any_role_returns_the_grant():
    stack = new_stack()
    first, second = ecr.Repository(stack, "First"), ecr.Repository(stack, "Second")
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW,
                        container_repositories=[first, second])
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("omics.amazonaws.com"))
    grant = workflow.grant_image_pull(role)
    assert isinstance(grant, iam.Grant) and grant.success
    (_, policy), = template(stack).find_resources("AWS::IAM::Policy").items()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
         "Effect": "Allow", "Resource": stack.resolve(repo.repository_arn)} for repo in (first, second)]


def test_grant_image_pull_to_a_run_service_role_reuses_its_statements():
    stack = new_stack()
    repository = ecr.Repository(stack, "Images")
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW,
                        container_repositories=[repository])
    role = RunServiceRole(stack, "Role")
    assert workflow.grant_image_pull(role) is not None
    statements = [s for p in template(stack).find_resources("AWS::IAM::Policy").values()
                  for s in p["Properties"]["PolicyDocument"]["Statement"] if "ecr:BatchGetImage" in s["Action"]]
    assert statements == [{"Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                                      "ecr:GetDownloadUrlForLayer"], "Effect": "Allow",
                           "Resource": stack.resolve(repository.repository_arn)}]  # once, not twice
    (_, repo), = template(stack).find_resources("AWS::ECR::Repository").items()
    assert len(repo["Properties"]["RepositoryPolicyText"]["Statement"]) == 1


def test_grant_image_pull_without_repositories_grants_nothing():
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW)
    grant = workflow.grant_image_pull(RunServiceRole(stack, "Role"))
    assert isinstance(grant, iam.Grant) and grant.principal_statements == []  # iam.Grant.drop


def test_a_version_pulls_from_the_workflows_repositories_unless_given_its_own():
    stack = new_stack()
    first, second = ecr.Repository(stack, "First"), ecr.Repository(stack, "Second")
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW,
                        container_repositories=[first])
    assert workflow.add_version("V2", version_name="v2", definition=HELLO).container_repositories == (first,)
    assert workflow.add_version("V3", version_name="v3", definition=HELLO,
                                container_repositories=[second]).container_repositories == (second,)


# -- types for synth-time checks ---------------------------------------------------------------

def test_value_type_errors_name_each_parameter_and_its_declared_type():
    derived = definitions.derive(FIXTURES / "wdl_hello", "WDL")
    errors = definitions.value_type_errors(derived, {
        "sample_name": "NA12878", "threads": "8", "min_quality": 20, "use_gpu": 1, "reads": "s3://b/r.fq",
        "reference": "s3://b/ref.fa", "limits": {"cpu": 8}, "unknown": 3})
    assert errors == [
        "parameter 'threads' must be an integer (Int); got str '8'",
        "parameter 'use_gpu' must be a boolean (Boolean); got int 1",
        "parameter 'reads' must be an array (list) (Array[File]+); got str 's3://b/r.fq'",
    ]


# -- cdk-nag -----------------------------------------------------------------------------------

def test_cdk_nag_finds_nothing_unacknowledged(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "WorkflowStack")
    images = ecr.Repository(stack, "Images", image_scan_on_push=True)
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW,
                        container_repositories=[images])
    workflow.add_version("V2", version_name="v2", definition=FIXTURES / "nextflow_hello")
    workflow.grant_image_pull(RunServiceRole(stack, "ServiceRole"))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))
    app.synth()  # raises ValidationFailed when any finding is not acknowledged
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert all(r["conclusion"] == "success" for r in report["pluginReports"]), report


def test_the_example_hello_workflow_has_one_required_string_and_one_optional_integer():
    assert without_engine_types(definitions.derive(HELLO, "NEXTFLOW")) == {
        "sample_name": {"optional": False, "description": "Name of the sample to greet.", "type": "string",
                        "declared_type": "string"},
        "threads": {"optional": True, "description": "vCPUs for the greeting task.", "type": "integer",
                    "declared_type": "integer"}}
    assert Path(HELLO / "main.nf").is_file()
