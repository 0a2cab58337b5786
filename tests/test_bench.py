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
    assert found["within_quota"] and found["paced_hours"] > 0


def test_the_chain_controllers_bytes_per_ended_run_do_not_grow_with_the_cohort():
    """The state is split in shards of 1,000 samples: an SQS batch of ended runs reads and writes the census,
    the index objects of its samples and their shards, so ten times the cohort reads and writes about the same."""
    from bench.chain_controller import measure

    small, large = (measure(size)["per_ended_run"] for size in (1_000, 10_000))
    assert large["s3_read_bytes"] < 1.5 * small["s3_read_bytes"]
    assert large["s3_written_bytes"] < 1.5 * small["s3_written_bytes"]
