"""The public API composes like aws-cdk-lib's: grants return ``iam.Grant``, interfaces are ``IResource``s,
every exported name, enum member and prop is documented."""

from __future__ import annotations

import ast
import enum
import inspect
import typing
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

import healthomics_run
from healthomics_run import (
    Configuration,
    IConfiguration,
    IRunCache,
    IRunGroup,
    IWorkflow,
    RunCache,
    RunGroup,
    RunServiceRole,
    Workflow,
    WorkflowEngine,
)
from tests.synth import ROOT, new_stack, template

HELLO = ROOT / "workflows" / "hello"


def _statements(stack: cdk.Stack) -> list[dict]:
    return [s for p in template(stack).find_resources("AWS::IAM::Policy").values()
            for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_service_role_grants_return_grants_holding_their_statements():
    stack = new_stack()
    role = RunServiceRole(stack, "Role")
    key = kms.Key(stack, "Key")
    bucket = s3.Bucket(stack, "Data", encryption_key=key)
    for grant in (role.grant_input(bucket, "in/"), role.grant_output(bucket, "out/"),
                  role.grant_image_pull(ecr.Repository(stack, "Images"))):
        assert isinstance(grant, iam.Grant) and grant.success and grant.principal_statements
    actions = {tuple(a) if isinstance(a, list) else a for a in (s["Action"] for s in _statements(stack))}
    assert "s3:ListBucket" in actions and "kms:Decrypt" in str(actions)


def test_grants_are_declared_on_the_interfaces():
    assert inspect.signature(IRunCache.grant_service_role).return_annotation in (iam.Grant, "iam.Grant")
    assert inspect.signature(IWorkflow.grant_image_pull).return_annotation in (iam.Grant, "iam.Grant")
    for name in ("grant_input", "grant_output", "grant_image_pull"):
        assert inspect.signature(getattr(RunServiceRole, name)).return_annotation in (iam.Grant, "iam.Grant")


def test_run_cache_grant_returns_the_grant():
    stack = new_stack()
    grant = RunCache(stack, "Cache").grant_service_role(RunServiceRole(stack, "Role"))
    assert isinstance(grant, iam.Grant) and len(grant.principal_statements) == 2


def test_workflow_grant_image_pull_returns_a_grant_for_a_run_service_role():
    stack = new_stack()
    workflow = Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW,
                        container_repositories=[ecr.Repository(stack, "Images")])
    grant = workflow.grant_image_pull(RunServiceRole(stack, "Role"))
    assert isinstance(grant, iam.Grant) and grant.principal_statements


