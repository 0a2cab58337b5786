"""A cohort as one CloudFormation resource (``Custom::HealthOmicsRunBatch``): StartRunBatch, idempotently.

Up to ``MAX_INLINE_SAMPLES`` samples stand in the template, readable in ``cdk diff``. More go to
S3 as a CDK asset (StartRunBatch's ``s3UriSettings``), and the template holds only the file's
location, digest and sample count: its size does not grow with the cohort.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Iterable, Mapping, Optional, Sequence

from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from typing_extensions import Unpack

from constructs import Construct
from healthomics_run import errors
from healthomics_run.construct_helpers.policies import s3_bucket_and_key, s3_object_arn
from healthomics_run.construct_helpers.status_events import BATCH_EVENTS
from healthomics_run.construct_helpers.validation import acknowledge, is_unresolved, wildcard_finding
from healthomics_run.errors import INVALID_SAMPLE_SHEET, raise_if_any
from healthomics_run.run_model import batch_settings as props_of
from healthomics_run.run_model import rules, samples, service_model
from healthomics_run.run_model.batch_settings import LEDGER_FOLDER, batch_errors
from healthomics_run.run_model.properties import nulls_as_strings, parameter_types
from healthomics_run.run_model.samples import SampleSheetError as SheetProblem  # what reading samples raises
from healthomics_run.workflows import _parameter_fit as parameter_fit

from ._run_resource import RunResource
from ._sheet_types import looks_typed, typed_rows
from ._staging import may_hold_tokens, stage_json
from .run_props import RunProps

RESOURCE_TYPE = props_of.RESOURCE_TYPE
MAX_INLINE_SAMPLES = samples.MAX_INLINE_SAMPLES
MAX_SAMPLES = samples.MAX_SAMPLES
# A CSV sheet's numbers and booleans sent as strings: no parameter template is known at synth to type them.
UNTYPED_SHEET_VALUES = "healthomics-run::untyped-sheet-values"
# What construction raises for bad samples: a ``ValidationError`` (code ``InvalidSampleSheet``) that ``except
# SampleSheetError``, written for earlier releases, still catches.
SampleSheetError = errors.SampleSheetError


class WorkflowRunBatch(RunResource):
    """Starts a batch of HealthOmics runs on deploy: shared settings plus one setting per sample.

    Attributes (tokens): ``batch_id``, ``batch_arn``, ``batch_uuid``; ``sample_count`` is a number.
    ``completion``: what to depend on for a processed batch when ``wait_for`` is COMPLETED.

    :param role: the service role HealthOmics assumes; it is granted read access to the sample sheet file.
    :param output_uri: ``s3://bucket/prefix`` for the runs' outputs (a sample's ``output_uri`` overrides it).
    :param samples: per-sample settings, dicts with keys ``run_setting_id`` (required, unique), ``name``,
        ``parameters`` (merged over the shared ``parameters``), ``priority``, ``output_uri``,
        ``output_bucket_owner_id``, ``engine_settings`` (overrides the shared ones), ``tags``.
        Default: none; give ``samples`` or ``sample_sheet``.
    :param sample_sheet: path of a CSV (``parameters.<name>``, ``engine_settings.<key>`` and ``tags.<key>``
        columns) or JSON sample sheet. Default: none.
    :param batch_name: Default: the construct's path (last 64 characters).
    :param run_props: the shared settings, see ``RunProps`` (``tags`` tag the batch and every run).
        ``source_run_id``, ``output_uri_prefix_mode`` and READY2RUN workflows are not available to batches;
        ``output_bucket_owner_id`` is available to batches only. With ``parameters_uri`` the handler reads the
        file and passes its content as the shared parameters (StartRunBatch has no ``parametersUri``).

    :raises ValidationError: for bad props or samples, naming each (rows by number; see ``healthomics_run.errors``).
    """

    sample_count: int
    """How many samples (runs) the batch has, known at synth: a number, not a token."""

    RESOURCE_TYPE = RESOURCE_TYPE
    STATUS_EVENTS = BATCH_EVENTS
    ID_ATTRIBUTE, UUID_ATTRIBUTE = "BatchId", "BatchUuid"

    def __init__(self, scope: Construct, id: str, *, role: iam.IRole, output_uri: str,
                 samples: Optional[Sequence[Mapping[str, Any]]] = None,
                 sample_sheet: Optional[str | os.PathLike] = None, batch_name: Optional[str] = None,
                 **run_props: Unpack[RunProps]) -> None:
        super().__init__(scope, id, role=role, output_uri=output_uri, run_props=run_props)
        try:
            self.settings, untyped = _settings(samples, sample_sheet, self.workflow_template())
            sample_problems: list[str] = []
        except SheetProblem as error:
            self.settings, untyped, sample_problems = [], {}, [str(error)]
        if untyped:
            self._warn_untyped(str(sample_sheet), untyped)
        self.sample_count = len(self.settings)
        self.batch_name = batch_name if batch_name is not None else self.node.path[-64:]
        self._check(self._batch_errors(), sample_problems)
        self.stage_parameters(run_props.get("stage_parameters"))  # the shared parameters
        self.grant_handler(start_actions=["omics:StartRunBatch", "omics:StartRun"],
                           watched=self.omics_arn("runBatch", "*"),
                           watch_actions=["omics:GetBatch", "omics:CancelRunBatch", "omics:ListRunsInBatch"])
        # The handler passes the file's content as the shared parameters: HealthOmics never reads it.
        self.grant_parameters_file(service_role_reads=False)
        self._grant_ledger(role, output_uri)
        self._grant_sample_outputs(role, output_uri)
        properties = {**self._properties(), props_of.BATCH_NAME: self.batch_name,
                      props_of.SAMPLE_COUNT: self.sample_count}
        self.sample_sheet_asset: Optional[s3_assets.Asset] = None
        if self.sample_count <= MAX_INLINE_SAMPLES:
            properties[props_of.INLINE_SAMPLES] = nulls_as_strings(self.settings)
            types = parameter_types(self.settings)
            if types:
                properties[props_of.SAMPLE_TYPES] = types
        else:
            self.sample_sheet_asset, digest = self._stage(role)
            properties[props_of.SAMPLE_SHEET_URI] = self.sample_sheet_asset.s3_object_url
            properties[props_of.SAMPLE_SHEET_DIGEST] = digest
        self._check_size(properties, "parameters and samples")
        self._create_resource(RESOURCE_TYPE, properties)

    @functools.cached_property
    def batch_id(self) -> str:
        """The id of the batch the latest deploy started (or, when it started none, the latest before it)."""
        return self.resource.get_att_string("BatchId")

    @functools.cached_property
    def batch_arn(self) -> str:
        """That batch's ARN (a token)."""
        return self.resource.get_att_string("BatchArn")

    @functools.cached_property
    def batch_uuid(self) -> str:
        """That batch's uuid (a token)."""
        return self.resource.get_att_string("BatchUuid")

    def output_uris(self) -> list[str]:
        return list(dict.fromkeys([*super().output_uris(), *(setting["outputUri"] for setting in self.settings
                                                              if setting.get("outputUri"))]))

    def sample_parameters(self) -> list[Any]:
        return [setting.get("parameters") for setting in self.settings]

    def _fit_errors(self) -> list[str]:
        """Each sample's parameters, merged over the shared ones, against the workflow's known template,
        naming the rows (see ``_parameter_fit``)."""
        template = self.workflow_template()
        shared = self.request.get("parameters") or {}
        if template is None or not isinstance(shared, dict):
            return []
        return parameter_fit.batch_errors(template, shared, self.settings)

    def _warn_untyped(self, sheet: str, untyped: Mapping[str, tuple[int, str]]) -> None:
        """CSV cells that read as numbers or booleans, sent as strings: no template says their types."""
        names = sorted(untyped)
        cells = ", ".join(f"{name} ({untyped[name][1]!r} on line {untyped[name][0]})" for name in names[:5])
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        where = ("workflow_id= names a workflow whose parameter template is unknown at synth" if self.workflow is None
                 else "the parameter template of workflow= is unknown at synth")
        types = ", ".join(f"{name!r}: {{'type': ...}}" for name in names[:3])
        Annotations.of(self).add_warning_v2(UNTYPED_SHEET_VALUES, (
            f"{self.node.path}: {sheet} holds numbers or booleans in parameters.{', parameters.'.join(names[:5])}"
            f"{more}: {cells}; they reach the workflow as strings, because {where}. Give the workflow with its "
            f"types, workflow=Workflow.from_workflow_id(self, 'Workflow', <id>, parameter_template={{{types}}}) "
            "(types integer, number, boolean), so each cell is read as its type; to accept strings: "
            f"Annotations.of(construct).acknowledge_warning({UNTYPED_SHEET_VALUES!r}, reason)"))

    def _batch_errors(self) -> list[str]:
        errors = batch_errors(self.request)
        if not is_unresolved(self.batch_name):
            errors += rules.member_errors("batch_name", self.batch_name,
                                          service_model.input_members("StartRunBatch")["batchName"])
        return errors

    def _stage(self, role: iam.IRole) -> tuple[s3_assets.Asset, str]:
        """Writes the sheet as the S3 settings file (content-addressed, so synth is deterministic)."""
        text = samples.canonical_json(self.settings)
        if may_hold_tokens(text):  # the same look as staged parameters: string, list and number tokens
            raise_if_any(self, (INVALID_SAMPLE_SHEET, [
                f"a sample sheet of more than {MAX_INLINE_SAMPLES} samples is staged to S3 as a file, "
                "where deploy-time values (tokens) cannot resolve; move them to the shared settings"]))
        digest = samples.digest_of_text(text)
        asset = stage_json(self, "SampleSheet", text, digest, "sample-sheets")
        # This one object, not the whole assets bucket that Asset.grant_read would open.
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:GetObject"], resources=[asset.bucket.arn_for_objects(asset.s3_object_key)]))
        # The handler reads the sheet too, to find the samples that have not run.
        self.provider.allow(["s3:GetObject"], [asset.bucket.arn_for_objects(asset.s3_object_key)])
        return asset, digest

    def _grant_sample_outputs(self, role: iam.IRole, output_uri: str) -> None:
        """A sample's own ``output_uri`` outside the shared output location: the service role may write there too
        (as ``RunServiceRole.grant_output`` grants the shared one), or its run would fail to export (HealthOmics
        guide, "Run failure reasons": EXPORT_FAILED). A role you bring is left as it is (an immutable role
        ignores the statement); the bucket's KMS key, if any, is not known here: grant it with ``kms_keys``."""
        outside = sorted({str(setting["outputUri"]).rstrip("/") + "/" for setting in self.settings
                          if _outside(setting.get("outputUri"), output_uri)})
        if not outside:
            return
        objects = [s3_object_arn(f"{uri}*") for uri in outside]
        role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=objects))
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:ListBucket"], resources=sorted({s3_bucket_and_key(uri)[0] for uri in outside})))
        acknowledge(role, *((wildcard_finding(self, arn), "HealthOmics names the output objects of a run under the "
                             "sample's own output location.") for arn in objects))

    def _grant_ledger(self, role: iam.IRole, output_uri: str) -> None:
        """The cohort's ledger and the settings files of the batches it starts (``cohorts.LEDGER_FOLDER``)
        under the output URI: the handler lists, reads and writes them, the service role reads the settings files.

        The handler may list the bucket only under the folder (``s3:prefix``): it asks whether the ledger exists
        with ListObjectsV2, since S3 answers a GetObject of a missing key with 403 to a caller that may not list
        the whole bucket (S3 API Reference, GetObject, "Permissions")."""
        folder_uri = f"{output_uri.rstrip('/')}/{LEDGER_FOLDER}/"
        folder = s3_object_arn(f"{folder_uri}*")  # its objects, as an ARN pattern
        self.provider.allow(["s3:GetObject", "s3:PutObject"], [folder])
        bucket, key = s3_bucket_and_key(folder_uri)
        self.provider.allow(["s3:ListBucket"], [bucket], conditions={"StringLike": {"s3:prefix": f"{key}*"}})
        self.provider.acknowledge_wildcard(folder, "One ledger per cohort and one settings file per batch it "
                                                   "starts, named at deploy time, in this folder only.")
        self.provider.allow(["omics:CancelRun"], [self.omics_arn("run", "*")])  # runs of samples no longer wanted
        if any(folder_uri.startswith(f"s3://{bucket}/{prefix}")
               for bucket, prefix in getattr(role, "writable_locations", ())):
            return  # a RunServiceRole that may read the output location already reads the folder in it
        role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[folder]))
        acknowledge(role, (wildcard_finding(self, folder), "HealthOmics reads the settings file of each batch the "
                                                           "cohort starts, named at deploy time, in this folder only."))


