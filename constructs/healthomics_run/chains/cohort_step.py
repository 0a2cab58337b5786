"""``CohortStep``: a step after a cohort (a ``WorkflowRunBatch``) or after another step, as the after-run
function starts it (``service_calls.chain_controller``).

What a step declares goes into the after-run pipeline's settings asset (``Config.chains``), never into the
function's environment, which Lambda caps at 4 KB for all its variables ("Lambda quotas",
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): the asset holds no token, each
deploy-time value (a role's ARN, a workflow's id, a bucket) is ``{"$ref": n}`` there and one entry of a small map
in the environment (``CHAIN_REFS_ENV``).
"""

from __future__ import annotations

import weakref
from typing import Any, Mapping, Optional, Sequence, Union, cast

import jsii
from aws_cdk import Aws, CfnElement, Fn, Stack, Token

from constructs import Construct, IValidation
from healthomics_run.after_run.provenance_writer import ProvenanceWriter
from healthomics_run.construct_helpers.policies import s3_object_arn
from healthomics_run.run_model import chaining
from healthomics_run.run_model.batch_settings import LEDGER_FOLDER
from healthomics_run.run_model.chaining import COHORT, ChainSpec, OnChange, Partition, PerSample, StepSpec
from healthomics_run.runs.workflow_run_batch import WorkflowRunBatch
from healthomics_run.workflows.workflow import IWorkflow

_PER_SAMPLE, _ON_CHANGE = PerSample(), OnChange()  # frozen: the defaults, shared
Upstream = Union[WorkflowRunBatch, "CohortStep", Construct]


class CohortStep(Construct):
    """A step of a run chain: one HealthOmics run per partition of the cohort's samples, started by the stack's
    after-run function once every input of the partition has COMPLETED, with a requestId derived from the step
    and its inputs' outputs (an event seen twice, a retry or a redeploy starts nothing twice).

    :param after: the cohort (a ``WorkflowRunBatch`` or ``HealthOmicsRunBatch``) or the step this one runs after.
    :param workflow: the step's workflow (a ``Workflow``, ``WorkflowVersion`` or one imported by id).
    :param parameters: the run's parameters: values as they are, or ``StepOutputs("name")`` for an output of
        ``after``'s runs (``collected=True``: a list, one per input). Default: none.
    :param partition: ``PerSample()``, ``Shards(size=N)`` (append-only shards) or ``WholeSet()``.
        Default: ``PerSample()``.
    :param max_failed_inputs: how many of a partition's inputs may have failed for it to run anyway (with the
        completed ones). Default: 0.
    :param trigger: when a partition runs again: ``OnChange()``, whenever its inputs' outputs change (the only
        trigger). Default: ``OnChange()``.
    :param outputs: the names of the outputs the workflow's runs write (``output.json``), checked against the
        ``StepOutputs`` of the steps after this one. Default: the workflow's ``outputs`` when it declares them,
        else unchecked.
    :param cohort_outputs: for a step after the cohort, the cohort workflow's outputs, checked the same way.
        Default: the cohort workflow's ``outputs`` when it declares them, else unchecked.
    :param name: the step's name in the chain (run names, output prefixes). Default: the construct's id.
    :param enabled: the chain's kill switch (any step ``False`` stops the whole chain). Default: True.

    :raises ValueError: at synth, for what ``run_model.chaining.chain_errors`` finds (unknown outputs, cycles,
        single values where several inputs come, parameters the template lacks).
    """

    def __init__(self, scope: Construct, id: str, *, after: Upstream, workflow: IWorkflow,
                 parameters: Optional[Mapping[str, Any]] = None, partition: Partition = _PER_SAMPLE,
                 max_failed_inputs: int = 0, trigger: OnChange = _ON_CHANGE, outputs: Optional[Sequence[str]] = None,
                 cohort_outputs: Optional[Sequence[str]] = None, name: Optional[str] = None,
                 enabled: bool = True) -> None:
        super().__init__(scope, id)
        after = getattr(after, "batch", after)  # a HealthOmicsRunBatch: its WorkflowRunBatch
        if not isinstance(after, (WorkflowRunBatch, CohortStep)):
            raise ValueError(f"after must be a cohort (WorkflowRunBatch, HealthOmicsRunBatch) or a CohortStep; "
                             f"got {after!r}")
        if not isinstance(trigger, OnChange):
            raise ValueError(f"trigger must be OnChange(); got {trigger!r}")
        self.after, self.workflow, self.partition, self.trigger = after, workflow, partition, trigger
        self.parameters = dict(parameters or {})
        self.max_failed_inputs, self.enabled = max_failed_inputs, enabled
        self.step_name = name if name is not None else id
        known = outputs if outputs is not None else getattr(workflow, "outputs", None)
        self.outputs = None if known is None else list(known)
        self.cohort: WorkflowRunBatch = after if isinstance(after, WorkflowRunBatch) else after.cohort
        if isinstance(after, WorkflowRunBatch):
            given = cohort_outputs if cohort_outputs is not None else getattr(after.workflow, "outputs", None)
            _Chain.of(after).cohort_outputs = None if given is None else list(given)
        _Chain.of(self.cohort).add(self)

    def spec(self) -> StepSpec:
        return StepSpec(name=self.step_name, workflow_id=self.workflow.workflow_id,
                        after=COHORT if isinstance(self.after, WorkflowRunBatch) else self.after.step_name,
                        partition=chaining.partition_json(self.partition),
                        parameters={key: chaining.parameter_json(value) for key, value in self.parameters.items()},
                        max_failed_inputs=self.max_failed_inputs, outputs=self.outputs,
                        parameter_template=self.workflow.parameter_template)


