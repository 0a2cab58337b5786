"""A cohort's record of what ran: one JSON object in S3, beside the runs' outputs (``LedgerUri``).

The template says which samples a cohort wants; only AWS can say which have run. HealthOmics
forgets ``requestId``s after an undocumented time and keeps no per-sample settings, so the record
is kept here, written by the handler before each batch it starts (the start as ``pending``: no batch starts
unless the ledger can be written) and after it (the batch recorded):

- ``samples``: sample key (``batch_settings.sample_keys``) -> ``[runSettingId, batchId, flags]``,
  where the flags say whether the current generation wants that run (``w``) and whether it was
  stopped on purpose (``s``: cancelled as no longer wanted, with ``delete_policy`` CANCEL);
- ``batches``: batch id -> its uuid;
- ``current``: the generation (digest of the wanted keys) the handler answered last;
- ``answers``: generation -> the CloudFormation request that answered it and the batch it started,
  so that a retried request reports (and waits for) the same batch, and a later one does not;
- ``pending`` (only while a start is under way): start digest -> the keys about to start.

A ledger that is missing or unreadable where one is expected never means "nothing ran": the deploy
fails naming it and how to restore it (``Unreadable``), unless the settings name the generation the
resource already has (a rollback), and a Delete goes on without it.

A sample's run counts as done when its key is recorded and not stopped: retries, rollbacks and
reverts find their samples here whatever HealthOmics remembers. 100,000 samples take about 6 MB (6,100,685 bytes in
bench/results/cohorts.csv).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from . import s3_objects
from .runs import RunError

VERSION = 1
WANTED, STOPPED = "w", "s"
KEPT_ANSWERS = 20  # answers older than the last 20 generations are no longer retried by CloudFormation
# Entries kept at most: three full reruns of a 100,000-sample cohort. Loading them alone adds about 133 MB of resident
# memory (18 MB of JSON); the whole Update at this cap, with a 100,000-sample sheet of 10 S3 URIs per sample (84 MB),
# adds at least 540 MB: the handler's 512 MB do not hold it (bench/results/cohorts.csv, from bench/handler_memory.py).
MOST_ENTRIES = 300_000


@dataclass
class Ledger:
    samples: dict[str, list[str]] = field(default_factory=dict)
    batches: dict[str, str] = field(default_factory=dict)
    current: Optional[str] = None
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # delta (the digest a start's requestId derives from) -> {"keys": key -> runSettingId}: samples about to
    # start, recorded *before* StartRunBatch, so that no batch is started unless the ledger can be written.
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    saved: Optional[str] = field(default=None, compare=False, repr=False)  # the text as loaded or last saved

    def ran(self, key: str) -> bool:
        """Whether the run of this key was started and not stopped on purpose."""
        entry = self.samples.get(key)
        return entry is not None and STOPPED not in entry[2]

    def record(self, batch_id: str, batch_uuid: str, started: dict[str, str], delta: Optional[str] = None) -> None:
        """``started``: key -> runSettingId of the samples a batch was started for (the start ``delta`` was
        pending until now)."""
        if delta is not None:
            self.pending.pop(delta, None)
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
        data = {"version": VERSION, "samples": self.samples, "batches": self.batches, "current": self.current,
                "answers": self.answers}
        if self.pending:  # written only while a start is pending: ledgers of earlier releases read the same
            data["pending"] = self.pending
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Ledger":
        """Read a ledger, checking its whole shape: anything else (edited by hand, cut short, another file) raises
        ``NotALedger`` naming the field that is wrong, so that no later step meets a half-read ledger."""
        try:
            data = json.loads(text)
        except ValueError as error:
            raise NotALedger(f"it is not JSON ({error})") from None
        _expect(isinstance(data, dict), "the ledger", "a JSON object", data)
        samples = _mapping(data, "samples", required=True)
        for key, entry in samples.items():
            _expect(isinstance(entry, list) and len(entry) == 3 and all(isinstance(item, str) for item in entry),
                    f"samples[{key!r}]", "a list of three strings [runSettingId, batchId, flags]", entry)
            _expect(set(entry[2]) <= {WANTED, STOPPED}, f"samples[{key!r}] flags",
                    f"made of {WANTED!r} and {STOPPED!r} only", entry[2])
        batches = _mapping(data, "batches", required=True)
        for id, uuid in batches.items():
            _expect(isinstance(uuid, str), f"batches[{id!r}]", "a batch uuid (a string)", uuid)
        current = data.get("current")
        _expect(current is None or isinstance(current, str), "current", "a generation (a string) or null", current)
        answers = _mapping(data, "answers")
        for gen, answer in answers.items():
            _expect(isinstance(answer, dict), f"answers[{gen!r}]", "a JSON object", answer)
            for name, kinds in (("request", (str,)), ("batch", (str, type(None))), ("started", (int,)),
                                ("sheet", (str,)), ("shared", (str,))):
                _expect(name not in answer or (isinstance(answer[name], kinds) and not isinstance(answer[name], bool)),
                        f"answers[{gen!r}].{name}", " or ".join(_KIND_NAMES[kind] for kind in kinds), answer.get(name))
        pending = _mapping(data, "pending")
        for delta, entry in pending.items():
            keys = entry.get("keys") if isinstance(entry, dict) else None
            _expect(isinstance(keys, dict) and all(isinstance(value, str) for value in keys.values()),
                    f"pending[{delta!r}]", '{"keys": {sample key: runSettingId}}', entry)
        return cls(samples={key: list(entry) for key, entry in samples.items()}, batches=dict(batches),
                   current=current, answers={gen: dict(answer) for gen, answer in answers.items()},
                   pending={delta: {"keys": dict(entry["keys"])} for delta, entry in pending.items()})


_KIND_NAMES = {str: "a string", int: "an integer", type(None): "null"}


class NotALedger(ValueError):
    """What is wrong with a text that is not a ledger (the field and what it must be)."""


def _expect(holds: bool, where: str, must_be: str, got: Any) -> None:
    if not holds:
        raise NotALedger(f"{where} must be {must_be}; got {json.dumps(got)[:80]}")


def _mapping(data: dict[str, Any], name: str, *, required: bool = False) -> dict[str, Any]:
    if name not in data:
        if required:
            raise NotALedger(f"it has no {name!r} (a ledger has samples and batches, each a JSON object)")
        return {}
    _expect(isinstance(data[name], dict), name, "a JSON object", data[name])
    return data[name]


class Unreadable(RunError):
    """The ledger is there but cannot be read (refused, or not a ledger): nothing may start on a guess."""


class Garbled(Unreadable):
    """The ledger is there and readable, but not a ledger (edited by hand, cut short, another file): restore it."""


RESTORE = ("The bucket keeps earlier versions of it: list them with `aws s3api list-object-versions --bucket {bucket} "
           "--prefix {key}` and copy the last good one back with `aws s3api copy-object --bucket {bucket} --key {key} "
           "--copy-source '{bucket}/{key}?versionId=<VersionId>'`, then deploy again.")
RERUN_INSTEAD = " To run every sample again instead, change rerun_token."


def restore_advice(uri: str, *, rerun: bool = True) -> str:
    """How to restore the ledger at ``uri``; ``rerun``: and that changing rerun_token runs every sample instead."""
    bucket, key = s3_objects.location(uri)
    return RESTORE.format(bucket=bucket, key=key) + (RERUN_INSTEAD if rerun else "")


def load(s3, uri: str, owner: Optional[str]) -> Optional[Ledger]:
    """The ledger at ``uri``, or None when S3 says there is none. A ledger S3 refuses, or that is not a ledger
    (edited by hand, cut short), raises ``Unreadable`` naming the URI and how to restore it."""
    from botocore.exceptions import ClientError

    try:
        text = s3_objects.read_text(s3, uri, owner) if s3_objects.exists(s3, uri, owner) else None
    except UnicodeDecodeError as error:  # written by something else than the handler, which writes UTF-8 JSON
        raise Garbled(f"The cohort's ledger {uri} is not a ledger this handler can read (it is not UTF-8 text: "
                         f"{error.reason} at byte {error.start}); it records which samples ran, so nothing starts "
                         f"without it. {restore_advice(uri)}") from None
    except ClientError as error:
        said = error.response.get("Error", {}).get("Message", "")
        raise Unreadable(f"The cohort's ledger {uri} cannot be read ({s3_objects.error_code(error) or error}: "
                         f"{said[:400]}): the handler's role may list, read and write the ledger folder, and use the "
                         "bucket's KMS key. Check the bucket's policy, its key's policy and any SCP") from None
    if text is None:
        return None
    try:
        book = Ledger.from_json(text)
    except NotALedger as error:
        raise Garbled(f"The cohort's ledger {uri} is not a ledger this handler can read ({error}); it records "
                         f"which samples ran, so nothing starts without it. {restore_advice(uri)}") from None
    book.saved = text
    return book


def save(s3, uri: str, ledger: Ledger, owner: Optional[str]) -> None:
    """Write the ledger if it changed since it was loaded or last saved (each write is a version the bucket keeps)."""
    ledger.prune(MOST_ENTRIES)
    text = ledger.to_json()
    if text != ledger.saved:
        s3_objects.write_text(s3, uri, text, owner)
        ledger.saved = text
