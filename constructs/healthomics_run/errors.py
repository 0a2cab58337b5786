"""The one error the constructs raise for bad input: ``ValidationError``, at construction.

Every construct-time failure of ``WorkflowRun``, ``WorkflowRunBatch``, ``HealthOmicsRun`` and
``HealthOmicsRunBatch`` is a ``ValidationError`` raised from the line that creates the construct,
before anything is built from the bad value. Its message reads
``<construct path>: <what is wrong and what is allowed> [<code>]``, every problem found listed
at once (separated by ``; ``). Values that are tokens are never checked here; the handler checks
them at deploy time.

``code`` is one of these stable strings (for programs; the message is for people):

- ``UnknownProps``: a keyword the construct does not take (a misspelt prop).
- ``InvalidRunProps``: a run prop the service, or the rules between props, would refuse: a value out of
  range, a string prop given a non-string, ``cache`` with ``cache_id``, ``workflow`` with ``workflow_id``,
  ``configuration`` with ``configuration_name``, a prop a batch cannot have.
- ``InvalidOutputLocation``: ``output_uri`` that is not ``s3://...``, ``output_prefix`` starting with ``/``.
- ``InvalidParameters``: ``parameters`` that are not a mapping of JSON values, or that do not fit the
  parameter template of ``workflow=`` when it is known at synth: names not in it, required ones missing,
  values not of the type it gives; for a batch, each sample's parameters merged over the shared ones,
  the messages naming the rows.
- ``InvalidSampleSheet``: samples (from code or a sheet) the service would refuse, or a sheet that
  cannot be read; messages name the row.
- ``PropertiesTooLarge``: the resource's properties would not fit the provider's event.
- ``InvalidWorkflowDefinition``: a ``Workflow`` (or version) whose definition cannot be found or read,
  or whose parameter template (given, or derived from ``nextflow_schema.json``, a WDL ``input`` block or
  CWL ``inputs``) is malformed; messages name the file and what is wrong.
- ``InvalidResourceProps``: a prop of ``Workflow``, ``WorkflowVersion`` or ``Configuration`` the service
  would refuse (a name too long, an engine or subnet id it does not know, ...).
- ``InvalidScope``: a run or batch given a scope outside every ``Stack`` (such as the ``App``): its resources
  belong to a stack, so give a ``Stack`` (or a construct inside one) as the scope.

When problems of several kinds are found together, ``code`` is the first kind in the order above.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from constructs import Construct, IConstruct

from .run_model import samples

UNKNOWN_PROPS = "UnknownProps"
INVALID_RUN_PROPS = "InvalidRunProps"
INVALID_OUTPUT_LOCATION = "InvalidOutputLocation"
INVALID_PARAMETERS = "InvalidParameters"
INVALID_SAMPLE_SHEET = "InvalidSampleSheet"
PROPERTIES_TOO_LARGE = "PropertiesTooLarge"
INVALID_WORKFLOW_DEFINITION = "InvalidWorkflowDefinition"
INVALID_RESOURCE_PROPS = "InvalidResourceProps"
INVALID_SCOPE = "InvalidScope"
CODES = (UNKNOWN_PROPS, INVALID_RUN_PROPS, INVALID_OUTPUT_LOCATION, INVALID_PARAMETERS, INVALID_SAMPLE_SHEET,
         PROPERTIES_TOO_LARGE, INVALID_WORKFLOW_DEFINITION, INVALID_RESOURCE_PROPS, INVALID_SCOPE)


class ValidationError(ValueError):
    """Bad input to a construct, named with the construct's path; see the module for ``code``.

    :ivar code: a stable short code, one of ``CODES``.
    :ivar path: the construct's path (``Stack/Construct``).
    :ivar problems: each problem's message, without path and code.
    """

    def __init__(self, path: str, code: str, problems: Sequence[str]) -> None:
        self.path, self.code, self.problems = path, code, list(problems)
        super().__init__(f"{path}: {'; '.join(self.problems)} [{code}]")


class SampleSheetError(ValidationError, samples.SampleSheetError):
    """The ``ValidationError`` of samples or a sample sheet (code ``InvalidSampleSheet``): ``except
    SampleSheetError`` and ``except ValidationError`` both catch it."""


def raise_if_any(scope: IConstruct, *found: tuple[str, Iterable[str]]) -> None:
    """Raise one ``ValidationError`` listing every problem in ``found`` (pairs of code and problems),
    with the code of the first pair that has any; do nothing if none has."""
    problems = [(code, list(messages)) for code, messages in found]
    codes = [code for code, messages in problems if messages]
    if codes:
        kind = SampleSheetError if INVALID_SAMPLE_SHEET in codes else ValidationError
        raise kind(scope.node.path, codes[0], [message for _, messages in problems for message in messages])


def require_stack(scope: Construct, id: str, what: str) -> None:
    """Raise ``InvalidScope`` unless ``scope`` is a ``Stack`` or inside one: called before the construct exists,
    so that the App as scope is named here rather than by CDK's own error from deep inside the construct."""
    from aws_cdk import Stage

    from healthomics_run.construct_helpers.tree import in_a_stack

    if in_a_stack(scope):
        return
    kind = "the App" if Stage.is_stage(scope) and scope.node.scope is None else (
        "a Stage" if Stage.is_stage(scope) else f"{scope.node.path!r}, which is in no Stack")
    path = f"{scope.node.path}/{id}" if scope.node.path else id
    raise ValidationError(path, INVALID_SCOPE, [
        f"{what} needs a Stack as its scope (or a construct inside one), got {kind}: make a stack and give it, "
        f"e.g. stack = cdk.Stack(app, 'RunStack'); {what}(stack, {id!r}, ...)"])
