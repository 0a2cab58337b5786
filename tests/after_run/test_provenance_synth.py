"""What provenance adds to a stack: one writer, its rule, its queue and its exactly-cited permissions; and nothing
changed in the run resources, so upgrading to a release with provenance starts no run.

IAM rows (Service Authorization Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/):
- "Actions, resources, and condition keys for AWS HealthOmics" (list_awshealthomics.html): ``GetRun`` and
  ``ListRunTasks`` on ``run``; ``GetRunTask`` on ``run`` (and, in earlier editions of the table, the
  ``task`` resource type: both are allowed); ``GetBatch`` on ``runBatch``; ``GetWorkflow`` and
  ``GetWorkflowVersion`` on ``workflow``.
- "Actions, resources, and condition keys for AWS CloudFormation" (list_awscloudformation.html):
  ``ListStackResources`` and ``DescribeStackResource`` on ``stack``.
- "Actions, resources, and condition keys for Amazon S3" (list_amazons3.html): ``PutObject`` and ``GetObject``
  (which HeadObject needs, S3 API reference HeadObject) on ``object``; ``ListBucket`` on ``bucket``, with
  the ``s3:prefix`` condition key.
Events: HealthOmics sends ``Run Status Change`` with ``source`` ``aws.omics`` and the run's ``status`` in
its detail (HealthOmics guide, "Using EventBridge with AWS HealthOmics").
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from healthomics_run import HealthOmicsRun, HealthOmicsRunBatch, WorkflowRun
from healthomics_run.after_run.provenance_writer import ProvenanceWriter
from healthomics_run.run_model.provenance_settings import CONFIG_ENV, CONFIG_URI_ENV, Config
from tests.synth import new_stack, template

SAMPLES = [{"run_setting_id": "S1", "parameters": {"sample_name": "S1"}},
           {"run_setting_id": "S2", "parameters": {"sample_name": "S2"}, "output_uri": "s3://other-bucket/s2/"}]


def writer_statements(stack) -> dict[str, list]:
    """The writer role's policy as ``{actions: resources}``, tokens resolved as in the template."""
    policies = template(stack).find_resources("AWS::IAM::Policy")
    (policy,) = [p for name, p in policies.items() if name.startswith("HealthOmicsRunProvenanceRole")]
    found = {}
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        found.setdefault(" ".join(actions), []).extend(json.dumps(r, sort_keys=True) for r in resources)
    return found


def config(stack) -> Config:
    """The choices the writer reads: the JSON asset its environment names (``CONFIG_URI_ENV``)."""
    (function,) = [f for name, f in template(stack).find_resources("AWS::Lambda::Function").items()
                   if name.startswith("HealthOmicsRunProvenanceWriter")]
    variables = function["Properties"]["Environment"]["Variables"]
    assert CONFIG_ENV not in variables and "Fn::Sub" in json.dumps(variables[CONFIG_URI_ENV])
    assembly = stack.node.root.synth()
    asset = ProvenanceWriter.of(stack).node.find_child("Choices")
    return Config.from_json((Path(assembly.directory) / asset.asset_path).read_text())


def test_a_stack_of_runs_gets_one_writer_and_one_rule_for_ended_runs():
    stack = new_stack()
    HealthOmicsRun(stack, "First", workflow_id="1234567")
    HealthOmicsRun(stack, "Second", workflow_id="1234567")
    rules = [r for r in template(stack).find_resources("AWS::Events::Rule").values()
             if r["Properties"].get("Description", "").startswith("Ended HealthOmics runs")]
    assert [r["Properties"]["EventPattern"] for r in rules] == [{
        "source": ["aws.omics"], "detail-type": ["Run Status Change"],
        "detail": {"status": ["COMPLETED", "FAILED", "CANCELLED"]}}]
    assert ProvenanceWriter.of(stack) is not None


