"""Shared fixtures, thin wrappers over ``tests.world``: moto, the HealthOmics fake, properties; the wheel and
the documentation site, built once per session (``tests.built_once``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.built_once import build_docs_site, build_wheel, built_once
from tests.fake_omics import FakeHealthOmics
from tests.world import attach_fake, moto_world, run_properties


@pytest.fixture
def aws(monkeypatch):
    with moto_world(monkeypatch) as world:
        yield world


@pytest.fixture
def omics(aws, monkeypatch) -> FakeHealthOmics:
    """The fake on the handler's client; botocore's backoff sleeps are recorded, not slept."""
    fake = attach_fake(monkeypatch)
    monkeypatch.setattr("time.sleep", lambda seconds: fake.sleeps.append(seconds))
    return fake


@pytest.fixture
def props(aws) -> dict[str, Any]:
    return run_properties(aws)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel ``python -m build --wheel`` makes of this repository."""
    (built,) = built_once(tmp_path_factory, "wheel", build_wheel).glob("healthomics_run-*.whl")
    return built


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory) -> Path:
    """The folder holding ``site/`` (``make docs``'s output) and ``build.log`` (its exit code and stderr)."""
    return built_once(tmp_path_factory, "docs", build_docs_site)
