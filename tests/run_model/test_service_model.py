"""The shipped HealthOmics model: current, complete, and used even where botocore is older."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import boto3
import botocore
import botocore.loaders
import pytest
from botocore.exceptions import ParamValidationError

import healthomics_run
from healthomics_run.run_model import fields, samples, service_model
from healthomics_run.runs.run_props import RunProps
from healthomics_run.service_calls import clients

BOTOCORE_DATA = Path(botocore.__file__).parent / "data"
NEW_FIELDS = ("networkingMode", "configurationName", "outputUriPrefixMode")


def test_enums_match_the_service_model():
    members = service_model.input_members("StartRun")
    for enum_class, api in [(healthomics_run.WorkflowType, "workflowType"),
                            (healthomics_run.StorageType, "storageType"),
                            (healthomics_run.LogLevel, "logLevel"), (healthomics_run.RetentionMode, "retentionMode"),
                            (healthomics_run.CacheBehavior, "cacheBehavior"),
                            (healthomics_run.NetworkingMode, "networkingMode"),
                            (healthomics_run.OutputUriPrefixMode, "outputUriPrefixMode"),
                            (healthomics_run.ScratchStorageMode, "scratchStorageMode")]:
        assert [e.value for e in enum_class] == members[api]["enum"]


def test_every_start_run_field_of_the_library_is_in_the_shipped_model():
    start_run, default = service_model.input_members("StartRun"), service_model.members("DefaultRunSetting")
    assert {field.api for field in fields.START_RUN_FIELDS if not field.batch_only} <= set(start_run)
    assert {field.api for field in fields.START_RUN_FIELDS if field.batch_only} <= set(default) - set(start_run)


def test_shipped_model_is_the_one_botocore_ships_for_development():
    """botocore 1.44.8 (requirements-dev.txt) is the newest on PyPI when this was written; ``make service-model``
    copies its model."""
    installed = json.loads(gzip.decompress((BOTOCORE_DATA / "omics/2022-11-28/service-2.json.gz").read_bytes()))
    assert service_model.model() == installed, "refresh lambda/start_run/models with `make service-model`"


# -- completeness: every member of the requests the library sends is a prop, or set by the library -----------

REQUEST_SHAPES = ("StartRunRequest", "StartRunBatchRequest", "DefaultRunSetting", "InlineSetting")


def mapped_by_props(shape: str) -> set[str]:
    """Members of ``shape`` a prop of the same name maps: run props through ``fields.START_RUN_FIELDS`` (run
    ``tags`` are ``runTags`` in a defaultRunSetting), sample keys through ``samples.SAMPLE_KEYS``."""
    run_props = {field.api for field in fields.START_RUN_FIELDS if field.snake in RunProps.__annotations__}
    if shape == "StartRunRequest":
        return {api for api in run_props if api not in fields.BATCH_ONLY}
    if shape == "DefaultRunSetting":
        return set(samples.default_run_setting(dict.fromkeys(run_props)))
    if shape == "InlineSetting":
        return set(samples.SAMPLE_KEYS.values())
    return set()


def unaccounted(shape: str) -> list[str]:
    members = service_model.shape(shape)["members"]
    return sorted(set(members) - mapped_by_props(shape) - set(fields.SET_BY_LIBRARY[shape]))


@pytest.mark.parametrize("shape", REQUEST_SHAPES)
def test_every_member_of_the_requests_is_a_prop_or_set_by_the_library_with_a_reason(shape):
    assert unaccounted(shape) == [], (
        f"{shape} members that no prop maps: add a Field to fields.START_RUN_FIELDS (a sample key to "
        "samples.SAMPLE_KEYS), or list the member with a reason in fields.SET_BY_LIBRARY")


@pytest.mark.parametrize("shape", REQUEST_SHAPES)
def test_members_listed_as_set_by_the_library_are_in_the_model_and_not_props(shape):
    listed = fields.SET_BY_LIBRARY[shape]
    assert set(listed) <= set(service_model.shape(shape)["members"]), "a listed member left the model"
    assert not set(listed) & mapped_by_props(shape), "a listed member is a prop now: remove it from the list"
    assert all(reason.strip() for reason in listed.values())


def test_a_member_new_in_the_model_fails_the_completeness_test(monkeypatch):
    model = json.loads(json.dumps(service_model.model()))
    model["shapes"]["StartRunRequest"]["members"]["gpuPoolName"] = {"shape": "RunName"}
    model["shapes"]["InlineSetting"]["members"]["cacheId"] = {"shape": "CacheId"}
    monkeypatch.setattr(service_model, "model", lambda: model)
    assert unaccounted("StartRunRequest") == ["gpuPoolName"] and unaccounted("InlineSetting") == ["cacheId"]


@pytest.fixture
def old_botocore(tmp_path, monkeypatch):
    """A botocore data folder whose omics model predates the newest StartRun fields."""
    for item in BOTOCORE_DATA.iterdir():
        if item.is_file():
            shutil.copy(item, tmp_path / item.name)
    omics = tmp_path / "omics" / service_model.API_VERSION
    shutil.copytree(BOTOCORE_DATA / "omics" / service_model.API_VERSION, omics)
    model = json.loads(gzip.decompress((omics / "service-2.json.gz").read_bytes()))
    for name in NEW_FIELDS:
        del model["shapes"]["StartRunRequest"]["members"][name]
    (omics / "service-2.json.gz").write_bytes(gzip.compress(json.dumps(model).encode()))
    monkeypatch.setattr(botocore.loaders.Loader, "BUILTIN_DATA_PATH", str(tmp_path))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_an_old_botocore_alone_rejects_the_newer_fields(old_botocore):
    client = boto3.session.Session().client("omics")
    with pytest.raises(ParamValidationError, match="networkingMode"):
        client.start_run(roleArn="arn:aws:iam::123456789012:role/r", outputUri="s3://b/", requestId="r",
                         networkingMode="VPC")


def test_the_handler_client_knows_the_newer_fields_even_with_an_old_botocore(old_botocore):
    members = clients.new_omics_client().meta.service_model.operation_model("StartRun").input_shape.members
    assert set(NEW_FIELDS) <= set(members)
