"""The status signaller does its work with exactly the role the library gives it, in the account world."""

from __future__ import annotations

from tests.role_scenarios import signaller_world


def test_the_signaller_signals_each_failed_wait_with_its_diagnosis_with_its_own_role_alone(monkeypatch, tmp_path):
    with signaller_world(monkeypatch, tmp_path) as played:
        assert played.play() == []
        assert [signal["Status"] for signal in played.found["signals"]] == ["FAILURE", "FAILURE"]
