"""Which runs a deploy will start, keep, cancel or leave running, how many, and why.

START and KEEP are decided with the handler's own code: a run by the fingerprint its StartRun
``requestId`` derives from (``settings.READERS`` → ``.fingerprint()``); a batch sample by sample, by
the key that names each sample's run (``batch_settings.sample_keys``): the runs that start are the
head's samples whose key the base's samples do not have. One implementation, so the plan cannot
disagree with the deploy. Where a decision rests on a value CloudFormation only knows at deploy time
(a ``Ref``/``Fn::GetAtt`` that changes, or refers to a resource this deploy changes), the plan says
so instead of guessing.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from healthomics_run.run_model import fields, samples
from healthomics_run.run_model.batch_settings import BatchSettings, sample_keys
from healthomics_run.run_model.fingerprint import fingerprint
from healthomics_run.run_model.properties import RunSettings, has_intrinsics
from healthomics_run.run_model.samples import run_request
from healthomics_run.run_model.settings import BATCH_RESOURCE_TYPE, READERS, RUN_RESOURCE_TYPE

from .assembly import StackTemplate
from .target import Target, target

KIND = {RUN_RESOURCE_TYPE: "run", BATCH_RESOURCE_TYPE: "batch"}
CONTROLS = {fields.WAIT_FOR: "wait_for", fields.TIMEOUT_SECONDS: "timeout_seconds",
            fields.DELETE_POLICY: "delete_policy"}
DEPLOY_TIME = "decided at deploy time"
SHEET_NOT_AT_HAND = ("the staged sample sheet changed: which samples run is known only from the cloud assembly "
                     "(cdk.out), not from templates")
# Changes that rename no run are tags only (fingerprints leave them out): the handler re-tags in place.
TAGS_CHANGED = "tags changed: re-tagged in place, no run starts"
# What reading settings raises when a value is only known at deploy time (a token where a number belongs).
_UNREADABLE = (ValueError, TypeError, KeyError)


class Action(str, enum.Enum):
    START = "START"  # runs start: a new run, or a batch's new or changed samples
    KEEP = "KEEP"  # no run starts
    CANCEL = "CANCEL"  # resource removed, DeletePolicy CANCEL
    RETAIN = "RETAIN"  # resource removed, the run keeps going
    UNKNOWN = "UNKNOWN"  # decided at deploy time
    UNCOMPARED = "UNCOMPARED"  # in a head stack the base's input does not cover: its runs may start


class _Missing:
    def __repr__(self) -> str:
        return "(not set)"


MISSING = _Missing()


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Change:
    setting: str  # as the construct names it: "parameters.sample_name", "rerun_token", ...
    old: Any
    new: Any
    sensitive: bool = False  # parameter values may identify patients


@dataclass(frozen=True)
class SampleChanges:
    """A batch's samples in the head template, how they differ from the base's, and which will run."""

    count: int
    added: int | None = None  # None: the sheets were not at hand (template files)
    removed: int | None = None
    changed: int | None = None
    to_run: int | None = None  # samples whose run the deploy starts; None: not known from these templates
    run_ids: tuple[str, ...] | None = None  # their run_setting_ids (sorted), when the sheets are at hand
    removed_ids: tuple[str, ...] = ()  # run_setting_ids gone from the sheet (sorted)
    changed_fields: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (run_setting_id, the settings that changed)


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
    target: Target | None = None  # what the head's runs run on (None for a removed resource)
    duplicate_of: str | None = None  # a removed resource with the same settings: "RETAIN Stack/Old" / "CANCEL ..."
    orphans: tuple[str, ...] = ()  # for a removed resource: what else goes with it, and how

    @property
    def may_start(self) -> bool:
        return self.action in (Action.START, Action.UNKNOWN, Action.UNCOMPARED)

    @property
    def runs_to_start(self) -> int | None:
        """1 for a run that starts, the samples that will run for a batch; None when decided at deploy time."""
        if self.action in (Action.UNKNOWN, Action.UNCOMPARED):
            return None
        if self.action is not Action.START:
            return 0
        return 1 if self.samples is None else self.samples.to_run


def plan(base: dict[str, StackTemplate], head: dict[str, StackTemplate]) -> list[Row]:
    rows = []
    pairs, uncompared, _ = _pairs(base, head)
    for old_stack, new_stack in pairs:
        old_runs, new_runs = _runs(old_stack), _runs(new_stack)
        stack_rows = [_decide(old_stack, new_stack, logical_id, old_runs.get(logical_id), new_runs.get(logical_id))
                      for logical_id in sorted(old_runs.keys() | new_runs.keys())]
        rows += _renames(stack_rows, old_stack, new_stack)
    for name in uncompared:  # never "nothing starts" for a stack nobody compared
        stack = head[name]
        rows += [Row(Action.UNCOMPARED, stack.name, logical_id, _path(resource, f"{stack.name}/{logical_id}"),
                     KIND[resource["Type"]], reason=f"stack {name} is not in the base's input, so not compared: "
                     "its runs may start") for logical_id, resource in sorted(_runs(stack).items())]
    return rows


def unmatched_stacks(base: dict[str, StackTemplate], head: dict[str, StackTemplate]) -> list[str]:
    """The stacks one side has that the other side's input cannot have: not compared, and said so."""
    return _pairs(base, head)[2]


