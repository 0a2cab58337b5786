"""What a deploy sets going after a cohort: the runs its chain (``chains.CohortStep``) starts once the cohort's
new runs end, step by step, counted from the cloud assembly alone.

The chain is where the after-run function reads it: its settings asset (``Config.chains``, staged in ``cdk.out``
as ``asset.<hash>.json`` and named by the function's ``CONFIG_URI_ENV``), each deploy-time value a ``{"$ref": n}``
whose value is in the function's ``CHAIN_REFS_ENV``. A chain belongs to the cohort whose ledger it reads (the
ledger's object is named after the cohort resource's logical id).

Counts follow the controller's partitions (``run_model.chaining``): a per-sample step runs again for each sample
whose input changed; shards are append-only, so the new samples make ``chaining.shards_for(new, size)`` new shards
(``ceil(new / size)`` when ``size`` divides 1,000) whatever the stored shards hold, and a changed or removed sample
re-runs the stored shard that holds it (which one is in the account's chain state, so only a range is said; the
stored shards are counted as full); a whole-set step runs once when anything under it changed; a step that is new or
whose settings changed runs all its partitions. No sample id
is read or said: counts only.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from healthomics_run.run_model import chaining
from healthomics_run.run_model.batch_settings import LEDGER_FOLDER
from healthomics_run.run_model.chaining import COHORT, ChainSpec, StepSpec
from healthomics_run.run_model.provenance_settings import CONFIG_URI_ENV

from .assembly import StackTemplate
from .cost import Forecast, forecast
from .decide import Action, Row
from .history import History
from .target import _literal_or

_PLACEHOLDER = "@@healthomics-run:{}@@"
_PLACEHOLDERS = re.compile(r"@@healthomics-run:(\d+)@@")
STORED_FULL = "new shards assuming the stored shards are full"
ADVANCES = ("the chain's runs start as the cohort's runs end (the stack's after-run function); a chain changed "
            "with no cohort run to end starts when the next of the stack's runs ends")


@dataclass(frozen=True)
class StepRuns:
    step: str  # the step's name, or "cohort"
    noun: str  # "per-sample run", "new shard run", "changed shard run", "merge", "re-emit"
    low: int
    high: int  # low < high: a range (which stored shards hold the changed samples is in the account)
    partition: str  # "per sample", "shards of 1,000", "whole set"
    workflow: Any = None  # the step's workflow id as the chain holds it (a literal, or a deploy-time value)
    workflow_key: str | None = None  # what the history knows it by
    reason: str = ""
    forecast: Forecast | None = None

    @property
    def said(self) -> str:
        count = f"{self.low:,}" if self.low == self.high else f"{self.low:,} to {self.high:,}"
        return f"{count} {self.noun}{'' if self.high == 1 else 's'}"


@dataclass(frozen=True)
class Cascade:
    stack: str
    cohort: str  # the cohort resource's construct path
    chain: str
    enabled: bool
    steps: tuple[StepRuns, ...]  # the cohort's runs first, then each step's, in the chain's order
    bases: tuple[str, ...] = ()

    @property
    def after_cohort(self) -> tuple[StepRuns, ...]:
        return tuple(item for item in self.steps if item.step != COHORT) if self.enabled else ()

    @property
    def runs(self) -> int:
        """At most how many runs the chain starts after the cohort's (the cohort's are the plan's rows)."""
        return sum(item.high for item in self.after_cohort)

    @property
    def said(self) -> str:
        listed = [item.said for item in self.steps if item.high]
        if not self.enabled:
            return f"{', '.join(listed) or 'no run'}; the chain is off (enabled=False): no step after the cohort starts"
        return ", ".join(listed) or "no run"


# -- the chains of a stack, from its cloud assembly ---------------------------------------------------

