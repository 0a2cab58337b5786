"""Tags change nothing a run computes: a change of tags alone re-tags what exists, in place.

HealthOmics tags a run (or batch) by its ARN with ``TagResource`` and removes tags with
``UntagResource`` (API reference: TagResource, UntagResource; Service Authorization Reference for
AWS HealthOmics: both actions on the ``run`` and ``runBatch`` resource types). Only keys the old
properties set and the new ones drop are removed: tags set outside the stack are left alone.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from healthomics_run.run_model import fields
from healthomics_run.service_calls import runs


def tags_of(properties: Optional[Mapping[str, Any]]) -> dict[str, str]:
    """The ``Tags`` of a resource's properties (every value a string, as CloudFormation hands them over)."""
    tags = (properties or {}).get(fields.BY_API["tags"].prop) or {}
    return {str(key): str(value) for key, value in tags.items()} if isinstance(tags, Mapping) else {}


def retag(omics, arn: str, old: Mapping[str, str], new: Mapping[str, str]) -> bool:
    """Make the tags ``old`` set on ``arn`` into ``new``; whether any call was needed."""
    removed = sorted(set(old) - set(new))
    changed = {key: value for key, value in new.items() if old.get(key) != value}
    if removed:
        runs.call("UntagResource", omics.untag_resource, resourceArn=arn, tagKeys=removed)
    if changed:
        runs.call("TagResource", omics.tag_resource, resourceArn=arn, tags=changed)
    return bool(removed or changed)