def _is_file(stacks: dict[str, StackTemplate]) -> bool:
    return len(stacks) == 1 and next(iter(stacks.values())).assembly is None


def is_empty(stacks: dict[str, StackTemplate]) -> bool:
    """Nothing deployed: no stack, or stacks without resources (``{"Resources": {}}``, an empty app's cdk.out)."""
    return all(not stack.resources for stack in stacks.values())


def _pairs(base: dict[str, StackTemplate], head: dict[str, StackTemplate]) -> tuple[list[tuple], list[str], list[str]]:
    """Stacks matched by name; one template against one (e.g. a deployed stack's) regardless of names.
    An empty base (no resources in any of its stacks) is nothing deployed in any stack: every head stack is new.
    A stack only one side has is new (or removed) when both sides are cloud assemblies that share a stack;
    when one side is a single template file, or the assemblies share no stack, the inputs cover different
    stacks: those are not compared (reporting their runs as new would be wrong, as would reporting nothing),
    the head's are returned as uncompared (their runs may start), and the notes say so."""
    if is_empty(base):
        return [(None, head[name]) for name in sorted(head)], [], []
    if len(base) == 1 and len(head) == 1 and base.keys() != head.keys():
        return [(next(iter(base.values())), next(iter(head.values())))], [], []
    common = sorted(base.keys() & head.keys())
    if base and head and (not common or _is_file(base) or _is_file(head)):
        notes = [f"stack {name} is only in {side} ({', '.join(sorted(other)) or 'none'} on the other side): "
                 f"not compared; give both sides as cloud assemblies, or the same stack's templates"
                 + (" (an empty template, {\"Resources\": {}}, means nothing is deployed)" if side == "head" else "")
                 for side, mine, other in (("base", base, head), ("head", head, base))
                 for name in sorted(mine.keys() - other.keys())]
        return [(base[name], head[name]) for name in common], sorted(head.keys() - base.keys()), notes
    return [(base.get(name), head.get(name)) for name in sorted(base.keys() | head.keys())], [], []


def _runs(stack: StackTemplate | None) -> dict[str, dict[str, Any]]:
    if stack is None:
        return {}
    return {logical_id: resource for logical_id, resource in stack.resources.items() if resource.get("Type") in KIND}


