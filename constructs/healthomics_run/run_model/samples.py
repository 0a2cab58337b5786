"""Per-sample settings of a run batch (StartRunBatch's ``InlineSetting``), from code or a sample sheet.

A sample sheet is a CSV file (one row per sample; ``parameters.<name>``, ``engine_settings.<key>``
and ``tags.<key>`` columns) or a JSON file (a list of objects with the same keys as in code). Rows become
InlineSettings, checked against the service model's InlineSetting shape; every message names the
sample: by the CSV file's line (the header is line 1, so the first sample is on line 2; a sample whose
quoted cells hold newlines is named by the line it starts on), or by its place in the list (``row 1`` is
the first) for JSON sheets and samples given in code. Lists of allowed keys are in one order, always. The
digest of a sheet is taken over its settings sorted by ``runSettingId``, so reordering rows changes nothing,
while any changed value names a new batch.
"""

from __future__ import annotations

import codecs
import collections
import csv
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from . import fields, reasons, rules, service_model
from .rules import IsUnresolved

# Sample key (as in code and sheets) -> InlineSetting member.
SAMPLE_KEYS = {
    "run_setting_id": "runSettingId",
    "name": "name",
    "parameters": "parameters",
    "priority": "priority",
    "output_uri": "outputUri",
    "output_bucket_owner_id": "outputBucketOwnerId",
    "engine_settings": "engineSettings",
    "tags": "runTags",
}
# CSV columns "parameters.<name>", "engine_settings.<key>" and "tags.<key>"
NESTED_COLUMNS = ("parameters", "engine_settings", "tags")
MAX_SAMPLES = 100_000  # s3UriSettings
MAX_INLINE_SAMPLES = 100  # inlineSettings


class SampleSheetError(ValueError):
    """A sample sheet the service would reject; the message lists every problem by line (CSV) or row."""


class SheetRows(list):
    """The samples of a CSV sheet (a list of dicts), with the file line each sample starts on (``lines``)."""

    def __init__(self, rows: Iterable[dict[str, Any]] = (), lines: Iterable[int] = ()) -> None:
        super().__init__(rows)
        self.lines: list[int] = list(lines)


def _where(source: str, samples: Any, number: int) -> str:
    """``cohort.csv line 4`` for the third sample of a CSV sheet; ``samples row 3`` otherwise."""
    lines = getattr(samples, "lines", None)
    if lines is not None and number <= len(lines):
        return f"{source} line {lines[number - 1]}"
    return f"{source} row {number}"


def _place(samples: Any, number: int) -> str:
    """``line 4`` (a CSV sheet's third sample) or ``row 3``: made only for a sample with a problem."""
    return _where("", samples, number).strip()


