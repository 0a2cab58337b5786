"""``healthomics-run status``: a deployed stack's runs and batches as HealthOmics holds them now.

For every run and batch resource of a stack (construct path, ids, status, times, progress, output location,
cost so far where a pricer is given), why the failed ones failed (``diagnosis``, as the deploy's reason says it),
and where the stack and HealthOmics disagree (drift), each with what to do. Reads templates and calls
CloudFormation, HealthOmics and S3 (a cohort's ledger) with the credentials the AWS CLI finds; neither
aws-cdk-lib nor Node.js is loaded.
"""