def _decide(old_stack, new_stack, logical_id, old, new) -> Row:
    resource = new or old
    stack = (new_stack or old_stack).name
    base = {"stack": stack, "logical_id": logical_id, "path": _path(resource, f"{stack}/{logical_id}"),
            "kind": KIND[resource["Type"]],
            "target": target(new_stack, logical_id, new.get("Properties") or {}) if new is not None else None}
    noun = base["kind"]
    if old is None or (new is not None and old["Type"] != new["Type"]):
        samples = _new_samples(new_stack, new)
        why = (f"deploying starts a new {noun}" if samples is None
               else f"every sample runs ({plural(samples.count, 'run')})")
        return Row(Action.START, reason=f"new resource: {why}", samples=samples, **base)
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
        renamed = _naming(old_settings) != _naming(new_settings)
    except _UNREADABLE as error:
        return Row(Action.UNKNOWN, reason=f"{DEPLOY_TIME}: a setting is known only at deploy time ({error})",
                   notes=notes, samples=_count_only(new), **base)
    batch = new["Type"] == BATCH_RESOURCE_TYPE
    if batch:
        notes += _batch_name_note(old_settings, new_settings)
    samples = (_sample_changes((old_stack, old_props, old_settings), (new_stack, new_props, new_settings))
               if batch else None)
    row: Callable[..., Row] = functools.partial(Row, notes=notes, samples=samples, **base)
    changes = tuple(_changes(new["Type"], old_settings, new_settings, (old_stack, new_stack)))
    changed_refs = sorted(ref for ref in _refs(_settings_only(old_props)) | _refs(_settings_only(new_props))
                          if _what_refs_see(old_stack.resources.get(ref))
                         != _what_refs_see(new_stack.resources.get(ref)))
    if not renamed and changed_refs:
        return row(Action.UNKNOWN, reason=f"{DEPLOY_TIME}: settings refer to {', '.join(changed_refs)}, which this "
                   "deploy changes; if that gives them new values, " + ("runs start" if batch else "a new run starts"))
    if renamed and all(map(_uncertain, changes)):
        return row(Action.UNKNOWN, reason=f"{DEPLOY_TIME}: {', '.join(c.setting for c in changes)} changed to a value "
                   "known only at deploy time", changes=changes)
    if samples is not None:  # a batch's
        return _batch_row(row, changes, samples, new_settings.delete_policy)
    if renamed:
        return row(Action.START, reason=f"changed: {', '.join(c.setting for c in changes)}", changes=changes)
    if changes:
        return row(Action.KEEP, reason=TAGS_CHANGED, changes=changes)
    return row(Action.KEEP, reason="no setting that names the run changed")


def _same_runs(row: Row, stack: StackTemplate, shared: set[str]) -> str | None:
    """What decides the work a resource's runs do, whatever its logical id and construct path (from which
    the constructs derive the run name and output prefix): the run settings, the rerun token and, for a
    batch, its sample sheet. A reference to a resource renamed along with it (one that is not in both
    templates: the pattern's own bucket, role, run group) counts by that resource's type. None when the
    settings cannot be read."""
    resource = stack.resources[row.logical_id]
    parent = row.path.rsplit("/", 1)[0]
    scope = (row.path,) + ((parent,) if parent != stack.name else ())  # the construct, and the pattern around it
    try:
        settings = READERS[resource["Type"]](_by_type(resource.get("Properties") or {}, stack, shared, scope))
    except _UNREADABLE:
        return None
    run = settings.shared if isinstance(settings, BatchSettings) else settings
    return fingerprint(run.identity(), run.rerun_token) + (
        f":{settings.sample_digest}" if isinstance(settings, BatchSettings) else "")


def _by_type(value: Any, stack: StackTemplate, shared: set[str], scope: tuple[str, ...]) -> Any:
    """``value`` with each Ref/Fn::GetAtt of a resource not in ``shared`` naming the resource's type instead,
    and the construct paths of ``scope`` in text replaced by placeholders."""
    if isinstance(value, str):
        for number, path in enumerate(scope):
            value = value.replace(path, f"(construct {number})")
        return value
    if isinstance(value, list):
        return [_by_type(item, stack, shared, scope) for item in value]
    if not isinstance(value, dict):
        return value
    refs = _refs(value) if len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt") else set()
    if len(refs) == 1 and (logical_id := next(iter(refs))) not in shared and logical_id in stack.resources:
        kind = stack.resources[logical_id].get("Type")
        item = value.get("Fn::GetAtt")
        return {"renamed": [kind, item[1] if isinstance(item, list) else str(item).partition(".")[2]] if item else kind}
    return {key: _by_type(item, stack, shared, scope) for key, item in value.items()}


