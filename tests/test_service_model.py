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
from healthomics_run._lambda.start_run import clients, fields, service_model

BOTOCORE_DATA = Path(botocore.__file__).parent / "data"
NEW_FIELDS = ("networkingMode", "configurationName", "outputUriPrefixMode")


def test_enums_match_the_service_model():
    members = service_model.input_members("StartRun")
    for enum_class, api in [(healthomics_run.WorkflowType, "workflowType"), (healthomics_run.StorageType, "storageType"),
                            (healthomics_run.LogLevel, "logLevel"), (healthomics_run.RetentionMode, "retentionMode"),
                            (healthomics_run.CacheBehavior, "cacheBehavior"),
                            (healthomics_run.NetworkingMode, "networkingMode"),
                            (healthomics_run.OutputUriPrefixMode, "outputUriPrefixMode")]:
        assert [e.value for e in enum_class] == members[api]["enum"]


def test_every_start_run_field_of_the_library_is_in_the_shipped_model():
    members = service_model.input_members("StartRun")
    assert {field.api for field in fields.START_RUN_FIELDS} <= set(members)


def test_shipped_model_is_the_one_botocore_ships_for_development():
    installed = json.loads(gzip.decompress((BOTOCORE_DATA / "omics/2022-11-28/service-2.json.gz").read_bytes()))
    assert service_model.model()["shapes"]["StartRunRequest"] == installed["shapes"]["StartRunRequest"], \
        "refresh lambda/start_run/models with `make service-model`"


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