def test_the_writer_may_read_runs_tasks_batches_its_workflows_and_stack_and_write_records_beside_outputs():
    stack = new_stack()
    HealthOmicsRun(stack, "Germline", workflow_id="1234567")
    found = writer_statements(stack)
    assert sorted(found) == ["cloudformation:ListStackResources cloudformation:DescribeStackResource",
                             "logs:CreateLogStream logs:PutLogEvents", "omics:GetBatch omics:ListRunsInBatch",
                             "omics:GetRun omics:ListRunTasks omics:GetRunTask",
                             "omics:GetWorkflow omics:GetWorkflowVersion", "omics:ListRuns omics:ListBatch",
                             "s3:GetObject", "s3:ListBucket",
                             "s3:PutObject", "sqs:ReceiveMessage sqs:ChangeMessageVisibility sqs:GetQueueUrl "
                                             "sqs:DeleteMessage sqs:GetQueueAttributes", "sqs:SendMessage"]
    stack_reads = found["cloudformation:ListStackResources cloudformation:DescribeStackResource"]
    assert stack_reads == ['{"Ref": "AWS::StackId"}']
    assert [r.endswith(':workflow/1234567"]]}') for r in found["omics:GetWorkflow omics:GetWorkflowVersion"]] == [True]
    assert [r.endswith('"/TestStack/Germline/*/ro-crate-metadata.json"]]}')
            for r in found["s3:PutObject"]] == [True, False]
    assert found["s3:PutObject"][1].endswith('"/TestStack/Germline/*.healthomics-run/history/*"]]}')
    assert found["omics:ListRuns omics:ListBatch"] == ['"*"']  # the sweep's listings take no resource
    assert found["sqs:SendMessage"] == ['{"Fn::GetAtt": ["HealthOmicsRunProvenanceRunEndsF903756D", "Arn"]}']


def test_a_provenance_location_is_the_only_place_records_are_put():
    stack = new_stack()
    HealthOmicsRun(stack, "Germline", workflow_id="1234567", provenance_location="s3://records-bucket/provenance")
    found = writer_statements(stack)
    assert [r.endswith(':s3:::records-bucket/provenance/*/ro-crate-metadata.json"]]}')
            for r in found["s3:PutObject"]] == [True, False]
    assert found["s3:PutObject"][1].endswith(':s3:::records-bucket/provenance/*.healthomics-run/history/*"]]}')
    reads = [r for r in found["s3:GetObject"] if "Choices" not in r and "cdk-" not in r]
    assert [r.endswith('"/TestStack/Germline/*"]]}') or r.endswith('provenance/*/ro-crate-metadata.json"]]}')
            for r in reads] == [True, True]


def test_the_input_buckets_of_a_run_are_readable_for_their_versions_and_etags():
    stack = new_stack()
    reference = s3.Bucket.from_bucket_name(stack, "Reference", "reference-bucket")
    HealthOmicsRun(stack, "Germline", workflow_id="1234567", inputs=[reference])
    assert any(r.endswith(':s3:::reference-bucket/*"]]}') for r in writer_statements(stack)["s3:GetObject"])


def test_provenance_off_on_every_run_adds_nothing_to_the_stack():
    stack = new_stack()
    HealthOmicsRun(stack, "Germline", workflow_id="1234567", provenance=False)
    assert ProvenanceWriter.of(stack) is None
    assert not [name for name in template(stack).to_json()["Resources"] if name.startswith("HealthOmicsRunProvenance")]


def test_the_writer_knows_which_resources_are_off_elsewhere_or_show_values_and_each_batch_name():
    app = cdk.App(context={"healthomics-run:source-revision": "3f2a9c0"})
    stack = cdk.Stack(app, "TestStack")
    HealthOmicsRun(stack, "Quiet", workflow_id="1234567", provenance=False)
    HealthOmicsRun(stack, "Moved", workflow_id="1234567", provenance_location="s3://records-bucket/p/",
                   provenance_parameter_values=True)
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=SAMPLES, batch_name="cohort-2026")
    ids = {resource.node.path.split("/")[1]: stack.get_logical_id(resource.node.default_child)
           for resource in stack.node.find_all() if isinstance(resource, cdk.CustomResource)}
    assert config(stack) == Config(off=frozenset({ids["Quiet"]}), locations={ids["Moved"]: "s3://records-bucket/p/"},
                                   values=frozenset({ids["Moved"]}), batches={ids["Cohort"]: "cohort-2026"},
                                   revision="3f2a9c0")


def test_a_batch_writer_may_read_and_write_where_each_sample_writes():
    stack = new_stack()
    HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=SAMPLES)
    assert any(r.endswith(':s3:::other-bucket/s2/*/ro-crate-metadata.json"]]}')
               for r in writer_statements(stack)["s3:PutObject"])


