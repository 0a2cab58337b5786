"""The patterns: everything one HealthOmics run (or batch) needs, created unless given."""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping, Optional, Sequence, TypedDict, Union

from aws_cdk import Annotations, Duration, Token
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from typing_extensions import Unpack

from constructs import Construct
from healthomics_run.after_run.provenance_writer import ProvenanceWriter
from healthomics_run.construct_helpers.environments import foreign_problems
from healthomics_run.construct_helpers.validation import is_unresolved
from healthomics_run.enums import DeletePolicy
from healthomics_run.errors import INVALID_OUTPUT_LOCATION, INVALID_RUN_PROPS, raise_if_any, require_stack
from healthomics_run.infrastructure.ecr_access import allow_omics_pull
from healthomics_run.infrastructure.output_bucket import RunOutputBucket
from healthomics_run.infrastructure.run_group import IRunGroup, RunGroup
from healthomics_run.infrastructure.service_role import RunServiceRole
from healthomics_run.run_model.batch_settings import LEDGER_FOLDER

from ._run_resource import RunResource, plain
from .run_props import RunProps, run_props_problems
from .workflow_run import WorkflowRun
from .workflow_run_batch import WorkflowRunBatch


class RunGroupLimits(TypedDict):
    """The ``RunGroup`` props ``DEFAULT_RUN_GROUP_LIMITS`` sets."""

    max_cpus: int
    max_runs: int
    max_duration: Duration


# Limits of the run group created when none is given: generous for one germline or somatic
# run, small enough that a mistaken parameter cannot burn a month's budget. A batch queues
# behind max_runs, so a cohort is capped the same way.
DEFAULT_RUN_GROUP_LIMITS: RunGroupLimits = {"max_cpus": 256, "max_runs": 5, "max_duration": Duration.days(7)}


