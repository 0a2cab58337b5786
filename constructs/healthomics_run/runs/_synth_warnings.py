"""Synth warnings for settings that synthesize but fail in the account: each names the construct and the value,
says how to fix it, and can be acknowledged (``Annotations.of(run).acknowledge_warning(id)``), like the ECR one.

Every warning id of the library is ``healthomics-run::<name>``: with its ``::`` the CDK CLI prints it as it is
(``Acknowledge with 'healthomics-run::<name>'``; a bare id it prints as ``Annotation::<id>``, which
``Annotations.acknowledge_warning`` does not match), so the id in the message, the ``[ack: ...]`` tag and the CLI's
line are one string, and both ``Annotations.of(c).acknowledge_warning(id)`` and
``Validations.of(c).acknowledge(Acknowledgment(id=id, reason=...))`` accept it.

- ``OUTPUT_NOT_WRITABLE``: ``output_uri`` outside every location the run's ``RunServiceRole`` may write.
- ``INPUT_NOT_READABLE``: ``s3://`` values in the parameters (a batch's samples included) in buckets or prefixes
  the role may not read (outputs it may write, it may read too).
- ``SHORT_COMPLETED_WAIT``: ``wait_for=COMPLETED`` with a ``timeout`` under ``PLAUSIBLE_RUN_SECONDS`` (an hour). A
  run group's ``max_duration`` is no guide: it caps runs (7 days by default), while a deploy waits 12 hours at most.
- ``COHORT_WAIT_TOO_SHORT``: a batch waiting for COMPLETED whose samples, queued ``max_runs`` at a time by its run
  group, leave each run less than ``PLAUSIBLE_RUN_SECONDS`` within the timeout (``run_model.capacity``, which the
  plan's capacity check uses too): the deploy times out, and rolls back (with ``delete_policy=CANCEL``, cancelling the
  batch).
- ``DUPLICATE_RUN``: a run (batch) of a stack with the settings of another of the same stack, all but its ``name``
  and ``tags``: each resource derives its own ``requestId`` (``run_model.fingerprint.request_id`` is scoped to the
  resource), so the deploy starts both, and both are billed.
- ``STATIC_STORAGE_ROUNDED``: ``storage_capacity`` of STATIC storage that HealthOmics rounds up (to 1,200 GiB or a
  multiple of 2,400 GiB): the message says what is provisioned and billed.

Only what is known at synth is judged: a role that is not a ``RunServiceRole`` (its grants are not known here),
a bucket named by a token, or a value known at deploy time are left alone, so a warning is never a guess. S3
locations are compared by bucket name and key prefix, as the role's policy grants them.
"""

from __future__ import annotations

import json
import re
import weakref
from typing import Any, Iterator, Optional, Sequence

from aws_cdk import Annotations

from constructs import Construct
from healthomics_run.construct_helpers.tree import path_of, stack_of
from healthomics_run.construct_helpers.validation import add_check, is_unresolved
from healthomics_run.run_model import capacity, rules

OUTPUT_NOT_WRITABLE = "healthomics-run::output-not-writable"
INPUT_NOT_READABLE = "healthomics-run::input-not-readable"
SHORT_COMPLETED_WAIT = "healthomics-run::short-completed-wait"
STATIC_STORAGE_ROUNDED = "healthomics-run::static-storage-rounded"
DUPLICATE_RUN = "healthomics-run::duplicate-run"
COHORT_WAIT_TOO_SHORT = "healthomics-run::cohort-wait-too-short"
# Below an hour a wait for COMPLETED most likely fails the deploy: a run spends minutes being provisioned before
# its first task, and genomics workflows run for hours.
PLAUSIBLE_RUN_SECONDS = 3600
NAMED = 5  # values named in a warning before the rest are counted


def _location(uri: Any) -> Optional[tuple[str, str]]:
    """(bucket, key) of an ``s3://`` URI known at synth, else None."""
    if not isinstance(uri, str) or not uri.startswith("s3://") or is_unresolved(uri):
        return None
    bucket, key = _split(uri)
    return (bucket, key) if bucket else None


def _split(uri: str) -> tuple[str, str]:
    """(bucket, key) of an ``s3://`` URI that ``_location`` knows."""
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


def _s3_values(value: Any, found: dict[str, None]) -> None:
    """Add to ``found`` the ``s3://`` URIs known at synth under ``value``, depth first in order. Strings are looked
    at in their container's loop: a batch's 100,000 samples hold hundreds of thousands."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else (value,)
    for item in items:
        if isinstance(item, str):  # str subclasses too: a str Enum member stands in the template as its value
            if item.startswith("s3://") and item not in found and _location(item) is not None:
                found[item] = None
        elif isinstance(item, (dict, list, tuple)):
            _s3_values(item, found)


def _known(scope, locations: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The locations whose bucket names are known at synth (a bucket made in the app is named by a deploy-time
    value, which a literal URI does not name, unless its name was given by hand)."""
    known = []
    for bucket, prefix in locations:
        if is_unresolved(bucket):
            resolved = stack_of(scope).resolve(bucket)
            if not isinstance(resolved, str):
                continue  # a bucket made in this app: a literal URI cannot name it, unless named by hand
            bucket = resolved
        known.append((bucket, prefix))
    return known