def read_sheet(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a CSV or JSON sample sheet, as sample dicts (keys as in code); for CSV, a ``SheetRows``
    that also knows each sample's file line."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise SampleSheetError(f"{path}: a sample sheet must be a .csv or .json file, got {suffix or 'no suffix'!r}")
    try:
        return _read_json(path) if suffix == ".json" else _read_csv(path)
    except OSError as error:
        raise SampleSheetError(f"{path}: cannot read the sample sheet ({error.strerror})") from None
    except UnicodeDecodeError as error:
        utf16 = error.start == 0 and error.object[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        raise SampleSheetError(
            f"{path}: a sample sheet must be UTF-8 text; byte {error.start} is not UTF-8"
            f"{' (the file is UTF-16)' if utf16 else ''}. Save it again as UTF-8 (in a spreadsheet program: "
            "'CSV UTF-8')") from None


def _read_json(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8-sig") as handle:  # -sig: a byte order mark is not an error
            rows = json.load(handle)
    except json.JSONDecodeError as error:
        raise SampleSheetError(f"{path} line {error.lineno} column {error.colno}: "
                               f"not valid JSON ({error.msg})") from None
    if not isinstance(rows, list):
        raise SampleSheetError(f"{path}: a JSON sample sheet must be a list of objects, one per sample")
    return rows


def _read_csv(path: Path) -> SheetRows:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise SampleSheetError(f"{path}: the sample sheet is empty; it needs a header row")
        unknown = [column for column in header if not _known_column(column)]
        if unknown:
            raise SampleSheetError(
                f"{path} line 1 (header): unknown columns {', '.join(map(_column_suggestion, unknown))}; allowed: "
                f"{', '.join(key for key in SAMPLE_KEYS if key not in NESTED_COLUMNS)}, parameters.<name>, "
                "engine_settings.<key>, tags.<key>")
        if "run_setting_id" not in header:
            raise SampleSheetError(f"{path} line 1 (header): no run_setting_id column; add one holding an id for each "
                                   "sample, unique in the sheet (each sample's run is named by it)")
        repeated = [column for column, count in collections.Counter(header).items() if count > 1]
        if repeated:  # a later cell would silently replace an earlier one
            raise SampleSheetError(f"{path} line 1 (header): columns {', '.join(map(repr, repeated))} appear more "
                                   "than once; give each column once")
        columns = [(column, *column.partition(".")[::2]) for column in header]  # (column, head, nested key)
        rows = SheetRows()
        ended = reader.line_num  # physical lines read so far: a record starts on the line after the last one
        for values in reader:
            starts, ended = ended + 1, reader.line_num
            if len(values) > len(header):
                raise SampleSheetError(f"{path} line {starts}: {len(values)} values but the header has "
                                       f"{len(header)} columns")
            if "".join(values).strip():  # a line of blanks is no sample
                rows.append(_csv_row(columns, values))
                rows.lines.append(starts)
        return rows


def _column_suggestion(column: str) -> str:
    """``'paramters.x' (did you mean parameters.x?)``: the closest known column, nested ones by their head."""
    head, dot, rest = column.partition(".")
    plain = [key for key in SAMPLE_KEYS if key not in NESTED_COLUMNS]
    suggested = reasons.with_suggestion(head, NESTED_COLUMNS if dot else [*plain, *NESTED_COLUMNS])
    if suggested == head:
        return repr(column)
    return f"{column!r} (did you mean {suggested.split('did you mean ')[1][:-2]}{dot}{rest}?)"


def _known_column(column: str) -> bool:
    head, dot, rest = column.partition(".")
    return (head in NESTED_COLUMNS and bool(dot and rest)) or (column in SAMPLE_KEYS and column not in NESTED_COLUMNS)


def _csv_row(columns: list[tuple[str, str, str]], values: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for (column, head, key), value in zip(columns, values, strict=False):
        if value == "":
            continue  # an empty cell means "not set for this sample"
        if key:
            row.setdefault(head, {})[key] = value
        elif column == "priority":
            row[column] = int(value) if value.strip().lstrip("-").isdigit() else value
        else:
            row[column] = value
    return row


def to_settings(samples: Iterable[Mapping[str, Any]], source: str = "samples",
                is_unresolved: IsUnresolved = lambda _: False) -> list[dict[str, Any]]:
    """InlineSettings for these samples, or a ``SampleSheetError`` naming every bad row.

    Values for which ``is_unresolved`` holds (deploy-time tokens) are left to the handler.
    Written for 100,000 rows: message strings are only built for rows that have a problem.
    """
    settings: list[Any] = []
    problems: list[tuple[Any, str]] = []  # (the sample's place, what is wrong)
    seen: dict[str, Any] = {}
    for number, sample in enumerate(samples, start=1):
        if type(sample) is not dict and not isinstance(sample, Mapping):  # dict first: an ABC check is slow
            problems.append((_place(samples, number), f"expected an object with keys {', '.join(SAMPLE_KEYS)}"))
            continue
        if not sample.keys() <= SAMPLE_KEYS.keys():
            unknown = [key for key in sample if key not in SAMPLE_KEYS]  # in the sample's own order
            named = ", ".join(reasons.with_suggestion(repr(key), map(repr, SAMPLE_KEYS)) for key in unknown)
            problems.append((_place(samples, number), f"unknown keys {named}; allowed: {', '.join(SAMPLE_KEYS)}"))
        setting = {SAMPLE_KEYS[key]: value for key, value in sample.items() if key in SAMPLE_KEYS}
        found = setting_errors(setting, is_unresolved)
        if found:
            problems += [(_place(samples, number), problem) for problem in found]
        run_setting_id = setting.get("runSettingId")
        first = seen.setdefault(run_setting_id, number) if isinstance(run_setting_id, str) else number
        if first != number:
            problems.append((_place(samples, number), f"run_setting_id {run_setting_id!r} repeats "
                                                      f"{_place(samples, first)}; each sample needs its own"))
        settings.append(setting)
    # a problem every sample has (a key missing from all) is said once, with the samples counted
    errors = _said_once(source, problems, len(settings))
    if not settings and not errors:
        errors.append(f"{source}: a batch needs at least one sample")
    if len(settings) > MAX_SAMPLES:
        errors.insert(0, f"{source}: {len(settings)} samples; a batch holds at most {MAX_SAMPLES}")
    if errors:
        shown = errors[:20]
        more = f" ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise SampleSheetError("; ".join(shown) + more)
    return settings


def _said_once(source: str, problems: list[tuple[str, str]], total: int) -> list[str]:
    """``cohort.csv line 4: ...`` per problem, the same problem of several samples said once: ``cohort.csv
    line 2, line 3 and line 4: ...``, or ``cohort.csv, all 40 samples: ...``."""
    by_problem: dict[str, list[str]] = {}
    for where, problem in problems:
        by_problem.setdefault(problem, []).append(where)
    return [f"{source}, all {total} samples: {problem}" if len(places) == total > 1
            else f"{source} {reasons.listing(places)}: {problem}" for problem, places in by_problem.items()]


@functools.cache
def _members() -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    """InlineSetting's required members and each member's shape."""
    shape = service_model.shape("InlineSetting")
    members = {api: service_model.shape(member["shape"]) for api, member in shape["members"].items()}
    return tuple(shape.get("required", [])), members


# Checks beyond the service model's shape, per InlineSetting member: (name, value) -> problems.
_BEYOND_MODEL = {"outputUri": rules.output_uri_errors}


def _beyond_model(api: str) -> Callable[[str, Any], list[str]]:
    return _BEYOND_MODEL.get(api, lambda name, value: [])


@functools.cache
def _plainly_valid() -> dict[str, Any]:
    """Per string member, a quick test that passes the common, valid value; whatever it does not pass
    gets ``rules.member_errors`` and its full message. It keeps 100,000 rows well under a second."""
    tests = {}
    for api, shape in _members()[1].items():
        if shape["type"] == "string" and "enum" not in shape:
            low, high = shape.get("min", 0), shape.get("max", float("inf"))
            matches = rules.pattern_check(shape["pattern"]) if "pattern" in shape else (lambda _: True)
            beyond = _beyond_model(api)
            tests[api] = lambda value, low=low, high=high, matches=matches, beyond=beyond: (
                type(value) is str and low <= len(value) <= high and matches(value) and not beyond("", value))
    return tests


_NAMES = {api: key for key, api in SAMPLE_KEYS.items()}


def setting_errors(setting: Mapping[str, Any], is_unresolved: IsUnresolved = lambda _: False) -> list[str]:
    """Problems with one InlineSetting, by the service model, named by their sample keys."""
    required, members = _members()
    plainly_valid = _plainly_valid()
    errors = [f"{_NAMES[api]} is required" for api in required if api not in setting]
    for api, value in setting.items():
        if api in plainly_valid and plainly_valid[api](value):
            continue
        if not is_unresolved(value):
            problems = rules.member_errors(_NAMES[api], value, members[api], is_unresolved)
            errors += problems or _beyond_model(api)(_NAMES[api], value)
    return errors


def digest(settings: list[dict[str, Any]]) -> str:
    """SHA-256 of the canonical sheet: what decides whether two sheets describe the same batch."""
    return digest_of_text(canonical_json(settings))


def digest_of_text(canonical: str) -> str:
    """``digest`` when the canonical JSON is already at hand (a 100,000-sample sheet is large)."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def canonical_json(settings: list[dict[str, Any]]) -> str:
    """The settings sorted by runSettingId, as compact JSON with sorted keys (the S3 settings file)."""
    ordered = sorted(settings, key=lambda setting: str(setting.get("runSettingId")))
    return json.dumps(ordered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# StartRun member -> its name in StartRunBatch's defaultRunSetting, where it differs.
_IN_DEFAULT_RUN_SETTING = {"tags": "runTags"}
_IN_START_RUN = {batch: run for run, batch in _IN_DEFAULT_RUN_SETTING.items()}


def default_run_setting(request: Mapping[str, Any]) -> dict[str, Any]:
    """StartRun members as StartRunBatch's ``defaultRunSetting`` (run ``tags`` are ``runTags`` there)."""
    return {_IN_DEFAULT_RUN_SETTING.get(api, api): value for api, value in request.items()}


def run_request(default: Mapping[str, Any]) -> dict[str, Any]:
    """A ``defaultRunSetting`` back as StartRun members: the inverse of ``default_run_setting``."""
    return {_IN_START_RUN.get(member, member): value for member, value in default.items()}


# StartRun members a batch takes although defaultRunSetting has no place for them: the handler reads the
# parameters file and passes its content as the shared parameters (``parameters_files``).
_READ_BY_THE_HANDLER = frozenset({"parametersUri"})


def unsupported_in_batch(request: Mapping[str, Any]) -> list[str]:
    """StartRun members the batch's defaultRunSetting has no place for, by construct prop."""
    members = service_model.shape("DefaultRunSetting")["members"]
    return [fields.BY_API[api].snake for api in request
            if _IN_DEFAULT_RUN_SETTING.get(api, api) not in members and api not in _READ_BY_THE_HANDLER]
