"""The after-run pipeline's run history, read back as one ``History`` for ``healthomics-run plan --history``.

The writer (``service_calls/provenance_history.py``) puts one document per ended run at
``<location>/.healthomics-run/history/<yyyy-mm-dd it stopped>/<run uuid>.json``. A history folder is read here from
a local copy (``aws s3 sync``) or from S3, the newest day first, and it keeps what ``export-history`` keeps: the
newest ``RUNS_PER_WORKFLOW`` ended runs (COMPLETED, FAILED, CANCELLED) of each workflow, the FAILED and CANCELLED
ones for the failure share. "Newest" is to the day: within a day documents are read in key (run uuid) order, which
S3 lists without reading each object's time. It stops after the day in which every workflow the plan forecasts
(``wanted``) has that many, or after ``MAX_OBJECTS`` documents, and says so (on standard error): a workflow none
of whose runs was reached has "no history"; one partly reached rests on its newest runs, as many as the forecast's
basis says.

**Prices.** The writer asks no Price List, so its documents hold none: ``--prices FILE`` takes those of an
``export-history`` file of the same Region (its runs are not read, so no run counts twice). Without it the runs are
read but unpriced, and the forecast says so ("lack prices"), never a number: the plan itself calls nothing but S3.

**S3 calls, whatever the history's size.** ListObjectsV2 answers at most 1,000 keys or common prefixes per call,
in ascending key order (S3 API Reference, ListObjectsV2), so the days take one call per 1,000 days (``Delimiter``
``/``), and each day read one call per 1,000 of its keys, listed only as far as they are read; each document is
one GetObject. At most ``MAX_OBJECTS`` GetObject calls and ``ceil(days / 1,000) + (days read) + MAX_OBJECTS /
1,000 + 1`` ListObjectsV2 calls: 100,000 runs over 100 days of 1,000 are 2,000 GetObject and 3 ListObjectsV2, or,
when the newest day gives every planned workflow its runs, 1,000 and 2 (``test_plan_pipeline_history.py``).

**Permissions.** ``s3:ListBucket`` on the bucket for the folder's prefix, ``s3:GetObject`` on its keys (S3 API
Reference, ListObjectsV2 and GetObject, "Permissions"); ``ExpectedBucketOwner`` with ``--expected-bucket-owner``:
a bucket another account owns is refused with 403 ("Verifying bucket ownership with bucket owner condition"). The
plan does not take the stack's account as the owner: a record location may be another account's bucket.

**Documents it cannot use are skipped and counted, never read into the forecast:** not JSON or not of the
history's shape (malformed, or gone between listing and reading), another ``format`` (foreign), another Region
than the history's (the first of: the ``--history`` files' Region, the ``--prices`` file's, the Region of the
stacks planned, the newest day's: prices and capacity are per Region), and a run that did not complete,
written before the writer named its workflow (it cannot count towards any workflow's failure share).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Protocol, Sequence

from . import history
from .assembly import PlanInputError
from .history import FORMAT, RUNS_PER_WORKFLOW, History, Run

FOLDER = ".healthomics-run/history"  # under the record location or the runs' output URI
MAX_OBJECTS = 2_000  # documents read at most per folder
NEVER_STOPPED = "unknown"  # the writer's partition of runs with no stop time (``provenance_history.day``)
UNFINISHED = ("FAILED", "CANCELLED")


class Folder(Protocol):
    """A history folder: its day partitions, the documents of one day, one document's bytes."""

    name: str

    def days(self) -> list[str]: ...

    def keys(self, day: str) -> Iterator[str]: ...

    def read(self, key: str) -> bytes | None: ...  # None: gone since it was listed


@dataclass
class Skipped:
    malformed: int = 0
    foreign: int = 0
    other_region: int = 0
    unattributed: int = 0

    def warning(self, source: str, region: str) -> str | None:
        said = [f"{count} {what}" for count, what in (
            (self.malformed, "unreadable or not a history document"),
            (self.foreign, f"not of format {FORMAT}"),
            (self.other_region, f"of another Region than the history's ({region or 'none'})"),
            (self.unattributed, "of runs that did not complete, written before the writer named their workflow "
                                "(not in the failure share)")) if count]
        return f"{source}: skipped " + ", ".join(said) if said else None


@dataclass
class Read:
    """What one folder gave: its runs, the Region they are of, and what the plan is told about the reading."""

    runs: list[Run] = field(default_factory=list)
    region: str = ""
    skipped: Skipped = field(default_factory=Skipped)
    documents: int = 0
    stopped_at: str | None = None  # the oldest day read, when older days were left unread


