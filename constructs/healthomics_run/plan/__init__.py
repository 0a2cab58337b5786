"""The run plan: which HealthOmics runs a deploy will start, keep or cancel, for pull-request review.

``healthomics-run plan BASE HEAD`` (or ``python -m healthomics_run.plan BASE HEAD``). It reads
templates only: neither aws-cdk-lib nor AWS credentials are needed.
"""

from .cli import console, main
from .decide import Action, Row, plan

__all__ = ["Action", "Row", "console", "main", "plan"]
