"""moto's S3, reached without HTTP: the objects moto holds, read and written through its backend, for tests that
make tens of thousands of calls (a cohort of 10,000 advanced SQS batch by SQS batch).

Only what the chain controller calls: GetObject, PutObject (with ``If-Match`` / ``If-None-Match``),
ListObjectsV2 and its paginator. The conditions are answered as S3 answers them, 412 Precondition Failed when the
object's ETag is not the one named, or when ``If-None-Match: *`` finds it there ("How to prevent object overwrites
with conditional writes", https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html); the
tests that rely on conditions run against moto's own answers (``tests/chains/test_chaining.py``).
"""

from __future__ import annotations

import bisect
import io
from types import SimpleNamespace
from typing import Any, Optional

from botocore.exceptions import ClientError
from moto.s3.models import s3_backends

from tests.fake_omics import ACCOUNT


def _error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


class DirectS3:
    def __init__(self) -> None:
        self.backend = s3_backends[ACCOUNT]["global"]
        # S3's answer to a GetObject of a missing key: 404 to a caller that may list the bucket, 403 to any other
        # (GetObject, "Permissions", https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html)
        self.missing_code = "NoSuchKey"
        self.denied: set[str] = set()  # keys whose GetObject is refused (403) though they are there
        self.calls: dict[str, int] = {}
        self.sorted: dict[str, list[str]] = {}  # bucket -> its keys, sorted, for listing by prefix

    def _count(self, operation: str) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1

    def get_object(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        self._count("GetObject")
        found = self.backend.get_bucket(Bucket).keys.get(Key)
        if Key in self.denied:
            raise _error("AccessDenied", "GetObject")
        if found is None:
            raise _error(self.missing_code, "GetObject")
        return {"Body": io.BytesIO(found.value), "ETag": found.etag}

    def put_object(self, Bucket: str, Key: str, Body: bytes, IfMatch: Optional[str] = None,
                   IfNoneMatch: Optional[str] = None, **_: Any) -> dict[str, Any]:
        self._count("PutObject")
        there = self.backend.get_bucket(Bucket).keys.get(Key)
        if (IfNoneMatch == "*" and there is not None) or (IfMatch and (there is None or there.etag != IfMatch)):
            raise _error("PreconditionFailed", "PutObject")
        return {"ETag": self.backend.put_object(Bucket, Key, Body).etag}

    def list_objects_v2(self, Bucket: str, Prefix: str = "", MaxKeys: int = 1000, **_: Any) -> dict[str, Any]:
        self._count("ListObjectsV2")
        keys = self.backend.get_bucket(Bucket).keys
        if len(self.sorted.get(Bucket, ())) != len(keys):  # keys are only added in these tests
            self.sorted[Bucket] = sorted(keys.keys())
        names = self.sorted[Bucket]
        found = []
        for key in names[bisect.bisect_left(names, Prefix):]:
            if not key.startswith(Prefix) or len(found) == MaxKeys:
                break
            found.append(key)
        return {"Contents": [{"Key": key, "ETag": keys.get(key).etag} for key in found]}

    def get_paginator(self, _: str) -> Any:
        return SimpleNamespace(paginate=lambda **params: [self.list_objects_v2(**params, MaxKeys=10**9)])

    def put_direct(self, bucket: str, key: str, body: bytes) -> None:
        """Put an object as the test world (a run writing its outputs), not as the code under test."""
        self.backend.put_object(bucket, key, body)
