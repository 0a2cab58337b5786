"""The run a resource that has started one names by its PhysicalResourceId (``RunRef.started``)."""

from __future__ import annotations

import pytest

from healthomics_run.run_model.run_ref import RunRef

STARTED = "1000002/9b1d2c3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/3f2a9c0d1e4b5a6f+1000001/5f0c4a56-8cf1-4a2c-9d35-0a0b6f7a1e11"


def test_started_reads_the_run_and_the_run_it_replaced():
    assert RunRef.started(STARTED) == RunRef.parse(STARTED)


def test_a_physical_id_that_names_no_run_is_refused_without_repeating_it():
    """With the Provider framework a handler fails by raising ("to report success or failure, have your Lambda
    Function exit in the right way: return data for success, or throw an exception for failure", AWS CDK, "AWS CDK
    Custom Resources", https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources-readme.html), and
    the failure goes to CloudFormation as the response's ``Reason`` ("Describes the reason for a failure response",
    CloudFormation User Guide, "Custom resource response objects",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html): the message names the
    fault, never the id."""
    not_a_run = "pending/0123456789abcdef"
    with pytest.raises(ValueError, match="names none") as raised:
        RunRef.started(not_a_run)
    assert not_a_run not in str(raised.value)
