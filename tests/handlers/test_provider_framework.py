"""Custom::HealthOmicsRun and Custom::HealthOmicsRunBatch through the CDK Provider framework's own
JavaScript, checked on what CloudFormation receives.

The framework's runtime (framework.js, cfn-response.js, outbound.js of the provider asset that
aws-cdk-lib synthesizes) runs under the pinned Node 22; only the AWS SDK clients are replaced, so
Lambda invocations reach ``handler.on_event`` / ``is_complete`` against moto and the HealthOmics fake
(see ``tests/provider_framework``). Every response body is checked against CloudFormation's limit:
AWS CloudFormation User Guide, "Custom resource response objects"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html): "The total
size of the response body can't exceed 4096 bytes."
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.provider_framework import ProviderFramework, Response, synth_provider_asset
from tests.world import WORKFLOW_ID, batch_event, batch_properties, event

RESPONSE_BODY_LIMIT = 4096  # bytes; crpg-ref-responses.html

# A germline workflow's parameter template of 20 parameters, two of them required.
COHORT_TEMPLATE = {"reference": {"description": "Reference FASTA"}, "sample_name": {"description": "Sample"},
                   **{name: {"description": name, "optional": True} for name in (
                       "threads", "memory_gb", "min_base_quality", "min_mapping_quality", "intervals",
                       "interval_padding", "ploidy", "emit_ref_confidence", "output_mode", "dbsnp",
                       "known_indels", "gvcf_gq_bands", "max_alternate_alleles", "pcr_indel_model",
                       "read_filter", "annotation_groups", "contamination", "bam_output")}}
MISSPELT = "min_base_qualty"  # min_base_quality, misspelt


@pytest.fixture(scope="session")
def framework(tmp_path_factory) -> ProviderFramework:
    """The framework's runtime from a stack synthesized once per session, with its listener and bridge."""
    asset = synth_provider_asset(tmp_path_factory.mktemp("cdk.out"))
    with ProviderFramework(asset, tmp_path_factory.mktemp("provider-framework")) as running:
        yield running


@pytest.fixture
def cloudformation(framework) -> Callable[[dict[str, Any]], Response]:
    """Sends a request as CloudFormation does; checks the size of every response body (CloudFormation User Guide,
    "Custom resource response objects": at most 4,096 bytes)."""
    def send(cfn_request: dict[str, Any]) -> Response:
        response = framework.drive(cfn_request)
        assert response.size <= RESPONSE_BODY_LIMIT, (
            f"CloudFormation accepts at most {RESPONSE_BODY_LIMIT} bytes; the framework sent {response.size} "
            f"({response.status}; Reason begins {response.fields.get('Reason', '')[:300]!r})")
        return response
    return send


@pytest.fixture
def run_props(props) -> dict[str, Any]:
    """``props`` with a TimeoutSeconds every version of the handler's limit accepts (3,600 s, now 3,000)."""
    return {**props, "TimeoutSeconds": "1800"}


def run_ref(physical_id: str) -> str:
    """The leading ``<run id>/<run uuid>`` of a physical id (the format may record more after it)."""
    return "/".join(physical_id.split("/")[:2])


def test_create_answers_success_with_a_physical_id_naming_the_run_and_its_attributes(cloudformation, omics,
                                                                                     run_props):
    """Create: SUCCESS, PhysicalResourceId naming the run, Data carrying its attributes.

    Sources: AWS CloudFormation User Guide, "Custom resource response objects" (crpg-ref-responses.html:
    Status, PhysicalResourceId, Data; the 4,096-byte body); the framework's runtime (framework.js
    onEvent/isComplete and cfn-response.js submitResponse in aws-cdk-lib's provider asset), which merges
    onEvent's Data with isComplete's and PUTs the body to the ResponseURL.
    """
    response = cloudformation(event("Create", run_props))
    (run,) = omics.runs.values()
    assert response.status == "SUCCESS"
    assert run_ref(response.physical_id) == f"{run['id']}/{run['uuid']}"
    assert response.data["RunId"] == run["id"] and response.data["RunArn"] == run["arn"]
    assert response.data["RunUuid"] == run["uuid"] and response.data["Status"] == run["status"]


def test_retried_create_answers_the_same_physical_id_and_starts_one_run(cloudformation, omics, run_props):
    """The same Create request twice: one run, the same PhysicalResourceId both times.

    Sources: AWS CloudFormation User Guide, "Custom resource response objects" (crpg-ref-responses.html:
    the PhysicalResourceId "must be identical for all responses for the same resource"); AWS HealthOmics
    User Guide, "Start a run in HealthOmics" (starting-a-run.html: the request ID is an idempotency
    token, the run starts only once); the framework's runtime (framework.js, cfn-response.js).
    """
    create = event("Create", run_props)
    first, second = cloudformation(create), cloudformation(create)
    assert (first.status, second.status) == ("SUCCESS", "SUCCESS")
    assert second.physical_id == first.physical_id
    assert len(omics.runs) == 1


