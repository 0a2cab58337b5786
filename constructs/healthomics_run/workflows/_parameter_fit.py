"""Synth-time checks of run parameters against a workflow's known parameter template.

The handler checks names at deploy time (``parameter_checks.parameter_errors``, against what HealthOmics says);
when the template is known at synth (a ``Workflow`` made in the app, or an import given its template),
the same names, and the types the template gives, are checked where the construct is created:
unknown names (with the closest known one), missing required ones, and values of the wrong JSON type.
Values that are tokens are not type-checked, and names are not checked at all when a name is a token.

For a batch, each sample's parameters merged over the shared ones are checked, and the problems are
grouped as the handler groups them (``reasons.grouped``): one line per distinct problem, naming a few
rows and counting the rest. Written for 100,000 samples: the names are checked once per distinct set
of names, the types with one look-up per value, and message strings built only for what is wrong.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from healthomics_run.construct_helpers.validation import is_unresolved
from healthomics_run.run_model import parameter_checks, reasons

from . import value_types
from . import workflow_definition as definitions

Template = Mapping[str, Mapping[str, Any]]
MAX_LINES = 10  # distinct problems named in one error before the rest are counted
CSV_HINT = ("in samples= and JSON sample sheets give numbers, booleans, lists and objects as such, not as text (a CSV "
            "sheet's cells are read as the types the template declares)")


def run_errors(template: Template, parameters: Mapping[str, Any]) -> list[str]:
    """Unknown, missing and mistyped parameters of one run."""
    qualifier = value_types.qualifier(template)
    errors = [] if any(is_unresolved(name) for name in parameters) else parameter_checks.parameter_errors(
        dict(template), dict(parameters), qualifier=qualifier)
    known, _ = parameter_checks.unqualified(dict(template), {
        name: value for name, value in parameters.items() if not is_unresolved(value)}, qualifier=qualifier)
    return errors + definitions.value_type_errors(template, known)


def batch_errors(template: Template, shared: Mapping[str, Any], settings: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each sample's parameters (``settings``: InlineSettings), merged over ``shared``, against ``template``;
    one line per distinct problem with the rows that have it."""
    types = {name: spec for name, spec in template.items() if spec.get("type") or spec.get("engine_type")}
    qualifier = value_types.qualifier(template)
    shared_names_token = any(is_unresolved(name) for name in shared)
    by_names: dict[tuple[frozenset, frozenset], list[str]] = {}
    shared_types = _type_problems(template, types, shared)
    problems: list[tuple[str, str]] = []
    for number, setting in enumerate(settings, start=1):
        own = setting.get("parameters") or {}
        if not isinstance(own, Mapping):
            continue  # not a mapping: the sample's own check names it
        names = (frozenset(own), frozenset(name for name, value in own.items() if value is None))  # nulls count
        found = by_names.get(names)
        if found is None:
            found = by_names[names] = ([] if shared_names_token or any(is_unresolved(name) for name in own) else
                                       parameter_checks.parameter_errors(dict(template), {**shared, **own},
                                                                         qualifier=qualifier))
        wrong = [problem for name, problem in shared_types.items() if name not in own]
        for name, value in own.items():
            kind = types.get(name)
            if kind is not None and value is not None and not definitions.fits(value, kind) \
                    and not is_unresolved(value):
                wrong += definitions.value_type_errors(template, {name: value}, values=False)
        if found or wrong:
            subject = f"row {number} ({setting.get('runSettingId')!r})"
            problems += [(subject, problem) for problem in (*found, *wrong)]
    lines = reasons.grouped(problems, len(settings))
    if any(problem.endswith("; got str") for _, problem in problems):
        lines.append(CSV_HINT)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [f"and {len(lines) - MAX_LINES} more problems"]
    return lines


def _type_problems(template: Template, types: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, str]:
    """Mistyped parameters among ``parameters`` (tokens skipped), by name."""
    wrong = {}
    for name, value in parameters.items():
        kind = types.get(name)
        if kind is not None and value is not None and not is_unresolved(value) \
                and not definitions.fits(value, kind):
            wrong[name] = definitions.value_type_errors(template, {name: value}, values=False)[0]
    return wrong