class _Chain:
    """A cohort's steps, one chain; registered with the stack's after-run function, which it grants what the
    controller calls."""

    _chains: "weakref.WeakKeyDictionary[WorkflowRunBatch, _Chain]" = weakref.WeakKeyDictionary()
    steps: list[CohortStep]
    cohort_outputs: Optional[list[str]]

    def __init__(self, cohort: WorkflowRunBatch) -> None:
        self.cohort, self.steps, self.cohort_outputs = cohort, [], None
        self.name = cohort.node.id
        self.writer = ProvenanceWriter.ensure(cohort, log_group=cohort.provider.log_group)
        self.writer.add_chain(self.json)
        cohort.node.add_validation(_ChainErrors(self))
        self._granted = False

    @classmethod
    def of(cls, cohort: WorkflowRunBatch) -> "_Chain":
        found = cls._chains.get(cohort)
        if found is None:
            found = cls._chains[cohort] = cls(cohort)
        return found

    @property
    def output_uri(self) -> str:
        return str(self.cohort.request["outputUri"])

    def ledger_uri(self) -> str:
        """Where the deploy handler keeps the cohort's ledger (``run_model.ledger_location.ledger_uri``)."""
        stack = Stack.of(self.cohort)
        logical_id = stack.get_logical_id(cast(CfnElement, self.cohort.resource.node.default_child))
        stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))  # arn:...:stack/<name>/<uuid>
        return f"{self.output_uri.rstrip('/')}/{LEDGER_FOLDER}/{Aws.STACK_NAME}/{stack_uuid}/{logical_id}.json"

    def spec(self) -> ChainSpec:
        return ChainSpec(name=self.name, role_arn=self.cohort.role.role_arn, output_uri=self.output_uri,
                         cohort_ledger_uri=self.ledger_uri(), steps=[step.spec() for step in self.steps],
                         enabled=all(step.enabled for step in self.steps), cohort_outputs=self.cohort_outputs)

    def add(self, step: CohortStep) -> None:
        self.steps.append(step)
        self.writer.allow_workflows([step.workflow.workflow_arn])
        self.writer.allow(["omics:StartRun"], [step.workflow.workflow_arn, self.writer.arn("run", "*")])
        if not self._granted:
            self._granted = True
            self._grant()

    def _grant(self) -> None:
        """What the controller calls for this chain beyond what the writer may already (``ListRunsInBatch``, which
        sample a run is, on every batch): PassRole of the cohort's service role to HealthOmics, its state beside the
        ledger, the ledger, and the outputs it reads (its runs' ``output.json``, under the output location, whose
        listing covers the ledger's folder: no ListBucket of its own, which the account world finds unneeded)."""
        writer, cohort = self.writer, self.cohort
        writer.allow(["iam:PassRole"], [cohort.role.role_arn],
                     conditions={"StringEquals": {"iam:PassedToService": "omics.amazonaws.com"}})
        folder = f"{self.output_uri.rstrip('/')}/{LEDGER_FOLDER}/"
        writer.allow(["s3:GetObject"], [s3_object_arn(f"{folder}*")])
        writer.allow(["s3:PutObject"], [s3_object_arn(f"{folder}*/{chaining.CHAIN_FOLDER}/*")])
        for uri in cohort.output_uris():
            writer.allow_folder(uri, write=False)

    def json(self, refs: dict[str, Any]) -> dict[str, Any]:
        """The chain as the settings asset holds it: each token replaced by ``{"$ref": n}``, its value in
        ``refs`` (n -> the token), which goes into the function's environment."""
        return _replace_tokens(self.spec().to_json(), refs)


def _replace_tokens(value: Any, refs: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: _replace_tokens(item, refs) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_tokens(item, refs) for item in value]
    if isinstance(value, str) and Token.is_unresolved(value):
        for key, known in refs.items():
            if known == value:
                return {chaining.REF: key}
        key = str(len(refs))
        refs[key] = value
        return {chaining.REF: key}
    return value


@jsii.implements(IValidation)
class _ChainErrors:
    def __init__(self, chain: _Chain) -> None:
        self.chain = chain

    def validate(self) -> list[str]:
        return [f"chain {self.chain.name!r}: {error}" for error in chaining.chain_errors(self.chain.spec())]