def _outside(uri: Any, output_uri: str) -> bool:
    """Whether a sample's own output URI, known at synth, lies outside the shared output location."""
    return (isinstance(uri, str) and uri.startswith("s3://") and not is_unresolved(uri)
            and not (not is_unresolved(output_uri) and uri.startswith(output_uri.rstrip("/") + "/")))


def _settings(given: Optional[Sequence[Mapping[str, Any]]], sheet: Optional[str | os.PathLike],
              template: Optional[Mapping[str, Mapping[str, Any]]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if (given is None) == (sheet is None):
        raise SheetProblem("WorkflowRunBatch needs exactly one of samples (a list of dicts) or sample_sheet "
                               "(a .csv or .json file)")
    if given is not None and (isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Iterable)):
        raise SheetProblem(f"samples must be a list of dicts, one per sample; got {type(given).__name__}")
    if isinstance(sheet, str) and is_unresolved(sheet):
        raise SheetProblem(
            "sample_sheet must be the path of a .csv or .json file in your app, read at synth; got a deploy-time "
            "value (a token). Give the path, or samples= as a list of dicts (values in it may be deploy-time)")
    rows = typed_rows(samples.read_sheet(sheet), template, str(sheet)) if sheet is not None else list(given or ())
    untyped = looks_typed(rows, template)
    # Inline samples may hold tokens; a staged sheet cannot (see _stage), and asking jsii about
    # each of 100,000 rows would cost seconds.
    check = is_unresolved if len(rows) <= MAX_INLINE_SAMPLES else (lambda _: False)
    source = str(sheet) if sheet is not None else "samples"
    return samples.to_settings(rows, source=source, is_unresolved=check), untyped