def _refs(value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``CHAIN_REFS_ENV`` value read back: n -> its value (a literal, a deploy-time value as written, or text
    with placeholders), and placeholder number -> the intrinsic it stands for."""
    intrinsics: dict[str, Any] = {}
    if isinstance(value, str):
        return json.loads(value), intrinsics
    if not (isinstance(value, dict) and set(value) == {"Fn::Join"} and value["Fn::Join"][0] == ""):
        return {}, intrinsics
    text = ""
    for part in value["Fn::Join"][1]:
        if isinstance(part, str):
            text += part
        else:
            intrinsics[str(len(intrinsics))] = part
            text += _PLACEHOLDER.format(len(intrinsics) - 1)
    found = {}
    for key, item in json.loads(text).items():
        whole = _PLACEHOLDERS.fullmatch(item) if isinstance(item, str) else None
        found[key] = intrinsics[whole[1]] if whole else item
    return found, intrinsics


def chains(stack: StackTemplate | None) -> dict[str, ChainSpec]:
    """The stack's chains by their cohort's logical id; {} when none, or when the settings asset is not at hand
    (a template file)."""
    if stack is None:
        return {}
    found: dict[str, ChainSpec] = {}
    for resource in stack.resources.values():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        variables = ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
        if CONFIG_URI_ENV not in variables:
            continue
        config = stack.staged_parameters(variables[CONFIG_URI_ENV])
        if not isinstance(config, dict) or not config.get("chains"):
            continue
        refs, _ = _refs(variables.get(chaining.CHAIN_REFS_ENV, "{}"))
        for data in config["chains"]:
            spec = ChainSpec.from_json(chaining.resolve_refs(data, refs))
            ledger = spec.cohort_ledger_uri if isinstance(spec.cohort_ledger_uri, str) else ""
            if f"/{LEDGER_FOLDER}/" in ledger and ledger.endswith(".json"):
                found[ledger.rsplit("/", 1)[-1].removesuffix(".json")] = spec
    return found


# -- counting -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Touched:
    """The samples whose input changed at a node: ``new`` (in no stored partition), and between ``old_low`` and
    ``old_high`` of the samples the chain had."""

    new: int
    old_low: int
    old_high: int

    @property
    def any(self) -> bool:
        return bool(self.new or self.old_high)


def _partition_said(partition: dict[str, Any]) -> str:
    if partition["kind"] == chaining.Shards.kind:
        return f"shards of {int(partition['size']):,}"
    return "whole set" if partition["kind"] == chaining.WholeSet.kind else "per sample"


def count(chain: ChainSpec, before: ChainSpec | None, total: int, added: int, changed: int, removed: int,
          stack: StackTemplate | None = None) -> Cascade:
    """The runs of ``chain`` when the cohort has ``total`` samples, of which ``added`` are new and ``changed`` of
    the others run again, and ``removed`` samples left it; ``before``: the chain as deployed (None: new)."""
    had = total - added + removed  # the samples the chain had
    old = {step.name: step for step in before.steps} if before is not None else {}
    sizes_before = {int(step.partition["size"]) for step in old.values() if step.partition["kind"] == "shards"}
    steps = [StepRuns(COHORT, "per-sample run", added + changed, added + changed, "per sample")]
    touched = {COHORT: _Touched(added, changed, changed)}
    kinds = {COHORT: chaining.PerSample.kind}
    bases: list[str] = []
    for step in chain.ordered():
        above = touched[step.after]
        kind = step.partition["kind"]
        redo = step.name not in old or old[step.name].settings_digest() != step.settings_digest()
        why = "new step, or its settings changed: every partition runs" if redo else ""
        made = functools.partial(StepRuns, step.name, workflow=step.workflow_id, workflow_key=_key(step, stack))
        said = _partition_said(step.partition)
        if kind == chaining.PerSample.kind:
            low, high = (total, total) if redo else (above.new + above.old_low, above.new + above.old_high)
            noun = "per-sample run" if kinds[step.after] == chaining.PerSample.kind else "re-emit"
            steps.append(made(noun, low, high, said, reason=why))
            touched[step.name] = _Touched(total - had + removed, had - removed, had - removed) if redo else above
        elif kind == chaining.WholeSet.kind:
            runs = 1 if redo or above.any or removed else 0
            certain = 1 if redo or above.new or above.old_low or removed else 0
            steps.append(made("merge", certain, runs, said, reason=why))
            touched[step.name] = _Touched(added, had - removed if certain else 0, had - removed if runs else 0)
        else:
            size = int(step.partition["size"])
            fresh = size not in sizes_before
            stored = 0 if fresh else chaining.shards_for(had, size)
            new_shards = chaining.shards_for(total if fresh else added, size) if (redo or fresh) else \
                chaining.shards_for(above.new, size)
            if redo or fresh:
                changed_low = changed_high = stored
            else:
                changed_low = (1 if above.old_low or removed else 0)
                changed_high = min(stored, above.old_high + removed)
                if stored and (above.new or changed_high):
                    bases.append(f"{step.name}: {STORED_FULL} ({stored:,} stored shards of {size:,})")
            steps.append(made("new shard run", new_shards, new_shards, said, reason=why))
            if changed_high:
                steps.append(made("changed shard run", changed_low, changed_high, said,
                                  reason=why or "shards holding changed or removed samples run again "
                                  "(which ones: the account's chain state)"))
            touched[step.name] = _Touched(above.new if not fresh else total - had + removed,
                                          min(had, changed_low * size) if changed_low else 0,
                                          min(had - removed, changed_high * size))
        kinds[step.name] = kind
    if any(item.high for item in steps[1:]):
        bases.append(ADVANCES)
    return Cascade(stack="", cohort="", chain=chain.name, enabled=chain.enabled, steps=tuple(steps),
                   bases=tuple(dict.fromkeys(bases)))


def _key(step: StepSpec, stack: StackTemplate | None) -> str | None:
    if stack is None:
        return step.workflow_id if isinstance(step.workflow_id, str) else None
    return _literal_or(step.workflow_id, stack, "AWS::Omics::Workflow", "Name")


def cascades(rows: list[Row], base: dict[str, StackTemplate], head: dict[str, StackTemplate],
             history: History | None = None) -> list[Cascade]:
    """Each batch row's chain, counted: for a cohort that gains or changes samples, or whose chain changed."""
    found = []
    by_stack: dict[str, tuple[dict[str, ChainSpec], dict[str, ChainSpec]]] = {}
    for row in rows:
        if row.kind != "batch" or row.action not in (Action.START, Action.KEEP) or row.stack not in head:
            continue
        if row.stack not in by_stack:
            by_stack[row.stack] = (chains(base.get(row.stack)), chains(head[row.stack]))
        before, after = by_stack[row.stack]
        chain = after.get(row.logical_id)
        samples = row.samples
        if chain is None or samples is None or samples.added is None or samples.to_run is None:
            continue
        previous = before.get(row.logical_id)
        changed = max(samples.to_run - samples.added, 0)
        counted = count(chain, previous, samples.count, samples.added, changed, samples.removed or 0,
                        head[row.stack])
        if previous == chain and not counted.runs and counted.steps[0].high == 0:
            continue
        steps = tuple(item if history is None or item.step == COHORT or not item.high else replace(
            item, forecast=forecast(history, item.high, item.workflow_key, None,
                                    bound=f"up to {item.said}" if item.low != item.high else ""))
            for item in counted.steps)
        found.append(replace(counted, stack=row.stack, cohort=row.path, steps=steps))
    return found
