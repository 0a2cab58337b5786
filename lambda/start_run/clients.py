"""The HealthOmics client, built on the service model shipped with this package."""

from __future__ import annotations

import functools

import boto3
import botocore.session
from botocore.config import Config

from . import service_model

# Standard mode retries throttling and transient errors with exponential backoff and jitter.
RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, user_agent_extra="healthomics-run")


def new_omics_client():
    """A client whose model is the shipped one, so fields newer than the runtime's botocore work."""
    core = botocore.session.Session()
    core.set_config_variable("data_path", str(service_model.MODELS_DIR))
    return boto3.session.Session(botocore_session=core).client("omics", config=RETRY_CONFIG)


@functools.cache
def omics():
    return new_omics_client()
