"""Typed batch settings, decoded from the properties of a ``Custom::HealthOmicsRunBatch``.

The shared settings are the single run's properties (same names, same decoding); the samples
come inline (``Samples`` plus ``SampleTypes``, as ``ParameterTypes`` for a run) or as an S3 settings
file (``SampleSheetUri``) whose digest the construct wrote beside it (``SampleSheetDigest``).
The fingerprint covers the shared settings, the batch's name, and the digest of the sheet, never its
location: the same sheet staged again elsewhere is the same batch. Tags (the batch's, and every run's
``runTags``) name no run: a tags-only change re-tags in place; the ``legacy`` forms, tags included, are
what releases up to 0.2 recorded, recognised so that upgrading starts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import samples
from .fingerprint import fingerprint
from .properties import RunSettings, decode_parameters

RESOURCE_TYPE = "Custom::HealthOmicsRunBatch"
BATCH_NAME = "BatchName"
INLINE_SAMPLES = "Samples"
SAMPLE_TYPES = "SampleTypes"
SAMPLE_SHEET_URI = "SampleSheetUri"
SAMPLE_SHEET_DIGEST = "SampleSheetDigest"
SAMPLE_COUNT = "SampleCount"
# Under the output URI: each cohort's ledger (cohorts, ledger) and the settings files of the batches it starts.
LEDGER_FOLDER = ".healthomics-run"


@dataclass(frozen=True)
class BatchSettings:
    """Everything the handler needs from a Custom::HealthOmicsRunBatch's properties."""

    shared: RunSettings  # the single-run view of the shared settings (request in StartRun form)
    request: dict[str, Any]  # StartRunBatch members (without requestId), with their real types
    sample_digest: str
    sample_count: int

    @property
    def rerun_token(self) -> str:
        return self.shared.rerun_token

    @property
    def delete_policy(self) -> str:
        return self.shared.delete_policy

    @property
    def wait_for(self) -> str:
        return self.shared.wait_for

    @property
    def timeout_seconds(self) -> int:
        return self.shared.timeout_seconds

    def fingerprint(self) -> str:
        """What decides which batch these settings name."""
        return self._fingerprint(tagged=False)

    def legacy_fingerprint(self) -> str:
        """The fingerprint releases up to 0.2 gave these settings (the batch's tags and runTags included)."""
        return self._fingerprint(tagged=True)

    def _fingerprint(self, *, tagged: bool) -> str:
        left_out = (("batchRunSettings", "defaultRunSetting") if tagged
                    else ("batchRunSettings", "defaultRunSetting", "tags"))
        named = {key: value for key, value in self.request.items() if key not in left_out}
        default = samples.default_run_setting(self.shared.identity(tagged=tagged))
        return fingerprint({**named, "defaultRunSetting": default, "samples": self.sample_digest}, self.rerun_token)

    def shared_fingerprint(self, *, legacy: bool = False) -> str:
        """What every sample's run shares: the default run setting and the rerun token (not the batch's
        own name and tags, nor the runs' tags, which name no run). ``legacy``: tags included, as up to 0.2."""
        return fingerprint(samples.default_run_setting(self.shared.identity(tagged=legacy)), self.rerun_token)

    @property
    def tags(self) -> dict[str, str]:
        """The batch's own tags (the shared ``tags`` prop)."""
        return dict(self.request.get("tags") or {})

    @property
    def inline(self) -> list[dict[str, Any]] | None:
        """The samples standing in the properties, or None when they are in a staged sheet."""
        return self.request["batchRunSettings"].get("inlineSettings")

    @classmethod
    def from_properties(cls, props: dict[str, Any]) -> "BatchSettings":
        shared = RunSettings.from_properties(props)
        request: dict[str, Any] = {"defaultRunSetting": samples.default_run_setting(shared.request)}
        if props.get(BATCH_NAME):
            request["batchName"] = str(props[BATCH_NAME])
        if "tags" in shared.request:
            request["tags"] = shared.request["tags"]
        if props.get(SAMPLE_SHEET_URI):
            request["batchRunSettings"] = {"s3UriSettings": str(props[SAMPLE_SHEET_URI])}
            digest = str(props.get(SAMPLE_SHEET_DIGEST, ""))
            count = int(str(props.get(SAMPLE_COUNT, 0)))
        else:
            inline = decode_parameters(props.get(INLINE_SAMPLES) or [], props.get(SAMPLE_TYPES))
            request["batchRunSettings"] = {"inlineSettings": inline}
            digest, count = samples.digest(inline), len(inline)
        return cls(shared=shared, request=request, sample_digest=digest, sample_count=count)


def batch_errors(request: dict[str, Any]) -> list[str]:
    """What a batch cannot do that a single run can (StartRun members in ``request``)."""
    errors = [f"{name} is not available for run batches: StartRunBatch's defaultRunSetting has no such field"
              for name in samples.unsupported_in_batch(request)]
    if "workflowId" not in request:
        errors.append("workflow_id is required: every run of a batch runs the same workflow")
    if request.get("workflowType") == "READY2RUN":
        errors.append("workflow_type READY2RUN: HealthOmics runs batches of PRIVATE workflows only")
    return errors



KEY_CHARS = 32  # hex characters of a sample key: 128 bits, collision-free at any cohort size


def sample_keys(shared_fingerprint: str, settings: list[dict[str, Any]], *, legacy: bool = False) -> dict[str, str]:
    """runSettingId -> the key of the run that sample needs: its own settings and the shared ones.

    Two deploys need the same run for a sample exactly when its key is the same: changing the sample
    (parameters, name, priority, output) or a shared setting changes it; reordering rows, changing other
    samples, or changing tags does not. ``legacy``: the keys releases up to 0.2 recorded, the sample's
    ``runTags`` included (with ``shared_fingerprint(legacy=True)``).
    """
    def named(setting: dict[str, Any]) -> dict[str, Any]:
        return setting if legacy else {key: value for key, value in setting.items() if key != "runTags"}
    return {str(setting["runSettingId"]):
            fingerprint({"shared": shared_fingerprint, "sample": named(setting)})[:KEY_CHARS]
            for setting in settings}