def test_provenance_changes_no_property_of_any_run_resource_so_upgrading_starts_no_run():
    """The properties of ``Custom::HealthOmicsRun`` and ``Custom::HealthOmicsRunBatch`` name the run (the
    fingerprint and requestId derive from them): with provenance on, off or moved they are the same, so a
    stack deployed before provenance existed and deployed again with it updates nothing that starts a run."""
    def run_resources(**choice):
        stack = new_stack()
        HealthOmicsRun(stack, "Germline", workflow_id="1234567", parameters={"sample_name": "S1"}, **choice)
        WorkflowRun(stack, "Bare", role=stack_role(stack), output_uri="s3://out-bucket/bare/", workflow_id="1234567",
                    **choice)
        HealthOmicsRunBatch(stack, "Cohort", workflow_id="1234567", samples=SAMPLES, **choice)
        found = template(stack)
        return {name: resource for kind in ("Custom::HealthOmicsRun", "Custom::HealthOmicsRunBatch")
                for name, resource in found.find_resources(kind).items()}

    off = run_resources(provenance=False)
    assert run_resources() == off
    assert run_resources(provenance_location="s3://records/p/", provenance_parameter_values=True) == off


def stack_role(stack):
    from aws_cdk import aws_iam as iam

    return iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/omics-run-role", mutable=False)


def test_a_customer_key_of_the_output_bucket_lets_the_writer_read_outputs_and_write_records():
    """SSE-KMS objects are read with ``kms:Decrypt`` and written with ``kms:GenerateDataKey`` on their key
    (S3 User Guide, "Using server-side encryption with AWS KMS keys", Permissions)."""
    from aws_cdk import aws_kms as kms

    from healthomics_run import RunOutputBucket

    stack = new_stack()
    key = kms.Key(stack, "OutputKey", enable_key_rotation=True)
    HealthOmicsRun(stack, "Germline", workflow_id="1234567",
                   output_bucket=RunOutputBucket(stack, "Outputs", encryption_key=key))
    (key_id,) = template(stack).find_resources("AWS::KMS::Key")
    assert writer_statements(stack)["kms:Decrypt kms:GenerateDataKey"] == [
        json.dumps({"Fn::GetAtt": [key_id, "Arn"]}, sort_keys=True)]


def test_a_provenance_location_that_is_no_s3_uri_is_refused_naming_the_prop():
    import pytest

    from healthomics_run import ValidationError

    with pytest.raises(ValidationError, match="provenance_location must be an S3 URI"):
        HealthOmicsRun(new_stack(), "Germline", workflow_id="1234567", provenance_location="records-bucket/p")


def test_an_output_uri_known_only_at_deploy_lets_the_writer_list_its_bucket():
    """A ``CfnParameter`` output URI: the bucket is split from it at deploy time (``Fn::Split``), never a
    malformed ARN that would fail the deploy."""
    stack = new_stack()
    uri = cdk.CfnParameter(stack, "OutputUri").value_as_string
    WorkflowRun(stack, "Bare", role=stack_role(stack), output_uri=uri, workflow_id="1234567")
    (listing,) = writer_statements(stack)["s3:ListBucket"]
    assert "Fn::Split" in listing and '"OutputUri"' in listing


def _kms_world(**provenance):
    """A WorkflowRun writing to a bucket of the stack on a customer managed key, in the enforcing account world."""
    from aws_cdk import aws_kms as kms

    from tests.account_world import Account
    from tests.deployed import Deployed

    stack = new_stack()
    key = kms.Key(stack, "OutputKey", enable_key_rotation=True)
    s3.Bucket(stack, "Outputs", bucket_name="example-kms-outputs", encryption=s3.BucketEncryption.KMS,
              encryption_key=key)
    WorkflowRun(stack, "Bare", role=stack_role(stack), output_uri="s3://example-kms-outputs/runs/",
                workflow_id="1234567", **({"provenance_kms_keys": [key]} if provenance.pop("keys", False) else {}))
    account = Account(Deployed(template(stack).to_json(), "TestStack"))
    (writer_role,) = [name for name in account.deployed.of_type("AWS::IAM::Role")
                      if name.startswith("HealthOmicsRunProvenanceRole")]
    return account, writer_role