def _renames(rows: list[Row], old_stack: StackTemplate | None, new_stack: StackTemplate | None) -> list[Row]:
    """A new resource whose settings equal a removed one's is a rename (a construct renamed or moved): its
    runs repeat the removed resource's, which keep going (RETAIN) or are cancelled (CANCEL). Both rows say
    so, and the removed row lists what else the rename removes from the stack."""
    if old_stack is None or new_stack is None:
        return rows
    shared = set(old_stack.resources) & set(new_stack.resources)
    removed = {key: row for row in rows if row.action in (Action.RETAIN, Action.CANCEL)
               and (key := _same_runs(row, old_stack, shared)) is not None}
    renamed: dict[str, str] = {}
    out = []
    for row in rows:
        if row.action is Action.START and row.logical_id not in old_stack.resources and removed:
            twin = removed.get(_same_runs(row, new_stack, shared) or "")
            if twin is not None:
                fate = "keep going" if twin.action is Action.RETAIN else "are cancelled"
                renamed[twin.logical_id] = row.path
                row = dataclasses.replace(
                    row, duplicate_of=f"{twin.action.value} {twin.path}",
                    reason=f"{row.reason}; duplicate of {twin.path} (same settings), whose runs {fate} "
                           f"({twin.action.value}): a rename starts the same runs again")
        out.append(row)
    return [dataclasses.replace(row, reason=f"{row.reason}; renamed to {renamed[row.logical_id]}",
                                orphans=_orphans(row, old_stack, new_stack))
            if row.logical_id in renamed else row for row in out]


def _orphans(row: Row, old_stack: StackTemplate, new_stack: StackTemplate) -> tuple[str, ...]:
    """The other resources the removed construct held, by construct path: deleted, or left in the account
    unmanaged (DeletionPolicy Retain: an output bucket, with what the runs wrote)."""
    scope = row.path.rsplit("/", 1)[0] + "/"
    found = []
    for logical_id, resource in sorted(old_stack.resources.items()):
        if logical_id in new_stack.resources or logical_id == row.logical_id:
            continue
        path = _path(resource, f"{old_stack.name}/{logical_id}")
        if path.startswith(scope):
            kept = resource.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
            found.append(f"{path} ({resource.get('Type')}): " + ("left in the account, no longer managed "
                         "(DeletionPolicy Retain)" if kept else "deleted"))
    return tuple(found)


def _naming(settings) -> str:
    """What every run of the resource is named by: a run's whole fingerprint; for a batch, the shared
    part of each sample's key (its samples are compared one by one, in ``_sample_changes``)."""
    return settings.shared_fingerprint() if isinstance(settings, BatchSettings) else settings.fingerprint()


def _batch_row(row: Callable[..., Row], changes: tuple[Change, ...], samples: SampleChanges, delete_policy: str) -> Row:
    """A batch starts the runs of the samples whose key is new (all of them when a shared setting
    changed); it is kept when there are none, whatever else changed (removed samples, row order, name)."""
    if samples.to_run is None:
        return row(Action.UNKNOWN, reason=SHEET_NOT_AT_HAND, changes=changes)
    removed = _removed(samples.removed, delete_policy)
    if not samples.to_run:
        # a sample whose settings changed yet whose key did not changed only its tags (its key leaves them out)
        tags_changed = changes or samples.changed
        return row(Action.KEEP,
                   reason=removed or (TAGS_CHANGED if tags_changed else "no sample's run settings changed"),
                   changes=changes)
    every = f"every sample runs again ({plural(samples.to_run, 'run')})"
    why = (f"changed: {', '.join(c.setting for c in changes)}; {every}" if changes
           else _added_or_changed(samples, samples.to_run))
    return row(Action.START, reason="; ".join(filter(None, [why, removed])), changes=changes)