class LocalFolder:
    def __init__(self, path: Path) -> None:
        self.root = path / FOLDER if (path / FOLDER).is_dir() else path
        self.name = str(path)

    def days(self) -> list[str]:
        return [item.name for item in self.root.iterdir() if item.is_dir()]

    def keys(self, day: str) -> Iterator[str]:
        return (str(item) for item in sorted((self.root / day).glob("*.json")))

    def read(self, key: str) -> bytes | None:
        try:
            return Path(key).read_bytes()
        except OSError:
            return None


class S3Folder:
    """The folder under an ``s3://bucket/prefix/`` (the history folder, or the location it is under)."""

    def __init__(self, s3, uri: str, owner: str | None = None) -> None:
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        prefix = prefix.strip("/")
        if not prefix.endswith(FOLDER):
            prefix = f"{prefix}/{FOLDER}".lstrip("/")
        self.s3, self.bucket, self.prefix, self.name = s3, bucket, prefix + "/", uri
        self.owner = {"ExpectedBucketOwner": owner} if owner else {}

    def _pages(self, **request: Any) -> Iterator[dict[str, Any]]:
        while True:
            try:
                page = self.s3.list_objects_v2(Bucket=self.bucket, **self.owner, **request)
            except self.s3.exceptions.ClientError as error:
                raise self._refused(error, f"s3:ListBucket on bucket {self.bucket} for the prefix {self.prefix}") \
                    from error
            yield page
            if not page.get("IsTruncated"):
                return
            request["ContinuationToken"] = page["NextContinuationToken"]

    def days(self) -> list[str]:
        return [item["Prefix"][len(self.prefix):].rstrip("/")
                for page in self._pages(Prefix=self.prefix, Delimiter="/") for item in page.get("CommonPrefixes", [])]

    def keys(self, day: str) -> Iterator[str]:
        return (item["Key"] for page in self._pages(Prefix=f"{self.prefix}{day}/")
                for item in page.get("Contents", []) if item["Key"].endswith(".json"))

    def read(self, key: str) -> bytes | None:
        """The document; None when it is gone since it was listed. S3 answers a missing key with 403 to a caller
        whose ListBucket does not reach it (S3 API Reference, GetObject, "Permissions"), so a 403 is asked again
        of the listing, which this caller may make: a key it no longer lists is gone, not refused."""
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key, **self.owner)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        except self.s3.exceptions.ClientError as error:
            if self._gone(key):
                return None
            raise self._refused(error, f"s3:GetObject on arn:aws:s3:::{self.bucket}/{self.prefix}*") from error

    def _gone(self, key: str) -> bool:
        page = next(self._pages(Prefix=key, MaxKeys=1))
        return not any(item["Key"] == key for item in page.get("Contents", []))

    def _refused(self, error: Exception, permission: str) -> PlanInputError:
        """A 403 or 404 as a PlanInputError naming the URI and the permission needed; any other error is raised."""
        answer = getattr(error, "response", {})
        code = answer.get("Error", {}).get("Code", "")
        if answer.get("ResponseMetadata", {}).get("HTTPStatusCode") not in (403, 404):
            raise error
        owner = (f", in a bucket account {self.owner['ExpectedBucketOwner']} owns (--expected-bucket-owner)"
                 if self.owner else "")
        return PlanInputError(f"{self.name}: S3 answered {code}: reading a run history needs {permission}{owner}")


def _newest_first(days: list[str]) -> list[str]:
    """Dated days newest first; runs that never stopped last."""
    return sorted((day for day in days if day != NEVER_STOPPED), reverse=True) + [
        day for day in days if day == NEVER_STOPPED]


def _document(body: bytes | None, read: Read, target: str) -> tuple[str, list[Run]] | None:
    """(stop time, runs) of one document; None when it is gone since it was listed, or skipped (and counted)."""
    if body is None:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        read.skipped.malformed += 1
        return None
    if document.get("format") != FORMAT:
        read.skipped.foreign += 1
        return None
    try:
        found = History.from_document(document)
    except PlanInputError:
        read.skipped.malformed += 1
        return None
    if target and found.region != target:
        read.skipped.other_region += 1
        return None
    run = document.get("run")
    described: dict[str, Any] = run if isinstance(run, dict) else {}
    if not found.runs and described.get("status") in UNFINISHED:
        read.skipped.unattributed += 1
        return None
    read.region = read.region or found.region
    return str(described.get("stopTime") or ""), list(found.runs)


