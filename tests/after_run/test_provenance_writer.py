"""The provenance writer: a Workflow Run RO-Crate for each ended run a stack started, and nothing else.

Sources of the AWS behaviour relied on (the fakes answer as these say):

- Where a run writes: "When a run is COMPLETED, you can find the output files in your Amazon S3 output
  bucket, in a folder named after the run ID" (HealthOmics guide, "Get run information",
  https://docs.aws.amazon.com/omics/latest/dev/getinfo-about-runs.html); WDL and CWL runs write
  ``output.json`` mapping each output to its S3 URI(s) ("HealthOmics run outputs",
  https://docs.aws.amazon.com/omics/latest/dev/workflows-run-outputs.html). The page does not say in which
  folder of the run's output the file lies: the writer takes the shallowest ``output.json`` under it.
- GetRun answers ``digest``, ``resourceDigests``, ``engineVersion``, ``workflowVersionName``, ``batchId``,
  ``startedBy`` (API reference GetRun); ListRunTasks lists tasks without their image, GetRunTask answers
  ``imageDetails`` (``image``, ``imageDigest``) and ``cacheHit`` (API reference ListRunTasks, GetRunTask;
  the shipped service model).
- ``Run Status Change`` events carry ``runId``, ``uuid`` and ``status`` in their detail, and delivery is
  best effort (HealthOmics guide, "Using EventBridge with AWS HealthOmics").
- A custom resource's physical id is what its handler answered (``run_ref``); ListStackResources lists
  each resource's logical id, physical id and type; DescribeStackResource answers its ``Metadata``, where
  the CDK puts ``aws:cdk:path`` (CloudFormation API reference).
"""

from __future__ import annotations

import json
import threading

from healthomics_run.handlers.after_run import handler as after_run
from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model.fingerprint import content_digest
from healthomics_run.run_model.provenance_settings import Config
from healthomics_run.service_calls import clients
from healthomics_run.service_calls import provenance as writer
from healthomics_run.service_calls.provenance_owners import Owners
from tests.provenance_world import (  # noqa: F401 (fixtures)
    BATCH_PATH,
    IMAGE_DIGEST,
    INPUT,
    INPUT_BUCKET,
    RUN_PATH,
    WORKFLOW_DIGEST,
    deployed_run,
    finish,
    graph,
    omics,
    record_at,
    s3,
    stack,
    write,
)
from tests.ro_crate import assert_valid, read
from tests.world import BATCH_LOGICAL_ID, BATCH_TEMPLATE, RUN_LOGICAL_ID, STACK_ID, batch_event, batch_properties


def test_a_completed_run_gets_a_provenance_run_crate_beside_its_outputs(omics, s3, stack, props):
    ref = deployed_run(props, stack, reads=INPUT)
    finish(omics, s3, ref.id)
    outcome = write(omics, s3, stack, ref.id, ref.uuid)
    record_uri = f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"
    assert outcome == f"run {ref.id}: wrote {record_uri}"
    assert_valid(record_at(s3, record_uri))


