"""Each command works with exactly the policy docs/security.md gives it ("What each command needs"), in an account
that enforces it (``tests.command_scenarios``)."""

from __future__ import annotations

from tests.command_scenarios import commands_world


def test_status_reads_the_stack_its_runs_and_the_cohort_ledger_with_the_documented_policy_alone(monkeypatch,
                                                                                                 tmp_path):
    with commands_world(monkeypatch, tmp_path) as plays:
        assert plays["status STACK"].play() == []


def test_export_history_reads_the_ended_runs_and_their_prices_with_the_documented_policy_alone(monkeypatch,
                                                                                                tmp_path):
    with commands_world(monkeypatch, tmp_path) as plays:
        assert plays["export-history FILE"].play() == []


def test_provenance_writes_the_missing_records_with_the_documented_policy_alone(monkeypatch, tmp_path):
    with commands_world(monkeypatch, tmp_path) as plays:
        assert plays["provenance STACK"].play() == []
