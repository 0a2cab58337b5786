"""CSV sample sheets hold text only: their parameter values become the types the workflow's template declares.

A ``parameters.<name>`` cell is read as that parameter's type when the template (a ``Workflow`` made in the
app, or an import given its template) declares one: ``integer`` (``42``), ``number`` (``0.5``, ``1e-3``),
``boolean`` (``true`` / ``false``, any case), ``array`` (a JSON list, ``["chr1", "chr2"]``) and ``object`` (a
JSON object). Strings and files stay text; so does every value when the template is unknown (the handler
then checks names only). A cell that does not parse is named by its line and column.

When the template is unknown (``workflow_id=``, or a workflow whose template is not known at synth), cells that
read as numbers or booleans reach the workflow as strings: ``looks_typed`` finds them, for a synth warning that
names ``parameter_template=``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Mapping, Optional

from healthomics_run.run_model.samples import SampleSheetError, SheetRows


def _integer(text: str) -> int:
    if text.strip().lstrip("+-").isdigit():
        return int(text)
    raise ValueError("a whole number such as 42")


def _number(text: str) -> int | float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError("a number such as 0.5") from None
    if not math.isfinite(number):
        raise ValueError("a finite number")
    return int(text) if text.strip().lstrip("+-").isdigit() else number


def _boolean(text: str) -> bool:
    if text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    raise ValueError("true or false")


def _json_of(kind: type, example: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, kind):
            raise ValueError(f"a JSON {example}")
        return value
    return parse


_PARSERS: dict[str, Callable[[str], Any]] = {
    "integer": _integer, "number": _number, "boolean": _boolean,
    "array": _json_of(list, 'list such as ["chr1", "chr2"]'), "object": _json_of(dict, 'object such as {"k": 1}'),
}


def typed_rows(rows: list[dict[str, Any]], template: Optional[Mapping[str, Mapping[str, Any]]],
               source: str) -> list[dict[str, Any]]:
    """The CSV ``rows`` with each parameter's text read as the type ``template`` declares for it; a
    ``SampleSheetError`` naming every cell that does not parse (line and column)."""
    declared = template or {}
    parsers = {name: _PARSERS[spec["type"]] for name, spec in declared.items() if spec.get("type") in _PARSERS}
    if not parsers or not isinstance(rows, SheetRows):
        return rows
    errors = []
    for row, line in zip(rows, rows.lines, strict=True):
        parameters = row.get("parameters") or {}
        for name, text in parameters.items():
            if name in parsers and isinstance(text, str):
                try:
                    parameters[name] = parsers[name](text)
                except ValueError as expected:
                    errors.append(f"{source} line {line}, column parameters.{name}: {text!r} is not {expected} (the "
                                  f"workflow's template declares {name} {declared[name]['type']})")
    if errors:
        shown = errors[:20]
        raise SampleSheetError("; ".join(shown) + (f" ... and {len(errors) - 20} more" if len(errors) > 20 else ""))
    return rows


def looks_typed(rows: Any, template: Optional[Mapping[str, Mapping[str, Any]]]) -> dict[str, tuple[int, str]]:
    """For a CSV sheet read without a template: each parameter with a cell that reads as a number or a boolean,
    with the first such cell's line and text (the parameter reaches the workflow as a string)."""
    if template is not None or not isinstance(rows, SheetRows):
        return {}
    found: dict[str, tuple[int, str]] = {}
    for row, line in zip(rows, rows.lines, strict=True):
        for name, text in (row.get("parameters") or {}).items():
            if name not in found and isinstance(text, str) and _reads_as_typed(text):
                found[name] = (line, text)
    return found


def _reads_as_typed(text: str) -> bool:
    """Whether ``_number`` or ``_boolean`` reads ``text``. A finite number's text starts with a digit, a sign or a
    point once stripped (``float``'s grammar), so most text (names, URIs) is told apart without raising an error:
    a 100,000-row sheet would otherwise raise hundreds of thousands."""
    stripped = text.strip()
    if stripped.lower() in ("true", "false"):
        return True
    if not stripped or not (stripped[0].isdigit() or stripped[0] in "+-."):
        return False
    try:
        _number(text)
    except ValueError:
        return False
    return True
