"""Shared fixtures, thin wrappers over ``tests.world``: moto, the HealthOmics fake, properties."""

from __future__ import annotations

from typing import Any

import pytest

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
