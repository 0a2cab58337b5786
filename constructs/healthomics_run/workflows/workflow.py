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

import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, TypedDict, Union

from aws_cdk import Annotations, Aws, IResolvable, IResource, Resource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_omics as omics
from aws_cdk import aws_s3_assets as s3_assets

from constructs import Construct

if TYPE_CHECKING:
    from aws_cdk import aws_ecr as ecr
from typing_extensions import Protocol, Unpack, runtime_checkable

from healthomics_run import errors as codes
from healthomics_run.construct_helpers.environments import foreign_problems
from healthomics_run.construct_helpers.interfaces import ResourceProtocolMeta
from healthomics_run.construct_helpers.validation import is_unresolved
from healthomics_run.enums import StorageType, WorkflowEngine, WorkflowType
from healthomics_run.infrastructure.ecr_access import PULL_ACTIONS, allow_omics_pull
from healthomics_run.run_model import rules, service_model

from . import definition_files, definition_imports
from . import workflow_definition as definitions
from ._image_warnings import warn_unpullable_images
from ._version_record import version_record_problems
from .definition_files import DefinitionFiles

ParameterTemplate = Mapping[str, Mapping[str, Any]]
# AWS::Omics::Workflow's resource schema (cfn-lint's copy): ParameterTemplate takes at most 1,000 entries and
# Engine only WDL, NEXTFLOW and CWL (the service model also has WDL_LENIENT and 2,000 entries).
CFN_TEMPLATE_MAX = 1000
CFN_ENGINES = ("WDL", "NEXTFLOW", "CWL")
ENGINE_WARNING_ID = "healthomics-run::workflow-engine"
HEALTHOMICS_DESCRIPTIONS = "@healthomics-run/workflow:healthOmicsDescriptions"
"""Context flag: ``True`` derives parameter descriptions as HealthOmics does (CWL ``label``, single-quoted WDL
strings). Off by default because ``ParameterTemplate`` is create-only: a template read differently would
replace workflows deployed with an earlier release. Set it in a new app's ``cdk.json``."""
TEMPLATE_WARNING_ID = "healthomics-run::parameter-template-names"


# A WorkflowVersion's repository and registry map, as aws-cdk-lib types them on AWS::Omics::WorkflowVersion.
VersionDefinitionRepository = Union[omics.CfnWorkflowVersion.DefinitionRepositoryProperty, IResolvable,
                                    dict[str, Any], None]
VersionContainerRegistryMap = Union[omics.CfnWorkflowVersion.ContainerRegistryMapProperty, IResolvable,
                                    dict[str, Any], None]


class WorkflowDefinitionProps(TypedDict, total=False):
    """The props ``Workflow`` and ``WorkflowVersion`` share: the definition and the settings HealthOmics keeps with
    it, as keyword props of both (and of ``Workflow.add_version``). Each prop below says its type and default."""

    definition: Union[str, Path, None]
    """A folder (zipped and uploaded as a CDK asset, without what ``exclude`` matches) or a ``.zip`` file (uploaded
    as it is). Default: none; then ``definition_repository`` is required."""
    exclude: Optional[Sequence[str]]
    """Glob patterns of files and folders to leave out of a folder's zip, with CDK's semantics
    (``aws_s3_assets.Asset``'s ``exclude``: a pattern without ``/`` matches that name at any depth; ``!``
    re-includes). Replaces the default; extend it with ``[*DEFAULT_EXCLUDES, "*.bam"]``; ``[]`` zips everything, as
    releases before 0.3 did. Default: ``DEFAULT_EXCLUDES`` (version control and what Nextflow, nf-test, miniwdl,
    Cromwell, Python, editors and operating systems leave behind), plus ``REPOSITORY_EXCLUDES`` (README, CHANGELOG,
    docs, tests, CI) when the folder is a repository's root; a file named by ``main``, ``readme_path`` or
    ``parameter_template_path`` is kept."""
    main: Optional[str]
    """The main file, relative to the definition's root. Default: as HealthOmics chooses it: among the definition
    files (``.wdl``, ``.nf``, ``.cwl``) closest to the root, the only one, else ``main.<ext>``."""
    parameter_template: Optional[ParameterTemplate]
    """Name -> ``{"description": str, "optional": bool}`` (plus ``"type"``, one of ``workflow_definition.TYPES``,
    for synth-time checks). Names the definition lacks get a synth warning, and types the definition says fill
    those not given. Default: derived from the definition (``nextflow_schema.json``, the WDL workflow's ``input``
    block, the CWL ``inputs``); for Nextflow without a schema, none (HealthOmics derives it; ``parameter_template``
    is then ``None``)."""
    parameter_template_path: Optional[str]
    """The path of a JSON parameter template inside the definition, which HealthOmics reads instead of deriving
    one (read here too, for checks). Default: none."""
    description: Optional[str]
    """1 to 256 characters. Default: none."""
    storage_type: Union[StorageType, str, None]
    """The default run storage of its runs. Default: the service's."""
    storage_capacity: Optional[int]
    """GiB of static run storage, 0 to 100,000. Default: the service's."""
    accelerators: Optional[str]
    """``"GPU"`` for GPU tasks. Default: none."""
    readme: Union[str, Path, None]
    """The README as Markdown text, or a ``Path`` to a local Markdown file. Default: none."""
    readme_path: Optional[str]
    """The path of the README inside the definition (or repository). Default: none."""



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
        from healthomics_run.infrastructure.service_role import (
            RunServiceRole,  # a role module that imports nothing of this one
        )

        grants = [role.grant_image_pull(repository) if isinstance(role, RunServiceRole)
                  else iam.Grant.add_to_principal(grantee=role, actions=sorted(PULL_ACTIONS),
                                                  resource_arns=[repository.repository_arn])
                  for repository in repositories]
        grant = grants[0]  # repositories is not empty
        for this in grants[1:]:
            grant = grant.combine(this)
        return grant


