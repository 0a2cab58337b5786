"""Run chaining at synth: steps after a cohort (``CohortStep``), started by the stack's after-run function."""

from healthomics_run.run_model.chaining import OnChange, PerSample, Shards, StepOutputs, WholeSet

from .cohort_step import CohortStep

__all__ = ["CohortStep", "OnChange", "PerSample", "Shards", "StepOutputs", "WholeSet"]