def test_a_workflow_run_on_a_customer_key_given_to_provenance_gets_its_records_written():
    """In the account world, which authorizes S3 and KMS as AWS does (``tests/account_world.py``): writing an
    SSE-KMS object needs ``kms:GenerateDataKey`` on its key, reading it ``kms:Decrypt`` (S3 User Guide, "Using
    server-side encryption with AWS KMS keys",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html). Without the key given, the
    writer is refused: the record would be lost. And nothing of the outputs but records is writable."""
    record = "runs/1234567/ro-crate-metadata.json"
    account, role = _kms_world(keys=True)
    assert account.may(role, "s3:PutObject", f"arn:aws:s3:::example-kms-outputs/{record}",
                       bucket="example-kms-outputs")[0]
    assert not account.may(role, "s3:PutObject", "arn:aws:s3:::example-kms-outputs/runs/1234567/out/calls.vcf.gz",
                           bucket="example-kms-outputs")[0]
    assert account.may_use_key(role, "kms:GenerateDataKey", "example-kms-outputs", record)[0]
    assert account.may_use_key(role, "kms:Decrypt", "example-kms-outputs", "runs/1234567/logs/output.json")[0]
    refused, refused_role = _kms_world()
    assert not refused.may_use_key(refused_role, "kms:GenerateDataKey", "example-kms-outputs", record)[0]


def test_ended_runs_wait_in_a_queue_read_by_at_most_two_writers_with_a_dead_letter_queue():
    """EventBridge delivers to an SQS queue; an SQS event source's ``MaximumConcurrency`` (2 to 1,000) bounds
    the writers reading it ("Configuring scaling behavior for SQS event source mappings",
    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html); a message received
    ``maxReceiveCount`` times moves to the dead-letter queue (SQS Developer Guide, "Using dead-letter queues in
    Amazon SQS", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html);
    Lambda advises a visibility timeout of six times the function's timeout ("Using Lambda with Amazon SQS",
    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html)."""
    stack = new_stack()
    HealthOmicsRun(stack, "Germline", workflow_id="1234567")
    found = template(stack)
    queues = {name: q["Properties"] for name, q in found.find_resources("AWS::SQS::Queue").items()
              if name.startswith("HealthOmicsRunProvenance")}
    (queue_id,) = [name for name, q in queues.items() if "RedrivePolicy" in q]
    assert queues[queue_id]["RedrivePolicy"]["maxReceiveCount"] == 5
    assert queues[queue_id]["VisibilityTimeout"] == 1800
    (rule,) = [r for r in found.find_resources("AWS::Events::Rule").values()
               if r["Properties"].get("Description", "").startswith("Ended HealthOmics runs")]
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    (mapping,) = found.find_resources("AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_writer_may_read_the_parameters_file_a_run_was_started_with():
    """GetRun answers ``parametersUri`` (API reference GetRun, the shipped service model); the record reads the JSON
    object it names for the inputs it holds: ``s3:GetObject`` on that object and no more (Service Authorization
    Reference, Amazon S3: ``GetObject`` on ``object``)."""
    stack = new_stack()
    HealthOmicsRun(stack, "Germline", workflow_id="1234567", parameters_uri="s3://example-parameters-bucket/p.json")
    assert any("example-parameters-bucket/p.json" in r for r in writer_statements(stack)["s3:GetObject"])
    assert not any("example-parameters-bucket/*" in r for r in writer_statements(stack)["s3:GetObject"])


def test_a_stack_names_its_records_licence_and_agent():
    """schema.org's ``Action.agent`` expects "Organization or Person" (https://schema.org/Action): anything else is
    refused at synth."""
    import pytest

    stack = new_stack()
    HealthOmicsRun(stack, "Germline", workflow_id="1234567", parameters={"sample_name": "S1"})
    writer = ProvenanceWriter.of(stack)
    writer.record_licence("https://spdx.org/licenses/CC-BY-4.0")
    writer.record_agent("https://ror.org/05dxps055", "Organization", "California Institute of Technology")
    with pytest.raises(ValueError, match="Person or Organization"):
        writer.record_agent("arn:aws:iam::123456789012:role/x", "SoftwareApplication", "a role")
    chosen = config(stack)
    assert chosen.license == "https://spdx.org/licenses/CC-BY-4.0"
    assert chosen.agent == {"@id": "https://ror.org/05dxps055", "@type": "Organization",
                            "name": "California Institute of Technology"}