def test_the_record_names_the_deploy_that_started_the_run(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    write(omics, s3, stack, ref.id, config=Config(revision="3f2a9c0"))
    entities = graph(record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"))
    deploy = {entity["propertyID"]: entity["value"] for entity in entities.values()
              if entity.get("propertyID", "").startswith("deploy:")}
    assert deploy == {"deploy:stackId": STACK_ID, "deploy:stackName": "GermlineRunStack",
                      "deploy:logicalId": RUN_LOGICAL_ID, "deploy:resourceType": "Custom::HealthOmicsRun",
                      "deploy:constructPath": RUN_PATH, "deploy:settingsFingerprint": ref.settings,
                      "deploy:sourceRevision": "3f2a9c0"}


def test_writing_a_record_again_writes_the_same_bytes(omics, s3, stack, props):
    ref = deployed_run(props, stack, reads=INPUT)
    finish(omics, s3, ref.id)
    uri = f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"
    write(omics, s3, stack, ref.id)
    first = record_at(s3, uri)
    write(omics, s3, stack, ref.id)
    assert record_at(s3, uri) == first


def test_parameters_are_recorded_as_their_digest_only_unless_values_are_asked_for(omics, s3, stack, props):
    ref = deployed_run(props, stack, reads=INPUT, sample_name="PATIENT-7731")
    finish(omics, s3, ref.id)
    uri = f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"
    write(omics, s3, stack, ref.id)
    hidden = record_at(s3, uri)
    write(omics, s3, stack, ref.id, config=Config(values=frozenset({RUN_LOGICAL_ID})))
    shown = assert_valid(record_at(s3, uri))
    parameters = omics.runs[ref.id]["request"]["parameters"]
    assert b"PATIENT-7731" not in hidden
    assert INPUT.encode() in hidden  # an S3 URI is an input: recorded with its version either way
    assert graph(hidden)["#property-parameters-sha256"]["value"] == content_digest(parameters)
    values = {e["name"]: json.loads(e["value"]) for e in shown["@graph"] if e["@id"].startswith("#value-")}
    assert values == parameters


def test_a_failed_run_records_its_status_and_failure_reason(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    omics.runs[ref.id]["failureReason"] = "INSUFFICIENT_RESOURCES"
    finish(omics, s3, ref.id, "FAILED", output_json=False)
    write(omics, s3, stack, ref.id)
    record = record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json")
    action = graph(assert_valid(record))[f"#run-{ref.uuid}"]
    assert (action["actionStatus"], action["error"]) == ("http://schema.org/FailedActionStatus",
                                                         "INSUFFICIENT_RESOURCES")


def test_without_output_json_the_outputs_are_the_objects_of_the_run_folder(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    vcf = finish(omics, s3, ref.id, output_json=False)
    write(omics, s3, stack, ref.id)
    record = record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json")
    assert graph(record)[f"#run-{ref.uuid}"]["result"] == {"@id": vcf}


def test_a_run_no_resource_of_the_stack_started_gets_no_record(omics, s3, stack, props):
    omics.start_stranger_run("1009999")
    omics.end_run("1009999")
    assert write(omics, s3, stack, "1009999") == "run 1009999 was not started by this stack; nothing written"
    assert s3.list_objects_v2(Bucket="example-output-bucket").get("KeyCount", 0) == 0


def test_a_run_still_going_gets_its_record_when_it_ends(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    assert write(omics, s3, stack, ref.id) == f"run {ref.id} is PENDING; its record is written when it ends"


def test_provenance_off_writes_nothing_for_that_resource(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    outcome = write(omics, s3, stack, ref.id, config=Config(off=frozenset({RUN_LOGICAL_ID})))
    assert outcome == f"run {ref.id}: provenance is off for {RUN_LOGICAL_ID}"


def test_a_provenance_location_holds_the_record_under_the_run_id(omics, s3, stack, props):
    s3.create_bucket(Bucket="example-provenance-bucket")
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    config = Config(locations={RUN_LOGICAL_ID: "s3://example-provenance-bucket/records/"})
    write(omics, s3, stack, ref.id, config=config)
    assert_valid(record_at(s3, f"s3://example-provenance-bucket/records/{ref.id}/ro-crate-metadata.json"))


def test_each_run_of_a_batch_is_known_by_its_batch_name(omics, s3, stack, props):
    omics.workflows["1234567"]["parameterTemplate"] = BATCH_TEMPLATE
    answer = handler.on_event(batch_event("Create", batch_properties(props)))
    stack.add(BATCH_LOGICAL_ID, "Custom::HealthOmicsRunBatch", answer["PhysicalResourceId"], BATCH_PATH)
    config = Config(batches={BATCH_LOGICAL_ID: "CohortStack/Cohort/Batch"})
    (batch_id,) = omics.batches
    for run in omics.batch_runs(batch_id):
        finish(omics, s3, run["id"])
        assert write(omics, s3, stack, run["id"], config=config).startswith(f"run {run['id']}: wrote ")
        entities = graph(assert_valid(record_at(s3, f"{run['runOutputUri']}/ro-crate-metadata.json")))
        assert entities["#property-deploy:batchId"]["value"] == batch_id
        assert entities["#property-deploy:constructPath"]["value"] == BATCH_PATH


def test_the_event_handler_writes_the_record_of_the_run_the_event_names(omics, s3, stack, props, monkeypatch):
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    aws = writer.Clients(omics=omics.client, s3=s3, cfn=stack.client)
    monkeypatch.setattr(after_run, "_world", lambda: (aws, Owners(stack.client, STACK_ID, Config())))
    detail = {"runId": ref.id, "uuid": ref.uuid, "status": "COMPLETED", "arn": omics.runs[ref.id]["arn"]}
    answer = after_run.on_run_end({"source": "aws.omics", "detail-type": "Run Status Change", "detail": detail})
    assert answer["Outcome"].startswith(f"run {ref.id}: wrote ")


def test_a_record_read_back_says_which_image_digest_and_input_version_made_an_output(omics, s3, stack, props,
                                                                                     tmp_path):
    """The auditor's question, answered with ro-crate-py (the RO-Crate community's library) alone: from an
    output, the run that made it (``result``), its inputs (``object``) with their S3 version ids, and the
    images of its tasks (OrganizeAction -> ControlAction -> task action -> ``containerImage``)."""
    ref = deployed_run(props, stack, reads=INPUT)
    vcf = finish(omics, s3, ref.id)
    version = s3.head_object(Bucket=INPUT_BUCKET, Key="reads/SAMPLE-0001.cram")["VersionId"]
    write(omics, s3, stack, ref.id, config=Config(details=frozenset({RUN_LOGICAL_ID})))
    crate = read(record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"), tmp_path / "crate")

    def ids(value):
        return [item.id for item in (value if isinstance(value, list) else [value])]

    (made_it,) = [e for e in crate.get_entities() if e.type == "CreateAction" and vcf in ids(e.get("result") or [])]
    inputs = {item.id: item.get("version") for item in made_it.get("object") if "File" in ids_type(item)}
    (organize,) = [e for e in crate.get_entities() if e.type == "OrganizeAction" and e.get("result").id == made_it.id]
    digests = {control.get("object").get("containerImage").get("sha256") for control in organize.get("object")}
    assert inputs == {INPUT: version}
    assert digests == {IMAGE_DIGEST.removeprefix("sha256:")}


def ids_type(entity):
    types = entity.type
    return types if isinstance(types, list) else [types]


def test_the_provenance_page_shows_a_record_as_the_writer_writes_them(omics, s3, stack, props):
    """docs/provenance.md: the record shown is valid, and has the very entities and properties a record
    written now has (only values differ), so it cannot drift from what the writer writes."""
    from tests.synth import ROOT

    section = (ROOT / "docs" / "provenance.md").read_text().split("\n## A record, as the writer writes it\n", 1)[1]
    shown = assert_valid(json.loads(section.split("```json\n", 1)[1].split("\n```", 1)[0]))
    ref = deployed_run(props, stack, reads=INPUT)
    finish(omics, s3, ref.id)
    write(omics, s3, stack, ref.id, config=Config(revision="3f2a9c0", details=frozenset({RUN_LOGICAL_ID})))
    written = json.loads(record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"))

    def shape(crate):
        return sorted((json.dumps(entity["@type"]), tuple(sorted(entity))) for entity in crate["@graph"])

    assert shape(shown) == shape(written)


def test_throttling_is_waited_out_longer_than_the_deploy_handler_would(omics, s3, stack, props):
    """HealthOmics answers ThrottlingException (HTTP 429) when a request rate quota is exceeded (API
    reference, Common Errors / GetRunTask errors); botocore's adaptive retry mode backs off and retries
    (Boto3 guide, "Retries"). The writer's client tries 10 times where the deploy handler's tries 3: five
    throttled ListRunTasks answers in a row still give a record, and the backoff is slept, not skipped."""
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    patient = clients.new_omics_client(config=writer.PATIENT)
    omics.serve(patient)
    omics.fail_next("ListRunTasks", "ThrottlingException", "Rate exceeded", times=5)
    aws = writer.Clients(omics=patient, s3=s3, cfn=stack.client)
    outcome = writer.write(aws, Owners(stack.client, STACK_ID, Config()), ref.id)
    assert outcome.startswith(f"run {ref.id}: wrote ") and len(omics.sleeps) >= 5


def test_a_run_whose_workflow_is_gone_still_gets_a_valid_record(omics, s3, stack, props):
    """Deleting a workflow does not affect the runs that used it (HealthOmics guide, "Delete a private
    workflow"); GetWorkflow then answers ResourceNotFoundException: the record keeps the workflow's id and
    digest from GetRun, and says its language is unknown."""
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    del omics.workflows["1234567"]
    write(omics, s3, stack, ref.id)
    record = assert_valid(record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"))
    workflow = graph(record)["arn:aws:omics:us-east-1:123456789012:workflow/1234567"]
    assert workflow["sha256"] == WORKFLOW_DIGEST.removeprefix("sha256:")


def test_an_event_for_a_run_id_now_naming_another_run_writes_nothing(omics, s3, stack, props):
    """Run ids are reused after deletion; the uuid never is (HealthOmics guide, "Starting a run")."""
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    outcome = write(omics, s3, stack, ref.id, "0f0f0f0f-0000-4000-8000-000000000000")
    assert outcome == f"run {ref.id} is gone or names another run; nothing written"


def test_an_input_changed_since_the_run_started_is_recorded_at_its_version_of_then(omics, s3, stack, props):
    """In a versioned bucket every write keeps the earlier version, listed by ListObjectVersions with its
    LastModified (S3 User Guide, "Retaining multiple versions of objects with S3 Versioning"): the record
    names the version that was current when the run started, not the newer one."""
    ref = deployed_run(props, stack, reads=INPUT)
    then = s3.head_object(Bucket=INPUT_BUCKET, Key="reads/SAMPLE-0001.cram")
    threading.Event().wait(1.05)  # moto keeps LastModified to the second; the next write must be later
    s3.put_object(Bucket=INPUT_BUCKET, Key="reads/SAMPLE-0001.cram", Body=b"reads, rewritten after the start")
    finish(omics, s3, ref.id, startTime=then["LastModified"])
    write(omics, s3, stack, ref.id)
    record = graph(record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"))
    assert (record[INPUT]["version"], record[INPUT]["etag"]) == (then["VersionId"], then["ETag"])


def test_a_twenty_task_run_costs_one_get_run_one_task_page_and_its_workflow_and_no_get_run_task(omics, s3, stack,
                                                                                                  props):
    """HealthOmics allows GetRun, ListRunTasks and GetRunTask 10 TPS each by default ("HealthOmics API quotas",
    https://docs.aws.amazon.com/omics/latest/dev/service-quotas.html); ListRunTasks pages up to 100 tasks
    (``maxResults`` 1-100, API reference ListRunTasks,
    https://docs.aws.amazon.com/omics/latest/api/API_ListRunTasks.html); GetRun's ``resourceDigests`` holds
    the digest of every image the run used (API reference GetRun,
    https://docs.aws.amazon.com/omics/latest/api/API_GetRun.html). A cohort's records cost O(1) calls per run."""
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    for number in range(18):
        omics.add_task(ref.id, f"GermlineCalling.shard_{number}", task_id=f"3{number:06d}", status="COMPLETED")
    assert len(omics.runs[ref.id]["tasks"]) == 20
    omics.calls.clear()
    outcome = write(omics, s3, stack, ref.id, ref.uuid)
    assert outcome.startswith(f"run {ref.id}: wrote ")
    assert sorted(name for name, _ in omics.calls) == ["GetRun", "GetWorkflow", "ListRunTasks"]
    assert omics.params_of("ListRunTasks")[0]["maxResults"] == 100
    record = graph(record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"))
    assert len([e for e in record if e.startswith("#task-")]) == 20
    assert any(entity.get("value") == IMAGE_DIGEST for entity in record.values())  # the run's image, by digest


def test_per_task_detail_asks_get_run_task_once_per_task_only_when_asked_for(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    omics.calls.clear()
    write(omics, s3, stack, ref.id, config=Config(details=frozenset({RUN_LOGICAL_ID})))
    assert omics.count("GetRunTask") == 2


def test_a_record_of_another_run_with_the_same_id_is_never_overwritten(omics, s3, stack, props):
    """Run ids are reused after deletion, the uuid never (HealthOmics guide, "Starting a run",
    https://docs.aws.amazon.com/omics/latest/dev/starting-a-run.html): a record already at the key that is of
    another uuid stays. The writer puts with ``If-None-Match: *``, which S3 answers with 412 Precondition
    Failed when the key exists (S3 User Guide, "How to prevent object overwrites with conditional writes",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html), and replaces only its own
    run's record (``If-Match`` its ETag)."""
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    uri = f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    earlier = json.dumps({"@graph": [{"@id": "#run-0f0f0f0f-0000-4000-8000-000000000000"}]}).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=earlier)
    outcome = write(omics, s3, stack, ref.id, ref.uuid)
    assert outcome == (f"run {ref.id}: {uri} holds the record of another run "
                       "(uuid 0f0f0f0f-0000-4000-8000-000000000000); nothing written")
    assert record_at(s3, uri) == earlier


def test_every_s3_call_on_the_record_and_outputs_names_the_expected_bucket_owner(omics, s3, stack, props):
    """A request with ``ExpectedBucketOwner`` fails with 403 when another account owns the bucket (S3 User
    Guide, "Verifying bucket ownership with bucket owner condition",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html)."""
    seen = []
    s3.meta.events.register("before-parameter-build.s3.*",
                            lambda params, model, **_: seen.append((model.name, params.get("ExpectedBucketOwner"))))
    ref = deployed_run(props, stack, reads=INPUT)
    finish(omics, s3, ref.id)
    seen.clear()
    write(omics, s3, stack, ref.id, ref.uuid)
    output_calls = [(name, owner) for name, owner in seen if name not in ("HeadObject", "ListObjectVersions")]
    assert output_calls and {owner for _, owner in output_calls} == {STACK_ID.split(":")[4]}


def test_the_writer_reads_its_choices_from_the_object_its_environment_names(s3):
    """The choices are a JSON asset, not an environment variable: Lambda allows 4 KB for all of a function's
    variables ("Lambda quotas", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), which
    45 cohorts' batch names alone exceed. A writer synthesized before still holds them in its environment."""
    from healthomics_run.run_model.provenance_settings import CONFIG_ENV, CONFIG_URI_ENV

    chosen = Config(batches={f"Cohort{n:03d}Batch": f"cohort-{n:03d}-" + "x" * 80 for n in range(200)},
                    values=frozenset({RUN_LOGICAL_ID}))
    assert len(chosen.to_json()) > 4096
    s3.create_bucket(Bucket="cdk-assets-bucket")
    s3.put_object(Bucket="cdk-assets-bucket", Key="abc.json", Body=chosen.to_json().encode())
    assert writer.load_config(s3, {CONFIG_URI_ENV: "s3://cdk-assets-bucket/abc.json"}, STACK_ID) == chosen
    assert writer.load_config(s3, {CONFIG_ENV: Config(off=frozenset({"A"})).to_json()}, STACK_ID) == \
        Config(off=frozenset({"A"}))


def test_a_batch_from_the_queue_answers_only_the_messages_not_written(omics, s3, stack, props, monkeypatch):
    """An SQS event source with ``ReportBatchItemFailures`` receives again only the messages the function names
    in ``batchItemFailures`` ("Handling errors for an SQS event source in Lambda",
    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html)."""
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    aws = writer.Clients(omics=omics.client, s3=s3, cfn=stack.client)
    monkeypatch.setattr(after_run, "_world", lambda: (aws, Owners(stack.client, STACK_ID, Config())))
    good = {"source": "aws.omics", "detail-type": "Run Status Change",
            "detail": {"runId": ref.id, "uuid": ref.uuid, "status": "COMPLETED"}}
    broken = {"source": "aws.omics", "detail-type": "Run Status Change", "detail": {}}  # no runId
    answer = after_run.on_run_end({"Records": [{"messageId": "m-1", "body": json.dumps(good)},
                                               {"messageId": "m-2", "body": json.dumps(broken)}]})
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json")
