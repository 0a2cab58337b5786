"""A stack's resources as CloudFormation describes them, for the provenance writer (moto's CloudFormation
would have to run the custom resources to hold them).

It attaches to a real botocore ``cloudformation`` client: botocore validates each request against the
service model before the fake answers (``before-call``), and each answer is validated against the
operation's output shape, so the writer reads exactly what CloudFormation would send.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import ParamValidator

from tests.fake_omics import REGION

UPDATED = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


class FakeStack:
    """ListStackResources (pages of ``page_size``) and DescribeStackResource for one stack's resources; with a
    ``template``, DescribeStacks (by name or id) and GetTemplate too, as ``healthomics-run status`` reads a stack."""

    def __init__(self, stack_id: str, page_size: int = 100, template: dict[str, Any] | None = None) -> None:
        self.stack_id = stack_id
        self.page_size = page_size
        self.template = template
        self.resources: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.client = boto3.client("cloudformation", region_name=REGION)
        self.client.meta.events.register("before-call.cloudformation", self._answer)

    def add(self, logical_id: str, resource_type: str, physical_id: str, path: str) -> None:
        self.resources.append({"LogicalResourceId": logical_id, "ResourceType": resource_type,
                               "PhysicalResourceId": physical_id, "Path": path})

    def _answer(self, model, params, **_: Any):
        self.calls.append(model.name)
        body = params["body"]
        name = self.stack_id.split("/")[1]
        if model.name == "DescribeStacks" and self.template is not None:
            assert body["StackName"] in (name, self.stack_id), body
            result: dict[str, Any] = {"Stacks": [{"StackId": self.stack_id, "StackName": name, "CreationTime": UPDATED,
                                                  "StackStatus": "CREATE_COMPLETE"}]}
            return self._answered(model, result)
        assert body["StackName"] == self.stack_id, body
        if model.name == "GetTemplate" and self.template is not None:
            return self._answered(model, {"TemplateBody": json.dumps(self.template)})
        if model.name == "ListStackResources":
            start = int(body.get("NextToken", "0"))
            page = self.resources[start:start + self.page_size]
            result = {"StackResourceSummaries": [
                {"LogicalResourceId": r["LogicalResourceId"], "PhysicalResourceId": r["PhysicalResourceId"],
                 "ResourceType": r["ResourceType"], "LastUpdatedTimestamp": UPDATED,
                 "ResourceStatus": "CREATE_COMPLETE"} for r in page]}
            if start + self.page_size < len(self.resources):
                result["NextToken"] = str(start + self.page_size)
        elif model.name == "DescribeStackResource":
            (found,) = [r for r in self.resources if r["LogicalResourceId"] == body["LogicalResourceId"]]
            result = {"StackResourceDetail": {
                "StackId": self.stack_id, "StackName": self.stack_id.split("/")[1],
                "LogicalResourceId": found["LogicalResourceId"], "PhysicalResourceId": found["PhysicalResourceId"],
                "ResourceType": found["ResourceType"], "LastUpdatedTimestamp": UPDATED,
                "ResourceStatus": "CREATE_COMPLETE", "Metadata": json.dumps({"aws:cdk:path": found["Path"]})}}
        else:
            raise AssertionError(f"the fake does not implement {model.name}")
        return self._answered(model, result)

    @staticmethod
    def _answered(model, result: dict[str, Any]):
        report = ParamValidator().validate(result, model.output_shape)
        assert not report.has_errors(), report.generate_report()
        return AWSResponse("https://cloudformation.amazonaws.com/", 200, {}, None), result