def _covered(uri: str, locations: list[tuple[str, str]]) -> bool:
    bucket, key = _split(uri)
    return any(bucket == b and key.startswith(p) for b, p in locations)


def _listing(values: list[str]) -> str:
    shown = ", ".join(map(repr, values[:NAMED]))
    return f"{shown} and {len(values) - NAMED} more" if len(values) > NAMED else shown


# Per stack's RunProvider: the runs (RunResource, which imports this module) its one check judges.
_CHECKED: weakref.WeakKeyDictionary[Construct, list[Construct]] = weakref.WeakKeyDictionary()


def check_at_synth(provider: Construct, run: Construct) -> None:
    """Judge ``run`` when the app is synthesized (its role's grants and its tags are complete then): one check
    per stack for all its runs (``provider``, the stack's ``RunProvider``), so a stack of many runs pays one
    callback from jsii, not one per run. The check fails synthesis with ``run.synth_errors()`` and adds the
    warnings."""
    runs = _CHECKED.get(provider)
    if runs is None:
        runs = _CHECKED[provider] = []
        add_check(provider, lambda: _checked(runs))
    runs.append(run)


def _same_settings(run, resolve: bool = False) -> str:
    """What makes two runs of one stack the same run: every setting but the name and tags, the samples of a batch
    and the rerun token. Deploy-time values count as their template form when ``resolve``, else as alike (a first,
    cheap sorting, which asks jsii nothing)."""
    request = {key: value for key, value in run.request.items() if key not in ("name", "tags")}
    request = run.resolved(request) if resolve else json.loads(json.dumps(request, default=repr), object_hook=_blank)
    return json.dumps([run.RESOURCE_TYPE, request, getattr(run, "settings", None), run.rerun_token],
                      sort_keys=True, default=repr)


_TOKEN_MARK = re.compile(r"[$#]\{Token\[[^\]]*\]\}")


def _blank(mapping: dict) -> dict:
    return {key: _TOKEN_MARK.sub("<token>", value) if isinstance(value, str) else value
            for key, value in mapping.items()}


def _checked(runs: list) -> list[str]:
    _warn_duplicates(runs)
    roles: dict[int, tuple[list, list]] = {}  # a role's known locations, resolved once for all its runs
    return [error for each in runs for error in _judged(each, roles)]


def _warn_duplicates(runs: list) -> None:
    """Warn on each run that starts the same run as an earlier one of the stack."""
    if len(runs) < 2:
        return  # one run (a cohort of 100,000 samples, say) has no other to be alike
    alike: dict[str, list] = {}
    for run in runs:
        alike.setdefault(_same_settings(run), []).append(run)
    for group in alike.values():
        if len(group) > 1:
            _warn_alike(group)


def _warn_alike(group: list) -> None:
    first: dict[str, Any] = {}
    for run in group:
        earlier = first.setdefault(_same_settings(run, resolve=True), run)
        if earlier is not run:
            Annotations.of(run).add_warning_v2(DUPLICATE_RUN, (
                f"{path_of(run)}: the same run as {path_of(earlier)} (every setting alike but the name): each "
                "resource starts its own run, so the deploy starts this one twice and both are billed. Remove one; "
                "if you mean to run it twice, give each a different rerun_token; to accept it: "
                f"Annotations.of(construct).acknowledge_warning({DUPLICATE_RUN!r}, reason)"))


def _judged(run, roles: dict[int, tuple[list, list]]) -> list[str]:
    judge = SynthWarnings(run, roles)
    notes = None
    for warning_id, message in (*judge._location_warnings(), *judge._wait_warnings(), *judge._storage_warnings()):
        notes = notes or Annotations.of(run)
        notes.add_warning_v2(warning_id, f"{message}; to accept it: "
                                         f"Annotations.of(construct).acknowledge_warning({warning_id!r}, reason)")
    return [f"{path_of(run)}: {error}" for error in run.synth_errors()]


