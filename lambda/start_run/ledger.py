"""A cohort's record of what ran: one JSON object in S3, beside the runs' outputs (``LedgerUri``).

The template says which samples a cohort wants; only AWS can say which have run. HealthOmics
forgets ``requestId``s after an undocumented time and keeps no per-sample settings, so the record
is kept here, written by the handler after each batch it starts:

- ``samples``: sample key (``batch_settings.sample_keys``) -> ``[runSettingId, batchId, flags]``,
  where the flags say whether the current generation wants that run (``w``) and whether it was
  stopped on purpose (``s``: cancelled as no longer wanted, with ``delete_policy`` CANCEL);
- ``batches``: batch id -> its uuid;
- ``current``: the generation (digest of the wanted keys) the handler answered last;
- ``answers``: generation -> the CloudFormation request that answered it and the batch it started,
  so that a retried request reports (and waits for) the same batch, and a later one does not.

A sample's run counts as done when its key is recorded and not stopped: retries, rollbacks and
reverts find their samples here whatever HealthOmics remembers. 100,000 samples take about 8 MB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from . import budget
from .runs import RetryLater

VERSION = 1
WANTED, STOPPED = "w", "s"
KEPT_ANSWERS = 20  # answers older than the last 20 generations are no longer retried by CloudFormation
# Entries kept at most: three full reruns of a 100,000-sample cohort; loading them takes about 140 MB of the
# handler's 512 (bench: cohort_delta), beside the sheet of the cohort itself.
MOST_ENTRIES = 300_000


@dataclass
class Ledger:
    samples: dict[str, list[str]] = field(default_factory=dict)
    batches: dict[str, str] = field(default_factory=dict)
    current: Optional[str] = None
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def ran(self, key: str) -> bool:
        """Whether the run of this key was started and not stopped on purpose."""
        entry = self.samples.get(key)
        return entry is not None and STOPPED not in entry[2]

    def record(self, batch_id: str, batch_uuid: str, started: dict[str, str]) -> None:
        """``started``: key -> runSettingId of the samples a batch was started for."""
        self.batches[batch_id] = batch_uuid
        for key, run_setting_id in started.items():
            self.samples[key] = [run_setting_id, batch_id, ""]

    def answer(self, generation: str, wanted: Iterable[str], request_id: str, batch_id: Optional[str],
               started: int, *, sheet: str = "", shared: str = "") -> None:
        """The generation answered to a CloudFormation request: which keys it wants, what it started."""
        wanted = set(wanted)
        for key, entry in self.samples.items():
            flags = entry[2].replace(WANTED, "")
            entry[2] = flags + WANTED if key in wanted else flags
        self.current = generation
        # sheet and shared: what the settings were, for a rollback that can no longer read their sample sheet
        self.answers.pop(generation, None)  # the newest answer last (answers are kept in order, the oldest dropped)
        self.answers[generation] = {"request": request_id, "batch": batch_id, "started": started, "sheet": sheet,
                                    "shared": shared}
        while len(self.answers) > KEPT_ANSWERS:
            self.answers.pop(next(iter(self.answers)))

    def prune(self, most: int) -> None:
        """Keep at most ``most`` entries: first drop runs stopped on purpose and wanted by nobody (added back,
        they would run again anyway), then the oldest unwanted ones (a revert to those settings runs them again).
        Wanted entries are never dropped. Bounds the ledger, and the handler's memory, however often a cohort's
        shared settings change."""
        for drop in (lambda entry: STOPPED in entry[2] and WANTED not in entry[2],
                     lambda entry: WANTED not in entry[2]):
            if len(self.samples) <= most:
                return
            for key in [key for key, entry in self.samples.items() if drop(entry)]:
                if len(self.samples) <= most:
                    break
                del self.samples[key]
        live = {entry[1] for entry in self.samples.values()}
        self.batches = {id: uuid for id, uuid in self.batches.items() if id in live}

    def unwanted(self) -> dict[str, list[str]]:
        """Runs started and not stopped that the current generation no longer wants."""
        return {key: entry for key, entry in self.samples.items() if WANTED not in entry[2] and STOPPED not in entry[2]}

    def stop(self, keys: Iterable[str]) -> None:
        for key in keys:
            entry = self.samples[key]
            if STOPPED not in entry[2]:
                entry[2] += STOPPED

    def forget_current(self) -> None:
        """The resource was removed: no generation wants anything."""
        self.current = None
        for entry in self.samples.values():
            entry[2] = entry[2].replace(WANTED, "")

    def to_json(self) -> str:
        return json.dumps({"version": VERSION, "samples": self.samples, "batches": self.batches,
                           "current": self.current, "answers": self.answers}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Ledger":
        data = json.loads(text)
        return cls(samples=data["samples"], batches=data["batches"], current=data.get("current"),
                   answers=data.get("answers", {}))


def location(uri: str) -> tuple[str, str]:
    """(bucket, key) of an ``s3://`` URI."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _s3_call(action: str, call) -> Any:
    """One S3 call (``call()``, reading its answer too) within this invocation's time; throttling, transient
    faults and lost connections are ``RetryLater``, as for HealthOmics (``runs``)."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    budget.check(f"S3 {action}")
    try:
        return call()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("SlowDown", "ServiceUnavailable", "InternalError",
                                                           "RequestTimeout", "503", "500"):
            raise RetryLater(f"S3 {action}: {error.response['Error']['Code']}") from error
        raise
    except (ConnectionError, HTTPClientError) as error:
        raise RetryLater(f"S3 {action}: {type(error).__name__}") from error


def read_text(s3, uri: str) -> Optional[str]:
    """An object's text, or None when there is none."""
    bucket, key = location(uri)
    try:
        body = _s3_call("GetObject", lambda: s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None
    return body.decode("utf-8")


def write_text(s3, uri: str, text: str) -> None:
    bucket, key = location(uri)
    _s3_call("PutObject", lambda: s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"),
                                                ContentType="application/json"))


def load(s3, uri: str) -> Ledger:
    text = read_text(s3, uri)
    return Ledger() if text is None else Ledger.from_json(text)


def save(s3, uri: str, ledger: Ledger) -> None:
    ledger.prune(MOST_ENTRIES)
    write_text(s3, uri, ledger.to_json())
