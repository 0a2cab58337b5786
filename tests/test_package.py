"""The package's public names: loaded on first use, and the same list for type checkers."""

from __future__ import annotations

import ast
from pathlib import Path

import healthomics_run


def _type_checking_names() -> set[str]:
    tree = ast.parse(Path(healthomics_run.__file__).read_text())
    (block,) = [node for node in tree.body if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"]
    return {alias.name for node in block.body for alias in node.names}


def test_every_public_name_resolves():
    assert all(getattr(healthomics_run, name) is not None for name in healthomics_run.__all__)


def test_type_checkers_see_the_same_names_as_the_lazy_exports():
    assert _type_checking_names() == set(healthomics_run.__all__)
