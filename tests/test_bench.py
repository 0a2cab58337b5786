"""The benchmark's own consistency (`make test` runs the benchmark itself, small: `bench.run --quick`)."""

from __future__ import annotations

from bench import cases, report


def test_every_case_kind_has_a_label_and_a_plot_style():
    assert set(cases.BUILDERS) == set(report.LABELS) == set(report.STYLES)
