"""The S3 half of the record: inputs as they are now (version id, ETag) and the run's outputs.

Inputs are the parameter values that are ``s3://`` URIs; each is asked with HeadObject (which needs
``s3:GetObject`` on it), and one the writer may not read, or that names a prefix, is recorded as a URI
with a note. Outputs are the URIs of ``output.json`` (WDL and CWL runs write one) when the run's output
folder holds it, else every object in that folder; either way from one listing of the folder.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Optional

from botocore.exceptions import ClientError

from healthomics_run.run_model.provenance_settings import RECORD_NAME

# The output summary HealthOmics writes for WDL (``output.json``) and CWL runs ("HealthOmics run outputs",
# https://docs.aws.amazon.com/omics/latest/dev/workflows-run-outputs.html); CWL values are File objects
# (``{"class": "File", "location": "s3://..."}``), whose URIs are found inside them.
OUTPUT_SUMMARIES = ("output.json", "outputs.json")
MAX_LISTED = 10_000  # objects listed from one run's output folder


def split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def exists(s3, uri: str, **owner: str) -> bool:
    """Whether the object is there; a refusal (403, as S3 answers a missing key to a caller who may not list
    the bucket) counts as not there: writing a record again is harmless."""
    bucket, key = split(uri)
    try:
        s3.head_object(Bucket=bucket, Key=key, **owner)
    except ClientError:
        return False
    return True


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def record_uuid(body: bytes) -> Optional[str]:
    """The run uuid a record is of (its run action ``#run-<uuid>``), or None when the object is no record."""
    try:
        graph = json.loads(body).get("@graph", [])
    except (ValueError, AttributeError):
        return None
    return next((entity["@id"][len("#run-"):] for entity in graph
                 if isinstance(entity, dict) and str(entity.get("@id", "")).startswith("#run-")), None)


def put_record(s3, uri: str, body: bytes, uuid: str, content_type: str, **owner: str) -> Optional[str]:
    """Put a run's record at ``uri`` without ever replacing the record of another run.

    HealthOmics reuses a run id after the run is deleted (its uuid never): two runs can name the same key.
    The record is put with ``If-None-Match: *`` (S3 answers 412 when the key exists); then the record there
    is read, and replaced (``If-Match`` its ETag: nothing written in between is lost) only when it is this
    run's own. Answers None when written, else the uuid of the run whose record is there (or ``"?"``).
    ``owner``: ``ExpectedBucketOwner`` for every call."""
    bucket, key = split(uri)
    put = dict(Bucket=bucket, Key=key, Body=body, ContentType=content_type, **owner)
    try:
        s3.put_object(**put, IfNoneMatch="*")
        return None
    except ClientError as error:
        if _code(error) not in ("PreconditionFailed", "412"):
            raise
    there = s3.get_object(Bucket=bucket, Key=key, **owner)
    found = record_uuid(there["Body"].read())
    if found != uuid:
        return found or "?"
    s3.put_object(**put, IfMatch=there["ETag"])
    return None


def s3_uris(value: Any, name: str, schemes: tuple[str, ...] = ("s3://",)) -> Iterator[tuple[str, str]]:
    """``(parameter name, uri)`` of every ``s3://`` string (or of ``schemes``) in a parameter value, lists and
    objects included."""
    if isinstance(value, str) and value.startswith(schemes):
        yield name, value
    elif isinstance(value, list):
        for item in value:
            yield from s3_uris(item, name, schemes)
    elif isinstance(value, dict):
        for item in value.values():
            yield from s3_uris(item, name, schemes)


def inputs(s3, parameters: dict[str, Any], started: Any) -> list[dict[str, Any]]:
    """The run's inputs: every ``s3://`` value as HeadObject describes it, and every ``omics://`` one (a sequence
    or reference store's object, which S3 cannot describe) as its URI."""
    described = []
    for name, uri in sorted({pair for key, value in parameters.items()
                             for pair in s3_uris(value, key, ("s3://", "omics://"))}):
        item: dict[str, Any] = {"uri": uri, "parameter": name}
        if uri.startswith("omics://"):
            item["note"] = "a HealthOmics store object (sequence or reference store); not described here"
            described.append(item)
            continue
        bucket, key = split(uri)
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            item["note"] = (f"not described: HeadObject answered {code or 'an error'} (a prefix, an object "
                            "gone, or one the provenance writer may not read)")
        else:
            item.update(versionId=head.get("VersionId"), eTag=head.get("ETag"), size=head.get("ContentLength"),
                        lastModified=head.get("LastModified"))
            if not head.get("VersionId") or head["VersionId"] == "null":  # S3 answers "null" once versioning stopped
                item.update(versionId=None, note="no version id (the bucket keeps no versions): the ETag and date "
                                                 "say which content it was")
            if started is not None and head.get("LastModified") is not None and head["LastModified"] > started:
                item.update(_version_at(s3, bucket, key, started))
        described.append(item)
    return described


def _version_at(s3, bucket: str, key: str, started: Any) -> dict[str, Any]:
    """The object changed after the run started: the version current then, from a versioned bucket's
    ListObjectVersions (``s3:ListBucketVersions``); else a note that the version the run read is unknown."""
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key)
        earlier = [version for page in pages for version in page.get("Versions", [])
                   if version["Key"] == key and version["LastModified"] <= started]
    except ClientError:
        earlier = []
    if not earlier:
        return {"note": "changed after the run started; the version the run read is unknown (not a versioned "
                        "bucket, or one the provenance writer may not list versions of)"}
    then = max(earlier, key=lambda version: version["LastModified"])
    return {"versionId": then["VersionId"], "eTag": then.get("ETag"), "size": then.get("Size"),
            "lastModified": then["LastModified"], "note": "the version current when the run started; the object "
                                                          "has changed since"}


def outputs(s3, run_output_uri: str, **owner: str) -> list[dict[str, Any]]:
    """The run's outputs: named by ``output.json`` when the folder holds one (``output`` is their name there)."""
    bucket, prefix = split(run_output_uri.rstrip("/") + "/")
    listed: dict[str, dict[str, Any]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **owner):
        for entry in page.get("Contents", []):
            listed[f"s3://{bucket}/{entry['Key']}"] = entry
        if len(listed) >= MAX_LISTED:
            break
    summaries = sorted((uri for uri in listed if uri.rsplit("/", 1)[-1] in OUTPUT_SUMMARIES), key=len)
    if summaries:
        text = s3.get_object(Bucket=bucket, Key=split(summaries[0])[1], **owner)["Body"].read()
        named = [(name, uri) for name, value in sorted(json.loads(text).items()) for _, uri in s3_uris(value, name)]
        return [_object(uri, listed.get(uri), name) for name, uri in named]
    return [_object(uri, entry, None) for uri, entry in sorted(listed.items())
            if uri.rsplit("/", 1)[-1] != RECORD_NAME]


def _object(uri: str, entry: dict[str, Any] | None, name: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"uri": uri, "output": name}
    if entry is None:
        item["note"] = "named by output.json, not found in the run's output folder"
    else:
        item.update(eTag=entry.get("ETag"), size=entry.get("Size"), lastModified=entry.get("LastModified"))
    return item
