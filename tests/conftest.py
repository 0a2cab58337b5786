"""Shared fixtures, thin wrappers over ``tests.world``: moto, the HealthOmics fake, properties; the wheel and
the documentation site, built once per session (``tests.built_once``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore.loaders
import pytest

from tests.built_once import build_docs_site, build_wheel, built_once
from tests.fake_omics import FakeHealthOmics
from tests.world import attach_fake, moto_world, run_properties


def _parsed_once(load_file):
    """botocore's JSON loader, parsing each model file once per test process instead of once per client: most
    tests build their own clients (moto's, the handler's with the shipped model), and parsing the S3, IAM and
    HealthOmics models again was a third of the suite's time. botocore already hands one parsed model to every
    client of a session and reads it only; this shares it between sessions too."""
    parsed: dict[str, object] = {}

    def load(self, file_path):
        if file_path not in parsed:
            parsed[file_path] = load_file(self, file_path)
        return parsed[file_path]
    return load


botocore.loaders.JSONFileLoader.load_file = _parsed_once(botocore.loaders.JSONFileLoader.load_file)


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
