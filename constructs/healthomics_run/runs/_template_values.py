"""Each run resource's properties as they stand in the template, resolved for all runs of a stack at once.

What ``RunSettingsDigest`` shows and the synth check of the tags are computed from the properties resolved
(tokens as their intrinsics, ``Tags.of`` applied), which only jsii can do. Asked one run at a time, a stack of
1,000 runs made 1,000 round trips to jsii's Node process at synth; the first run asked resolves every run of its
stack made so far in one ``Stack.resolve`` call. It is first asked at synth (the stack's validation or its template),
after the aspects: tags and late values are final by then.
"""

from __future__ import annotations

import weakref
from typing import Any

from aws_cdk import Stack

from constructs import Construct
from healthomics_run.construct_helpers.tree import stack_of

# Shown in ``cdk diff``: it changes exactly when a setting known at synth time changes,
# that is, when deploying will start a new run (or batch). Computed from the rest, so never part of them.
SETTINGS_DIGEST = "RunSettingsDigest"

_WAITING: weakref.WeakKeyDictionary[Stack, list[tuple[Construct, dict[str, Any]]]] = weakref.WeakKeyDictionary()
_RESOLVED: weakref.WeakKeyDictionary[Construct, dict[str, Any]] = weakref.WeakKeyDictionary()


def remember(run: Construct, properties: dict[str, Any]) -> None:
    """``run``'s properties, as it gives them to its custom resource (all but the digest)."""
    without_digest = {key: value for key, value in properties.items() if key != SETTINGS_DIGEST}
    _WAITING.setdefault(stack_of(run), []).append((run, without_digest))


def resolved(run: Construct) -> dict[str, Any]:
    """``run``'s remembered properties as the template holds them (all its stack's runs resolved on first ask)."""
    found = _RESOLVED.get(run)
    if found is None:
        stack = stack_of(run)
        waiting = _WAITING.pop(stack, [])
        values = stack.resolve([properties for _, properties in waiting])
        for (each, _), value in zip(waiting, values, strict=True):
            _RESOLVED[each] = value
        found = _RESOLVED[run]
    return found
