"""The run plan: which HealthOmics runs a deploy will start, keep or cancel, for pull-request review.

``healthomics-run plan BASE HEAD`` (or ``python -m healthomics_run.commands.plan BASE HEAD``). It reads
templates, and a run history file for the cost forecast (``--history``): neither aws-cdk-lib nor AWS
credentials are needed. Credentials (and boto3) only for ``--from-account`` and ``export-history``.
"""

from .cli import main
from .decide import Action, Row, plan

__all__ = ["Action", "Row", "main", "plan"]
