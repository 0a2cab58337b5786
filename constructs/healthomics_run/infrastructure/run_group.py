"""Run groups cap the compute and concurrency of the runs in them."""

from __future__ import annotations

from typing import Mapping, Optional

from aws_cdk import Duration, IResource, Resource, Stack
from aws_cdk import aws_omics as omics
from typing_extensions import Protocol, runtime_checkable

from constructs import Construct
from healthomics_run.construct_helpers.interfaces import ResourceProtocolMeta
from healthomics_run.construct_helpers.validation import add_check, is_unresolved
from healthomics_run.run_model import service_model


@runtime_checkable
class IRunGroup(IResource, Protocol, metaclass=ResourceProtocolMeta):
    """A run group: created here (``RunGroup``) or imported (``RunGroup.from_run_group_id``).

    An ``aws_cdk.IResource``, so it also has ``stack``, ``env``, ``node`` and ``apply_removal_policy``.
    """

    run_group_id: str
    """The run group's id (a token for a created run group)."""
    run_group_arn: str
    """``arn:<partition>:omics:<region>:<account>:runGroup/<id>``."""


class _ImportedRunGroup(Resource, IRunGroup):
    def __init__(self, scope: Construct, id: str, run_group_id: str) -> None:
        super().__init__(scope, id)
        self.run_group_id = run_group_id
        self.run_group_arn = Stack.of(scope).format_arn(service="omics", resource="runGroup",
                                                        resource_name=run_group_id)


class RunGroup(Resource, IRunGroup):
    """An ``AWS::Omics::RunGroup``, with limits checked against the service's ranges at synth time.

    ``HealthOmicsRun`` and ``HealthOmicsRunBatch`` create one with ``DEFAULT_RUN_GROUP_LIMITS`` unless given
    ``run_group=``; made by hand, a run group has no cap but the ones given.

    Attributes: ``run_group_id``, ``run_group_arn`` (tokens), ``resource`` (the ``CfnRunGroup``).

    :param max_cpus: the most vCPUs the group's runs may use at once. Default: no cap.
    :param max_gpus: the most GPUs the group's runs may use at once. Default: no cap.
    :param max_runs: the most runs that may be active at once. Default: no cap.
    :param max_duration: the longest a run may take (whole minutes). Default: no cap.
    :param name: the run group's name, 1 to 128 characters. Default: none.
    :param tags: tags of the run group. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        max_cpus: Optional[int] = None,
        max_gpus: Optional[int] = None,
        max_runs: Optional[int] = None,
        max_duration: Optional[Duration] = None,
        name: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(scope, id)
        minutes = max_duration.to_minutes(integral=False) if max_duration is not None else None
        limits = {"maxCpus": max_cpus, "maxGpus": max_gpus, "maxRuns": max_runs, "maxDuration": minutes}
        add_check(self, lambda: _limit_errors(limits))
        self.resource = omics.CfnRunGroup(
            self, "Resource", max_cpus=max_cpus, max_gpus=max_gpus, max_runs=max_runs,
            max_duration=minutes, name=name, tags=dict(tags) if tags else None)
        self.max_runs: Optional[int] = max_runs  # what the synth warnings weigh a cohort's wait against
        self.run_group_id: str = self.resource.attr_id
        self.run_group_arn: str = self.resource.attr_arn

    @staticmethod
    def from_run_group_id(scope: Construct, id: str, run_group_id: str) -> IRunGroup:
        """An existing run group of this stack's account and Region, by id (digits)."""
        return _ImportedRunGroup(scope, id, run_group_id)


_SNAKE = {"maxCpus": "max_cpus", "maxGpus": "max_gpus", "maxRuns": "max_runs", "maxDuration": "max_duration"}


def _limit_errors(limits: Mapping[str, Optional[float]]) -> list[str]:
    members = service_model.input_members("CreateRunGroup")
    errors = []
    for api, value in limits.items():
        if value is None or is_unresolved(value):
            continue
        low, high = members[api]["min"], members[api]["max"]
        unit = " minutes" if api == "maxDuration" else ""
        if value != int(value) or not low <= value <= high:
            errors.append(f"{_SNAKE[api]} must be a whole number from {low} to {high}{unit}, got {value}")
    return errors