class SynthWarnings:
    """The warnings of one run resource (``RunResource``)."""

    def __init__(self, run, roles: dict[int, tuple[list, list]]) -> None:
        self._run = run
        self._roles = roles  # id(role) -> (writable, readable): the role outlives the check, so its id is stable

    def _location_warnings(self) -> Iterator[tuple[str, str]]:
        from healthomics_run.infrastructure.service_role import RunServiceRole

        run = self._run
        role = run.role
        if not isinstance(role, RunServiceRole):
            return
        if id(role) not in self._roles:
            writable = _known(run, role.writable_locations)
            self._roles[id(role)] = (writable, writable + _known(run, role.readable_locations))
        writable, readable = self._roles[id(role)]
        output = run.request.get("outputUri")
        if _location(output) is not None and not _covered(output, writable):
            yield OUTPUT_NOT_WRITABLE, (
                f"{path_of(run)}: output_uri {output!r} is outside what its service role {path_of(role)} may write "
                f"({_may(writable)}): HealthOmics will fail the run with AccessDenied. Check the bucket name, or let "
                "the role write there (RunServiceRole.grant_output(bucket, prefix))")
        named: dict[str, None] = {}
        _s3_values([run.request.get("parameters"), *run.sample_parameters()], named)
        values = [uri for uri in named if not _covered(uri, readable)]
        if values:
            buckets = sorted({_split(uri)[0] for uri in values})
            yield INPUT_NOT_READABLE, (
                f"{path_of(run)}: parameters name S3 objects its service role {path_of(role)} may not read: "
                f"{_listing(values)}. HealthOmics will fail the run with AccessDenied. Add the buckets to inputs "
                f"({', '.join(f's3.Bucket.from_bucket_name(self, ..., {b!r})' for b in buckets[:NAMED])}) or "
                "RunServiceRole.grant_input(bucket, prefix)")

    def _storage_warnings(self) -> Iterator[tuple[str, str]]:
        run = self._run
        requested = run.request.get("storageCapacity")
        if run.request.get("storageType") != "STATIC" or not isinstance(requested, int) or is_unresolved(requested):
            return
        provisioned = rules.provisioned_static_gib(requested)
        if provisioned != requested:
            yield STATIC_STORAGE_ROUNDED, (
                f"{path_of(run)}: storage_capacity {requested:,} GiB of STATIC storage is provisioned, and billed, "
                f"as {provisioned:,} GiB: HealthOmics provides {rules.STATIC_STORAGE_MINIMUM_GIB:,} GiB or multiples "
                f"of {rules.STATIC_STORAGE_STEP_GIB:,} GiB, rounding up. Give storage_capacity={provisioned} to say "
                "so, a smaller supported size, or storage_type=DYNAMIC (sized to what the run uses)")

    def _wait_warnings(self) -> Iterator[tuple[str, str]]:
        run = self._run
        if run.wait_for != "COMPLETED":
            return
        if run.timeout_seconds < PLAUSIBLE_RUN_SECONDS:
            yield SHORT_COMPLETED_WAIT, (
                f"{path_of(run)}: wait_for=COMPLETED with a timeout of {run.timeout_seconds} s; a run spends "
                f"minutes being provisioned and most workflows take hours, so the deploy will likely fail (and roll "
                f"back) before the run completes. Give a timeout of at least {PLAUSIBLE_RUN_SECONDS} s (up to 12 "
                "hours), or wait_for=STARTED")
            return
        yield from self._cohort_wait_warnings()

    def _cohort_wait_warnings(self) -> Iterator[tuple[str, str]]:
        run = self._run
        runs, group = getattr(run, "sample_count", 0), run.run_group
        max_runs = getattr(group, "max_runs", None)
        if runs < 2 or not isinstance(max_runs, int) or is_unresolved(max_runs) or max_runs <= 0:
            return
        each = capacity.seconds_per_run(run.timeout_seconds, runs, max_runs)
        if each >= PLAUSIBLE_RUN_SECONDS:
            return
        rollback = (" and its rollback cancels the batch (delete_policy=CANCEL)" if run.delete_policy == "CANCEL"
                    else " and rolls back")
        yield COHORT_WAIT_TOO_SHORT, (
            f"{path_of(run)}: wait_for=COMPLETED for {runs:,} samples in run group {path_of(group)}, which runs "
            f"max_runs={max_runs} at once: they run in {capacity.waves(runs, max_runs)} waves, so within the timeout "
            f"({_hours(run.timeout_seconds)}) each run may take only {each / 60:.0f} min; the deploy will likely time "
            f"out{rollback}. Raise the run group's max_runs to "
            f"{capacity.max_runs_for(run.timeout_seconds, runs, PLAUSIBLE_RUN_SECONDS)} or more (an hour a run), "
            "split the cohort, or wait_for=STARTED")


def _hours(seconds: int) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds} s"


def _may(locations: list[tuple[str, str]]) -> str:
    return ", ".join(f"s3://{bucket}/{prefix}*" for bucket, prefix in locations) or "no location known at synth"
