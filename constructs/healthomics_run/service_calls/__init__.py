"""Calls to AWS shared by the Lambdas and the commands (boto3, no aws-cdk-lib): clients on the shipped model,
runs and batches as HealthOmics answers, a cohort's ledger in S3, diagnosis of failed runs, provenance records."""
