"""Workflows as code: ``AWS::Omics::Workflow`` and ``AWS::Omics::WorkflowVersion`` from a local definition.

The definition (a folder, zipped by CDK, or a ``.zip``) is uploaded as a CDK file asset and named by
``DefinitionUri``, the S3 URI of the zip (AWS::Omics::Workflow reference,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-workflow.html).
CloudFormation's handler for the resource reads that object with the deploying principal's
credentials: the resource type's create handler lists ``s3:GetObject`` among its permissions (the
AWS::Omics::Workflow resource provider schema, as cfn-lint ships it). The CDK bootstrap's deploy role
can read its own asset bucket, so nothing is granted here; ``WorkflowBucketOwnerId`` pins the bucket
to this account.

The parameter template is derived at synth time (see ``workflow_definition``), so runs of the
workflow can be checked before anything deploys.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Union

from aws_cdk import Annotations, Aws, IResource, Resource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_omics as omics
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

if TYPE_CHECKING:
    from aws_cdk import aws_ecr as ecr
from typing_extensions import Protocol, runtime_checkable

from . import errors as codes
from ._interfaces import ResourceProtocolMeta
from . import workflow_definition as definitions
from ._lambda.start_run import rules, service_model
from ._validation import is_unresolved
from ._image_warnings import warn_unpullable_images
from .ecr_access import PULL_ACTIONS, allow_omics_pull
from .enums import StorageType, WorkflowEngine, WorkflowType

ParameterTemplate = Mapping[str, Mapping[str, Any]]
# AWS::Omics::Workflow's resource schema (cfn-lint's copy): ParameterTemplate takes at most 1,000 entries and
# Engine only WDL, NEXTFLOW and CWL (the service model also has WDL_LENIENT and 2,000 entries).
CFN_TEMPLATE_MAX = 1000
CFN_ENGINES = ("WDL", "NEXTFLOW", "CWL")
ENGINE_WARNING_ID = "healthomics-run:workflow-engine"


@runtime_checkable
class IWorkflow(IResource, Protocol, metaclass=ResourceProtocolMeta):
    """A workflow a run can use: a ``Workflow``, a ``WorkflowVersion`` or an import
    (``Workflow.from_workflow_id``).

    An ``aws_cdk.IResource``, so it also has ``stack``, ``env``, ``node`` and ``apply_removal_policy``.
    """

    workflow_id: str
    """The workflow's id (digits; a token for a created workflow)."""
    workflow_arn: str
    """``arn:<partition>:omics:<region>:<account>:workflow/<id>`` (no account for READY2RUN)."""
    parameter_template: Optional[dict[str, dict[str, Any]]]
    """Name -> ``{"description", "optional", "type"?, "declared_type"?}``, known at synth; ``None`` when unknown
    (the deploy-time check then reads it from HealthOmics)."""
    workflow_type: str
    """``"PRIVATE"`` or ``"READY2RUN"``."""
    owner_id: Optional[str]
    """The 12-digit account that shared the workflow, or ``None`` (this account, or READY2RUN)."""
    version_name: Optional[str] = None
    """The workflow version a run should use, or ``None`` for the default version."""
    container_repositories: tuple[ecr.IRepository, ...] = ()
    """The private ECR repositories of its container images."""

    def grant_image_pull(self, role: iam.IGrantable) -> iam.Grant:
        """Let ``role`` (a run's service role) pull the images of ``container_repositories``.

        For a ``RunServiceRole`` the statements are its own ``grant_image_pull``'s (one per repository).

        :returns: the grant; with no ``container_repositories``, a grant that does nothing
            (``iam.Grant.drop``: there is nothing to pull).
        """
        repositories = self.container_repositories
        if not repositories:
            return iam.Grant.drop(role, f"pull the images of {self.node.path}, which names no container repositories")
        from .service_role import RunServiceRole  # a role module that imports nothing of this one

        grant: Optional[iam.Grant] = None
        for repository in repositories:
            if isinstance(role, RunServiceRole):
                this = role.grant_image_pull(repository)
            else:
                this = iam.Grant.add_to_principal(grantee=role, actions=sorted(PULL_ACTIONS),
                                                  resource_arns=[repository.repository_arn])
            grant = this if grant is None else grant.combine(this)
        return grant


