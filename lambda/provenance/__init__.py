"""Provenance of HealthOmics runs: a Workflow Run RO-Crate (``ro-crate-metadata.json``) beside each run's
outputs, written when the run ends (``writer``), from what HealthOmics, S3 and CloudFormation say of it."""
