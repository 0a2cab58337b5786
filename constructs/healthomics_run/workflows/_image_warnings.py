"""A synth warning for a workflow whose definition names private ECR images that no ``container_repositories``
entry covers: HealthOmics pulls a private workflow's images from private ECR only when each repository's policy
lets ``omics.amazonaws.com`` pull and the run's role may pull (HealthOmics guide, "Amazon ECR permissions",
https://docs.aws.amazon.com/omics/latest/dev/permissions-ecr.html); without them the run fails at its first task.

Images are found by their URI in the definition's text (``<account>.dkr.ecr.<region>.amazonaws.com/<repo>``);
images named otherwise (a container registry map, a parameter) are not judged, nor is anything when a
repository's name is a deploy-time value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Sequence

from aws_cdk import Annotations
from aws_cdk import aws_ecr as ecr

from constructs import Construct
from healthomics_run.construct_helpers.validation import is_unresolved

from .definition_files import DefinitionError, DefinitionFiles

WARNING_ID = "healthomics-run::workflow-images-not-pullable"
_ECR_IMAGE = re.compile(r"\b(?P<registry>\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?)/"
                        r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?=[:@\s'\"]|$)")
MAX_BYTES = 1_000_000  # definition files larger than this (data, not code) are not read


def private_images(definition: Path) -> dict[str, list[str]]:
    """Repository name -> the image URIs the definition's text names in it."""
    try:
        files = DefinitionFiles.of(definition)
    except DefinitionError:
        return {}
    found: dict[str, list[str]] = {}
    for name in files.names:
        data = files._read(name)
        if len(data) > MAX_BYTES:
            continue
        for match in _ECR_IMAGE.finditer(data.decode("utf-8", "replace")):
            found.setdefault(match["repository"], []).append(f"{match['registry']}/{match['repository']}")
    return found


def warn_unpullable_images(workflow: Construct, definition: Optional[Path],
                           repositories: Sequence[ecr.IRepository]) -> None:
    """Warn at synth of private ECR images the definition names outside ``repositories`` (none is read when the
    definition comes from a Git repository: ``definition`` None)."""
    if definition is None:
        return
    names = [repository.repository_name for repository in repositories]
    if any(is_unresolved(name) for name in names):
        return
    missing = {repo: uris for repo, uris in private_images(definition).items() if repo not in names}
    if not missing:
        return
    listed = ", ".join(sorted({uris[0] for uris in missing.values()}))
    examples = ", ".join(f"ecr.Repository.from_repository_name(self, ..., {repo!r})" for repo in sorted(missing)[:3])
    Annotations.of(workflow).add_warning_v2(WARNING_ID, (
        f"{workflow.node.path}: its definition names private ECR images in repositories that are not among its "
        f"container_repositories: {listed}. HealthOmics cannot pull them, and runs fail at their first task, unless "
        f"each repository's policy lets omics.amazonaws.com pull and the run's role may pull: give "
        f"container_repositories=[{examples}], or acknowledge {WARNING_ID!r} (Annotations.of(workflow)."
        "acknowledge_warning) when the repositories are set up elsewhere"))