def _added_or_changed(samples: SampleChanges, to_run: int) -> str:
    counts = ", ".join(f"{count} {what}" for count, what in ((samples.added, "added"), (samples.changed, "changed"))
                       if count)
    return f"{plural(to_run, 'sample')} to run: {counts}"


def _removed(count: int | None, delete_policy: str) -> str:
    """What happens to the runs of removed samples: the deploy starts nothing for them."""
    if not count:
        return ""
    one = count == 1
    if delete_policy == "CANCEL":
        fate = f"{'its run is' if one else 'their runs are'} cancelled if still active (delete_policy CANCEL)"
    else:
        fate = f"{'its run keeps' if one else 'their runs keep'} going (delete_policy RETAIN)"
    return f"{plural(count, 'sample')} removed: {fate}"


def _settings_only(properties: dict[str, Any]) -> dict[str, Any]:
    """The properties that can hold run settings: not the ServiceToken (the handler's own function)."""
    return {key: value for key, value in properties.items() if key != "ServiceToken"}


def _what_refs_see(resource: dict[str, Any] | None) -> Any:
    """What a ``Ref`` or ``Fn::GetAtt`` of a resource may depend on: its type and properties but its tags. Its
    ``DeletionPolicy``, ``UpdateReplacePolicy``, ``DependsOn`` and ``Metadata`` change no value; its ``Tags`` are
    updated in place (no resource type runs refer to has them create-only), so ``Tags.of(app)`` renames nothing."""
    if resource is None:
        return None
    return resource.get("Type"), {k: v for k, v in (resource.get("Properties") or {}).items() if k != "Tags"}


def _path(resource: dict[str, Any], fallback: str) -> str:
    """The construct path (``cdk synth`` writes it as metadata), else the stack and logical id."""
    path = (resource.get("Metadata") or {}).get("aws:cdk:path", fallback)
    return path.removesuffix("/Default").removesuffix("/Resource")


def _changes(resource_type: str, old, new, stacks: tuple[StackTemplate, StackTemplate]) -> Iterator[Change]:
    if resource_type == RUN_RESOURCE_TYPE:
        yield from _request_changes(_as_named(old, stacks[0]), _as_named(new, stacks[1]))
    else:
        yield from _request_changes(run_request(samples.default_run_setting(_as_named(old.shared, stacks[0]))),
                                    run_request(samples.default_run_setting(_as_named(new.shared, stacks[1]))))
    if old.rerun_token != new.rerun_token:
        yield Change("rerun_token", old.rerun_token or MISSING, new.rerun_token or MISSING)


def _as_named(settings, stack: StackTemplate) -> dict[str, Any]:
    """The request, staged parameters read back from the cloud assembly where it is at hand, so that a change
    names the parameter keys that changed (whether it starts a run is the fingerprints' to say)."""
    named = {key: value for key, value in settings.request.items()
             if key != "parametersUri" or not settings.parameters_digest}
    if settings.parameters_digest:
        staged = stack.staged_parameters(settings.request.get("parametersUri")) if stack is not None else None
        named["parameters"] = staged if staged is not None else {"(staged, digest)": settings.parameters_digest}
    return named


def _batch_name_note(old: RunSettings | BatchSettings, new: RunSettings | BatchSettings) -> tuple[Change, ...]:
    """A batch's name names no run (samples' runs are named by their keys): changing it starts nothing."""
    before, after = old.request.get("batchName", MISSING), new.request.get("batchName", MISSING)
    return () if before == after else (Change("batch_name", before, after),)


