"""Workflow parameters against a workflow's parameter template: pure Python, shared by the handler (against
what HealthOmics says at deploy time) and the constructs (against a template known at synth)."""

from __future__ import annotations

from typing import Any

from . import reasons


def parameter_errors(template: dict[str, Any], parameters: dict[str, Any]) -> list[str]:
    """Unknown and missing parameters, each list short enough for a CloudFormation reason."""
    unknown = sorted(set(parameters) - set(template))
    missing = sorted(name for name, spec in template.items()
                     if not (spec or {}).get("optional", False) and name not in parameters)
    errors = []
    if unknown:
        named = [reasons.with_suggestion(name, template) for name in unknown]
        errors.append(f"parameters not in the workflow's parameter template: {reasons.listing(named)} "
                      f"(the template has {len(template)}: {reasons.listing(sorted(template)) or 'none'})")
    if missing:
        errors.append(f"required workflow parameters missing: {reasons.listing(missing)}")
    return errors
