"""The provenance writer records a chain step's run with exactly the role the library gives it, in the account
world (``tests.role_scenarios``): the chain's state it reads to know the run is the stack's lies beside the
cohort's ledger, which the chain's grants already let the function read (``chains.cohort_step._Chain._grant``),
and the step's records lie beside its outputs, under the cohort's output location."""

from __future__ import annotations

from tests.role_scenarios import chain_writer_world


def test_the_writer_records_the_cohort_and_its_step_runs_with_its_own_role_alone(monkeypatch, tmp_path):
    with chain_writer_world(monkeypatch, tmp_path) as played:
        assert played.play() == []
        assert len(played.found["records"]) == 4  # two samples, and a step run of each