def test_update_with_a_changed_parameter_answers_a_new_physical_id(cloudformation, omics, run_props):
    """Update of a run setting: SUCCESS with a new PhysicalResourceId (a replacement).

    Sources: AWS CloudFormation User Guide, "Update request for CloudFormation custom resources"
    (crpg-ref-requesttypes-update.html: a different PhysicalResourceId is a replacement, and
    CloudFormation then deletes the old one); the framework's runtime (framework.js createResponseEvent
    passes onEvent's PhysicalResourceId on; cfn-response.js).
    """
    first = cloudformation(event("Create", run_props))
    changed = {**run_props, "Parameters": {**run_props["Parameters"], "threads": "16"}}
    second = cloudformation(event("Update", changed, physical_id=first.physical_id, old_props=run_props))
    assert second.status == "SUCCESS"
    assert run_ref(second.physical_id) != run_ref(first.physical_id)
    assert len(omics.runs) == 2


def test_update_of_only_wait_for_and_timeout_keeps_the_physical_id_and_starts_nothing(cloudformation, omics,
                                                                                      run_props):
    """Update of WaitFor and TimeoutSeconds only: the same PhysicalResourceId, no second StartRun.

    Sources: AWS CloudFormation User Guide, "Update request for CloudFormation custom resources"
    (crpg-ref-requesttypes-update.html: the same PhysicalResourceId is a normal update, no replacement);
    the framework's runtime (framework.js: isComplete until IsComplete, then cfn-response.js).
    """
    first = cloudformation(event("Create", run_props))
    omics.set_status(first.data["RunId"], "RUNNING")
    waits_longer = {**run_props, "WaitFor": "RUNNING", "TimeoutSeconds": "2400"}
    second = cloudformation(event("Update", waits_longer, physical_id=first.physical_id, old_props=run_props))
    assert second.status == "SUCCESS"
    assert second.physical_id == first.physical_id
    assert omics.count("StartRun") == 1


def test_update_rolled_back_answers_the_earlier_run_without_starting_one(cloudformation, omics, run_props):
    """The Update CloudFormation sends on rollback (old properties back, the new physical id): SUCCESS
    with the earlier run, and no StartRun call.

    Sources: AWS CloudFormation User Guide, "Update request for CloudFormation custom resources"
    (crpg-ref-requesttypes-update.html: ResourceProperties, OldResourceProperties, PhysicalResourceId of
    an Update; on rollback CloudFormation sends the previous properties as ResourceProperties); the
    framework's runtime (framework.js, cfn-response.js).
    """
    first = cloudformation(event("Create", run_props))
    changed = {**run_props, "Parameters": {**run_props["Parameters"], "threads": "16"}}
    second = cloudformation(event("Update", changed, physical_id=first.physical_id, old_props=run_props))
    rollback = cloudformation(event("Update", run_props, physical_id=second.physical_id, old_props=changed))
    assert rollback.status == "SUCCESS"
    assert run_ref(rollback.physical_id) == run_ref(first.physical_id)
    assert len(omics.runs) == 2
    assert omics.count("StartRun") == 2, "the rollback called StartRun again"


def test_delete_with_cancel_answers_success_and_cancels_the_run(cloudformation, omics, run_props):
    """Delete with DeletePolicy CANCEL: SUCCESS with the same PhysicalResourceId; the run is CANCELLED.

    Sources: AWS CloudFormation User Guide, "Delete request for CloudFormation custom resources"
    (crpg-ref-requesttypes-delete.html: the provider must respond successfully to a delete); the
    framework's runtime (framework.js createResponseEvent refuses a changed PhysicalResourceId on
    Delete; the waiter calls isComplete until the run has stopped; cfn-response.js).
    """
    cancelling = {**run_props, "DeletePolicy": "CANCEL"}
    first = cloudformation(event("Create", cancelling))
    omics.set_status(first.data["RunId"], "RUNNING")
    deleted = cloudformation(event("Delete", cancelling, physical_id=first.physical_id))
    assert deleted.status == "SUCCESS"
    assert deleted.physical_id == first.physical_id
    assert omics.runs[first.data["RunId"]]["status"] == "CANCELLED"


def test_failing_batch_of_100_samples_answers_failed_within_4096_bytes(cloudformation, omics, run_props):
    """A 100-sample batch whose shared parameters misspell one name: FAILED, in at most 4,096 bytes.

    Sources: AWS CloudFormation User Guide, "Custom resource response objects" (crpg-ref-responses.html:
    "The total size of the response body can't exceed 4096 bytes"; Reason is required for FAILED); the
    framework's runtime (cfn-response.js safeHandler answers FAILED with the error's stack as Reason;
    framework.js builds that error from the Lambda error document's errorMessage); AWS Lambda Developer
    Guide, "AWS Lambda function errors in Python" (python-exceptions.html: the error document).
    """
    omics.workflows[WORKFLOW_ID]["parameterTemplate"] = COHORT_TEMPLATE
    samples = [{"runSettingId": f"S{n:03d}", "name": f"sample-{n:03d}",
                "parameters": {"sample_name": f"SAMPLE-{n:04d}"}} for n in range(1, 101)]
    cohort = {**batch_properties(run_props), "Samples": samples, "SampleCount": "100", "SampleTypes": {},
              "Parameters": {"reference": "s3://example-reference-bucket/ref.fa", MISSPELT: "20"}}
    response = cloudformation(batch_event("Create", cohort))
    assert response.status == "FAILED"
    assert MISSPELT in response.reason
