"""Workflow parameters against a workflow's parameter template: pure Python, shared by the handler (against
what HealthOmics says at deploy time) and the constructs (against a template known at synth)."""

from __future__ import annotations

from typing import Any

from . import reasons


def parameter_errors(template: dict[str, Any], parameters: dict[str, Any]) -> list[str]:
    """Unknown, missing and null required parameters, each list short enough for a CloudFormation reason.

    A required parameter given as ``null`` is no value: the engines refuse it (WDL: a non-optional input
    takes no ``None``; CWL: ``null`` fits only a type that lists ``"null"``; Nextflow: a required schema
    parameter must be set)."""
    unknown = sorted(set(parameters) - set(template))
    required = [name for name, spec in template.items() if not (spec or {}).get("optional", False)]
    missing = sorted(name for name in required if name not in parameters)
    null = sorted(name for name in required if name in parameters and parameters[name] is None)
    errors = []
    if unknown:
        named = [_named(name, template) for name in unknown]
        errors.append(f"parameters not in the workflow's parameter template: {reasons.listing(named)} "
                      f"(the template has {len(template)}: {reasons.listing(sorted(template)) or 'none'})")
    if missing:
        errors.append(f"required workflow parameters missing: {reasons.listing(missing)}")
    if null:
        errors.append(f"required workflow parameters given as null: {reasons.listing(null)} (give each a value)")
    return errors


def _named(name: str, template: dict[str, Any]) -> str:
    """An unknown name with its fix: Cromwell's inputs JSON prefixes each input with the workflow's name
    (``Workflow.input_bam``); HealthOmics takes the bare input name."""
    prefix, dot, bare = name.partition(".")
    if dot and bare in template:
        return f"{name} (drop the {prefix}. prefix: {bare})"
    return reasons.with_suggestion(name, template)
