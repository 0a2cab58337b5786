"""The benchmark's own consistency (`make test` runs the benchmark itself, small: `bench.run --quick`)."""

from __future__ import annotations

from bench import cases, report


def test_every_case_kind_has_a_label_and_a_plot_style():
    assert set(cases.BUILDERS) == set(report.LABELS) == set(report.STYLES)


def test_the_chain_controller_bench_counts_calls_per_ended_run_at_a_small_size():
    from bench.chain_controller import measure

    found = measure(1_000)
    assert found["started"] == {"joint": 1}  # the last SQS batch completes the shard
    assert found["per_ended_run"]["omics_calls"] == 2.1  # GetRun, ListRunsInBatch each, and one StartRun
    assert 0 < found["per_ended_run"]["s3_read_bytes"] and found["state_bytes"] > 0
