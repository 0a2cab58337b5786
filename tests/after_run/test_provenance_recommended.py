"""The record as the Workflow Run RO-Crate community writes them: valid at REQUIRED and RECOMMENDED level with
roc-validator (``tests.ro_crate``: the Provenance Run Crate profile 0.5's SHACL shapes, the few waived checks
named there with why) for every kind of ended run.

Sources of the rules and AWS behaviour relied on:

- ``agent``: schema.org's ``Action.agent`` expects "Organization or Person" (https://schema.org/Action); the
  Process Run Crate shape says "The Action SHOULD have an agent that is a Person or Organization"
  (roc-validator, ``profiles/process-run-crate/should/1_create_action.ttl``, as the Process Run Crate profile
  0.5, https://w3id.org/ro/wfrun/process/0.5, recommends).
- Times: the same shape requires ``startTime``/``endTime`` to match
  ``^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?\\+\\d{2}:\\d{2})?$``: an offset, not ``Z``, and
  milliseconds at most.
- Typed parameters: the Workflow Run Crate shape "A FormalParameter that maps to a File SHOULD have File as its
  additionalType" (roc-validator, ``profiles/workflow-run-crate``); the profile lists File, Dataset, Collection,
  Text, Integer, Float, Boolean, PropertyValue (https://w3id.org/ro/wfrun/workflow/0.5).
- A root licence: the RO-Crate 1.1 shapes make ``license`` REQUIRED and allow "a textual description of how the
  RO-Crate may be used" (roc-validator, ``profiles/ro-crate/1.1/must/2_root_data_entity_metadata.ttl``): without
  a licence chosen, the record says none was stated.
- GetRun answers ``parametersUri``, ``cacheId``; GetRunTask ``cacheHit`` and ``cacheS3Uri`` (API reference
  GetRun, GetRunTask, https://docs.aws.amazon.com/omics/latest/api/API_GetRunTask.html; the shipped service
  model). GetRun names no source run of a cache entry, so the record names the entry (``cacheS3Uri``).
- WDL runs write ``output.json``, CWL runs an output summary too, whose File values hold their ``location``
  ("HealthOmics run outputs", https://docs.aws.amazon.com/omics/latest/dev/workflows-run-outputs.html); a
  Nextflow run writes none: its outputs are the objects of its folder.
- ``omics://`` URIs name sequence and reference store objects as run inputs ("HealthOmics workflow inputs",
  https://docs.aws.amazon.com/omics/latest/dev/workflows-run-inputs.html).
"""

from __future__ import annotations

import json

import pytest

from healthomics_run.handlers.start_run import handler
from healthomics_run.run_model.provenance_settings import Config
from healthomics_run.run_model.run_ref import RunRef
from tests.provenance_world import (  # noqa: F401 (fixtures)
    IMAGE,
    IMAGE_DIGEST,
    INPUT,
    INPUT_BUCKET,
    RUN_PATH,
    deployed_run,
    finish,
    graph,
    omics,
    record_at,
    s3,
    stack,
    write,
)
from tests.ro_crate import assert_valid
from tests.world import RUN_LOGICAL_ID, STACK_ID, event

TIME = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{3})?\+\d{2}:\d{2})?$"


def record_of(omics, s3, run_id):
    return assert_valid(record_at(s3, f"{omics.runs[run_id]['runOutputUri']}/ro-crate-metadata.json"))


def ended_without_tasks(omics, s3, ref):
    omics.end_run(ref.id, "FAILED", failureReason="INVALID_RUN_PARAMETERS")


def one_task(omics, s3, ref):
    began = omics.runs[ref.id]["creationTime"]
    omics.add_task(ref.id, "GermlineCalling.align", task_id="1111111", status="COMPLETED", startTime=began,
                   stopTime=began)
    omics.end_run(ref.id, "COMPLETED")


def many_tasks(omics, s3, ref):
    finish(omics, s3, ref.id)
    for number in range(30):
        omics.add_task(ref.id, f"GermlineCalling.shard_{number}", task_id=f"3{number:06d}", status="COMPLETED")


def failed(omics, s3, ref):
    omics.runs[ref.id]["failureReason"] = "INSUFFICIENT_RESOURCES"
    finish(omics, s3, ref.id, "FAILED", output_json=False)