def _made_and_imported(stack: cdk.Stack) -> list[tuple[type, object]]:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0,
                  subnet_configuration=[ec2.SubnetConfiguration(name="a", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    return [
        (IRunGroup, RunGroup(stack, "Group")), (IRunGroup, RunGroup.from_run_group_id(stack, "G", "1234567")),
        (IRunCache, RunCache(stack, "Cache")), (IRunCache, RunCache.from_run_cache_id(stack, "C", "1234567")),
        (IWorkflow, Workflow(stack, "Hello", definition=HELLO, engine=WorkflowEngine.NEXTFLOW)),
        (IWorkflow, Workflow.from_workflow_id(stack, "W", "1234567")),
        (IConfiguration, Configuration(stack, "Vpc Runs", vpc=vpc)),
        (IConfiguration, Configuration.from_configuration_name(stack, "Conf", "runs")),
    ]


def test_interfaces_build_on_iresource_and_tell_their_own_kind():
    stack = new_stack()
    made = _made_and_imported(stack)
    for interface, resource in made:
        assert cdk.IResource in interface.__mro__
        assert isinstance(resource, interface) and isinstance(resource, cdk.Resource)
        assert resource.stack is stack and resource.env.region == stack.region
        others = {i for i, _ in made} - {interface}
        assert not any(isinstance(resource, other) for other in others), (resource, others)
    assert not isinstance(s3.Bucket(stack, "Bucket"), IRunCache) and not isinstance("1234567", IRunGroup)


def test_a_users_own_resource_can_implement_an_interface_without_a_metaclass():
    class MyRunGroup(cdk.Resource, IRunGroup):
        def __init__(self, scope, id):
            super().__init__(scope, id)
            self.run_group_id, self.run_group_arn = "1234567", "arn:aws:omics:us-east-1:111122223333:runGroup/1234567"

    stack = new_stack()
    group = MyRunGroup(stack, "Mine")
    assert isinstance(group, IRunGroup)
    group.node.add_dependency(RunGroup(stack, "Other"))


# --- documentation: every exported name, enum member and prop


def _exported() -> list[tuple[str, object]]:
    return [(name, getattr(healthomics_run, name)) for name in healthomics_run.__all__]


@pytest.mark.parametrize("name", healthomics_run.__all__)
def test_every_exported_name_has_a_docstring(name):
    value = getattr(healthomics_run, name)
    if isinstance(value, (str, dict)):  # constants: documented where they are defined
        source = Path(inspect.getsourcefile(importlib_module(name))).read_text()
        assert f"{name}" in source
        return
    assert (value.__doc__ or "").strip(), name


def importlib_module(name: str):
    import importlib

    return importlib.import_module(healthomics_run._MODULE_OF[name], "healthomics_run")


@pytest.mark.parametrize("name", [n for n, v in _exported() if isinstance(v, type) and issubclass(v, enum.Enum)])
def test_every_enum_member_is_documented(name):
    """Each member is followed by its docstring (an attribute docstring, which the API reference shows)."""
    cls = getattr(healthomics_run, name)
    (node,) = [n for n in ast.parse(Path(inspect.getsourcefile(cls)).read_text()).body
               if isinstance(n, ast.ClassDef) and n.name == name]
    documented = {first.targets[0].id for first, then in zip(node.body, node.body[1:], strict=False)
                  if isinstance(first, ast.Assign) and isinstance(then, ast.Expr)
                  and isinstance(then.value, ast.Constant) and str(then.value.value).strip()}
    assert set(cls.__members__) - documented == set()


CONSTRUCTS = ["HealthOmicsRun", "HealthOmicsRunBatch", "WorkflowRun", "WorkflowRunBatch", "RunCache", "RunGroup",
              "RunServiceRole", "RunOutputBucket", "Workflow", "WorkflowVersion", "Configuration"]


@pytest.mark.parametrize("name", ["RunCache", "RunGroup", "RunServiceRole", "RunOutputBucket", "Workflow",
                                  "WorkflowVersion", "Configuration"])
def test_every_keyword_prop_is_documented_with_its_default(name):
    cls = getattr(healthomics_run, name)
    entries = _param_entries(inspect.getdoc(cls) or "")
    parameters = [p for p in inspect.signature(cls.__init__).parameters.values() if p.kind is p.KEYWORD_ONLY]
    assert [p.name for p in parameters if p.name not in entries] == [], f"{name}: props without a :param:"
    no_default = [p.name for p in parameters if p.default is not p.empty
                  and not any(word in entries[p.name] for word in ("Default", "as for"))]
    assert no_default == [], f"{name}: optional props whose default is not stated"


def _param_entries(doc: str) -> dict[str, str]:
    """``:param a, b: text`` entries (continuation lines joined), by each name they document."""
    entries: dict[str, str] = {}
    current: list[str] = []
    for line in doc.splitlines() + [""]:
        if line.startswith(" ") and current:
            current.append(line.strip())
            continue
        if current:
            names, _, text = " ".join(current)[len(":param "):].partition(":")
            for prop in names.split(","):
                entries[prop.strip()] = text
        current = [line] if line.startswith(":param ") else []
    return entries


def test_the_package_is_typed():
    assert (Path(healthomics_run.__file__).parent / "py.typed").exists()
    assert typing.get_type_hints(IRunGroup) == {"run_group_id": str, "run_group_arn": str}


def test_every_run_prop_has_a_type_one_description_and_one_default_in_the_reference():
    """As aws-cdk-lib's props tables: each prop its own row, typed, described, with its default once."""
    from healthomics_run.runs.run_props import RunProps

    (node,) = [n for n in ast.parse(Path(inspect.getsourcefile(RunProps)).read_text()).body
               if isinstance(n, ast.ClassDef) and n.name == "RunProps"]
    documented = {first.target.id: then.value.value for first, then in zip(node.body, node.body[1:], strict=False)
                  if isinstance(first, ast.AnnAssign) and isinstance(then, ast.Expr)
                  and isinstance(then.value, ast.Constant)}
    assert set(documented) == set(RunProps.__annotations__)
    for name, text in documented.items():
        assert text.count("Default:") + text.count("Required") == 1, (name, text)
        assert not text.startswith("Default:") and not text[0].islower(), (name, text)


def test_all_names_exactly_what_the_package_exports():
    """``__all__`` is spelled out for type checkers and linters; it must say what ``__getattr__`` serves."""
    assert healthomics_run.__all__ == sorted(healthomics_run._MODULE_OF)
