"""Runs and batches of a workflow made in the app (``workflow=``) or a VPC configuration (``configuration=``):
what they set, grant and wait for, the parameters checked at synth, and the handler's ACTIVE check.

AWS behaviour the tests rely on, and where it is stated:

- StartRun takes ``workflowId``, ``workflowType``, ``workflowVersionName``, ``workflowOwnerId``,
  ``networkingMode`` (``RESTRICTED`` | ``VPC``) and ``configurationName``: "StartRun", HealthOmics API
  Reference, https://docs.aws.amazon.com/omics/latest/api/API_StartRun.html (and the shipped service model).
- Runs reach a VPC only in ``VPC`` networking mode, with a configuration naming subnets and security groups:
  "Connecting HealthOmics workflows to a VPC", https://docs.aws.amazon.com/omics/latest/dev/workflows-vpc-networking.html
- ``Ref`` of AWS::Omics::Workflow is its id, ``Arn`` an attribute; ``Ref`` of AWS::Omics::Configuration is its name:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-workflow.html,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-configuration.html
- A parameter template names each parameter and whether it is optional; HealthOmics refuses runs with
  parameters not in it or without required ones: "Parameter template files for HealthOmics workflows",
  https://docs.aws.amazon.com/omics/latest/dev/parameter-templates.html; parameter values are JSON
  (boolean, integer, number, string, ...): "Start a run in HealthOmics",
  https://docs.aws.amazon.com/omics/latest/dev/starting-a-run.html
- GetWorkflow and GetWorkflowVersion answer ``status`` (CREATING, ACTIVE, UPDATING, DELETED, FAILED, INACTIVE)
  and ``statusMessage``: "GetWorkflow", https://docs.aws.amazon.com/omics/latest/api/API_GetWorkflow.html,
  "GetWorkflowVersion", https://docs.aws.amazon.com/omics/latest/api/API_GetWorkflowVersion.html; a run can start
  once the status is ACTIVE: "Verify the workflow status", https://docs.aws.amazon.com/omics/latest/dev/using-get-workflow.html
- HealthOmics pulls private ECR images with the run's service role, which needs ECR pull permissions:
  "Amazon ECR permissions", https://docs.aws.amazon.com/omics/latest/dev/permissions-ecr.html
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match

from healthomics_run import (
    Configuration,
    HealthOmicsRun,
    HealthOmicsRunBatch,
    NetworkingMode,
    ValidationError,
    Workflow,
    WorkflowEngine,
    WorkflowRun,
    WorkflowRunBatch,
    WorkflowType,
)
from healthomics_run.handlers.start_run import handler
from healthomics_run.handlers.start_run.phases import PHASE, START, WAIT_DEADLINE
from healthomics_run.service_calls.runs import RunError
from healthomics_run.workflows import _parameter_fit as parameter_fit
from tests.synth import ROOT, new_stack, template
from tests.world import BATCH_TEMPLATE, WORKFLOW_ID, batch_event, batch_properties, event

HELLO = ROOT / "workflows" / "hello"
FIXTURES = ROOT / "tests" / "fixtures" / "workflows"
OUTPUT = "s3://example-output-bucket/runs/"


def hello(stack: cdk.Stack, **kwargs) -> Workflow:
    return Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW, **kwargs)


def role(stack: cdk.Stack) -> iam.IRole:
    return iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/omics-run-role", mutable=False)


def run(stack: cdk.Stack, **props) -> WorkflowRun:
    return WorkflowRun(stack, "Run", role=role(stack), output_uri=OUTPUT, **props)


def batch(stack: cdk.Stack, **props) -> WorkflowRunBatch:
    return WorkflowRunBatch(stack, "Batch", role=role(stack), output_uri=OUTPUT, **props)


def logical_id(stack: cdk.Stack, construct) -> str:
    return stack.get_logical_id(construct.node.default_child)


def only(stack: cdk.Stack, resource_type: str) -> tuple[str, dict]:
    (found,) = template(stack).find_resources(resource_type).items()
    return found


def handler_statements(stack: cdk.Stack, action: str) -> list[dict]:
    policies = template(stack).find_resources("AWS::IAM::Policy")
    return [statement for name, policy in policies.items() if "HandlerRole" in name
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])]


# -- what workflow= sets, grants and waits for -------------------------------------------------------------

def test_a_run_of_a_workflow_made_here_names_it_waits_for_it_and_may_start_it():
    stack = new_stack()
    workflow = hello(stack)
    run(stack, workflow=workflow, parameters={"sample_name": "NA12878", "threads": 2})
    workflow_id = logical_id(stack, workflow)
    _, resource = only(stack, "Custom::HealthOmicsRun")
    assert resource["Properties"]["WorkflowId"] == {"Fn::GetAtt": [workflow_id, "Id"]}
    assert resource["Properties"]["WorkflowType"] == "PRIVATE"
    assert "WorkflowOwnerId" not in resource["Properties"] and "WorkflowVersionName" not in resource["Properties"]
    assert workflow_id in resource["DependsOn"]
    (start,) = handler_statements(stack, "omics:StartRun")
    assert {"Fn::GetAtt": [workflow_id, "Arn"]} in start["Resource"]
    assert "omics:GetWorkflow" in start["Action"]


def test_a_run_of_a_version_runs_that_version_and_may_start_it():
    stack = new_stack()
    workflow = hello(stack)
    version = workflow.add_version("V2", version_name="v2", definition=FIXTURES / "nextflow_definitions")
    run(stack, workflow=version, parameters={"reads": "s3://example-input-bucket/r*.fq.gz"})
    _, resource = only(stack, "Custom::HealthOmicsRun")
    assert resource["Properties"]["WorkflowVersionName"] == "v2"
    assert resource["Properties"]["WorkflowId"] == {"Fn::GetAtt": [logical_id(stack, workflow), "Id"]}
    assert logical_id(stack, version) in resource["DependsOn"]
    (start,) = handler_statements(stack, "omics:StartRun")
    assert {"Fn::GetAtt": [logical_id(stack, version), "Arn"]} in start["Resource"]
    assert {"Fn::GetAtt": [logical_id(stack, workflow), "Arn"]} in start["Resource"]


def test_an_imported_workflow_by_token_id_is_granted_by_its_arn():
    stack = new_stack()
    workflow_id = cdk.CfnParameter(stack, "WorkflowId").value_as_string
    imported = Workflow.from_workflow_id(stack, "Shared", workflow_id, owner_id="210987654321")
    run(stack, workflow=imported, parameters={"anything": 1})  # template unknown: checked at deploy time
    _, resource = only(stack, "Custom::HealthOmicsRun")
    assert resource["Properties"]["WorkflowId"] == {"Ref": "WorkflowId"}
    assert resource["Properties"]["WorkflowOwnerId"] == "210987654321"
    (start,) = handler_statements(stack, "omics:StartRun")
    assert {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":omics:", {"Ref": "AWS::Region"},
                              ":210987654321:workflow/", {"Ref": "WorkflowId"}]]} in start["Resource"]


def test_a_ready2run_workflow_sets_its_type():
    stack = new_stack()
    ready = Workflow.from_workflow_id(stack, "Ready", "9500764", workflow_type=WorkflowType.READY2RUN)
    run(stack, workflow=ready)
    _, resource = only(stack, "Custom::HealthOmicsRun")
    assert resource["Properties"]["WorkflowType"] == "READY2RUN" and resource["Properties"]["WorkflowId"] == "9500764"


@pytest.mark.parametrize("props, message", [
    ({"workflow_id": "1234567"}, "give workflow or workflow_id, not both"),
    ({"workflow_type": "PRIVATE"}, "give workflow or workflow_type, not both"),
    ({"workflow_owner_id": "210987654321"}, "give workflow or workflow_owner_id, not both"),
])
def test_workflow_with_the_props_it_sets_is_refused_naming_both(props, message):
    stack = new_stack()
    with pytest.raises(ValidationError) as raised:
        run(stack, workflow=hello(stack), parameters={"sample_name": "x"}, **props)
    assert message in str(raised.value) and raised.value.code == "InvalidRunProps"


def test_a_version_with_workflow_version_name_is_refused():
    stack = new_stack()
    version = hello(stack).add_version("V2", version_name="v2", definition=HELLO)
    with pytest.raises(ValidationError, match="give workflow \\(a WorkflowVersion\\) or workflow_version_name"):
        run(stack, workflow=version, workflow_version_name="v3", parameters={"sample_name": "x"})


def test_a_workflow_id_string_as_workflow_is_refused():
    with pytest.raises(ValidationError, match="workflow must be a Workflow, a WorkflowVersion or "
                                              "Workflow.from_workflow_id"):
        run(new_stack(), workflow="1234567")


# -- parameters checked at synth ------------------------------------------------------------------------

def test_unknown_missing_and_mistyped_parameters_are_named_where_the_run_is_created():
    stack = new_stack()
    with pytest.raises(ValidationError) as raised:
        HealthOmicsRun(stack, "Greet", workflow=hello(stack), parameters={"sampel_name": "NA12878", "threads": "8"})
    error = raised.value
    assert error.code == "InvalidParameters" and error.path == "TestStack/Greet/Run"
    assert error.problems == [
        "parameters not in the workflow's parameter template: sampel_name (did you mean sample_name?) "
        "(the template has 2: sample_name, threads)",
        "required workflow parameters missing: sample_name",
        "parameter 'threads' must be an integer; got str '8'",
    ]


@pytest.mark.parametrize("value, kind", [
    (True, "an integer"), (2.5, "an integer"), ([1], "an integer"), ({"n": 1}, "an integer"),
])
def test_every_json_type_is_checked(value, kind):
    stack = new_stack()
    with pytest.raises(ValidationError, match=f"parameter 'threads' must be {kind}"):
        run(stack, workflow=hello(stack), parameters={"sample_name": "x", "threads": value})


def test_each_type_of_a_given_template_is_checked():
    stack = new_stack()
    typed = {name: {"optional": True, "type": kind} for name, kind in (
        ("s", "string"), ("i", "integer"), ("n", "number"), ("b", "boolean"), ("a", "array"), ("o", "object"))}
    workflow = Workflow.from_workflow_id(stack, "Typed", "1234567", parameter_template=typed)
    service_role = role(stack)
    WorkflowRun(stack, "Right", role=service_role, output_uri=OUTPUT, workflow=workflow,
                parameters={"s": "x", "i": 2, "n": 2.5, "b": False, "a": [1], "o": {"k": 1}})
    with pytest.raises(ValidationError) as raised:
        WorkflowRun(stack, "Wrong", role=service_role, output_uri=OUTPUT, workflow=workflow,
                    parameters={"s": 1, "i": "2", "n": "2.5", "b": "false", "a": "x", "o": []})
    assert [problem.split(";")[0] for problem in raised.value.problems] == [
        "parameter 's' must be a string", "parameter 'i' must be an integer", "parameter 'n' must be a number",
        "parameter 'b' must be a boolean", "parameter 'a' must be an array (list)",
        "parameter 'o' must be an object (mapping)"]


def test_tokens_are_not_type_checked():
    stack = new_stack()
    threads = cdk.CfnParameter(stack, "Threads", type="Number").value_as_number
    sample = cdk.CfnParameter(stack, "Sample").value_as_string
    run(stack, workflow=hello(stack), parameters={"sample_name": sample, "threads": threads})
    run_props = only(stack, "Custom::HealthOmicsRun")[1]["Properties"]
    assert run_props["Parameters"]["sample_name"] == {"Ref": "Sample"}


def test_a_string_token_where_an_integer_goes_is_left_to_deploy_time():
    stack = new_stack()
    run(stack, workflow=hello(stack),
        parameters={"sample_name": "x", "threads": cdk.CfnParameter(stack, "Threads").value_as_string})
    template(stack).has_resource_properties("Custom::HealthOmicsRun", {"Parameters": Match.object_like(
        {"threads": {"Ref": "Threads"}})})


def test_nothing_is_checked_with_parameters_uri():
    stack = new_stack()
    run(stack, workflow=hello(stack), parameters_uri="s3://example-input-bucket/params.json")
    template(stack).has_resource_properties("Custom::HealthOmicsRun",
                                            {"ParametersUri": "s3://example-input-bucket/params.json"})


def test_nothing_is_checked_when_the_template_is_unknown(tmp_path):
    (tmp_path / "main.nf").write_text("workflow { }\n")
    stack = new_stack()
    schemaless = Workflow(stack, "NoSchema", definition=tmp_path, engine=WorkflowEngine.NEXTFLOW)
    assert schemaless.parameter_template is None
    run(stack, workflow=schemaless, parameters={"whatever": 1})


def test_a_version_named_by_hand_is_not_checked_against_the_default_versions_template():
    stack = new_stack()
    run(stack, workflow=hello(stack), workflow_version_name="v7", parameters={"only_in_v7": 1})
    _, resource = only(stack, "Custom::HealthOmicsRun")
    assert resource["Properties"]["WorkflowVersionName"] == "v7"


def test_a_version_is_checked_against_its_own_template():
    stack = new_stack()
    version = hello(stack).add_version("V2", version_name="v2", definition=FIXTURES / "nextflow_definitions")
    with pytest.raises(ValidationError, match="required workflow parameters missing: reads"):
        run(stack, workflow=version, parameters={"sample_name": "x"})


# -- batches: each sample's merged parameters, by row ------------------------------------------------------

def test_batch_samples_are_checked_merged_over_the_shared_parameters_naming_the_rows():
    stack = new_stack()
    samples = [{"run_setting_id": "S1", "parameters": {"sample_name": "A"}},
               {"run_setting_id": "S2", "parameters": {"threads": 4}},
               {"run_setting_id": "S3", "parameters": {"sample_name": "C", "threads": "four"}},
               {"run_setting_id": "S4", "parameters": {"sample_name": "D", "thread": 4}}]
    with pytest.raises(ValidationError) as raised:
        HealthOmicsRunBatch(stack, "Cohort", workflow=hello(stack), samples=samples, parameters={"threads": 2})
    error = raised.value
    assert error.code == "InvalidParameters" and error.path == "TestStack/Cohort/Batch"
    assert error.problems[:3] == [
        "sample row 2 ('S2'): required workflow parameters missing: sample_name",
        "sample row 3 ('S3'): parameter 'threads' must be an integer; got str",
        "sample row 4 ('S4'): parameters not in the workflow's parameter template: thread (did you mean threads?) "
        "(the template has 2: sample_name, threads)",
    ]


def test_shared_parameters_that_fit_and_samples_that_fit_pass():
    stack = new_stack()
    batch(stack, workflow=hello(stack), parameters={"threads": 2},
          samples=[{"run_setting_id": f"S{i}", "parameters": {"sample_name": f"S{i}"}} for i in range(3)])
    _, resource = only(stack, "Custom::HealthOmicsRunBatch")
    assert resource["Properties"]["WorkflowId"] == {"Fn::GetAtt": [logical_id(stack, stack.node.find_child("Hello")),
                                                                   "Id"]}


def test_a_csv_sheets_values_are_read_as_the_types_the_template_declares(tmp_path):
    sheet = tmp_path / "samples.csv"
    sheet.write_text("run_setting_id,parameters.sample_name,parameters.threads\nS1,A,4\nS2,B,8\n")
    stack = new_stack()
    batch(stack, workflow=hello(stack), sample_sheet=sheet)
    _, resource = only(stack, "Custom::HealthOmicsRunBatch")
    assert [sample["parameters"] for sample in resource["Properties"]["Samples"]] == [
        {"sample_name": "A", "threads": 4}, {"sample_name": "B", "threads": 8}]


@pytest.mark.parametrize("cell, expected", [
    ("four", "'four' is not a whole number such as 42 (the workflow's template declares threads integer)"),
    ("4.5", "'4.5' is not a whole number such as 42"),
])
def test_a_csv_value_that_does_not_parse_names_its_line_and_column(tmp_path, cell, expected):
    sheet = tmp_path / "samples.csv"
    sheet.write_text(f"run_setting_id,parameters.sample_name,parameters.threads\nS1,A,4\nS2,B,{cell}\n")
    stack = new_stack()
    with pytest.raises(ValidationError) as raised:
        batch(stack, workflow=hello(stack), sample_sheet=sheet)
    assert raised.value.code == "InvalidSampleSheet"
    assert raised.value.problems[0].startswith(f"{sheet} line 3, column parameters.threads: {expected}")


def test_csv_values_of_every_declared_type_are_read_as_json_would_give_them(tmp_path):
    from healthomics_run.run_model.samples import read_sheet
    from healthomics_run.runs._sheet_types import typed_rows

    sheet = tmp_path / "samples.csv"
    sheet.write_text('run_setting_id,parameters.n,parameters.x,parameters.gpu,parameters.chroms,parameters.opts,'
                     'parameters.name\nS1,3,0.25,TRUE,"[""chr1"", ""chr2""]","{""k"": 1}",007\n')
    template_ = {"n": {"type": "integer"}, "x": {"type": "number"}, "gpu": {"type": "boolean"},
                 "chroms": {"type": "array"}, "opts": {"type": "object"}, "name": {"type": "string"}}
    (row,) = typed_rows(read_sheet(sheet), template_, str(sheet))
    assert row["parameters"] == {"n": 3, "x": 0.25, "gpu": True, "chroms": ["chr1", "chr2"], "opts": {"k": 1},
                                 "name": "007"}


def test_a_hundred_thousand_samples_wrong_alike_are_said_briefly():
    """Every row is wrong in the same way, and a few in another: one line each, rows named and counted. (How fast
    is bench's to say: a timed test fails on a loaded machine, not on slow code.)"""
    template_ = {"sample_name": {"optional": False, "type": "string"}, "threads": {"optional": True, "type": "integer"}}
    settings = [{"runSettingId": f"S{i}", "parameters": {"sample_name": f"S{i}", "threads": 4}}
                for i in range(100_000)]
    for row in (10, 20, 30, 40, 50, 60, 70):
        settings[row]["parameters"]["threads"] = f"{row}"
    lines = parameter_fit.batch_errors(template_, {"unknown": 1}, settings)
    assert lines[0].startswith("all 100000 samples: parameters not in the workflow's parameter template: unknown")
    assert lines[1] == ("samples row 11 ('S10'), row 21 ('S20'), row 31 ('S30'), row 41 ('S40'), row 51 ('S50') "
                        "and 2 more: parameter 'threads' must be an integer; got str")
    assert len(" ".join(lines)) < 1000


def test_many_distinct_problems_are_cut_to_a_few_lines():
    template_ = {f"p{i}": {"optional": True, "type": "integer"} for i in range(30)}
    settings = [{"runSettingId": f"S{i}", "parameters": {f"p{i}": "x"}} for i in range(30)]
    lines = parameter_fit.batch_errors(template_, {}, settings)
    assert len(lines) == parameter_fit.MAX_LINES + 1 and lines[-1].startswith("and ")


def test_sample_tokens_are_not_type_checked():
    stack = new_stack()
    threads = cdk.CfnParameter(stack, "Threads", type="Number").value_as_number
    batch(stack, workflow=hello(stack), samples=[{"run_setting_id": "S1",
                                                  "parameters": {"sample_name": "A", "threads": threads}}])
    template(stack).has_resource_properties("Custom::HealthOmicsRunBatch", {"Samples": [Match.object_like(
        {"parameters": Match.object_like({"threads": {"Ref": "Threads"}})})]})


# -- container images ------------------------------------------------------------------------------------

def test_the_created_service_role_may_pull_the_workflows_images():
    stack = new_stack()
    images = ecr.Repository(stack, "Images")
    HealthOmicsRun(stack, "Greet", workflow=hello(stack, container_repositories=[images]),
                   parameters={"sample_name": "x"})
    policies = template(stack).find_resources("AWS::IAM::Policy")
    statements = [s for name, p in policies.items() if "ServiceRole" in name
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    pulls = [s for s in statements if "ecr:BatchGetImage" in s["Action"]]
    assert pulls and pulls[0]["Resource"] == {"Fn::GetAtt": [stack.get_logical_id(images.node.default_child), "Arn"]}


def test_a_role_you_bring_is_left_as_it_is():
    stack = new_stack()
    images = ecr.Repository(stack, "Images")
    given = iam.Role(stack, "Given", assumed_by=iam.ServicePrincipal("omics.amazonaws.com"))
    HealthOmicsRun(stack, "Greet", role=given, workflow=hello(stack, container_repositories=[images]),
                   parameters={"sample_name": "x"})
    assert not template(stack).find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [
        {"Ref": stack.get_logical_id(given.node.default_child)}]}})


