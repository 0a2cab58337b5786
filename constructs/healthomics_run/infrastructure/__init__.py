"""Constructs of what runs need around them: the service role, the output bucket, run groups, run caches and
VPC configurations."""
