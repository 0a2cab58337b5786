"""A chain's state in S3, split so that an ended run costs one state shard's bytes, not the cohort's.

Beside the cohort's ledger, ``<ledger>/chains/<chain>/``:

| object          | holds                                                                                    |
|-----------------|------------------------------------------------------------------------------------------|
| ``census``      | the ledger's ETag and the chain's digest it was built for, the cohort's batches, each state |
|                 | shard's size and, per node, its counts and signature; the wide partitions (``WholeSet``)  |
|                 | with their runs                                                                           |
| ``shard-NNNNN`` | at most ``STATE_SHARD`` samples (append-only: its members never change): which the ledger  |
|                 | wants, their completed runs, the step partitions carved from them and those runs          |
| ``index-NNN``   | sample -> its state shard, for the samples whose ``index_bucket`` it is                    |

A shard or the census holds, as the single object before them did: ``samples`` (runSettingId -> {"key", "run"} of
its completed run), ``outputs`` (runId -> output summary), ``prints`` (runId -> its outputs' fingerprint),
``failed`` (runId -> status), ``runs`` (a step's runId -> [step, partition]) and ``steps`` (step -> partition ->
{"digest", "run"}); and ``inputs`` (a step's runId -> the upstream runs whose outputs it was given,
``chaining.input_runs``: what its provenance record links to; absent in a state written before it was kept).

Each object is written with an S3 conditional write: ``If-Match`` the ETag it was read with, or
``If-None-Match: *`` when it was not there, so that of two handlers that read it, the second to write gets 412
Precondition Failed and starts over ("How to prevent object overwrites with conditional writes",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). Only objects whose content changed
are written. The state of version 2 (one ``cohort`` object and one per step) is read once to build these
(``read_v2``), and left in place.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Optional

from healthomics_run.run_model import chaining
from healthomics_run.run_model.chaining import COHORT, ChainSpec

from . import s3_objects

VERSION = 3
CENSUS = "census"
PER_RUN = ("outputs", "prints", "failed", "inputs")


class Conflict(Exception):
    """Another handler wrote one of the chain's state objects since this one read it (S3 answered 412)."""


class Denied(Exception):
    """S3 refused to read a state object that is there (403): a permission is missing, not the object."""


def shard_name(index: int) -> str:
    return f"shard-{index:05d}"


def index_name(bucket: int) -> str:
    return f"index-{bucket:03d}"


def new_part(**more: Any) -> dict[str, Any]:
    """An empty shard (or the census's wide half)."""
    return {"version": VERSION, "samples": {}, "runs": {}, "steps": {}, **{key: {} for key in PER_RUN}, **more}


def folder(chain: ChainSpec) -> str:
    """The chain's state: beside the cohort's ledger."""
    return f"{chain.cohort_ledger_uri.removesuffix('.json')}/{chaining.CHAIN_FOLDER}/{chain.name}/"


class Objects:
    """The JSON objects of one chain's state folder, each read with its ETag and written on that condition."""

    def __init__(self, s3, uri: str, owner: Optional[str]) -> None:
        self.s3, self.uri, self.owner = s3, uri, owner
        self.etags: dict[str, Optional[str]] = {}
        self.texts: dict[str, str] = {}
        self.there: Optional[set[str]] = None  # the folder's listing, once a 403 asked for it

    def _extra(self) -> dict[str, str]:
        return {"ExpectedBucketOwner": self.owner} if self.owner else {}

    def names(self) -> set[str]:
        """The objects there (one listing, paginated)."""
        bucket, prefix = s3_objects.location(self.uri)
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **self._extra())
        return {item["Key"][len(prefix):].removesuffix(".json") for page in pages for item in page.get("Contents", [])
                if item["Key"].endswith(".json") and "/" not in item["Key"][len(prefix):]}

    def read(self, name: str) -> Optional[dict[str, Any]]:
        """The object's content, None when it is not there: a 404, or a 403 for a key the folder's listing
        (``names``, which the roles may list) does not hold. S3 answers 403 for a missing key to a caller that may
        not list the bucket (GetObject, "Permissions", Amazon S3 API Reference,
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), and whether an ``s3:prefix``-limited
        ListBucket counts is not documented; so absence is asked of the listing, never inferred from the refusal
        (``s3_objects``). A 403 for a key that is there raises ``Denied``."""
        from botocore.exceptions import ClientError

        bucket, key = s3_objects.location(f"{self.uri}{name}.json")
        try:
            found = s3_objects.call("GetObject", lambda: self.s3.get_object(Bucket=bucket, Key=key, **self._extra()))
        except ClientError as error:
            code = s3_objects.error_code(error)
            if code in ("AccessDenied", "403") and name in self._listed():
                raise Denied(f"s3://{bucket}/{key} is there but GetObject was refused (403): the function's role "
                             "needs s3:GetObject on the chain's state folder") from error
            if code not in ("NoSuchKey", "404", "AccessDenied", "403"):
                raise
            self.etags[name] = None
            return None
        text = found["Body"].read().decode("utf-8")
        self.etags[name], self.texts[name] = found["ETag"], text
        return json.loads(text)

    def _listed(self) -> set[str]:
        """The folder's objects, listed once per reader: one seen missing that another handler writes later makes
        this one's ``If-None-Match: *`` write 412 (``Conflict``), and it reads again."""
        if self.there is None:
            self.there = self.names()
        return self.there

    def write(self, name: str, data: dict[str, Any]) -> bool:
        """Write ``data`` unless unchanged; raises ``Conflict`` when the object changed since it was read."""
        from botocore.exceptions import ClientError

        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        if text == self.texts.get(name):
            return False
        bucket, key = s3_objects.location(f"{self.uri}{name}.json")
        condition = {"IfMatch": self.etags[name]} if self.etags.get(name) else {"IfNoneMatch": "*"}
        put = functools.partial(self.s3.put_object, Bucket=bucket, Key=key, Body=text.encode("utf-8"),
                                ContentType="application/json", **condition, **self._extra())
        try:
            answer = s3_objects.call("PutObject", put)
        except ClientError as error:
            if s3_objects.error_code(error) in ("PreconditionFailed", "412"):
                raise Conflict(f"{self.uri}{name}.json changed since it was read") from error
            raise
        self.etags[name], self.texts[name] = answer.get("ETag"), text
        return True


