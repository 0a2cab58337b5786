"""One HealthOmics run as a CloudFormation resource (``Custom::HealthOmicsRun``)."""

from __future__ import annotations

import functools

from aws_cdk import aws_iam as iam
from typing_extensions import Unpack

from constructs import Construct
from healthomics_run.construct_helpers.status_events import RUN_EVENTS
from healthomics_run.run_model import rules
from healthomics_run.run_model.settings import RUN_RESOURCE_TYPE

from ._run_resource import RunResource
from .run_props import RunProps

RESOURCE_TYPE = RUN_RESOURCE_TYPE


class WorkflowRun(RunResource):
    """Starts one HealthOmics run on deploy, idempotently, for users who bring role and output location.

    Attributes (tokens): ``run_id``, ``run_arn``, ``run_uuid``, ``run_output_uri``. ``completion``: what to
    depend on for a finished run when ``wait_for`` is COMPLETED (the wait condition beyond one hour).

    :param role: the service role HealthOmics assumes (``RunServiceRole`` or your own).
    :param output_uri: ``s3://bucket/prefix`` where the run writes its outputs.
    :param run_props: see ``RunProps``.
    :raises ValidationError: for bad props, naming each (see ``healthomics_run.errors``).
    """

    RESOURCE_TYPE = RESOURCE_TYPE
    STATUS_EVENTS = RUN_EVENTS
    ID_ATTRIBUTE, UUID_ATTRIBUTE = "RunId", "RunUuid"

    def __init__(self, scope: Construct, id: str, *, role: iam.IRole, output_uri: str,
                 **run_props: Unpack[RunProps]) -> None:
        super().__init__(scope, id, role=role, output_uri=output_uri, run_props=run_props)
        self._check(rules.batch_only_errors(self.request))
        self.stage_parameters(run_props.get("stage_parameters"))
        runs = self.omics_arn("run", "*")
        self.grant_handler(start_actions=["omics:StartRun"], watched=runs,
                           watch_actions=["omics:CancelRun"])  # GetRun: DIAGNOSIS_ACTIONS
        self.grant_parameters_file(service_role_reads=True)
        properties = self._properties()
        self._check_size(properties, "parameters")
        self._create_resource(RESOURCE_TYPE, properties)

    # Attributes are made on first use: most runs are never asked for them, and each costs a jsii round trip.
    @functools.cached_property
    def run_id(self) -> str:
        """The run's id (a token)."""
        return self.resource.get_att_string("RunId")

    @functools.cached_property
    def run_arn(self) -> str:
        """The run's ARN (a token)."""
        return self.resource.get_att_string("RunArn")

    @functools.cached_property
    def run_uuid(self) -> str:
        """The run's uuid, which HealthOmics never reuses (a token)."""
        return self.resource.get_att_string("RunUuid")

    @functools.cached_property
    def run_output_uri(self) -> str:
        """Where the run writes its outputs (its output URI and, by default, its run id)."""
        return self.resource.get_att_string("RunOutputUri")