class Workflow(Resource, IWorkflow):
    """An ``AWS::Omics::Workflow`` (a private workflow) from a local definition or a Git repository.

    What replaces the workflow: ``DefinitionUri`` and ``ParameterTemplate`` are create-only, so a change to a
    file that goes into the zip, or to the derived template, creates a new workflow (a new id: runs of it start
    again). What ``exclude`` leaves out changes nothing.

    Attributes: ``workflow_id``, ``workflow_arn`` (tokens), ``parameter_template`` (known at synth),
    ``workflow_type`` (``"PRIVATE"``), ``owner_id`` (``None``), ``engine``, ``container_repositories``,
    ``definition_asset`` (``None`` for a repository), ``resource`` (the ``CfnWorkflow``).

    The other props (``definition``, ``exclude``, ``main``, ``parameter_template``, ``parameter_template_path``,
    ``description``, ``storage_type``, ``storage_capacity``, ``accelerators``, ``readme``, ``readme_path``) are
    ``WorkflowDefinitionProps``, shared with ``WorkflowVersion``.

    :param engine: the definition's language.
    :param definition_repository: a Git repository to read the definition from, through an AWS CodeConnections
        connection (an ``aws_omics.CfnWorkflow.DefinitionRepositoryProperty``, or a dict of its keyword
        arguments: ``connection_arn``, ``full_repository_id``, ``source_reference``, ...); ``main``,
        ``parameter_template_path`` and ``readme_path`` are then paths in the repository, and the template is
        unknown at synth unless ``parameter_template`` is given. Default: none.
    :param name: 1 to 128 characters. Default: the construct's path (last 128 characters).
    :param container_repositories: private ECR repositories holding its images; each gets the repository
        policy statement that lets HealthOmics pull (an imported one: a synth warning saying what to add).
        Default: none.
    :param container_registry_map: registry and image mappings, an
        ``aws_omics.CfnWorkflow.ContainerRegistryMapProperty`` (a plain dict is passed as it is, so it needs
        CloudFormation's keys: ``{"RegistryMappings": [...]}``). Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        engine: Union[WorkflowEngine, str],
        definition_repository: Union[omics.CfnWorkflow.DefinitionRepositoryProperty, IResolvable, dict[str, Any],
                                     None] = None,
        name: Optional[str] = None,
        container_repositories: Sequence[ecr.IRepository] = (),
        container_registry_map: Union[omics.CfnWorkflow.ContainerRegistryMapProperty, IResolvable, dict[str, Any],
                                      None] = None,
        **definition_props: Unpack[WorkflowDefinitionProps],
    ) -> None:
        super().__init__(scope, id)
        name = name if name is not None else self.node.path[-128:]
        self.engine: str = _plain(engine)
        props = _Props(self, "CreateWorkflow", engine=self.engine, definition_repository=definition_repository,
                       name=name, **definition_props)
        self.parameter_template: Optional[dict[str, dict[str, Any]]] = props.template
        self.definition_asset = props.asset(self)
        self.resource = omics.CfnWorkflow(
            self, "Resource",
            definition_uri=self.definition_asset.s3_object_url if self.definition_asset is not None else None,
            definition_repository=_struct(omics.CfnWorkflow.DefinitionRepositoryProperty, definition_repository),
            workflow_bucket_owner_id=Aws.ACCOUNT_ID if self.definition_asset is not None else None,
            engine=self.engine, main=definition_props.get("main"),
            name=name, description=definition_props.get("description"), parameter_template=props.service_template,
            parameter_template_path=definition_props.get("parameter_template_path"), storage_type=props.storage_type,
            storage_capacity=definition_props.get("storage_capacity"),
            accelerators=definition_props.get("accelerators"), container_registry_map=container_registry_map,
            readme_markdown=props.readme, readme_path=definition_props.get("readme_path"))
        self.workflow_id: str = self.resource.attr_id
        self.workflow_arn: str = self.resource.attr_arn
        self.workflow_type: str = WorkflowType.PRIVATE.value
        self.owner_id: Optional[str] = None
        self.container_repositories = tuple(container_repositories)
        codes.raise_if_any(self, (codes.INVALID_RESOURCE_PROPS, foreign_problems(
            self, "this workflow", [("container_repositories", r) for r in self.container_repositories],
            accounts=False)))
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

    def add_version(
        self,
        id: str,
        *,
        version_name: str,
        engine: Union[WorkflowEngine, str, None] = None,
        definition_repository: VersionDefinitionRepository = None,
        container_repositories: Optional[Sequence[ecr.IRepository]] = None,
        container_registry_map: VersionContainerRegistryMap = None,
        **definition_props: Unpack[WorkflowDefinitionProps],
    ) -> "WorkflowVersion":
        """A new ``WorkflowVersion`` of this workflow (a child construct); see ``WorkflowVersion`` for the props.

        ``engine`` defaults to this workflow's. Nothing else is inherited (HealthOmics does not carry a
        workflow's settings over to its versions), except ``container_repositories``.
        """
        return WorkflowVersion(self, id, workflow=self, version_name=version_name,
                               engine=engine if engine is not None else self.engine,
                               definition_repository=definition_repository,
                               container_repositories=container_repositories,
                               container_registry_map=container_registry_map, **definition_props)


class _ImportedWorkflow(Resource, IWorkflow):
    def __init__(self, scope: Construct, id: str, *, workflow_id: str, parameter_template: Optional[ParameterTemplate],
                 workflow_type: str, owner_id: Optional[str]) -> None:
        super().__init__(scope, id)
        problems: list[str] = []
        members = service_model.input_members("GetWorkflow")
        if not is_unresolved(workflow_id):
            problems += rules.member_errors("workflow_id", workflow_id, members["id"])
        problems += rules.member_errors("workflow_type", workflow_type, members["type"])
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

    A version is immutable: its definition and its name are create-only and names are unique per workflow, so
    a definition changed under the same name would be replaced create-before-delete, and the create fails.
    Either name each definition (``version_name="1.1"``) and let synth catch a change: with the context key
    ``VERSIONS_FILE_CONTEXT`` naming a JSON file (committed beside ``cdk.json``), each version's digest is
    recorded there and a changed definition under a recorded name fails synth; or put ``DIGEST`` in the name
    (``version_name=f"1.x-{WorkflowVersion.DIGEST}"``) so that each definition gets its own.

    Attributes: ``workflow`` (the parent), ``version_name``, ``parameter_template``,
    ``workflow_version_arn`` (``.../workflow/<id>/version/<name>``), ``workflow_id``, ``workflow_arn``,
    ``workflow_type``, ``owner_id`` (the parent's), ``container_repositories``, ``definition_asset``,
    ``resource`` (the ``CfnWorkflowVersion``).

    The other props are ``WorkflowDefinitionProps``, as for ``Workflow``.

    :param workflow: the workflow (created here, or imported by id: then it must be this account's).
    :param version_name: 1 to 64 letters, digits, ``-``, ``.``, ``_``, starting with a letter or digit;
        unique among the workflow's versions; ``WorkflowVersion.DIGEST`` in it is replaced by the definition's
        digest.
    :param engine: as for ``Workflow``. Default: the workflow's engine (required when ``workflow`` is imported).
    :param definition_repository: as for ``Workflow``, an ``aws_omics.CfnWorkflowVersion.DefinitionRepositoryProperty``
        or a dict of its keyword arguments.
    :param container_registry_map: as for ``Workflow``, an
        ``aws_omics.CfnWorkflowVersion.ContainerRegistryMapProperty`` or a dict with CloudFormation's keys.
    :param container_repositories: Default: the workflow's (for a ``Workflow`` made here), else none.
    """

    DIGEST = "{digest}"
    """Put in a ``version_name`` to name the version after its definition: replaced by the first 16 hex digits
    of the definition's digest (its CDK asset hash), so a changed definition is a new version."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        workflow: IWorkflow,
        version_name: str,
        engine: Union[WorkflowEngine, str, None] = None,
        definition_repository: VersionDefinitionRepository = None,
        container_repositories: Optional[Sequence[ecr.IRepository]] = None,
        container_registry_map: VersionContainerRegistryMap = None,
        **definition_props: Unpack[WorkflowDefinitionProps],
    ) -> None:
        super().__init__(scope, id)
        engine = engine if engine is not None else getattr(workflow, "engine", None)
        problems: list[str] = []
        if engine is None:
            problems.append("engine is required for a version of an imported workflow")
        if workflow.workflow_type != WorkflowType.PRIVATE.value or workflow.owner_id is not None:
            problems.append("versions can be added only to this account's private workflows")
        codes.raise_if_any(self, (codes.INVALID_RESOURCE_PROPS, problems))
        self.engine = _plain(engine)
        props = _Props(self, "CreateWorkflowVersion", engine=self.engine, definition_repository=definition_repository,
                       **definition_props)
        self.definition_asset = props.asset(self)
        digest = self.definition_asset.asset_hash if self.definition_asset is not None else None
        version_name = self._checked_name(workflow, version_name, digest)
        self.workflow, self.version_name = workflow, version_name
        self.parameter_template = props.template
        self.resource = omics.CfnWorkflowVersion(
            self, "Resource", workflow_id=workflow.workflow_id, version_name=version_name,
            definition_uri=self.definition_asset.s3_object_url if self.definition_asset is not None else None,
            definition_repository=_struct(omics.CfnWorkflowVersion.DefinitionRepositoryProperty,
                                          definition_repository),
            workflow_bucket_owner_id=Aws.ACCOUNT_ID if self.definition_asset is not None else None,
            engine=self.engine, main=definition_props.get("main"), description=definition_props.get("description"),
            parameter_template=props.service_template,
            parameter_template_path=definition_props.get("parameter_template_path"), storage_type=props.storage_type,
            storage_capacity=definition_props.get("storage_capacity"),
            accelerators=definition_props.get("accelerators"), container_registry_map=container_registry_map,
            readme_markdown=props.readme, readme_path=definition_props.get("readme_path"))
        if isinstance(workflow, Construct):
            self.node.add_dependency(workflow)
        self.workflow_version_arn: str = self.resource.attr_arn
        self.workflow_id, self.workflow_arn = workflow.workflow_id, workflow.workflow_arn
        self.workflow_type, self.owner_id = workflow.workflow_type, workflow.owner_id
        self.container_repositories = (tuple(container_repositories) if container_repositories is not None
                                       else tuple(workflow.container_repositories))
        codes.raise_if_any(self, (codes.INVALID_RESOURCE_PROPS, foreign_problems(
            self, "this workflow version", [("container_repositories", r) for r in self.container_repositories],
            accounts=False)))
        warn_unpullable_images(self, props.path, self.container_repositories)
        if container_repositories is not None:
            for repository in self.container_repositories:
                allow_omics_pull(repository, self)

    def _checked_name(self, workflow: IWorkflow, version_name: str, digest: Optional[str]) -> str:
        """``version_name`` with ``DIGEST`` replaced; checked against the service's pattern, the workflow's other
        versions here and, when the app keeps one, the record of versions synthesized before."""
        if is_unresolved(version_name):
            return version_name
        problems: list[str] = []
        if self.DIGEST in version_name:
            if digest is None:
                problems.append(f"version_name {version_name!r} holds {self.DIGEST}, which names a local "
                                "definition's digest; a definition_repository has none at synth: name the version")
            else:
                version_name = version_name.replace(self.DIGEST, digest[:16])
        taken: Optional[set[str]] = getattr(workflow, "_version_names", None)
        problems += rules.member_errors("version_name", version_name,
                                        service_model.input_members("CreateWorkflowVersion")["versionName"])
        if taken is not None and version_name in taken:
            problems.append(f"version_name {version_name!r} is already a version of {workflow.node.path}")
        if digest is not None and not problems:
            problems += version_record_problems(self, workflow, version_name, digest)
        codes.raise_if_any(self, (codes.INVALID_RESOURCE_PROPS, problems))
        if taken is not None:
            taken.add(version_name)
        return version_name


class _Props:
    """The checked props of a workflow or version: its definition's files, template and service values.

    Raises ``ValidationError`` on the construct's line: ``InvalidWorkflowDefinition`` for the definition and
    its template, ``InvalidResourceProps`` for the rest (values that are tokens are left to CloudFormation).
    """

    def __init__(self, construct: Construct, operation: str, *, engine: str, definition_repository: object,
                 definition: Union[str, Path, None] = None, exclude: Optional[Sequence[str]] = None,
                 main: Optional[str] = None, parameter_template: Optional[ParameterTemplate] = None,
                 parameter_template_path: Optional[str] = None, storage_type: Union[StorageType, str, None] = None,
                 readme: Union[str, Path, None] = None, readme_path: Optional[str] = None,
                 name: Optional[str] = None, description: Optional[str] = None,
                 storage_capacity: Optional[int] = None, accelerators: Optional[str] = None,
                 **unknown: object) -> None:
        if unknown:  # what Python says of a keyword a signature lacks (the props arrive as **kwargs)
            raise TypeError(f"{type(construct).__name__}.__init__() got an unexpected keyword argument "
                            f"{next(iter(unknown))!r}")
        members = service_model.input_members(operation)
        api = {"name": "name", "description": "description", "storage_capacity": "storageCapacity",
               "accelerators": "accelerators"}
        self.storage_type = None if storage_type is None else _plain(storage_type)
        plain = {"name": name, "description": description, "storage_capacity": storage_capacity,
                 "accelerators": accelerators}
        checked = {**plain, "engine": engine, "main": main, "storage_type": self.storage_type}
        api.update(engine="engine", main="main", storage_type="storageType")
        resource_problems: list[str] = []
        for prop, value in checked.items():
            if value is not None and not is_unresolved(value):
                resource_problems += rules.member_errors(prop, value, members[api[prop]])
        if (definition is None) == (definition_repository is None):
            resource_problems.append("give exactly one of definition (a folder or a .zip) and definition_repository "
                                     "(a Git repository): HealthOmics takes the definition from one source")
        if parameter_template is not None and parameter_template_path is not None:
            resource_problems.append("give parameter_template or parameter_template_path, not both")
        if isinstance(exclude, str) or (exclude is not None and not all(isinstance(p, str) for p in exclude)):
            resource_problems.append(f"exclude must be a list of glob patterns such as [*DEFAULT_EXCLUDES, '*.bam']; "
                                     f"got {exclude!r}")
            exclude = None
        self.readme = _readme(readme, resource_problems)
        self.path = None if definition is None else Path(definition)
        self.exclude = (list(exclude) if exclude is not None else [] if self.path is None else
                        definition_files.default_excludes(self.path, (main, readme_path, parameter_template_path)))
        self.template: Optional[dict[str, dict[str, Any]]] = None
        self.files: Optional[DefinitionFiles] = None
        definition_problems: list[str] = []
        if parameter_template is not None:
            definition_problems += definitions.template_errors(parameter_template)
        if self.path is not None and not resource_problems and not definition_problems:
            definition_problems += self._read(construct, engine, main, parameter_template, parameter_template_path)
        elif parameter_template is not None and not definition_problems:
            self.template = definitions.normalized(parameter_template)
        if self.template is not None:
            definition_problems += _size_problems(self.template)
        codes.raise_if_any(construct, (codes.INVALID_WORKFLOW_DEFINITION, definition_problems),
                           (codes.INVALID_RESOURCE_PROPS, resource_problems))
        self.service_template = (definitions.service_template(self.template)
                                 if self.template and parameter_template_path is None else None)
        if engine not in CFN_ENGINES and engine in _ENGINES:
            Annotations.of(construct).add_warning_v2(
                ENGINE_WARNING_ID, f"engine {engine} is in the HealthOmics API, but AWS::Omics::Workflow's resource "
                f"schema lists only {', '.join(CFN_ENGINES)}: CloudFormation may refuse it until the schema is updated")

    def _read(self, construct: Construct, engine: str, main: Optional[str],
              parameter_template: Optional[ParameterTemplate], parameter_template_path: Optional[str]) -> list[str]:
        """Lists the definition's files as they will be zipped and reads its template; the problems found."""
        assert self.path is not None
        if not self.path.exists():
            return [f"definition {str(self.path)!r} does not exist (a folder or a .zip file; relative paths are "
                    f"from {Path.cwd()})"]
        if self.path.is_file() and self.path.suffix.lower() != ".zip":
            return [f"definition {str(self.path)!r} must be a folder or a .zip file"]
        try:
            self.files = DefinitionFiles.of(self.path, self.exclude)
        except definitions.DefinitionError as error:
            return [str(error)]
        if self.files.excluded:
            Annotations.of(construct).add_info(f"left out of the definition's zip (exclude=): "
                                               f"{definition_files.some(self.files.excluded)}")
        problems = self.files.size_problems()
        healthomics = bool(construct.node.try_get_context(HEALTHOMICS_DESCRIPTIONS))
        try:
            if engine in _ENGINES:
                errors, warnings = definition_imports.import_problems(self.files, engine,
                                                                      self.files.main(engine, main))
                problems += errors
                for warning in warnings:
                    Annotations.of(construct).add_warning_v2(definition_imports.URL_IMPORT_WARNING_ID, warning)
            if parameter_template_path is not None:
                problems += self._read_template_file(parameter_template_path)
                if self.template is not None:  # checked as thoroughly as parameter_template=
                    self._compare(construct, engine, main, healthomics)
            elif parameter_template is not None:
                self.template = definitions.normalized(parameter_template)
                self._compare(construct, engine, main, healthomics)
            elif engine in _ENGINES:
                self.template = definitions.derive_from(self.files, engine, main,
                                                        healthomics_descriptions=healthomics)
        except definitions.DefinitionError as error:
            problems.append(str(error))
        return problems

    def _read_template_file(self, path: str) -> list[str]:
        assert self.files is not None
        if path not in self.files.sizes:
            return [f"parameter_template_path {path!r} is not in the definition (it has "
                    f"{definition_files.some(self.files.names)})"]
        try:
            given = json.loads(self.files.text(path))
        except json.JSONDecodeError as error:
            return [f"{self.files.label(path)}: invalid JSON: {error}"]
        problems = definitions.template_errors(given)
        if not problems:
            self.template = definitions.normalized(given)
        return [f"{self.files.label(path)}: {problem}" for problem in problems]

    def _compare(self, construct: Construct, engine: str, main: Optional[str], healthomics: bool) -> None:
        """A template written by hand against the definition's inputs: names the definition lacks are warned of
        (HealthOmics would take them, and a run naming them would fail in the engine); types the definition
        says fill those the template leaves out, so runs are still checked."""
        assert self.template is not None and self.files is not None
        try:
            derived = definitions.derive_from(self.files, engine, main, healthomics_descriptions=healthomics)
        except definitions.DefinitionError:
            return
        if derived is None:
            return
        for name, spec in self.template.items():
            if "type" not in spec and derived.get(name, {}).get("type"):
                spec["type"], spec["declared_type"] = derived[name]["type"], derived[name].get("declared_type")
            if "engine_type" not in spec and "engine_type" in derived.get(name, {}) \
                    and spec.get("type") == derived[name].get("type"):
                spec["engine_type"] = derived[name]["engine_type"]
        unknown = sorted(set(self.template) - set(derived))
        if unknown:
            Annotations.of(construct).add_warning_v2(
                TEMPLATE_WARNING_ID, f"parameter_template names {', '.join(unknown[:10])}, which the definition's "
                f"inputs do not (it has {', '.join(sorted(derived)[:10]) or 'none'}): a run given them would fail "
                "in the engine; correct the names or leave them out")

    def asset(self, construct: Construct) -> Optional[s3_assets.Asset]:
        """The definition as a CDK file asset (a folder without what ``exclude`` matches), or ``None`` for a
        repository."""
        if self.path is None:
            return None
        return s3_assets.Asset(construct, "Definition", path=str(self.path),
                               exclude=self.exclude if self.path.is_dir() else None)


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


def _struct(kind: Any, value: Any) -> Any:
    """A dict of a CloudFormation property type's keyword arguments as that type (jsii drops a plain dict's
    keys when it expects a struct)."""
    return kind(**value) if isinstance(value, Mapping) else value


def _plain(value: Any) -> Any:
    """A ``str`` enum member (``WorkflowEngine.WDL``) as its value; anything else as it is."""
    return value.value if isinstance(value, enum.Enum) and isinstance(value, str) else value