def _request_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    for field_ in fields.START_RUN_FIELDS:
        before, after = old.get(field_.api, MISSING), new.get(field_.api, MISSING)
        if before == after:
            continue
        if (field_.api in ("parameters", "tags") and isinstance(before, (dict, _Missing))
                and isinstance(after, (dict, _Missing))):
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
    """A new batch's samples: every one of them runs."""
    if resource["Type"] != BATCH_RESOURCE_TYPE:
        return None
    properties = resource.get("Properties") or {}
    try:
        settings = _sample_settings(stack, properties, READERS[BATCH_RESOURCE_TYPE](properties))
    except _UNREADABLE:
        settings = None
    count = len(settings) if settings is not None else _count(properties)
    ids = None if settings is None else tuple(sorted(str(setting["runSettingId"]) for setting in settings))
    return SampleChanges(count=count, added=count, removed=0, changed=0, to_run=count, run_ids=ids)


def _count_only(resource: dict[str, Any]) -> SampleChanges | None:
    if resource["Type"] != BATCH_RESOURCE_TYPE:
        return None
    return SampleChanges(count=_count(resource.get("Properties") or {}))


def _sample_changes(old: tuple, new: tuple) -> SampleChanges:
    """How a batch's samples changed, and which will run: the head's samples whose key none of the
    base's samples has. ``old`` and ``new`` are (stack, properties, settings as the handler reads them)."""
    before, after = _sample_settings(*old), _sample_settings(*new)
    old_settings, new_settings = old[2], new[2]
    if before is None or after is None:
        return _sheet_not_at_hand(old_settings, new_settings)
    ran = set(sample_keys(old_settings.shared_fingerprint(), before).values())
    to_run = tuple(sorted(sample_id for sample_id, key in sample_keys(new_settings.shared_fingerprint(), after).items()
                          if key not in ran))
    before_by_id = {str(setting["runSettingId"]): setting for setting in before}
    after_by_id = {str(setting["runSettingId"]): setting for setting in after}
    changed = tuple((key, _sample_fields(before_by_id[key], after_by_id[key]))
                    for key in sorted(after_by_id.keys() & before_by_id.keys())
                    if after_by_id[key] != before_by_id[key])
    removed = tuple(sorted(before_by_id.keys() - after_by_id.keys()))
    return SampleChanges(count=len(after_by_id), added=len(after_by_id.keys() - before_by_id.keys()),
                         removed=len(removed), changed=len(changed), to_run=len(to_run), run_ids=to_run,
                         removed_ids=removed, changed_fields=changed)


def _sample_fields(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    """The settings of one sample that differ, parameters key by key (``parameters.sample_name``)."""
    named = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key, MISSING), new.get(key, MISSING)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            named += [f"{key}.{inner}" for inner in sorted(before.keys() | after.keys())
                      if before.get(inner, MISSING) != after.get(inner, MISSING)]
        else:
            named.append(key)
    return tuple(named)


def _sheet_not_at_hand(old: BatchSettings, new: BatchSettings) -> SampleChanges:
    """A staged sheet from a bare template: its digest tells whether samples changed, not which. A
    changed shared setting changes every sample's key, so then every sample runs all the same."""
    same_sheet = old.sample_digest == new.sample_digest
    to_run: int | None
    if old.shared_fingerprint() != new.shared_fingerprint():
        to_run = new.sample_count
    else:
        to_run = 0 if same_sheet else None
    counts: tuple[int | None, int | None, int | None] = (0, 0, 0) if same_sheet else (None, None, None)
    return SampleChanges(new.sample_count, *counts, to_run=to_run)


def _sample_settings(stack: StackTemplate, properties: dict[str, Any], settings) -> list[dict[str, Any]] | None:
    """Inline samples as read, or a staged sheet from the assembly (None from a bare template)."""
    return settings.inline if settings.inline is not None else stack.sample_sheet(properties)


def _count(properties: dict[str, Any]) -> int:
    return int(str(properties.get("SampleCount", 0)))


def _uncertain(change: Change) -> bool:
    """Set on both sides, one of them only known at deploy time: they may still turn out equal."""
    both_set = change.old is not MISSING and change.new is not MISSING
    return both_set and (has_intrinsics(change.old) or has_intrinsics(change.new))


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
