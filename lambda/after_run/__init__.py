"""The after-run handler: what happens once a HealthOmics run of the stack has ended (its provenance record)."""