class _RunInfrastructure(Construct):
    """Service role, output bucket and run group, each created unless given (props: see ``HealthOmicsRun``)."""

    role: iam.IRole
    """The service role the runs use: the one given, or the ``RunServiceRole`` created."""
    output_bucket: s3.IBucket
    """The bucket the runs write to: the one given, or the ``RunOutputBucket`` created."""
    output_uri: str
    """``s3://<output bucket>/<output prefix>``: the output location given to HealthOmics."""
    run_group: IRunGroup | str
    """The run group the runs run in: the one given (a construct or an id), or the ``RunGroup`` created."""
    completion: Construct
    """What is complete once the run (every run of the batch) has reached ``wait_for``: make other resources
    depend on it (``other.node.add_dependency(run.completion)``)."""

    def __init__(self, scope: Construct, id: str, *, role: Optional[iam.IRole], output_bucket: Optional[s3.IBucket],
                 output_prefix: Optional[str], run_group: Union[IRunGroup, str, None], inputs: Sequence[s3.IBucket],
                 ecr_repositories: Sequence[ecr.IRepository], kms_keys: Sequence[kms.IKey],
                 run_props: RunProps, run_metrics: bool = True) -> None:
        require_stack(scope, id, type(self).__name__)
        super().__init__(scope, id)
        raise_if_any(self, *run_props_problems({**run_props, "run_group": run_group}),
                     (INVALID_RUN_PROPS, _access_errors(inputs=inputs, ecr_repositories=ecr_repositories,
                                                        kms_keys=kms_keys)
                      + foreign_problems(self, "this run", [("ecr_repositories", r) for r in ecr_repositories
                                                            if not isinstance(r, str)], accounts=False)),
                     (INVALID_OUTPUT_LOCATION, _prefix_errors(output_prefix)))
        self.output_prefix = output_prefix if output_prefix is not None else f"{self.node.path}/"
        self.output_bucket: s3.IBucket = output_bucket or RunOutputBucket(self, "OutputBucket")
        if role is None:
            role = RunServiceRole(self, "ServiceRole", inputs=inputs, output_bucket=self.output_bucket,
                                  output_prefix=self.output_prefix, ecr_repositories=ecr_repositories,
                                  kms_keys=kms_keys, run_metrics=run_metrics)
            if plain(run_props.get("delete_policy", DeletePolicy.RETAIN)) == DeletePolicy.RETAIN.value:
                role.retain()
            if run_props.get("workflow") is not None:  # the images of the workflow= it runs
                run_props["workflow"].grant_image_pull(role)
        else:
            for repository in ecr_repositories:
                allow_omics_pull(repository, self)
        self.role: iam.IRole = role
        self.inputs = list(inputs)
        self.run_group = run_group if run_group is not None else RunGroup(self, "RunGroup", **DEFAULT_RUN_GROUP_LIMITS)
        self.output_uri = f"s3://{self.output_bucket.bucket_name}/{self.output_prefix}"

    def grant_read_outputs(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read what the runs write."""
        return self.output_bucket.grant_read(grantee, f"{self.output_prefix}*")

    def _started(self, resource: RunResource) -> None:
        self._resource = resource
        self.completion = resource.completion
        writer = ProvenanceWriter.of(self)
        if writer is not None and resource.provenance["enabled"]:
            writer.allow_inputs(self.inputs)  # the record carries each input's version id and ETag
            if self.output_bucket.encryption_key is not None:  # output.json read, the record written
                writer.allow_keys([self.output_bucket.encryption_key])

    def on_status_change(self, id: str, *, target: events.IRuleTarget, statuses: Sequence[str] = ()) -> events.Rule:
        """See ``WorkflowRun.on_status_change`` (``WorkflowRunBatch.on_status_change`` for a batch)."""
        return self._resource.on_status_change(id, target=target, statuses=statuses)


# What grant_read_outputs denies on a cohort's records (S3 API Reference: GetObject, "Permissions", for a
# versionId s3:GetObjectVersion; ListObjectsV2 s3:ListBucket; ListObjectVersions s3:ListBucketVersions).
RECORD_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
RECORD_LIST_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions")
RECORDS_DENY_WARNING_ID = "healthomics-run::records-deny-not-added"


_ACCESS_EXAMPLES = {  # prop -> (what it takes, how to make one from a name)
    "inputs": ("buckets", 's3.Bucket.from_bucket_name(self, "Inputs", {name!r})'),
    "ecr_repositories": ("repositories", 'ecr.Repository.from_repository_name(self, "Images", {name!r})'),
    "kms_keys": ("keys", 'kms.Key.from_key_arn(self, "Key", {name!r})'),
}


def _access_errors(**given: Any) -> list[str]:
    """Lists of buckets, repositories and keys the role is granted: a name or URI where an object belongs
    would fail deep inside a grant, so it is named here, with the call that makes the object."""
    errors = []
    for prop, items in given.items():
        kind, example = _ACCESS_EXAMPLES[prop]
        if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
            errors.append(f"{prop} must be a list of {kind}; got {items!r}")
            continue
        for item in items:
            if isinstance(item, str):
                name = item.removeprefix("s3://").split("/", 1)[0] if prop == "inputs" else item
                errors.append(f"{prop} takes {kind}, not names or URIs: give {example.format(name=name)}; got {item!r}")
    return errors


def _prefix_errors(prefix: Optional[str]) -> list[str]:
    if prefix is None or is_unresolved(prefix):
        return []
    if not isinstance(prefix, str):
        return [f"output_prefix must be a string; got {prefix!r}"]
    if prefix.startswith("/"):
        return [f"output_prefix must not start with '/': it follows s3://bucket/, so the outputs would go under "
                f"s3://bucket/{prefix}; got {prefix!r}"]
    return []


class HealthOmicsRun(_RunInfrastructure):
    """A service role, an output bucket, a run group and one run, started on deploy.

    Takes these infrastructure props and the run props (``RunProps``). Of those, ``run_group`` (a ``RunGroup``, an
    ``IRunGroup`` or an existing run group id) defaults here to a new ``RunGroup`` with ``DEFAULT_RUN_GROUP_LIMITS``.

    :param role: Default: a ``RunServiceRole`` with access to ``inputs`` and the output location; with
        ``delete_policy`` RETAIN it and its policies are retained when the stack is deleted, so a run still
        going keeps its permissions. A role you bring is used as it is: give it access yourself.
    :param output_bucket: Default: a new ``RunOutputBucket``.
    :param output_prefix: key prefix of the outputs in the bucket. Default: the construct's path and ``/``.
    :param inputs: buckets the runs read; the created role may read them. Default: none.
    :param ecr_repositories: private repositories of the workflow's images; each gets the repository policy
        statement HealthOmics needs to pull (whatever the role). Default: none. (A ``workflow=`` with
        ``container_repositories`` needs none of this: the created role may pull its images.)
    :param kms_keys: keys of encrypted inputs. Default: none.
    :param run_metrics: let HealthOmics publish the runs' metrics to CloudWatch with the created role (see
        ``RunServiceRole``). Default: True.
    """

    run: WorkflowRun
    """The ``WorkflowRun`` inside: the run resource itself, for what this construct does not pass through (such as
    ``run.handler_role``, the role of the stack's handler function)."""

    def __init__(self, scope: Construct, id: str, *, role: Optional[iam.IRole] = None,
                 output_bucket: Optional[s3.IBucket] = None, output_prefix: Optional[str] = None,
                 inputs: Sequence[s3.IBucket] = (),
                 ecr_repositories: Sequence[ecr.IRepository] = (), kms_keys: Sequence[kms.IKey] = (),
                 run_metrics: bool = True, **run_props: Unpack[RunProps]) -> None:
        super().__init__(scope, id, role=role, output_bucket=output_bucket, output_prefix=output_prefix,
                         run_group=run_props.pop("run_group", None), inputs=inputs,
                         ecr_repositories=ecr_repositories, kms_keys=kms_keys, run_props=run_props,
                         run_metrics=run_metrics)
        run_props["run_group"] = self.run_group
        self.run = WorkflowRun(self, "Run", role=self.role, output_uri=self.output_uri, **run_props)
        self._started(self.run)

    @property
    def run_id(self) -> str:
        """The run's id, as HealthOmics assigned it (a token, known at deploy)."""
        return self.run.run_id

    @property
    def run_arn(self) -> str:
        """The run's ARN (a token)."""
        return self.run.run_arn

    @property
    def run_uuid(self) -> str:
        """The run's uuid, which HealthOmics never reuses (a token)."""
        return self.run.run_uuid

    @property
    def run_output_uri(self) -> str:
        """Where the run writes its outputs (a token)."""
        return self.run.run_output_uri


class HealthOmicsRunBatch(_RunInfrastructure):
    """A service role, an output bucket, a run group and a batch of runs (a cohort), started on deploy.

    Takes these props and the run props (``RunProps``) for the settings every sample shares. Of those,
    ``run_group`` (a ``RunGroup``, an ``IRunGroup`` or an existing run group id) defaults here to a new ``RunGroup``
    with ``DEFAULT_RUN_GROUP_LIMITS``.

    :param samples: the samples, one dict each (keys ``run_setting_id``, ``name``, ``parameters``, ``priority``,
        ``output_uri``, ``output_bucket_owner_id``, ``engine_settings``, ``tags``). Default: none; give
        ``samples`` or ``sample_sheet``.
    :param sample_sheet: path of a CSV or JSON sample sheet, read at synth. Default: none.
    :param batch_name: the batch's name in HealthOmics. Default: the construct's path (its last 64 characters).
    :param role: Default: a ``RunServiceRole`` with access to ``inputs`` and the output location (retained with
        ``delete_policy`` RETAIN). A role you bring is used as it is.
    :param output_bucket: Default: a new ``RunOutputBucket``.
    :param output_prefix: key prefix of the outputs in the bucket. Default: the construct's path and ``/``.
    :param inputs: buckets the runs read; the created role may read them. Default: none.
    :param ecr_repositories: private repositories of the workflow's images. Default: none.
    :param kms_keys: keys of encrypted inputs. Default: none.
    """

    batch: WorkflowRunBatch
    """The ``WorkflowRunBatch`` inside: the batch resource itself, for what this construct does not pass through
    (such as ``batch.handler_role``, the role of the stack's handler function)."""
    sample_count: int
    """How many samples (runs) the batch has, known at synth: a number, not a token."""

    def __init__(self, scope: Construct, id: str, *, samples: Optional[Sequence[Mapping[str, Any]]] = None,
                 sample_sheet: Optional[str | os.PathLike] = None, batch_name: Optional[str] = None,
                 role: Optional[iam.IRole] = None, output_bucket: Optional[s3.IBucket] = None,
                 output_prefix: Optional[str] = None,
                 inputs: Sequence[s3.IBucket] = (), ecr_repositories: Sequence[ecr.IRepository] = (),
                 kms_keys: Sequence[kms.IKey] = (), run_metrics: bool = True, **run_props: Unpack[RunProps]) -> None:
        super().__init__(scope, id, role=role, output_bucket=output_bucket, output_prefix=output_prefix,
                         run_group=run_props.pop("run_group", None), inputs=inputs,
                         ecr_repositories=ecr_repositories, kms_keys=kms_keys, run_props=run_props,
                         run_metrics=run_metrics)
        run_props["run_group"] = self.run_group
        self.batch = WorkflowRunBatch(self, "Batch", role=self.role, output_uri=self.output_uri, samples=samples,
                                      sample_sheet=sample_sheet, batch_name=batch_name, **run_props)
        self._started(self.batch)
        self.sample_count = self.batch.sample_count
        key = self.output_bucket.encryption_key
        if key is not None:  # the handler reads and writes the cohort's ledger and settings files in this bucket
            key.grant(self.batch.handler_role, "kms:Decrypt", "kms:GenerateDataKey")

    def grant_read_outputs(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read what the runs write, and not the cohort's own records beside them (its ledger and
        the batches' settings files under ``.healthomics-run/``, which hold sample ids and parameter values).

        An explicit Deny keeps the records out of reach whatever else the grantee is granted: reading them, in
        any version (S3 authorizes a read that names a ``versionId`` as ``s3:GetObjectVersion``, not
        ``s3:GetObject``), and listing the records folder (``s3:ListBucket`` / ``s3:ListBucketVersions`` with an
        ``s3:prefix`` inside it). The Deny goes in the grantee's identity policy; a grantee whose policy this
        stack cannot change (another account's principal, an imported role) gets it in the output bucket's policy
        instead. A bucket this stack does not create (imported) has a policy it cannot change: then synth warns
        (``healthomics-run::records-deny-not-added``) with the statement to add by hand.

        What a Deny cannot express: a listing authorizes the request, not each key it returns, so a grantee who
        lists the outputs from a prefix above the records folder (the output prefix itself, or the bucket) sees the
        records' key names and version ids, never their content.
        """
        grant = super().grant_read_outputs(grantee)
        principal = grantee.grant_principal
        records_folder = f"{self.output_prefix}{LEDGER_FOLDER}/"

        def denials(principals: Optional[Sequence[iam.IPrincipal]] = None) -> list[iam.PolicyStatement]:
            """Reading the records and listing their folder, denied (to ``principals``, in a bucket policy)."""
            listed = [f"{self.output_prefix}{LEDGER_FOLDER}*"]
            return [iam.PolicyStatement(effect=iam.Effect.DENY, principals=principals,
                                        actions=list(RECORD_READ_ACTIONS),
                                        resources=[self.output_bucket.arn_for_objects(f"{records_folder}*")]),
                    iam.PolicyStatement(effect=iam.Effect.DENY, principals=principals,
                                        actions=list(RECORD_LIST_ACTIONS), resources=[self.output_bucket.bucket_arn],
                                        conditions={"StringLike": {"s3:prefix": listed}})]

        in_identity = [principal.add_to_principal_policy(statement).statement_added for statement in denials()]
        if all(in_identity):
            return grant
        in_bucket = [self.output_bucket.add_to_resource_policy(statement).statement_added
                     for statement in denials([principal])]
        if not all(in_bucket):
            bucket = self.output_bucket.bucket_name
            Annotations.of(self).add_warning_v2(RECORDS_DENY_WARNING_ID, (
                f"grant_read_outputs: the grantee's own policy cannot be changed here (another account's principal, "
                f"or an imported role) and the output bucket "
                f"{self.output_bucket.node.path if Token.is_unresolved(bucket) else repr(bucket)} is imported, so its "
                f"policy cannot be changed either: nothing keeps the grantee from the cohort's records under "
                f"{records_folder} (sample ids, parameter values). Add to the bucket's policy a Deny naming the "
                f"grantee, of {', '.join(RECORD_READ_ACTIONS)} on those objects and of "
                f"{', '.join(RECORD_LIST_ACTIONS)} where s3:prefix is like '{self.output_prefix}{LEDGER_FOLDER}*'"))
        return grant

    @property
    def batch_id(self) -> str:
        """The id of the batch the latest deploy started (a token)."""
        return self.batch.batch_id

    @property
    def batch_arn(self) -> str:
        """That batch's ARN (a token)."""
        return self.batch.batch_arn

    @property
    def batch_uuid(self) -> str:
        """That batch's uuid (a token)."""
        return self.batch.batch_uuid