def read_v2(objects: Objects, chain: ChainSpec, there: set[str]) -> Optional[dict[str, Any]]:
    """The state as version 2 kept it (``cohort`` and one object per step), merged; None when there is none."""
    if COHORT not in there:
        return None
    data = new_part(shards={})
    for name in [COHORT, *(step.name for step in chain.steps)]:
        part = objects.read(name) if name in there else None
        if part is None:
            continue
        for key in (*PER_RUN, "runs"):
            data[key].update(part.get(key, {}))
        if name == COHORT:
            data["shards"], data["samples"] = part.get("shards", {}), part.get("samples", {})
        else:
            data["steps"][name] = part.get("partitions", {})
    return data


def legacy_view(census: dict[str, Any], shards: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The state as ``healthomics-run status`` reads it, one part per node (the cohort, then each step)."""
    layout = census.get("layout", {})
    merged = new_part()
    for part in [census, *shards]:
        for key in ("samples", *PER_RUN, "runs"):
            merged[key].update(part.get(key, {}))
        for step, records in part.get("steps", {}).items():
            merged["steps"].setdefault(step, {}).update(records)
    owner_of = {run: step for run, (step, _) in merged["runs"].items()}
    sizes = census.get("sizes", [])
    made = {str(found["partition"]["size"]): [members for index, shard in enumerate(shards)
                                              for members in chaining.carve(sizes, index, shard.get("members", []),
                                                                            int(found["partition"]["size"])).values()]
            for found in layout.values() if found["partition"]["kind"] == chaining.Shards.kind}
    parts = {COHORT: {"version": VERSION, "shards": made, "samples": merged["samples"],
                      **{key: {} for key in PER_RUN}}}
    for step, found in layout.items():
        parts[step] = {"version": VERSION, "partitions": merged["steps"].get(step, {}), "after": found["after"],
                       "partition": found["partition"], "runs": {}, **{key: {} for key in PER_RUN}}
    for key in PER_RUN:
        for run, value in merged[key].items():
            parts.get(owner_of.get(run, COHORT), parts[COHORT])[key][run] = value
    return parts


def read_states(s3, ledger_uri: str, owner: Optional[str] = None) -> dict[str, dict[str, dict[str, Any]]]:
    """Every chain's state beside a cohort's ledger: chain -> node (``cohort`` or a step) -> its part; what
    ``healthomics-run status`` shows step by step. A chain still in version 2 is read as its objects hold it."""
    bucket, prefix = s3_objects.location(f"{ledger_uri.removesuffix('.json')}/{chaining.CHAIN_FOLDER}/")
    extra = {"ExpectedBucketOwner": owner} if owner else {}
    names: dict[str, set[str]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **extra):
        for item in page.get("Contents", []):
            chain, _, name = item["Key"][len(prefix):].partition("/")
            if name.endswith(".json") and "/" not in name:
                names.setdefault(chain, set()).add(name.removesuffix(".json"))
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for chain, there in names.items():
        objects = Objects(s3, f"s3://{bucket}/{prefix}{chain}/", owner)
        if CENSUS in there:
            census = objects.read(CENSUS) or {}
            shards = [objects.read(shard_name(index)) or {} for index in range(len(census.get("sizes", [])))]
            found[chain] = legacy_view(census, shards)
        else:
            found[chain] = {name: objects.read(name) or {} for name in there}
    return found