def read_folder(folder: Folder, region: str = "", wanted: Collection[str] | None = None,
                runs_per_workflow: int = RUNS_PER_WORKFLOW, limit: int = MAX_OBJECTS) -> Read:
    """The newest ``runs_per_workflow`` ended runs of each workflow in ``folder``, of ``region`` (empty: that of the
    first document read of the newest day). ``wanted``: the workflow ids or names the plan forecasts; None: any."""
    read = Read(region=region)
    kept: dict[str, int] = {}
    days = _newest_first(folder.days())
    for number, day in enumerate(days):
        found: list[tuple[str, list[Run]]] = []
        cut = False
        for key in folder.keys(day):
            if cut := read.documents >= limit:
                break
            read.documents += 1
            if (item := _document(folder.read(key), read, read.region)) is not None:
                found.append(item)
        for _, runs in sorted(found, key=lambda item: item[0], reverse=True):
            for run in runs:
                if kept.get(run.workflow_id, 0) < runs_per_workflow:
                    kept[run.workflow_id] = kept.get(run.workflow_id, 0) + 1
                    read.runs.append(run)
        older = number + 1 < len(days)
        if cut or (older and (read.documents >= limit or _enough(read.runs, wanted, runs_per_workflow))):
            read.stopped_at = day
            break
    return read


def _enough(runs: list[Run], wanted: Collection[str] | None, runs_per_workflow: int) -> bool:
    if wanted is None:
        return False
    return all(sum(1 for run in runs if key in (run.workflow_id, run.workflow_name)) >= runs_per_workflow
               for key in wanted)


def files_region(files: list[tuple[str, History]]) -> str:
    """The Region of the ``--history`` files; files of different Regions are an error, never mixed."""
    regions = {found.region: source for source, found in files if found.region}
    if len(regions) > 1:
        named = ", ".join(f"{source} ({region})" for region, source in sorted(regions.items()))
        raise PlanInputError(f"history files of different Regions: {named}; give one Region's history")
    return next(iter(regions), "")


def merge(files: list[History], reads: list[Read], region: str) -> History:
    """One history of ``region`` from the ``--history`` files and folders (their runs added, their prices joined)."""
    merged = History(region=region, runs=tuple(run for read in reads for run in read.runs))
    for found in files:
        merged = replace(merged, runs=found.runs + merged.runs, prices={**merged.prices, **found.prices},
                         run_groups={**merged.run_groups, **found.run_groups},
                         run_prices={**merged.run_prices, **found.run_prices})
    return merged


def with_prices(found: History, prices: History, source: str) -> History:
    """``found`` priced with the prices (and Ready2Run run prices) of another history file, of the same Region."""
    if prices.region and found.region and prices.region != found.region:
        raise PlanInputError(f"{source}: prices of {prices.region}, for a history of {found.region}: give the prices "
                             f"of {found.region} (`healthomics-run export-history --region {found.region}`)")
    return replace(found, prices={**found.prices, **prices.prices}, run_prices={**found.run_prices,
                                                                               **prices.run_prices},
                   region=found.region or prices.region)


def notes(read: Read, source: str) -> list[str]:
    """What the plan says of one folder's reading (on standard error: never in the report)."""
    said = [f"{source}: {read.documents:,} history documents read, {len(read.runs):,} runs kept"]
    if read.stopped_at is not None:
        said.append(f"{source}: runs that stopped on {read.stopped_at} or earlier may be left unread (enough runs of "
                    f"each workflow planned, or the {MAX_OBJECTS:,} documents read at most)")
    skipped = read.skipped.warning(source, read.region)
    return said + ([skipped] if skipped else [])


def read_sources(values: Sequence[str], *, s3: Callable[[], Any], prices: str | None = None, region: str = "",
                 wanted: Collection[str] | None = None, owner: str | None = None,
                 say: Callable[[str], None] = print) -> History:
    """The ``--history`` values as one history: export-history files, local history folders and ``s3://`` history
    folders (read with the client ``s3()`` makes); ``prices``: a file whose prices it takes; ``region``: the
    Region the stacks planned deploy to, when known; ``say``: where the reading's notes go."""
    files = [(value, history.read(value)) for value in values if not _folder(value)]
    priced = history.read(prices) if prices else None
    target = files_region(files) or (priced.region if priced else "") or region
    reads = []
    client = None
    for value in filter(_folder, values):
        if value.startswith("s3://"):
            client = client or s3()
            folder: Folder = S3Folder(client, value, owner)
        else:
            folder = LocalFolder(Path(value))
        found = _read_aws(value, functools.partial(read_folder, folder, target, wanted))
        target = target or found.region
        for line in notes(found, value):
            say(line)
        reads.append(found)
    merged = merge([found for _, found in files], reads, target)
    return with_prices(merged, priced, str(prices)) if priced else merged


def _folder(value: str) -> bool:
    return value.startswith("s3://") or Path(value).is_dir()


def _read_aws(source: str, reading: Callable[[], Read]) -> Read:
    """``reading()``, with an AWS error other than a refusal (no credentials, no network) as a PlanInputError."""
    try:
        return reading()
    except Exception as error:
        if not type(error).__module__.startswith("botocore"):
            raise
        raise PlanInputError(f"{source}: reading the run history failed ({error}); it needs s3:ListBucket on the "
                             "folder's prefix and s3:GetObject on its keys") from error
