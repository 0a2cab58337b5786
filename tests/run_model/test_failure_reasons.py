"""Failure reasons fit what CloudFormation takes, whatever the number of samples and parameters.

"The total size of the response body can't exceed 4096 bytes" (CloudFormation User Guide, "Custom resource
response objects", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html);
past it CloudFormation shows only "Response object is too long" (aws-cdk issue #23958). The Provider framework
sends the handler's error message as the reason, plus a logs line and its own stack (cfn-response.js and
framework.js in aws-cdk-lib's provider asset), beside the ids and ``Data``: so the handler's message is kept
to ``reasons.MAX_MESSAGE_BYTES`` (2,000), leaving room for the rest. ``test_provider_framework`` measures the
whole body the framework sends.
"""

from __future__ import annotations

import json

import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model import reasons
from healthomics_run.service_calls.runs import RunError
from tests.world import WORKFLOW_ID, batch_event, batch_properties, event

TEMPLATE_200 = {f"parameter_{index:03d}": {"optional": True} for index in range(200)} | {"sample_name": {}}


def _samples(count: int) -> list[dict]:
    return [{"runSettingId": f"SAMPLE-{index:04d}", "parameters": {"sample_name": f"SAMPLE-{index:04d}"}}
            for index in range(count)]


def _failure(run) -> str:
    with pytest.raises(RunError) as raised:
        run()
    return str(raised.value)


def test_one_misspelt_shared_parameter_in_100_samples_is_said_once(omics, props):
    omics.add_workflow(WORKFLOW_ID, TEMPLATE_200)
    batch = {**batch_properties(props), "Parameters": {"parameter_01": "x"}, "Samples": _samples(100),
             "SampleTypes": {}, "SampleCount": "100"}
    message = _failure(lambda: handler.on_event(batch_event("Create", batch)))
    assert len(message.encode()) <= reasons.MAX_MESSAGE_BYTES
    assert "all 100 samples: parameters not in the workflow's parameter template: parameter_01 " \
           "(did you mean parameter_" in message and "(the template has 201: " in message
    assert message.count("parameter_01 ") == 1 and omics.count("StartRunBatch") == 0


def test_samples_with_different_problems_name_a_few_and_count_the_rest(omics, props):
    omics.add_workflow(WORKFLOW_ID, TEMPLATE_200)
    samples = _samples(100)
    for sample in samples[:40]:
        sample["parameters"]["sample_nme"] = "typo"
    batch = {**batch_properties(props), "Parameters": {}, "Samples": samples, "SampleTypes": {}}
    message = _failure(lambda: handler.on_event(batch_event("Create", batch)))
    assert "samples 'SAMPLE-0000', 'SAMPLE-0001', 'SAMPLE-0002', 'SAMPLE-0003', 'SAMPLE-0004' and 35 more: " \
           "parameters not in the workflow's parameter template: sample_nme (did you mean sample_name?)" in message
    assert len(message.encode()) <= reasons.MAX_MESSAGE_BYTES


def test_a_run_of_a_200_parameter_workflow_missing_many_names_a_few_and_counts_the_rest(omics, props):
    omics.add_workflow(WORKFLOW_ID, {name: {} for name in TEMPLATE_200})
    message = _failure(lambda: handler.on_event(event("Create", {**props, "Parameters": {"sample_name": "x"},
                                                                  "ParameterTypes": {}})))
    assert "required workflow parameters missing: parameter_000, parameter_001, parameter_002, parameter_003, " \
           "parameter_004 and 195 more" in message
    assert len(message.encode()) <= reasons.MAX_MESSAGE_BYTES


def test_a_long_failure_reason_from_the_service_keeps_what_to_do(omics, props):
    created = event("Create", {**props, "WaitFor": "COMPLETED"})
    answer = handler.on_event(created)
    omics.set_status(answer["Data"]["RunId"], "FAILED", failure_reason="E" * 5000, status_message="é" * 5000)
    message = _failure(lambda: handler.is_complete({**created, **answer}))
    assert len(message.encode()) <= reasons.MAX_MESSAGE_BYTES
    assert message.startswith(f"The run {answer['Data']['RunId']} ended FAILED")
    assert message.endswith("change rerun_token.")


def test_any_other_long_message_is_cut_in_the_middle_keeping_its_start_and_end(omics, props, monkeypatch):
    def fails(*_):
        raise KeyError("start " + "x" * 10_000 + " end")
    monkeypatch.setattr(handler.phases, "read", fails)
    message = _failure(lambda: handler.on_event(event("Create", props)))
    assert len(message.encode()) <= reasons.MAX_MESSAGE_BYTES
    assert message.startswith("'start") and message.endswith(" end'") and " [...] " in message


@pytest.mark.parametrize("text", ["a" * 3000, "é" * 3000, "😀" * 1000, '"' * 3000, "\\" * 3000, "\x01" * 3000])
def test_bounded_counts_bytes_as_sent_in_json_and_never_splits_a_character(text):
    """The reason travels inside the JSON body (cfn-response.js JSON.stringify): a quote or backslash takes
    two bytes there, a control character six."""
    cut = reasons.bounded(text, 100)
    assert len(json.dumps(cut, ensure_ascii=False).encode("utf-8")) - 2 <= 100
    assert cut.encode("utf-8").decode("utf-8") == cut
