"""The handler's S3 calls: the small JSON objects it reads (sample sheets, parameters files) and keeps
(cohort ledgers, batch settings files), made the way S3 authorizes and answers them.

- **Absence is asked, never inferred from a refusal.** S3 answers a GetObject of a missing key with 404
  only to a caller that may ``s3:ListBucket`` the bucket, and with 403 to any other (S3 API Reference,
  GetObject, "Permissions"). The handler may list only its own folder (``s3:prefix`` condition), and
  whether such a limited ListBucket counts for GetObject's answer is not documented; so ``exists`` asks
  ListObjectsV2 under the object's own key, which that condition governs (S3 User Guide, "Bucket policy
  examples using condition keys", ``s3:prefix``), and a 403 is always an error, never "absent".
- **The bucket owner is checked** on every call to a bucket whose owner is known
  (``ExpectedBucketOwner``: S3 User Guide, "Verifying bucket ownership with bucket owner condition"), so
  nothing is written to, or read from, a bucket that changed hands.
- **Write-once objects are written once** (``If-None-Match: *``; S3 API Reference, PutObject: 412 when the
  key exists): a batch's settings file is read by HealthOmics, which records its ETag and fails the batch
  if it changes (API Reference, BatchRunSettings); SSE-KMS ETags are no digest of the content, so even a
  rewrite of the same bytes could change it.
- Throttling, transient faults and lost connections are ``RetryLater``, as for HealthOmics (``runs``).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from . import budget
from .budget import RetryLater

_TRANSIENT = frozenset({"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "503", "500",
                        "ConditionalRequestConflict", "409"})


def location(uri: str) -> tuple[str, str]:
    """(bucket, key) of an ``s3://`` URI."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def error_code(error: Exception) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def call(action: str, make: Callable[[], Any]) -> Any:
    """One S3 call (``make()``, reading its answer too) within this invocation's time."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotocoreConnectionError

    budget.check(f"S3 {action}")
    try:
        return make()
    except ClientError as error:
        if error_code(error) in _TRANSIENT:
            raise RetryLater(f"S3 {action}: {error_code(error)}") from error
        raise
    except (BotocoreConnectionError, HTTPClientError) as error:
        raise RetryLater(f"S3 {action}: {type(error).__name__}") from error


def _owned(owner: Optional[str]) -> dict[str, str]:
    return {"ExpectedBucketOwner": owner} if owner else {}


def exists(s3, uri: str, owner: Optional[str]) -> bool:
    """Whether the object is there, asked with ListObjectsV2 under its own key (see the module's docstring)."""
    bucket, key = location(uri)
    listed = call("ListObjectsV2", lambda: s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1, **_owned(owner)))
    return any(item["Key"] == key for item in listed.get("Contents", []))


def read_text(s3, uri: str, owner: Optional[str] = None) -> Optional[str]:
    """An object's text; None only when S3 says there is no such key (a 404, which S3 gives only to a caller
    that may list the bucket). A 403 raises: it does not say the object is absent."""
    bucket, key = location(uri)
    try:
        body = call("GetObject", lambda: s3.get_object(Bucket=bucket, Key=key, **_owned(owner))["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None
    return body.decode("utf-8")


def write_text(s3, uri: str, text: str, owner: Optional[str]) -> None:
    bucket, key = location(uri)
    call("PutObject", lambda: s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"),
                                            ContentType="application/json", **_owned(owner)))


def write_once(s3, uri: str, text: str, owner: Optional[str]) -> bool:
    """Write the object unless it is there already (its name says its content); whether it was written."""
    from botocore.exceptions import ClientError

    bucket, key = location(uri)
    try:
        call("PutObject", lambda: s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), IfNoneMatch="*",
                                                ContentType="application/json", **_owned(owner)))
    except ClientError as error:
        if error_code(error) in ("PreconditionFailed", "412"):
            return False
        raise
    return True
