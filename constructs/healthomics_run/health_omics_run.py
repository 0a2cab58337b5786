"""The pattern: everything one HealthOmics run needs, created unless given."""

from __future__ import annotations

from typing import Optional, Sequence, Union

from aws_cdk import Duration
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct
from typing_extensions import Unpack

from .output_bucket import RunOutputBucket
from .run_group import IRunGroup, RunGroup
from .run_props import RunProps, check_run_props
from .service_role import RunServiceRole
from .workflow_run import WorkflowRun

# Limits of the run group created when none is given: generous for one germline or somatic
# run, small enough that a mistaken parameter cannot burn a month's budget.
DEFAULT_RUN_GROUP_LIMITS = {"max_cpus": 256, "max_runs": 5, "max_duration": Duration.days(7)}


class HealthOmicsRun(Construct):
    """A service role, an output bucket, a run group and one run, started on deploy.

    :param role: Default: a ``RunServiceRole`` with access to ``inputs`` and the output location.
        A role you bring is used as it is: give it access yourself.
    :param output_bucket: Default: a new ``RunOutputBucket``.
    :param output_prefix: key prefix of the outputs in the bucket. Default: the construct's path and ``/``.
    :param run_group: a ``RunGroup``, an ``IRunGroup`` or an existing run group id.
        Default: a new ``RunGroup`` with ``DEFAULT_RUN_GROUP_LIMITS``.
    :param inputs: buckets the run reads; the created role may read them. Default: none.
    :param ecr_repositories: private repositories of the workflow's images. Default: none.
    :param kms_keys: keys of encrypted inputs. Default: none.
    :param run_props: see ``RunProps``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        role: Optional[iam.IRole] = None,
        output_bucket: Optional[s3.IBucket] = None,
        output_prefix: Optional[str] = None,
        run_group: Union[IRunGroup, str, None] = None,
        inputs: Sequence[s3.IBucket] = (),
        ecr_repositories: Sequence[ecr.IRepository] = (),
        kms_keys: Sequence[kms.IKey] = (),
        **run_props: Unpack[RunProps],
    ) -> None:
        super().__init__(scope, id)
        check_run_props(run_props)
        self.output_prefix = output_prefix if output_prefix is not None else f"{self.node.path}/"
        self.output_bucket: s3.IBucket = output_bucket or RunOutputBucket(self, "OutputBucket")
        self.role: iam.IRole = role or RunServiceRole(
            self, "ServiceRole", inputs=inputs, output_bucket=self.output_bucket, output_prefix=self.output_prefix,
            ecr_repositories=ecr_repositories, kms_keys=kms_keys)
        self.run_group = run_group if run_group is not None else RunGroup(self, "RunGroup", **DEFAULT_RUN_GROUP_LIMITS)
        self.run = WorkflowRun(self, "Run", role=self.role,
                               output_uri=f"s3://{self.output_bucket.bucket_name}/{self.output_prefix}",
                               run_group=self.run_group, **run_props)
        self.run_id, self.run_arn = self.run.run_id, self.run.run_arn
        self.run_uuid, self.run_output_uri = self.run.run_uuid, self.run.run_output_uri

    def grant_read_outputs(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read what the run writes."""
        return self.output_bucket.grant_read(grantee, f"{self.output_prefix}*")
