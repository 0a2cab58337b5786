"""Constructs of runs and batches: ``HealthOmicsRun``, ``WorkflowRun``, ``WorkflowRunBatch``, their props, the
custom resource behind them and its provider, and waiting for a run to end."""
