"""The provenance writer does its work with exactly the role the library gives it, in the account world."""

from __future__ import annotations

from tests.role_scenarios import writer_world


def test_the_writer_writes_every_record_and_sweeps_with_its_own_role_alone(monkeypatch, tmp_path):
    with writer_world(monkeypatch, tmp_path) as played:
        assert played.play() == []
