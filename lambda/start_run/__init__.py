"""Custom-resource handler that starts an AWS HealthOmics run or run batch idempotently.

The package is deployed as the Lambda asset (``start_run.handler.on_event``/``is_complete``,
``start_run.completion.on_status_event``) and ships inside the ``healthomics_run`` wheel, whose
constructs and run plan import its pure-Python modules (``service_model``, ``fields``, ``rules``,
``properties``, ``samples``, ``batch_settings``, ``settings``, ``fingerprint``), so that synth-time
checks, the plan and deploy-time behaviour share one implementation. Only ``clients`` imports boto3;
``runs``, ``batches``, ``kinds``, ``completion`` and ``handler`` need botocore.
"""