class Workflow(Resource, IWorkflow):
    """An ``AWS::Omics::Workflow`` (a private workflow) from a local definition.

    :param definition: a folder (zipped and uploaded as a CDK asset) or a ``.zip`` file.
    :param engine: the definition's language.
    :param main: the main file, relative to the definition's root. Default: ``main.nf`` for Nextflow; for
        WDL and CWL the only definition file at the root, else ``main.wdl`` / ``main.cwl``.
    :param parameter_template: name -> ``{"description": str, "optional": bool}`` (plus ``"type"``, one of
        ``workflow_definition.TYPES``, for synth-time checks). Default: derived from the definition
        (``nextflow_schema.json``, the WDL workflow's ``input`` block, the CWL ``inputs``); for Nextflow
        without a schema, none (HealthOmics derives it; ``parameter_template`` is then ``None``).
    :param name: 1 to 128 characters. Default: the construct's path (last 128 characters).
    :param description: 1 to 256 characters. Default: none.
    :param storage_type: the default run storage of its runs. Default: the service's.
    :param storage_capacity: GiB of static run storage, 0 to 100,000. Default: the service's.
    :param accelerators: ``"GPU"`` for GPU tasks. Default: none.
    :param container_repositories: private ECR repositories holding its images; each gets the repository
        policy statement that lets HealthOmics pull (an imported one: a synth warning saying what to add).
        Default: none.
    :param container_registry_map: registry and image mappings, an
        ``aws_omics.CfnWorkflow.ContainerRegistryMapProperty`` (a plain dict is passed as it is, so it needs
        CloudFormation's keys: ``{"RegistryMappings": [...]}``). Default: none.
    :param readme: the README as Markdown text, or a ``Path`` to a local Markdown file. Default: none.

    Attributes: ``workflow_id``, ``workflow_arn`` (tokens), ``parameter_template`` (known at synth),
    ``workflow_type`` (``"PRIVATE"``), ``owner_id`` (``None``), ``engine``, ``container_repositories``,
    ``definition_asset``, ``resource`` (the ``CfnWorkflow``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        definition: Union[str, Path],
        engine: Union[WorkflowEngine, str],
        main: Optional[str] = None,
        parameter_template: Optional[ParameterTemplate] = None,
        name: Optional[str] = None,
        description: Optional[str] = None,
        storage_type: Union[StorageType, str, None] = None,
        storage_capacity: Optional[int] = None,
        accelerators: Optional[str] = None,
        container_repositories: Sequence[ecr.IRepository] = (),
        container_registry_map: Any = None,
        readme: Union[str, Path, None] = None,
    ) -> None:
        super().__init__(scope, id)
        name = name if name is not None else self.node.path[-128:]
        self.engine: str = _plain(engine)
        props = _Props(self, "CreateWorkflow", definition=definition, engine=self.engine, main=main,
                       parameter_template=parameter_template, name=name, description=description,
                       storage_type=storage_type, storage_capacity=storage_capacity, accelerators=accelerators,
                       readme=readme)
        self.parameter_template: Optional[dict[str, dict[str, Any]]] = props.template
        self.definition_asset = s3_assets.Asset(self, "Definition", path=str(props.path))
        self.resource = omics.CfnWorkflow(
            self, "Resource", definition_uri=self.definition_asset.s3_object_url,
            workflow_bucket_owner_id=Aws.ACCOUNT_ID, engine=self.engine, main=main, name=name,
            description=description, parameter_template=props.service_template, storage_type=props.storage_type,
            storage_capacity=storage_capacity, accelerators=accelerators,
            container_registry_map=container_registry_map, readme_markdown=props.readme)
        self.workflow_id: str = self.resource.attr_id
        self.workflow_arn: str = self.resource.attr_arn
        self.workflow_type: str = WorkflowType.PRIVATE.value
        self.owner_id: Optional[str] = None
        self.container_repositories = tuple(container_repositories)
        for repository in self.container_repositories:
            allow_omics_pull(repository, self)
        warn_unpullable_images(self, props.path, self.container_repositories)
        self._version_names: set[str] = set()

    @classmethod
    def from_workflow_id(cls, scope: Construct, id: str, workflow_id: str, *,
                         parameter_template: Optional[ParameterTemplate] = None,
                         workflow_type: Union[WorkflowType, str] = WorkflowType.PRIVATE,
                         owner_id: Optional[str] = None) -> IWorkflow:
        """An existing workflow: one of this account's, one shared with it (``owner_id``), or a READY2RUN one.

        :param parameter_template: its template, if known, so runs are checked at synth. Default: unknown
            (the handler reads it from HealthOmics at deploy time).
        :param workflow_type: Default: ``WorkflowType.PRIVATE``.
        :param owner_id: the 12-digit account that shared it with you. Default: none (this account).
        """
        return _ImportedWorkflow(scope, id, workflow_id=workflow_id, parameter_template=parameter_template,
                                 workflow_type=_plain(workflow_type), owner_id=owner_id)

    def add_version(self, id: str, *, version_name: str, definition: Union[str, Path],
                    engine: Union[WorkflowEngine, str, None] = None, **props: Any) -> "WorkflowVersion":
        """A new ``WorkflowVersion`` of this workflow (a child construct); see ``WorkflowVersion`` for the props.

        ``engine`` defaults to this workflow's. Nothing else is inherited (HealthOmics does not carry a
        workflow's settings over to its versions), except ``container_repositories``.
        """
        return WorkflowVersion(self, id, workflow=self, version_name=version_name, definition=definition,
                               engine=engine if engine is not None else self.engine, **props)


class _ImportedWorkflow(Resource, IWorkflow):
    def __init__(self, scope: Construct, id: str, *, workflow_id: str, parameter_template: Optional[ParameterTemplate],
                 workflow_type: str, owner_id: Optional[str]) -> None:
        super().__init__(scope, id)
        problems: list[str] = []
        if not is_unresolved(workflow_id):
            problems += rules.member_errors("workflow_id", workflow_id, service_model.input_members("GetWorkflow")["id"])
        problems += rules.member_errors("workflow_type", workflow_type, service_model.input_members("GetWorkflow")["type"])
        if owner_id is not None and not is_unresolved(owner_id):
            if rules.member_errors("owner_id", owner_id, service_model.input_members("GetWorkflow")["workflowOwnerId"]):
                problems.append(f"owner_id must be an AWS account id of 12 digits; got {owner_id!r}")
            if workflow_type == WorkflowType.READY2RUN.value:
                problems.append("owner_id is for workflows shared with this account; READY2RUN workflows have none")
        template_problems = [] if parameter_template is None else definitions.template_errors(parameter_template)
        codes.raise_if_any(self, (codes.INVALID_WORKFLOW_DEFINITION, template_problems),
                           (codes.INVALID_RESOURCE_PROPS, problems))
        self.workflow_id, self.workflow_type, self.owner_id = workflow_id, workflow_type, owner_id
        self.parameter_template = None if parameter_template is None else definitions.normalized(parameter_template)
        account = "" if workflow_type == WorkflowType.READY2RUN.value else owner_id or Aws.ACCOUNT_ID
        self.workflow_arn = f"arn:{Aws.PARTITION}:omics:{Aws.REGION}:{account}:workflow/{workflow_id}"


class WorkflowVersion(Resource, IWorkflow):
    """An ``AWS::Omics::WorkflowVersion``: another definition of ``workflow`` under ``version_name``.

    Usually made with ``workflow.add_version(...)``. A run given a version runs that version.

    :param workflow: the workflow (created here, or imported by id: then it must be this account's).
    :param version_name: 1 to 64 letters, digits, ``-``, ``.``, ``_``, starting with a letter or digit;
        unique among the workflow's versions.
    :param definition: as for ``Workflow``.
    :param engine: as for ``Workflow``. Default: the workflow's engine (required when ``workflow`` is imported).
    :param main: as for ``Workflow``.
    :param parameter_template: as for ``Workflow``.
    :param description: as for ``Workflow``.
    :param storage_type: as for ``Workflow``.
    :param storage_capacity: as for ``Workflow``.
    :param accelerators: as for ``Workflow``.
    :param container_registry_map: as for ``Workflow``.
    :param readme: as for ``Workflow``.
    :param container_repositories: Default: the workflow's (for a ``Workflow`` made here), else none.

    Attributes: ``workflow`` (the parent), ``version_name``, ``parameter_template``,
    ``workflow_version_arn`` (``.../workflow/<id>/version/<name>``), ``workflow_id``, ``workflow_arn``,
    ``workflow_type``, ``owner_id`` (the parent's), ``container_repositories``, ``definition_asset``,
    ``resource`` (the ``CfnWorkflowVersion``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        workflow: IWorkflow,
        version_name: str,
        definition: Union[str, Path],
        engine: Union[WorkflowEngine, str, None] = None,
        main: Optional[str] = None,
        parameter_template: Optional[ParameterTemplate] = None,
        description: Optional[str] = None,
        storage_type: Union[StorageType, str, None] = None,
        storage_capacity: Optional[int] = None,
        accelerators: Optional[str] = None,
        container_repositories: Optional[Sequence[ecr.IRepository]] = None,
        container_registry_map: Any = None,
        readme: Union[str, Path, None] = None,
    ) -> None:
        super().__init__(scope, id)
        engine = engine if engine is not None else getattr(workflow, "engine", None)
        problems: list[str] = []
        if engine is None:
            problems.append("engine is required for a version of an imported workflow")
        taken: Optional[set[str]] = getattr(workflow, "_version_names", None)
        if not is_unresolved(version_name):
            problems += rules.member_errors("version_name", version_name,
                                            service_model.input_members("CreateWorkflowVersion")["versionName"])
            if taken is not None and version_name in taken:
                problems.append(f"version_name {version_name!r} is already a version of {workflow.node.path}")
        if workflow.workflow_type != WorkflowType.PRIVATE.value or workflow.owner_id is not None:
            problems.append("versions can be added only to this account's private workflows")
        codes.raise_if_any(self, (codes.INVALID_RESOURCE_PROPS, problems))
        self.engine = _plain(engine)
        props = _Props(self, "CreateWorkflowVersion", definition=definition, engine=self.engine, main=main,
                       parameter_template=parameter_template, description=description, storage_type=storage_type,
                       storage_capacity=storage_capacity, accelerators=accelerators, readme=readme)
        if taken is not None and not is_unresolved(version_name):
            taken.add(version_name)
        self.workflow, self.version_name = workflow, version_name
        self.parameter_template = props.template
        self.definition_asset = s3_assets.Asset(self, "Definition", path=str(props.path))
        self.resource = omics.CfnWorkflowVersion(
            self, "Resource", workflow_id=workflow.workflow_id, version_name=version_name,
            definition_uri=self.definition_asset.s3_object_url, workflow_bucket_owner_id=Aws.ACCOUNT_ID,
            engine=self.engine, main=main, description=description, parameter_template=props.service_template,
            storage_type=props.storage_type, storage_capacity=storage_capacity, accelerators=accelerators,
            container_registry_map=container_registry_map, readme_markdown=props.readme)
        if isinstance(workflow, Construct):
            self.node.add_dependency(workflow)
        self.workflow_version_arn: str = self.resource.attr_arn
        self.workflow_id, self.workflow_arn = workflow.workflow_id, workflow.workflow_arn
        self.workflow_type, self.owner_id = workflow.workflow_type, workflow.owner_id
        self.container_repositories = (tuple(container_repositories) if container_repositories is not None
                                       else tuple(workflow.container_repositories))
        warn_unpullable_images(self, props.path, self.container_repositories)
        if container_repositories is not None:
            for repository in self.container_repositories:
                allow_omics_pull(repository, self)


class _Props:
    """The checked props of a workflow or version: its definition path, template and service values.

    Raises ``ValidationError`` on the construct's line: ``InvalidWorkflowDefinition`` for the definition and
    its template, ``InvalidResourceProps`` for the rest (values that are tokens are left to CloudFormation).
    """

    def __init__(self, construct: Construct, operation: str, *, definition: Union[str, Path], engine: str,
                 main: Optional[str], parameter_template: Optional[ParameterTemplate],
                 storage_type: Union[StorageType, str, None], readme: Union[str, Path, None], **plain: Any) -> None:
        members = service_model.input_members(operation)
        api = {"name": "name", "description": "description", "storage_capacity": "storageCapacity",
               "accelerators": "accelerators"}
        self.storage_type = None if storage_type is None else _plain(storage_type)
        checked = {**plain, "engine": engine, "main": main, "storage_type": self.storage_type}
        api.update(engine="engine", main="main", storage_type="storageType")
        resource_problems: list[str] = []
        for prop, value in checked.items():
            if value is not None and not is_unresolved(value):
                resource_problems += rules.member_errors(prop, value, members[api[prop]])
        self.readme = _readme(readme, resource_problems)
        definition_problems: list[str] = []
        self.path = Path(definition)
        self.template: Optional[dict[str, dict[str, Any]]] = None
        if not self.path.exists():
            definition_problems.append(f"definition {str(definition)!r} does not exist (a folder or a .zip file; "
                                       f"relative paths are from {Path.cwd()})")
        elif self.path.is_file() and self.path.suffix.lower() != ".zip":
            definition_problems.append(f"definition {str(definition)!r} must be a folder or a .zip file")
        elif parameter_template is not None:
            definition_problems += definitions.template_errors(parameter_template)
            if not definition_problems:
                self.template = definitions.normalized(parameter_template)
        elif engine in _ENGINES and not resource_problems:
            try:
                self.template = definitions.derive(self.path, engine, main)
            except definitions.DefinitionError as error:
                definition_problems.append(str(error))
        if self.template is not None:
            definition_problems += _size_problems(self.template)
        codes.raise_if_any(construct, (codes.INVALID_WORKFLOW_DEFINITION, definition_problems),
                           (codes.INVALID_RESOURCE_PROPS, resource_problems))
        self.service_template = definitions.service_template(self.template) if self.template else None
        if engine not in CFN_ENGINES and engine in _ENGINES:
            Annotations.of(construct).add_warning_v2(
                ENGINE_WARNING_ID, f"engine {engine} is in the HealthOmics API, but AWS::Omics::Workflow's resource "
                f"schema lists only {', '.join(CFN_ENGINES)}: CloudFormation may refuse it until the schema is updated")


_ENGINES = tuple(e.value for e in WorkflowEngine)


def _size_problems(template: Mapping[str, Any]) -> list[str]:
    problems = []
    if len(template) > CFN_TEMPLATE_MAX:
        problems.append(f"the parameter template has {len(template)} parameters; AWS::Omics::Workflow takes at most "
                        f"{CFN_TEMPLATE_MAX}")
    long = [name for name in template if len(name) > definitions.NAME_MAX]
    if long:
        problems.append(f"parameter names must be at most {definitions.NAME_MAX} characters: {', '.join(long[:5])}")
    return problems


def _readme(readme: Union[str, Path, None], problems: list[str]) -> Optional[str]:
    if isinstance(readme, Path):
        try:
            return readme.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"readme {str(readme)!r} cannot be read as UTF-8 text: {error}")
            return None
    return readme


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") and isinstance(value, str) else value
