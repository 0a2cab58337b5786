"""Signalling the wait condition of a long wait: the status event path and the completion check."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from healthomics_run.handlers.start_run import completion, handler, kinds
from healthomics_run.run_model.settings import CHECK_RESOURCE_TYPE
from tests.world import event


@pytest.fixture
def wait_handle():
    """A local HTTP endpoint standing in for the wait condition handle's presigned URL."""
    received: list[dict] = []

    class Handle(BaseHTTPRequestHandler):
        def do_PUT(self):  # noqa: N802 (the http.server protocol)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"body": json.loads(body), "content_type": self.headers.get("Content-Type")})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/example-wait-handle?Signature=example", received
    server.shutdown()


def started(omics, props):
    return handler.on_event(event("Create", props))["Data"]


def status_event(data, url):
    return {"ResourceType": "Custom::HealthOmicsRun", "Id": data["RunId"], "Uuid": data["RunUuid"], "Handle": url}


def test_a_completed_run_signals_success_once_its_event_arrives(omics, props, wait_handle):
    url, received = wait_handle
    data = started(omics, props)
    omics.set_status(data["RunId"], "COMPLETED")
    completion.on_status_event(status_event(data, url))
    (signal,) = received
    assert signal["body"]["Status"] == "SUCCESS" and signal["body"]["UniqueId"] == data["RunUuid"]
    assert json.loads(signal["body"]["Data"])["Status"] == "COMPLETED"
    assert not signal["content_type"]  # the presigned URL is signed without a content type


def test_a_failed_run_signals_failure_with_its_reason(omics, props, wait_handle):
    url, received = wait_handle
    data = started(omics, props)
    omics.set_status(data["RunId"], "FAILED", failure_reason="Task BWA_MEM exited 137",
                     status_message="out of memory")
    completion.on_status_event(status_event(data, url))
    (signal,) = received
    assert signal["body"]["Status"] == "FAILURE"
    reason = signal["body"]["Reason"]  # a failure reason in words may quote an input: not in stack events
    assert "ended FAILED: a failure reason in words (not shown here). Cause: out of memory." in reason
    assert "BWA_MEM" not in reason


def test_an_event_for_a_run_that_now_names_another_signals_nothing(omics, props, wait_handle):
    url, received = wait_handle
    data = started(omics, props)
    omics.delete_run(data["RunId"])
    omics.start_stranger_run(data["RunId"])
    omics.set_status(data["RunId"], "COMPLETED")
    result = completion.on_status_event(status_event(data, url))
    assert received == [] and "names another run" in result["Outcome"]


def check_event(request_type, data, url):
    built = event(request_type, status_event(data, url))
    built["ResourceType"] = CHECK_RESOURCE_TYPE
    return built


def test_the_completion_check_signals_a_run_that_ended_before_the_rule_existed(omics, props, wait_handle):
    url, received = wait_handle
    data = started(omics, props)
    omics.set_status(data["RunId"], "CANCELLED")
    result = handler.on_event(check_event("Create", data, url))
    assert result["PhysicalResourceId"] == f"check-{data['RunUuid']}"
    assert [s["body"]["Status"] for s in received] == ["FAILURE"]
    assert handler.is_complete({**check_event("Create", data, url), **result}) == {"IsComplete": True}


def test_the_completion_check_leaves_a_running_run_to_its_event(omics, props, wait_handle):
    url, received = wait_handle
    data = started(omics, props)
    omics.set_status(data["RunId"], "RUNNING")
    handler.on_event(check_event("Create", data, url))
    assert received == []


def test_deleting_the_completion_check_touches_nothing(omics, props, wait_handle):
    url, received = wait_handle
    data = started(omics, props)
    calls = len(omics.calls)
    handler.on_event({**check_event("Delete", data, url), "PhysicalResourceId": f"check-{data['RunUuid']}"})
    assert received == [] and len(omics.calls) == calls


@pytest.mark.parametrize("status, signal", [("PROCESSED", "SUCCESS"), ("FAILED", "FAILURE"),
                                            ("CANCELLED", "FAILURE"), ("INPROGRESS", None)])
def test_a_batch_signals_when_processed_or_ended_badly(status, signal):
    batch = {"id": "7000001", "uuid": "example-uuid", "arn": "arn:aws:omics:us-east-1:123456789012:runBatch/7000001",
             "status": status, "runSummary": {"completedRunCount": 3}}
    found = completion.outcome(kinds.BATCH, batch)
    assert (found or {}).get("Status") == signal
    if signal == "SUCCESS":
        assert json.loads(found["Data"])["CompletedRunCount"] == 3
