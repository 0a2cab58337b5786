"""Per-sample settings of a run batch (StartRunBatch's ``InlineSetting``), from code or a sample sheet.

A sample sheet is a CSV file (one row per sample; ``parameters.<name>`` and ``tags.<key>``
columns) or a JSON file (a list of objects with the same keys as in code). Rows become
InlineSettings, checked against the service model's InlineSetting shape, with the row number in
every message. The digest of a sheet is taken over its settings sorted by ``runSettingId``, so
reordering rows changes nothing, while any changed value names a new batch.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import fields, rules, service_model

# Sample key (as in code and sheets) -> InlineSetting member.
SAMPLE_KEYS = {
    "run_setting_id": "runSettingId",
    "name": "name",
    "parameters": "parameters",
    "priority": "priority",
    "output_uri": "outputUri",
    "tags": "runTags",
}
NESTED_COLUMNS = ("parameters", "tags")  # CSV columns "parameters.<name>" and "tags.<key>"
MAX_SAMPLES = 100_000  # s3UriSettings
MAX_INLINE_SAMPLES = 100  # inlineSettings


class SampleSheetError(ValueError):
    """A sample sheet the service would reject; the message lists every problem by row."""


def _inline_shape() -> dict[str, Any]:
    return service_model.shape("InlineSetting")


def read_sheet(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a CSV or JSON sample sheet, as sample dicts (keys as in code)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        with path.open(encoding="utf-8") as handle:
            rows = json.load(handle)
        if not isinstance(rows, list):
            raise SampleSheetError(f"{path}: a JSON sample sheet must be a list of objects, one per sample")
        return rows
    if suffix == ".csv":
        return _read_csv(path)
    raise SampleSheetError(f"{path}: a sample sheet must be a .csv or .json file, got {suffix or 'no suffix'!r}")


def _read_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise SampleSheetError(f"{path}: the sample sheet is empty; it needs a header row")
        unknown = [column for column in header if not _known_column(column)]
        if unknown:
            raise SampleSheetError(
                f"{path} row 1 (header): unknown columns {', '.join(map(repr, unknown))}; allowed: "
                f"{', '.join(SAMPLE_KEYS.keys() - set(NESTED_COLUMNS))}, parameters.<name>, tags.<key>")
        rows = []
        for values in reader:
            if len(values) > len(header):
                raise SampleSheetError(f"{path} row {len(rows) + 1} (line {reader.line_num}): {len(values)} values "
                                       f"but the header has {len(header)} columns")
            if any(values):
                rows.append(_csv_row(header, values))
        return rows


def _known_column(column: str) -> bool:
    head, dot, rest = column.partition(".")
    return (head in NESTED_COLUMNS and dot and rest) or (column in SAMPLE_KEYS and column not in NESTED_COLUMNS)


def _csv_row(header: list[str], values: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, value in zip(header, values):
        if value == "":
            continue  # an empty cell means "not set for this sample"
        head, dot, rest = column.partition(".")
        if dot:
            row.setdefault(head, {})[rest] = value
        elif column == "priority":
            row[column] = int(value) if value.strip().lstrip("-").isdigit() else value
        else:
            row[column] = value
    return row


def to_settings(samples: Iterable[Mapping[str, Any]], source: str = "samples") -> list[dict[str, Any]]:
    """InlineSettings for these samples, or a ``SampleSheetError`` naming every bad row."""
    settings, errors, seen = [], [], {}
    shape = _inline_shape()
    for number, sample in enumerate(samples, start=1):
        where = f"{source} row {number}"
        if not isinstance(sample, Mapping):
            errors.append(f"{where}: expected an object with keys {', '.join(SAMPLE_KEYS)}")
            continue
        unknown = sorted(set(sample) - SAMPLE_KEYS.keys())
        if unknown:
            errors.append(f"{where}: unknown keys {', '.join(map(repr, unknown))}; allowed: {', '.join(SAMPLE_KEYS)}")
        setting = {SAMPLE_KEYS[key]: value for key, value in sample.items() if key in SAMPLE_KEYS}
        errors += [f"{where}: {error}" for error in setting_errors(setting, shape)]
        run_setting_id = setting.get("runSettingId")
        if isinstance(run_setting_id, str):
            if run_setting_id in seen:
                errors.append(f"{where}: run_setting_id {run_setting_id!r} repeats row {seen[run_setting_id]}; "
                              "each sample needs its own")
            seen.setdefault(run_setting_id, number)
        settings.append(setting)
    if not settings and not errors:
        errors.append(f"{source}: a batch needs at least one sample")
    if len(settings) > MAX_SAMPLES:
        errors.insert(0, f"{source}: {len(settings)} samples; a batch holds at most {MAX_SAMPLES}")
    if errors:
        shown = errors[:20]
        more = f" ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise SampleSheetError("; ".join(shown) + more)
    return settings


def setting_errors(setting: Mapping[str, Any], shape: dict[str, Any] | None = None) -> list[str]:
    """Problems with one InlineSetting, by the service model, named by their sample keys."""
    shape = shape or _inline_shape()
    names = {api: key for key, api in SAMPLE_KEYS.items()}
    errors = [f"{names[api]} is required" for api in shape.get("required", []) if api not in setting]
    for api, value in setting.items():
        member = service_model.shape(shape["members"][api]["shape"])
        errors += rules.member_errors(names[api], value, member)
    return errors


def digest(settings: list[dict[str, Any]]) -> str:
    """SHA-256 of the canonical sheet: what decides whether two sheets describe the same batch."""
    return hashlib.sha256(canonical_json(settings).encode("utf-8")).hexdigest()


def canonical_json(settings: list[dict[str, Any]]) -> str:
    """The settings sorted by runSettingId, as compact JSON with sorted keys (the S3 settings file)."""
    ordered = sorted(settings, key=lambda setting: str(setting.get("runSettingId")))
    return json.dumps(ordered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def default_run_setting(request: Mapping[str, Any]) -> dict[str, Any]:
    """StartRun members as StartRunBatch's ``defaultRunSetting`` (run ``tags`` are ``runTags`` there)."""
    return {("runTags" if api == "tags" else api): value for api, value in request.items()}


def unsupported_in_batch(request: Mapping[str, Any]) -> list[str]:
    """StartRun members the batch's defaultRunSetting has no place for, by construct prop."""
    members = service_model.shape("DefaultRunSetting")["members"]
    return [fields.BY_API[api].snake for api in request if (api if api != "tags" else "runTags") not in members]
