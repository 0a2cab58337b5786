"""The deploy-time handler: the custom resource's ``on_event``/``is_complete`` (behind the CDK Provider
framework) that starts a HealthOmics run or run batch idempotently, and ``completion.on_status_event``,
which signals a wait for a run's end.

Thin over the shared rooms: settings, rules and the ``requestId`` come from ``healthomics_run.run_model``;
calls to HealthOmics and S3 and the cohort's ledger from ``healthomics_run.service_calls``. Here is only what a
deploy decides: which phase a resource is in (``phases``), starting a run (``fresh``) or a cohort's new
samples (``cohorts``), tags, and waiting.
"""
