"""The package's public names: loaded on first use, and the same list for type checkers."""

from __future__ import annotations

import ast
from pathlib import Path

import healthomics_run
from tests.synth import ROOT


def _type_checking_names() -> set[str]:
    tree = ast.parse(Path(healthomics_run.__file__).read_text())
    (block,) = [node for node in tree.body
                if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"]
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


def _project() -> dict:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_each_pinned_version_the_suite_runs_on_is_inside_the_range_the_package_declares():
    """One source of truth for ranges: pyproject.toml; requirements.txt pins the suite's versions inside them."""
    from packaging.requirements import Requirement

    ranges = {Requirement(spec).name: Requirement(spec).specifier for spec in _project()["dependencies"]}
    pins = [Requirement(line.split("#")[0]) for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.split("#")[0].strip()]
    assert {pin.name for pin in pins} == set(ranges)
    for pin in pins:
        (version,) = [spec.version for spec in pin.specifier]
        assert not any(op in str(pin.specifier) for op in "<>~!"), \
            f"{pin}: requirements.txt pins, ranges live in pyproject"
        assert version in ranges[pin.name], f"{pin} is outside {ranges[pin.name]}"


def test_the_package_says_where_it_lives_and_which_pythons_it_runs_on():
    """Classifiers for every Python the suite (3.11, requires-python's floor) and the handler (the Lambda
    runtime python3.14, aws_lambda.Runtime.PYTHON_3_14) run on, and the versions between."""
    import re

    project = _project()
    assert set(project["urls"]) == {"Source", "Issues", "Changelog", "Documentation"}
    pythons = {c.rsplit(" :: ", 1)[1] for c in project["classifiers"]
               if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert pythons == {"3.11", "3.12", "3.13", "3.14"}
    assert project["requires-python"] == ">=3.11"
    assert "PYTHON_3_14" in (ROOT / "constructs" / "healthomics_run" / "runs" / "_provider.py").read_text()
    assert any(c.startswith("Development Status ::") for c in project["classifiers"]) and project["keywords"]
    source = project["urls"]["Source"]
    for document in ("README.md", "CONTRIBUTING.md"):
        links = re.findall(r"\]\((https://github\.com/[^)]+)\)", (ROOT / document).read_text())
        assert all(link.startswith(source + "/") for link in links), (document, links)
