"""Run chaining, the pure half: steps after a cohort, how their runs are partitioned, and the requestId of each.

A chain starts at a cohort (a ``WorkflowRunBatch``: one run per sample) and goes on with steps, each after the
cohort or another step. Every partition of every step is a set of samples:

| partition            | partitions of a step                     | key                   |
|----------------------|------------------------------------------|-----------------------|
| ``PerSample()``      | one per sample                           | ``sample:<id>``       |
| ``Shards(size=N)``   | append-only shards of at most N samples  | ``shard:<N>:<index>`` |
| ``WholeSet()``       | one, every sample                        | ``all``               |

The controller keeps its state in *state shards*: append-only groups of at most ``STATE_SHARD`` samples in the
cohort's order, which never change membership. A step's shards are carved from them (the members of a state
shard, in order, by ``size``), so a step shard never spans two state objects and an ended run costs one state
shard's bytes, not the cohort's; hence ``Shards(size)`` is at most ``STATE_SHARD``. A partition that spans every
sample (``WholeSet``) is *wide*: its record is kept in the chain's census.

A partition's inputs are the upstream partitions that share a sample with it (a shard's inputs are its members'
runs; a merge's, every shard; a per-sample step after a merge, the merge: a re-emit). Shards are append-only:
a shard, once made, never changes membership; samples the chain has not seen before form new shards, so a
cohort grown by 1,000 with shards of 1,000 makes exactly one new shard.

The requestId of a step's run derives from the chain, the step (its settings), the partition key and the
fingerprints of its inputs' outputs, nothing else: an event seen twice, a retry or a redeploy asks StartRun
with the same id, and HealthOmics starts the run once ("Start a run in HealthOmics",
https://docs.aws.amazon.com/omics/latest/dev/starting-a-run.html: "The request ID is an idempotency token").
A new input (a sample changed, a shard re-run) gives a new id, and its outputs a new, content-addressed prefix.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Union

from .fingerprint import REQUEST_ID_PREFIX, content_digest

COHORT = "cohort"  # the name of the chain's first node: the cohort's per-sample runs
ALL = "all"
# The after-run function's environment: the deploy-time values (tokens at synth: a role's ARN, a workflow's id,
# a bucket's name) the chains in its settings asset name by ``{"$ref": "<n>"}``; the asset itself holds no token.
CHAIN_REFS_ENV = "HEALTHOMICS_RUN_CHAIN_REFS"
REF = "$ref"
CHAIN_FOLDER = "chains"  # under the cohort's ledger folder: each chain's state; under the output URI: outputs
STATE_SHARD = 1000  # samples in one state shard at most (and so in a step's shard)
INDEX_BUCKETS = 256  # the objects that say which state shard holds a sample: ~390 samples each at 100,000


@dataclass(frozen=True)
class PerSample:
    """One run per sample."""

    kind = "per-sample"


@dataclass(frozen=True)
class Shards:
    """One run per shard of at most ``size`` samples (default 1,000); shards are append-only."""

    size: int = 1000
    kind = "shards"


@dataclass(frozen=True)
class WholeSet:
    """One run over every sample."""

    kind = "whole-set"


Partition = Union[PerSample, Shards, WholeSet]


@dataclass(frozen=True)
class StepOutputs:
    """A parameter whose value is an upstream step's output ``output`` (its name in the workflow's outputs).

    ``collected``: a list of the output of every input (a shard collecting its samples' gVCFs); otherwise the
    partition must have exactly one input, whose value is passed as is."""

    output: str
    collected: bool = False
    type: str = "File"  # what the upstream output holds: "File" (an S3 URI), or "Array[File]"


@dataclass(frozen=True)
class OnChange:
    """Run a partition again whenever its inputs change (the only trigger of this slice)."""


@dataclass
class StepSpec:
    """A step as the controller reads it (written by the construct, JSON-able)."""

    name: str
    workflow_id: str
    after: str  # COHORT or another step's name
    partition: dict[str, Any]  # {"kind": ..., "size": ...}
    parameters: dict[str, Any] = field(default_factory=dict)  # static values, or {"stepOutput": ..., "collected"}
    max_failed_inputs: int = 0
    outputs: Optional[list[str]] = None  # the outputs its workflow declares, when known
    parameter_template: Optional[dict[str, Any]] = None

    def settings_digest(self) -> str:
        """What about the step names its runs: workflow, partition and parameters (not the tolerance)."""
        return content_digest({"workflow": self.workflow_id, "after": self.after, "partition": self.partition,
                               "parameters": self.parameters})


@dataclass
class ChainSpec:
    name: str
    role_arn: str
    output_uri: str  # the chain's outputs go under <output_uri>/chains/<name>/<step>/<digest>/
    cohort_ledger_uri: str
    steps: list[StepSpec]
    enabled: bool = True  # the kill switch: False, and the controller starts nothing
    cohort_outputs: Optional[list[str]] = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "roleArn": self.role_arn, "outputUri": self.output_uri,
                "cohortLedgerUri": self.cohort_ledger_uri, "enabled": self.enabled,
                "cohortOutputs": self.cohort_outputs,
                "steps": [{"name": s.name, "workflowId": s.workflow_id, "after": s.after, "partition": s.partition,
                           "parameters": s.parameters, "maxFailedInputs": s.max_failed_inputs, "outputs": s.outputs,
                           "parameterTemplate": s.parameter_template} for s in self.steps]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ChainSpec":
        steps = [StepSpec(name=s["name"], workflow_id=s["workflowId"], after=s["after"], partition=s["partition"],
                          parameters=s.get("parameters") or {}, max_failed_inputs=int(s.get("maxFailedInputs", 0)),
                          outputs=s.get("outputs"), parameter_template=s.get("parameterTemplate"))
                 for s in data["steps"]]
        return cls(name=data["name"], role_arn=data["roleArn"], output_uri=data["outputUri"],
                   cohort_ledger_uri=data["cohortLedgerUri"], steps=steps, enabled=bool(data.get("enabled", True)),
                   cohort_outputs=data.get("cohortOutputs"))

    def ordered(self) -> list[StepSpec]:
        """The steps, each after what it runs after (``chain_errors`` has ruled out cycles)."""
        done, ordered, pending = {COHORT}, [], list(self.steps)
        while pending:
            ready = [step for step in pending if step.after in done]
            if not ready:
                raise ValueError(f"steps in a cycle: {sorted(step.name for step in pending)}")
            for step in ready:
                ordered.append(step)
                done.add(step.name)
                pending.remove(step)
        return ordered


def resolve_refs(value: Any, refs: dict[str, Any]) -> Any:
    """``value`` with every ``{"$ref": n}`` replaced by ``refs[n]`` (the chain as the construct wrote it, its
    deploy-time values as CloudFormation resolved them into the function's environment)."""
    if isinstance(value, dict):
        if set(value) == {REF}:
            return refs[value[REF]]
        return {key: resolve_refs(item, refs) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_refs(item, refs) for item in value]
    return value


def partition_json(partition: Partition) -> dict[str, Any]:
    if isinstance(partition, Shards):
        return {"kind": Shards.kind, "size": int(partition.size)}
    return {"kind": partition.kind}


def parameter_json(value: Any) -> Any:
    """A step's parameter as the controller reads it: a StepOutputs becomes a marker, anything else stays."""
    if isinstance(value, StepOutputs):
        return {"stepOutput": value.output, "collected": value.collected, "type": value.type}
    return value


# -- synth checks ----------------------------------------------------------------------------------

_SCALAR_TYPES = {"File", "String"}


def chain_errors(chain: ChainSpec) -> list[str]:
    """What is wrong with a chain, found at synth: unknown or cyclic ``after``, outputs the upstream workflow
    does not declare (when known), parameters its template does not have, and a single value where several
    inputs come."""
    errors, names = [], {COHORT} | {step.name for step in chain.steps}
    by_name = {step.name: step for step in chain.steps}
    for step in chain.steps:
        if step.name == COHORT or [s.name for s in chain.steps].count(step.name) > 1:
            errors.append(f"step {step.name!r}: a step's name must be unique and not {COHORT!r}")
        if step.after not in names:
            errors.append(f"step {step.name!r}: runs after {step.after!r}, which is not in the chain")
        if step.partition.get("kind") == Shards.kind and not 1 <= int(step.partition.get("size", 0)) <= STATE_SHARD:
            errors.append(f"step {step.name!r}: Shards(size) must be from 1 to {STATE_SHARD:,} (a step's shard is "
                          "carved from one of the chain's state shards)")
    try:
        chain.ordered()
    except ValueError as error:
        errors.append(str(error))
    for step in chain.steps:
        errors += _parameter_errors(chain, step, by_name)
    return errors


def _parameter_errors(chain: ChainSpec, step: StepSpec, by_name: dict[str, StepSpec]) -> list[str]:
    errors = []
    upstream = chain.cohort_outputs if step.after == COHORT else getattr(by_name.get(step.after), "outputs", None)
    template = step.parameter_template
    for name, value in step.parameters.items():
        if template is not None and name not in template:
            errors.append(f"step {step.name!r}: parameter {name!r} is not in the workflow's parameter template "
                          f"({', '.join(sorted(template))})")
        if not (isinstance(value, dict) and "stepOutput" in value):
            continue
        if upstream is not None and value["stepOutput"] not in upstream:
            errors.append(f"step {step.name!r}: {step.after!r} declares no output {value['stepOutput']!r} "
                          f"(it declares {', '.join(sorted(upstream)) or 'none'})")
        many = _inputs_per_partition_may_exceed_one(chain, step)
        if many and not value["collected"]:
            errors.append(f"step {step.name!r}: parameter {name!r} takes one value, but a "
                          f"{step.partition['kind']} partition has many inputs: use collected=True")
        if value["collected"] and value.get("type") not in _SCALAR_TYPES:
            errors.append(f"step {step.name!r}: parameter {name!r} collects {value.get('type')!r} outputs; "
                          "collecting arrays into a list of lists is not supported")
    if template is not None:
        missing = [name for name, spec in template.items()
                   if not (spec or {}).get("optional") and name not in step.parameters]
        errors += [f"step {step.name!r}: required parameter {name!r} has no value" for name in missing]
    return errors


_FINENESS = {PerSample.kind: 0, Shards.kind: 1, WholeSet.kind: 2}


def _inputs_per_partition_may_exceed_one(chain: ChainSpec, step: StepSpec) -> bool:
    """Whether a partition of ``step`` may have more than one upstream partition as input."""
    upstream = {"kind": PerSample.kind} if step.after == COHORT else \
        next(s.partition for s in chain.steps if s.name == step.after)
    mine = step.partition
    if mine == upstream:
        return False
    return _FINENESS[mine["kind"]] > _FINENESS[upstream["kind"]]


# -- partitions -----------------------------------------------------------------------------------

def extend_shards(shards: list[list[str]], samples: Iterable[str], size: int) -> list[list[str]]:
    """The shards with the samples not in any of them added as new shards of at most ``size`` (in the order
    given): existing shards never change membership."""
    seen = {sample for shard in shards for sample in shard}
    new = [sample for sample in dict.fromkeys(samples) if sample not in seen]
    return [list(shard) for shard in shards] + [new[start:start + size] for start in range(0, len(new), size)]


def group_shards(step_shards: dict[int, list[list[str]]], limit: int = STATE_SHARD) -> list[list[str]]:
    """The state shards of a chain whose step shards were made before state shards existed (``step_shards``: size
    -> that size's append-only shards, as version 2 kept them), such that ``carve`` gives back every size's shards,
    each with its members and its number: a state shard is cut only where every size's shards end, and after any
    partly full one (a deploy's last: a growth had added to them), and joins such stretches up to ``limit``
    samples; a stretch longer than ``limit`` with no common end is kept whole rather than re-cut. A size whose
    shards hold other samples, or in another order, than the first size's (a step added after samples left the
    ledger) cannot be kept with it: the first size's are, that size's are carved anew."""
    lists = [(size, shards) for size, shards in step_shards.items() if shards]
    if not lists:
        return []
    order = [sample for shard in lists[0][1] for sample in shard]
    kept = [(size, shards) for size, shards in lists if [sample for shard in shards for sample in shard] == order]
    ends: list[set[int]] = []
    closing: set[int] = set()  # after a partly full shard
    for size, shards in kept:
        at = list(itertools.accumulate(map(len, shards)))
        ends.append(set(at))
        closing.update(end for end, shard in zip(at, shards, strict=True) if len(shard) < size)
    groups: list[list[str]] = []
    start = last = 0
    for cut in sorted(set.intersection(*ends)):
        if cut - start > limit and last > start:
            groups.append(order[start:last])
            start = last
        last = cut
        if cut in closing:
            groups.append(order[start:cut])
            start = cut
    return groups + ([order[start:]] if start < len(order) else [])


def index_bucket(sample: str) -> int:
    """Which index object names the state shard of ``sample`` (a stable hash: the same in every process)."""
    return int(hashlib.sha256(sample.encode("utf-8")).hexdigest()[:8], 16) % INDEX_BUCKETS


def wide(partition: dict[str, Any]) -> bool:
    """Whether a partition spans every state shard (its record is the census's, not a shard's)."""
    return partition["kind"] == WholeSet.kind


def carve(sizes: list[int], index: int, members: list[str], size: int) -> dict[str, list[str]]:
    """The step shards of ``size`` carved from state shard ``index`` (its ``members`` in order), numbered on from
    those of the state shards before it (``sizes``: every state shard's member count)."""
    offset = sum(-(-count // size) for count in sizes[:index])
    return {f"shard:{size}:{offset + number}": members[start:start + size]
            for number, start in enumerate(range(0, len(members), size))}


def shards_for(samples: int, size: int) -> int:
    """How many step shards of ``size`` new samples make: their state shards of ``STATE_SHARD``, each carved."""
    full, rest = divmod(samples, STATE_SHARD)
    return full * -(-STATE_SHARD // size) + -(-rest // size)


def partitions(partition: dict[str, Any], samples: list[str],
               shards: Optional[dict[str, list[str]]] = None) -> dict[str, list[str]]:
    """Partition key -> its samples, for the wanted ``samples`` (``shards``: the step's shards, from ``carve``)."""
    kind = partition["kind"]
    if kind == PerSample.kind:
        return {f"sample:{sample}": [sample] for sample in samples}
    if kind == WholeSet.kind:
        return {ALL: list(samples)} if samples else {}
    wanted = set(samples)
    found = {}
    for key, shard in (shards or {}).items():
        members = [sample for sample in shard if sample in wanted]
        if members:
            found[key] = members
    return found


class Inputs:
    """The upstream partitions sharing a sample with some members, in upstream order (the partitions of one node
    are disjoint, so each sample names one)."""

    def __init__(self, upstream: dict[str, list[str]]) -> None:
        self.order = {key: number for number, key in enumerate(upstream)}
        self.owner = {sample: key for key, members in upstream.items() for sample in members}

    def of(self, members: list[str]) -> list[str]:
        return sorted({self.owner[sample] for sample in members if sample in self.owner}, key=self.order.__getitem__)


# -- identity --------------------------------------------------------------------------------------

def step_digest(chain: str, step: StepSpec, partition_key: str, input_fingerprints: list[str],
                settings: Optional[str] = None) -> str:
    """What names one run of a step: the chain, the step's settings (``settings``: its ``settings_digest()``,
    when the caller has it), the partition and its inputs' outputs."""
    return content_digest({"chain": chain, "step": step.name, "settings": settings or step.settings_digest(),
                           "partition": partition_key, "inputs": list(input_fingerprints)})


INPUT_RUNS_KEPT = 1000  # run ids a step run's inputs keep at most: a shard's samples, a merge's shards


def input_runs(after: str, run_ids: list[str]) -> dict[str, Any]:
    """What a step run read, as the chain's state keeps it for its provenance record: the node it ran after, how
    many runs' outputs it read, and their ids when at most ``INPUT_RUNS_KEPT``
    (a per-sample step reads one run, a shard at most ``STATE_SHARD``, a merge of 100,000 samples in shards of
    1,000 a hundred). A wider read (a merge of 100,000 per-sample runs) keeps the count and the SHA-256 of the
    sorted ids, one per line, instead: its record stays one object of bounded size, and a reader who has the ids
    (the state shards name every run of the chain) can check them against it."""
    ordered = sorted(set(run_ids))
    if len(ordered) <= INPUT_RUNS_KEPT:
        return {"after": after, "count": len(ordered), "runs": ordered}
    return {"after": after, "count": len(ordered),
            "sha256": hashlib.sha256("\n".join(ordered).encode("utf-8")).hexdigest()}


def step_request_id(digest: str) -> str:
    return REQUEST_ID_PREFIX + digest


def step_output_uri(output_uri: str, chain: str, step: str, digest: str) -> str:
    """A new, content-addressed prefix for each run of a step: re-running a changed shard never overwrites."""
    return f"{output_uri.rstrip('/')}/{CHAIN_FOLDER}/{chain}/{step}/{digest[:32]}/"


def outputs_fingerprint(outputs: dict[str, Any]) -> str:
    """The fingerprint of a run's outputs (its output summary's values)."""
    return content_digest(outputs)[:32]


def output_value(outputs: dict[str, Any], name: str) -> Any:
    """An output by name from an output summary, whose keys are ``WorkflowName.output_name`` ("HealthOmics run
    outputs", https://docs.aws.amazon.com/omics/latest/dev/workflows-run-outputs.html)."""
    for key, value in outputs.items():
        if key == name or key.rsplit(".", 1)[-1] == name:
            return value
    raise KeyError(name)


def step_parameters(step: StepSpec, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """StartRun parameters of one partition: static values as they are; step outputs from ``inputs`` (the
    output summaries of the partition's inputs, in order)."""
    built = {}
    for name, value in step.parameters.items():
        if isinstance(value, dict) and "stepOutput" in value:
            values = [output_value(found, value["stepOutput"]) for found in inputs]
            built[name] = values if value["collected"] else values[0]
        else:
            built[name] = value
    return built
