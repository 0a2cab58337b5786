"""Custom-resource handler that starts one AWS HealthOmics run idempotently.

The package is deployed as the Lambda asset (``start_run.handler.on_event`` and
``start_run.handler.is_complete``) and ships inside the ``healthomics_run`` wheel, whose
constructs import its pure-Python modules (``service_model``, ``rules``, ``properties``,
``fingerprint``) so that synth-time checks and deploy-time behaviour share one implementation.
Only ``clients`` and ``handler`` import boto3.
"""
