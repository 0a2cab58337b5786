"""Which runs a deploy will start, keep, cancel or leave running, and why.

START and KEEP are decided by comparing the fingerprints the handler derives the StartRun /
StartRunBatch ``requestId`` from (``settings.READERS`` → ``.fingerprint()``): one implementation,
so the plan cannot disagree with the deploy. Where a decision rests on a value CloudFormation only
knows at deploy time (a ``Ref``/``Fn::GetAtt`` that changes, or refers to a resource this deploy
changes), the plan says so instead of guessing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterator

from .._lambda.start_run import fields
from .._lambda.start_run.samples import run_request
from .._lambda.start_run.settings import BATCH_RESOURCE_TYPE, READERS, RUN_RESOURCE_TYPE
from .assembly import StackTemplate

KIND = {RUN_RESOURCE_TYPE: "run", BATCH_RESOURCE_TYPE: "batch"}
CONTROLS = {fields.WAIT_FOR: "wait_for", fields.TIMEOUT_SECONDS: "timeout_seconds",
            fields.DELETE_POLICY: "delete_policy"}
DEPLOY_TIME = "decided at deploy time"
# What reading settings raises when a value is only known at deploy time (a token where a number belongs).
_UNREADABLE = (ValueError, TypeError, KeyError)


class Action(str, enum.Enum):
    START = "START"  # a new run (batch) starts
    KEEP = "KEEP"  # nothing run-relevant changed
    CANCEL = "CANCEL"  # resource removed, DeletePolicy CANCEL
    RETAIN = "RETAIN"  # resource removed, the run keeps going
    UNKNOWN = "UNKNOWN"  # decided at deploy time


class _Missing:
    def __repr__(self) -> str:
        return "(not set)"


MISSING = _Missing()


@dataclass(frozen=True)
class Change:
    setting: str  # as the construct names it: "parameters.sample_name", "rerun_token", ...
    old: Any
    new: Any
    sensitive: bool = False  # parameter values may identify patients


@dataclass(frozen=True)
class SampleChanges:
    count: int
    added: int | None = None  # None: the sheets were not at hand (template files)
    removed: int | None = None
    changed: int | None = None


@dataclass(frozen=True)
class Row:
    action: Action
    stack: str
    logical_id: str
    path: str
    kind: str
    reason: str
    changes: tuple[Change, ...] = ()  # run-relevant settings, old -> new
    notes: tuple[Change, ...] = ()  # settings that change how the deploy waits or deletes, not which run
    samples: SampleChanges | None = None

    @property
    def may_start(self) -> bool:
        return self.action in (Action.START, Action.UNKNOWN)


def plan(base: dict[str, StackTemplate], head: dict[str, StackTemplate]) -> list[Row]:
    rows = []
    for old_stack, new_stack in _pairs(base, head):
        old_runs, new_runs = _runs(old_stack), _runs(new_stack)
        for logical_id in sorted(old_runs.keys() | new_runs.keys()):
            rows.append(_decide(old_stack, new_stack, logical_id, old_runs.get(logical_id), new_runs.get(logical_id)))
    return rows


def _pairs(base: dict[str, StackTemplate], head: dict[str, StackTemplate]) -> Iterator[tuple]:
    """Stacks matched by name; one template against one (e.g. a deployed stack's) regardless of names."""
    if len(base) == 1 and len(head) == 1 and base.keys() != head.keys():
        yield next(iter(base.values())), next(iter(head.values()))
        return
    for name in sorted(base.keys() | head.keys()):
        yield base.get(name), head.get(name)


def _runs(stack: StackTemplate | None) -> dict[str, dict[str, Any]]:
    if stack is None:
        return {}
    return {logical_id: resource for logical_id, resource in stack.resources.items() if resource.get("Type") in KIND}


def _decide(old_stack, new_stack, logical_id, old, new) -> Row:
    resource = new or old
    stack = (new_stack or old_stack).name
    base = {"stack": stack, "logical_id": logical_id, "path": _path(resource, f"{stack}/{logical_id}"),
            "kind": KIND[resource["Type"]]}
    noun = base["kind"]
    if old is None or (new is not None and old["Type"] != new["Type"]):
        return Row(Action.START, reason=f"new resource: deploying starts a new {noun}",
                   samples=_new_samples(new_stack, new), **base)
    if new is None:
        cancel = (old.get("Properties") or {}).get(fields.DELETE_POLICY) == "CANCEL"
        return Row(Action.CANCEL if cancel else Action.RETAIN, **base,
                   reason=f"resource removed: its {noun} is cancelled if still active (delete_policy CANCEL)" if cancel
                   else f"resource removed: its {noun} keeps going (delete_policy RETAIN)")
    old_props, new_props = old.get("Properties") or {}, new.get("Properties") or {}
    notes = tuple(Change(name, old_props.get(prop, MISSING), new_props.get(prop, MISSING))
                  for prop, name in CONTROLS.items() if old_props.get(prop) != new_props.get(prop))
    read = READERS[new["Type"]]
    try:
        old_settings, new_settings = read(old_props), read(new_props)
        same = old_settings.fingerprint() == new_settings.fingerprint()
    except _UNREADABLE as error:
        return Row(Action.UNKNOWN, reason=f"{DEPLOY_TIME}: a setting is known only at deploy time ({error})",
                   notes=notes, samples=_count_only(new), **base)
    samples = (_samples((new_stack, new_props, new_settings), (old_stack, old_props, old_settings))
               if new["Type"] == BATCH_RESOURCE_TYPE else None)
    changes = tuple(_changes(new["Type"], old_settings, new_settings))
    changed_refs = sorted(ref for ref in _refs(_settings_only(old_props)) | _refs(_settings_only(new_props))
                          if _what_refs_see(old_stack.resources.get(ref)) != _what_refs_see(new_stack.resources.get(ref)))
    if same and changed_refs:
        return Row(Action.UNKNOWN, reason=f"{DEPLOY_TIME}: settings refer to {', '.join(changed_refs)}, which this "
                   f"deploy changes; if that gives them new values, a new {noun} starts",
                   notes=notes, samples=samples, **base)
    if same:
        return Row(Action.KEEP, reason=f"no setting that names the {noun} changed", notes=notes, samples=samples,
                   **base)
    if all(map(_uncertain, changes)):
        return Row(Action.UNKNOWN, reason=f"{DEPLOY_TIME}: {', '.join(c.setting for c in changes)} changed to a value "
                   "known only at deploy time", changes=changes, notes=notes, samples=samples, **base)
    return Row(Action.START, reason=f"changed: {', '.join(c.setting for c in changes)}", changes=changes,
               notes=notes, samples=samples, **base)


def _settings_only(properties: dict[str, Any]) -> dict[str, Any]:
    """The properties that can hold run settings: not the ServiceToken (the handler's own function)."""
    return {key: value for key, value in properties.items() if key != "ServiceToken"}


def _what_refs_see(resource: dict[str, Any] | None) -> Any:
    """What a ``Ref`` or ``Fn::GetAtt`` of a resource may depend on: its type and properties. Its
    ``DeletionPolicy``, ``UpdateReplacePolicy``, ``DependsOn`` and ``Metadata`` change no value."""
    return None if resource is None else (resource.get("Type"), resource.get("Properties"))


def _path(resource: dict[str, Any], fallback: str) -> str:
    """The construct path (``cdk synth`` writes it as metadata), else the stack and logical id."""
    path = (resource.get("Metadata") or {}).get("aws:cdk:path", fallback)
    return path.removesuffix("/Default").removesuffix("/Resource")


def _changes(resource_type: str, old, new) -> Iterator[Change]:
    if resource_type == RUN_RESOURCE_TYPE:
        yield from _request_changes(old.request, new.request)
    else:
        yield from _request_changes(run_request(old.request["defaultRunSetting"]),
                                    run_request(new.request["defaultRunSetting"]))
        if old.request.get("batchName") != new.request.get("batchName"):
            yield Change("batch_name", old.request.get("batchName", MISSING), new.request.get("batchName", MISSING))
        if old.sample_digest != new.sample_digest:
            yield Change("samples", f"{old.sample_count} samples", f"{new.sample_count} samples")
    if old.rerun_token != new.rerun_token:
        yield Change("rerun_token", old.rerun_token or MISSING, new.rerun_token or MISSING)


def _request_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    for field_ in fields.START_RUN_FIELDS:
        before, after = old.get(field_.api, MISSING), new.get(field_.api, MISSING)
        if before == after:
            continue
        if field_.api in ("parameters", "tags") and isinstance(before, (dict, _Missing)) and isinstance(after, (dict, _Missing)):
            yield from _keyed_changes(field_.snake, before, after, sensitive=field_.api == "parameters")
        else:
            yield Change(field_.snake, before, after)


def _keyed_changes(prefix: str, old: Any, new: Any, sensitive: bool) -> Iterator[Change]:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    for key in sorted(old.keys() | new.keys()):
        if old.get(key, MISSING) != new.get(key, MISSING):
            yield Change(f"{prefix}.{key}", old.get(key, MISSING), new.get(key, MISSING), sensitive=sensitive)


def _new_samples(stack: StackTemplate, resource: dict[str, Any]) -> SampleChanges | None:
    """A new batch's samples: all of them added."""
    if resource["Type"] != BATCH_RESOURCE_TYPE:
        return None
    properties = resource.get("Properties") or {}
    try:
        settings = _sample_settings(stack, properties, READERS[BATCH_RESOURCE_TYPE](properties))
    except _UNREADABLE:
        settings = None
    count = len(settings) if settings is not None else _count(properties)
    return SampleChanges(count=count, added=count, removed=0, changed=0)


def _count_only(resource: dict[str, Any]) -> SampleChanges | None:
    if resource["Type"] != BATCH_RESOURCE_TYPE:
        return None
    return SampleChanges(count=_count(resource.get("Properties") or {}))


def _samples(new: tuple, old: tuple) -> SampleChanges:
    """A batch's sample count, and how many samples were added, removed or changed.

    ``new`` and ``old`` are (stack, properties, settings as the handler reads them).
    """
    new_settings, old_settings = _sample_settings(*new), _sample_settings(*old)
    if old_settings is None or new_settings is None:
        return SampleChanges(count=new[2].sample_count)
    before = {s["runSettingId"]: s for s in old_settings}
    after = {s["runSettingId"]: s for s in new_settings}
    return SampleChanges(count=len(after), added=len(after.keys() - before.keys()),
                         removed=len(before.keys() - after.keys()),
                         changed=sum(1 for key in after.keys() & before.keys() if after[key] != before[key]))


def _sample_settings(stack: StackTemplate, properties: dict[str, Any], settings) -> list[dict[str, Any]] | None:
    """Inline samples as read, or a staged sheet from the assembly (None from a bare template)."""
    run_settings = settings.request["batchRunSettings"]
    return run_settings["inlineSettings"] if "inlineSettings" in run_settings else stack.sample_sheet(properties)


def _count(properties: dict[str, Any]) -> int:
    return int(str(properties.get("SampleCount", 0)))


def _uncertain(change: Change) -> bool:
    """Set on both sides, one of them only known at deploy time: they may still turn out equal."""
    both_set = change.old is not MISSING and change.new is not MISSING
    return both_set and (_is_intrinsic(change.old) or _is_intrinsic(change.new))


def _is_intrinsic(value: Any) -> bool:
    if isinstance(value, dict):
        return any(key == "Ref" or key.startswith("Fn::") for key in value) or any(map(_is_intrinsic, value.values()))
    if isinstance(value, list):
        return any(map(_is_intrinsic, value))
    return False


def _refs(value: Any) -> set[str]:
    """Logical ids a value refers to (``Ref``, ``Fn::GetAtt``); pseudo parameters are not resources."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str) and not item.startswith("AWS::"):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0] if isinstance(item, list) else str(item).split(".")[0])
            else:
                found |= _refs(item)
    elif isinstance(value, list):
        for item in value:
            found |= _refs(item)
    return found