def cancelled(omics, s3, ref):
    finish(omics, s3, ref.id, "CANCELLED", output_json=False)


SCENARIOS = {"no task": ended_without_tasks, "one task": one_task, "many tasks": many_tasks, "failed": failed,
             "cancelled": cancelled}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_kind_of_ended_run_is_valid_at_recommended_level(omics, s3, stack, props, scenario):
    ref = deployed_run(props, stack, reads=INPUT)
    SCENARIOS[scenario](omics, s3, ref)
    write(omics, s3, stack, ref.id, ref.uuid)
    entities = graph(record_of(omics, s3, ref.id))
    action = entities[f"#run-{ref.uuid}"]
    assert action["agent"] == {"@id": STACK_ID}
    assert entities[STACK_ID]["@type"] == "Organization"


def test_a_run_that_failed_before_any_task_says_so(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    ended_without_tasks(omics, s3, ref)
    write(omics, s3, stack, ref.id)
    entities = graph(record_of(omics, s3, ref.id))
    assert entities[f"#run-{ref.uuid}"]["description"].endswith("FAILED, before any task ran")
    assert entities[f"#run-{ref.uuid}"]["error"] == "INVALID_RUN_PARAMETERS"


@pytest.mark.parametrize("engine", ["WDL", "NEXTFLOW", "CWL"])
def test_wdl_nextflow_and_cwl_runs_are_valid_with_their_outputs(omics, s3, stack, props, engine):
    omics.workflows["1234567"]["said"]["engine"] = engine
    ref = deployed_run(props, stack, reads=INPUT)
    vcf = finish(omics, s3, ref.id, output_json=engine == "WDL")
    if engine == "CWL":
        folder = omics.runs[ref.id]["runOutputUri"].removeprefix("s3://example-output-bucket/")
        s3.put_object(Bucket="example-output-bucket", Key=f"{folder}/logs/outputs.json", Body=json.dumps(
            {"vcf": {"class": "File", "location": vcf, "basename": "SAMPLE-0001.vcf.gz"}}).encode())
    write(omics, s3, stack, ref.id)
    entities = graph(record_of(omics, s3, ref.id))
    assert vcf in json.dumps(entities[f"#run-{ref.uuid}"]["result"])
    if engine == "CWL":
        assert entities[vcf]["exampleOfWork"] == {"@id": "#output-vcf"}
        assert entities["#output-vcf"]["additionalType"] == "File"


def test_a_cached_run_names_each_task_s_cache_entry_as_its_result(omics, s3, stack, props):
    ref = deployed_run(props, stack)
    began = omics.runs[ref.id]["creationTime"]
    entry = "s3://example-cache-bucket/cache/1234567/abc/"
    omics.add_task(ref.id, "GermlineCalling.call", task_id="2222222", status="COMPLETED", startTime=began,
                   stopTime=began, cacheHit=True, cacheS3Uri=entry, image=IMAGE, image_digest=IMAGE_DIGEST)
    omics.end_run(ref.id, "COMPLETED", cacheId="9876543", cacheBehavior="CACHE_ALWAYS")
    write(omics, s3, stack, ref.id, config=Config(details=frozenset({RUN_LOGICAL_ID})))
    entities = graph(record_of(omics, s3, ref.id))
    assert entities["#task-2222222"]["result"] == {"@id": entry}
    assert entities[entry]["@type"] == "Dataset"
    assert entities["#property-cacheId"]["value"] == "9876543"


def test_a_run_started_with_parameters_uri_records_the_file_and_the_inputs_it_names(omics, s3, stack, props):
    s3.put_object(Bucket=INPUT_BUCKET, Key="params/run.json", Body=json.dumps(
        {"sample_name": "PATIENT-7731", "reads": INPUT, "reference": "omics://123456789012.storage.us-east-1."
         "amazonaws.com/5432101234/reference/5678901234", "threads": 8}).encode())
    uri = f"s3://{INPUT_BUCKET}/params/run.json"
    omics.workflows["1234567"]["parameterTemplate"]["reference"] = {"description": "Reference", "optional": True}
    answer = handler.on_event(event("Create", {**{k: v for k, v in props.items() if k != "Parameters"},
                                               "ParametersUri": uri}))
    stack.add(RUN_LOGICAL_ID, "Custom::HealthOmicsRun", answer["PhysicalResourceId"], RUN_PATH)
    ref = RunRef.parse(answer["PhysicalResourceId"])
    assert "parameters" not in omics.client.get_run(id=ref.id)
    finish(omics, s3, ref.id)
    write(omics, s3, stack, ref.id)
    entities = graph(record_of(omics, s3, ref.id))
    inputs = {item["@id"] for item in entities[f"#run-{ref.uuid}"]["object"]}
    reference = "omics://123456789012.storage.us-east-1.amazonaws.com/5432101234/reference/5678901234"
    assert {uri, INPUT, reference} <= inputs
    assert entities[INPUT]["version"] and entities[uri]["version"]
    assert (entities["#param-reads"]["additionalType"], entities["#param-threads"]["additionalType"],
            entities["#param-reference"]["additionalType"]) == ("File", "Integer", "File")
    assert b"PATIENT-7731" not in record_at(s3, f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json")


def test_parameters_are_typed_by_their_values_and_times_carry_an_offset(omics, s3, stack, props):
    ref = deployed_run(props, stack, reads=INPUT, threads=4, use_gpu=False, options={"min_qual": 20.5})
    finish(omics, s3, ref.id)
    write(omics, s3, stack, ref.id)
    entities = graph(record_of(omics, s3, ref.id))
    kinds = {name: entities[f"#param-{name}"]["additionalType"]
             for name in ("reads", "threads", "use_gpu", "options", "sample_name", "intervals")}
    assert kinds == {"reads": "File", "threads": "Integer", "use_gpu": "Boolean", "options": "PropertyValue",
                     "sample_name": "Text", "intervals": "DataType"}
    import re
    times = [entity[key] for entity in entities.values() for key in ("startTime", "endTime") if key in entity]
    assert times and all(re.match(TIME, value) for value in times)


def test_no_run_name_and_no_licence_unless_asked_for(omics, s3, stack, props):
    props = {**props, "Name": "SAMPLE-0001-germline"}
    ref = deployed_run(props, stack)
    finish(omics, s3, ref.id)
    write(omics, s3, stack, ref.id)
    uri = f"{omics.runs[ref.id]['runOutputUri']}/ro-crate-metadata.json"
    plain = record_at(s3, uri)
    assert b"SAMPLE-0001-germline" not in plain
    assert graph(assert_valid(plain))["./"]["license"] == {"@id": "#no-license"}
    chosen = Config(names=frozenset({RUN_LOGICAL_ID}), license="https://spdx.org/licenses/CC-BY-4.0",
                    agent={"@id": "https://ror.org/05dxps055", "@type": "Organization", "url": "https://www.caltech.edu/",
                           "name": "California Institute of Technology"})
    write(omics, s3, stack, ref.id, config=chosen)
    entities = graph(assert_valid(record_at(s3, uri)))
    assert entities["./"]["license"] == {"@id": "https://spdx.org/licenses/CC-BY-4.0"}
    assert entities[f"#run-{ref.uuid}"]["name"].endswith("(SAMPLE-0001-germline)")
    assert entities[f"#run-{ref.uuid}"]["agent"] == {"@id": "https://ror.org/05dxps055"}
    assert Config.from_json(chosen.to_json()) == chosen


def test_an_input_in_a_bucket_without_versions_has_no_version_and_says_why(omics, s3, stack, props):
    """An object of a bucket that never had versioning has no version id: HeadObject answers none ("null" once
    versioning was suspended; S3 User Guide, "Working with objects in a versioning-suspended bucket",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/VersioningSuspendedBehavior.html)."""
    s3.create_bucket(Bucket="example-plain-bucket")
    s3.put_object(Bucket="example-plain-bucket", Key="ref/genome.fa", Body=b">chr1")
    plain = "s3://example-plain-bucket/ref/genome.fa"
    ref = deployed_run(props, stack, reads=plain)
    finish(omics, s3, ref.id)
    write(omics, s3, stack, ref.id)
    entity = graph(record_of(omics, s3, ref.id))[plain]
    assert "version" not in entity and entity["description"].startswith("no version id")
