"""The HealthOmics client, built on the service model shipped with this package."""

from __future__ import annotations

import functools

import boto3
import botocore.session
from botocore.config import Config

from healthomics_run.run_model import service_model

# Standard mode retries throttling and transient errors with exponential backoff and jitter. Few
# attempts and short timeouts bound each call (budget.CALL_SECONDS); throttling that outlasts them is
# waited out across is_complete polls instead (runs.RetryLater), so no invocation outlives its timeout.
RETRY_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=5, read_timeout=15,
                      user_agent_extra="healthomics-run")


def new_omics_client(region_name: str | None = None, profile_name: str | None = None, config: Config = RETRY_CONFIG):
    """A client whose model is the shipped one, so fields newer than the runtime's botocore work (``region_name``
    and ``profile_name``: as the AWS CLI's ``--region`` and ``--profile``, for ``healthomics-run status``;
    ``config``: the provenance writer retries longer than the deploy handler may)."""
    core = botocore.session.Session(profile=profile_name)
    core.set_config_variable("data_path", str(service_model.MODELS_DIR))
    return boto3.session.Session(botocore_session=core, region_name=region_name).client("omics", config=config)


@functools.cache
def omics():
    return new_omics_client()


@functools.cache
def s3():
    """For cohort ledgers and sample sheets (``ledger``)."""
    return boto3.client("s3", config=RETRY_CONFIG)
