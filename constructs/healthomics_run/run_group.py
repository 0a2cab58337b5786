"""Run groups cap the compute and concurrency of the runs in them."""

from __future__ import annotations

from typing import Mapping, Optional

from aws_cdk import Duration, Stack
from aws_cdk import aws_omics as omics
from constructs import Construct

from ._lambda.start_run import service_model
from ._validation import add_check, is_unresolved


class IRunGroup:
    """What a run needs of a run group: its id and ARN (tokens are fine)."""

    run_group_id: str
    run_group_arn: str


class _ImportedRunGroup(Construct, IRunGroup):
    def __init__(self, scope: Construct, id: str, run_group_id: str) -> None:
        super().__init__(scope, id)
        self.run_group_id = run_group_id
        self.run_group_arn = Stack.of(scope).format_arn(service="omics", resource="runGroup",
                                                        resource_name=run_group_id)


class RunGroup(Construct, IRunGroup):
    """An ``AWS::Omics::RunGroup``, with limits checked against the service's ranges at synth time.

    :param max_cpus: the most vCPUs the group's runs may use at once. Default: no cap.
    :param max_gpus: the most GPUs the group's runs may use at once. Default: no cap.
    :param max_runs: the most runs that may be active at once. Default: no cap.
    :param max_duration: the longest a run may take (whole minutes). Default: no cap.
    :param name: Default: none.
    :param tags: Default: none.
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
        self.run_group_id: str = self.resource.attr_id
        self.run_group_arn: str = self.resource.attr_arn

    @staticmethod
    def from_run_group_id(scope: Construct, id: str, run_group_id: str) -> IRunGroup:
        """An existing run group, by id."""
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
