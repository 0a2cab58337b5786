"""The package's public names: loaded on first use, and the same list for type checkers."""

from __future__ import annotations

import ast
from pathlib import Path

import healthomics_run
from tests.synth import ROOT


def _type_checking_names() -> set[str]:
    tree = ast.parse(Path(healthomics_run.__file__).read_text())
    (block,) = [node for node in tree.body if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"]
    return {alias.name for node in block.body for alias in node.names}


def test_every_public_name_resolves():
    assert all(getattr(healthomics_run, name) is not None for name in healthomics_run.__all__)


def test_type_checkers_see_the_same_names_as_the_lazy_exports():
    assert _type_checking_names() == set(healthomics_run.__all__)


def test_the_long_description_renders_on_the_package_index_with_working_links():
    """README.md is the package's long description (``readme`` in pyproject.toml). PyPI renders it with
    readme_renderer (https://github.com/pypa/readme_renderer, "Safely render long_description/README files in
    Warehouse"), which prefixes heading ids with ``user-content-`` and links to them likewise; a relative link
    has no repository to resolve against there, so every other link must be absolute."""
    import re

    import readme_renderer.markdown

    html = readme_renderer.markdown.render((ROOT / "README.md").read_text(encoding="utf-8"))
    assert html is not None
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    links = re.findall(r'\bhref="([^"]+)"', html)
    assert links
    broken = [link for link in links if not (link.startswith(("https://", "http://", "mailto:"))
                                             or link.startswith("#") and link[1:] in ids)]
    assert not broken, broken