# -- configuration= --------------------------------------------------------------------------------------

def configuration(stack: cdk.Stack) -> Configuration:
    return Configuration(stack, "RunVpc", subnets=[ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0abc1234")],
                         security_groups=[ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0abc1234")])


@pytest.mark.parametrize("kind", ["run", "batch"])
def test_configuration_sets_vpc_networking_waits_for_it_and_may_be_started_with(kind):
    stack = new_stack()
    vpc_runs = configuration(stack)
    if kind == "run":
        run(stack, workflow_id="1234567", configuration=vpc_runs)
        _, resource = only(stack, "Custom::HealthOmicsRun")
    else:
        batch(stack, workflow_id="1234567", configuration=vpc_runs, samples=[{"run_setting_id": "S1"}])
        _, resource = only(stack, "Custom::HealthOmicsRunBatch")
    config_id = logical_id(stack, vpc_runs)
    assert resource["Properties"]["ConfigurationName"] == {"Ref": config_id}
    assert resource["Properties"]["NetworkingMode"] == "VPC"
    assert config_id in resource["DependsOn"]
    (start,) = handler_statements(stack, "omics:StartRun")
    assert {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":omics:", {"Ref": "AWS::Region"}, ":",
                              {"Ref": "AWS::AccountId"}, ":configuration/", {"Ref": config_id}]]} in start["Resource"]


def test_an_imported_configuration_sets_its_name():
    stack = new_stack()
    run(stack, workflow_id="1234567", configuration=Configuration.from_configuration_name(stack, "Vpc", "hipaa-vpc"),
        networking_mode=NetworkingMode.VPC)
    _, resource = only(stack, "Custom::HealthOmicsRun")
    assert resource["Properties"]["ConfigurationName"] == "hipaa-vpc"


@pytest.mark.parametrize("props, message", [
    ({"configuration_name": "other"}, "give configuration or configuration_name, not both"),
    ({"networking_mode": NetworkingMode.RESTRICTED}, "configuration is for networking_mode VPC (it sets it); "
                                                     "got networking_mode 'RESTRICTED'"),
    ({"configuration_name": None, "configuration": "hipaa-vpc"}, "configuration must be a Configuration"),
])
def test_configuration_conflicts_are_refused(props, message):
    stack = new_stack()
    props = {"configuration": configuration(stack), **props}
    with pytest.raises(ValidationError) as raised:
        run(stack, workflow_id="1234567", **{k: v for k, v in props.items() if v is not None})
    assert message in str(raised.value) and raised.value.code == "InvalidRunProps"


# -- the handler: workflows that are not ACTIVE ----------------------------------------------------------

@pytest.mark.parametrize("status, advice", [
    ("FAILED", "check the workflow's statusMessage"),
    ("DELETED", "create it again"),
    ("INACTIVE", "make it ACTIVE again"),
])
def test_a_run_fails_fast_naming_the_workflows_status(omics, props, status, advice):
    omics.set_workflow_status(WORKFLOW_ID, status)
    with pytest.raises(RunError) as raised:
        handler.on_event(event("Create", props))
    message = str(raised.value)
    assert f"workflow {WORKFLOW_ID} is {status}; runs start only on ACTIVE workflows: " in message
    assert advice in message and omics.count("StartRun") == 0


def test_a_failed_workflows_status_message_is_quoted(omics, props):
    omics.set_workflow_status(WORKFLOW_ID, "FAILED", status_message="main.nf: syntax error at line 3")
    with pytest.raises(RunError, match=r"is FAILED \(main.nf: syntax error at line 3\); runs start only on ACTIVE"):
        handler.on_event(event("Create", props))


@pytest.mark.parametrize("status", ["CREATING", "UPDATING"])
def test_a_run_of_a_workflow_still_being_created_waits_for_it_to_be_active(omics, props, status):
    """CloudFormation may report a workflow created before HealthOmics has made it ACTIVE: the start is handed
    to is_complete, which starts the run once the workflow is ACTIVE."""
    omics.set_workflow_status(WORKFLOW_ID, status)
    created = event("Create", props)
    waiting = {**created, **handler.on_event(created)}
    assert waiting[PHASE] == START and omics.count("StartRun") == 0
    omics.set_workflow_status(WORKFLOW_ID, "ACTIVE")
    assert handler.is_complete(waiting)["IsComplete"] is True and omics.count("StartRun") == 1


def test_a_workflow_still_creating_at_the_deadline_fails_naming_its_status(omics, props):
    omics.set_workflow_status(WORKFLOW_ID, "CREATING")
    created = event("Create", props)
    waiting = {**created, **handler.on_event(created), WAIT_DEADLINE: 0}
    with pytest.raises(RunError, match=f"within the timeout .*: workflow {WORKFLOW_ID} is CREATING; runs start only "
                                       "on ACTIVE workflows"):
        handler.is_complete(waiting)


def test_a_version_that_is_not_active_is_named(omics, props):
    omics.add_workflow(WORKFLOW_ID, {}, versions={"v2": {"sample_name": {}}})
    omics.set_workflow_status(WORKFLOW_ID, "FAILED", version_name="v2")
    props = {**props, "WorkflowVersionName": "v2", "Parameters": {"sample_name": "x"}, "ParameterTypes": {}}
    with pytest.raises(RunError, match=f"workflow {WORKFLOW_ID} version v2 is FAILED"):
        handler.on_event(event("Create", props))
    assert omics.count("StartRun") == 0


def test_a_batch_fails_fast_naming_the_workflows_status(omics, props):
    omics.add_workflow(WORKFLOW_ID, BATCH_TEMPLATE, status="INACTIVE")
    with pytest.raises(RunError, match=f"workflow {WORKFLOW_ID} is INACTIVE; runs start only on ACTIVE workflows"):
        handler.on_event(batch_event("Create", batch_properties(props)))
    assert omics.count("StartRunBatch") == 0


def test_an_active_workflow_starts(omics, props):
    omics.set_workflow_status(WORKFLOW_ID, "ACTIVE")
    handler.on_event(event("Create", props))
    assert omics.count("StartRun") == 1


def test_the_fake_answers_a_status_the_service_model_allows():
    from healthomics_run.run_model import service_model
    assert service_model.output_members("GetWorkflow")["status"]["enum"] == [
        "CREATING", "ACTIVE", "UPDATING", "DELETED", "FAILED", "INACTIVE"]
    assert json.dumps(service_model.output_members("GetWorkflowVersion")["status"]["enum"]).count('"') == 12
