"""Workflow parameters against a workflow's parameter template: pure Python, shared by the handler (against
what HealthOmics says at deploy time) and the constructs (against a template known at synth)."""

from __future__ import annotations

from typing import Any, Optional

from . import reasons


def parameter_errors(template: dict[str, Any], parameters: dict[str, Any], *,
                     qualifier: Optional[str] = None) -> list[str]:
    """Unknown, missing and null required parameters, each list short enough for a CloudFormation reason.

    A required parameter given as ``null`` is no value: the engines refuse it (WDL: a non-optional input
    takes no ``None``; CWL: ``null`` fits only a type that lists ``"null"``; Nextflow: a required schema
    parameter must be set). A name qualified by the workflow's name (``SumWorkflow.number1``, as Cromwell's
    inputs JSON writes them) stands for the input it qualifies: HealthOmics takes fully qualified WDL inputs
    ("WDL workflow definition specifics", Namespace definition in input.json). ``qualifier``: see ``unqualified``."""
    parameters, errors = unqualified(template, parameters, qualifier=qualifier)
    unknown = sorted(set(parameters) - set(template))
    required = [name for name, spec in template.items() if not (spec or {}).get("optional", False)]
    missing = sorted(name for name in required if name not in parameters)
    null = sorted(name for name in required if name in parameters and parameters[name] is None)
    if unknown:
        named = [reasons.with_suggestion(name, template) for name in unknown]
        errors.append(f"parameters not in the workflow's parameter template: {reasons.listing(named)} "
                      f"(the template has {len(template)}: {reasons.listing(sorted(template)) or 'none'})")
    if missing:
        errors.append(f"required workflow parameters missing: {reasons.listing(missing)}")
    if null:
        errors.append(f"required workflow parameters given as null: {reasons.listing(null)} (give each a value)")
    return errors


def unqualified(template: dict[str, Any], parameters: dict[str, Any], *,
                qualifier: Optional[str] = None) -> tuple[dict[str, Any], list[str]]:
    """``parameters`` with each ``Workflow.input`` name that qualifies an input of ``template`` (and is not
    itself in it) as that input's name; an error for each input given both ways.

    ``qualifier``: the one prefix the engine reads, when known: the WDL main workflow's name (HealthOmics qualifies
    WDL inputs by the workflow's name only), ``""`` for engines that read no qualified names (Nextflow takes
    ``demo.input`` as a parameter of that name; CWL input ids have no workflow prefix); ``None`` (the template's
    engine unknown, as at deploy time): any prefix, as before."""
    plain: dict[str, Any] = {}
    errors = []
    for name, value in parameters.items():
        prefix, dot, bare = name.partition(".") if isinstance(name, str) else ("", "", "")
        if dot and prefix and bare in template and name not in template and qualifier is not None \
                and prefix != qualifier:
            errors.append(f"parameter {name!r} qualifies {bare!r} with {prefix!r}, " + (
                f"but the workflow is {qualifier!r}: give {bare!r} or '{qualifier}.{bare}'" if qualifier else
                f"but only WDL reads qualified names: give {bare!r}"))
            continue
        if dot and prefix and bare in template and name not in template:
            if bare in parameters:
                errors.append(f"parameter {bare!r} is given twice, as {bare} and as {name}: give one")
                continue
            name = bare
        plain[name] = value
    return plain, errors
