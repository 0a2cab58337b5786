"""``healthomics-run plan --history`` reading the run history the after-run pipeline writes: a local copy of its
folder, or the folder in S3, read newest first within a bounded number of S3 calls, priced with ``--prices``.

S3 as the reader relies on it (S3 API Reference, https://docs.aws.amazon.com/AmazonS3/latest/API/):
ListObjectsV2 answers at most 1,000 keys or common prefixes per call, in ascending key order, and needs
``s3:ListBucket``; GetObject needs ``s3:GetObject`` (API_ListObjectsV2.html, API_GetObject.html, "Permissions");
``ExpectedBucketOwner`` naming another account is 403 (S3 User Guide, "Verifying bucket ownership with bucket
owner condition").
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from healthomics_run.commands.cli import console
from healthomics_run.commands.plan import cli, history, queueing
from healthomics_run.commands.plan.assembly import PlanInputError
from healthomics_run.commands.plan.pipeline_history import FOLDER, MAX_OBJECTS, S3Folder, read_folder, read_sources
from healthomics_run.service_calls import provenance_history
from tests.commands.test_plan import assembly, cohort, samples
from tests.commands.test_plan_cost import PRICES, RECORDED, price_list
from tests.world import WORKFLOW_ID

REGION = "us-east-1"
BUCKET = "example-history-bucket"
OWNER = "123456789012"


def written(omics, run_id: str) -> tuple[str, bytes]:
    """The run's history record as the after-run writer makes it: (its day, its bytes)."""
    run = omics.client.get_run(id=run_id)
    tasks = omics.client.list_run_tasks(id=run_id)["items"]
    return provenance_history.day(run), provenance_history.document(run, tasks, "germline", REGION)


def write_folder(omics, root: Path) -> Path:
    for run_id in omics.runs:
        day, body = written(omics, run_id)
        path = root / FOLDER / day / f"{omics.runs[run_id]['uuid']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return root


@pytest.fixture
def account(omics):
    """The three recorded runs of the cost tests, and one that FAILED (the failure share: 1 of 4)."""
    for item in RECORDED:
        omics.record_completed_run(WORKFLOW_ID, seconds=item["seconds"], tasks=item["tasks"],
                                   storage_type=item["storage_type"], storage_capacity=item["storage_capacity"],
                                   version_name=item["version_name"], workflow_name="germline")
    failed = omics.record_completed_run(WORKFLOW_ID, seconds=600, tasks=[], workflow_name="germline")
    omics.set_status(failed, "FAILED")
    return omics


@pytest.fixture
def exported(account, tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(history, "account_clients", lambda *_: (account.client, price_list(PRICES), REGION))
    monkeypatch.setattr(cli, "_quotas", lambda _: queueing.DEFAULT_QUOTAS)
    path = tmp_path / "history.json"
    assert console(["export-history", str(path)]) == cli.NO_RUN_STARTS
    return path


def plan_json(tmp_path: Path, capsys, *history_args: str) -> dict[str, Any]:
    base, head = assembly(tmp_path, "base", lambda stack: None), assembly(tmp_path, "head", cohort(samples(3)))
    assert console(["plan", str(base), str(head), "--format", "json", *history_args]) == cli.RUNS_START
    return json.loads(capsys.readouterr().out)


def test_a_folder_of_the_pipelines_records_forecasts_what_the_same_runs_exported_do(account, exported, tmp_path,
                                                                                     capsys):
    """The same four runs (three COMPLETED, one FAILED) as export-history writes them and as the after-run writer
    writes them, priced with the exported file's prices: the same forecast, failure share included."""
    folder = write_folder(account, tmp_path / "synced")
    by_file = plan_json(tmp_path, capsys, "--history", str(exported))
    by_folder = plan_json(tmp_path, capsys, "--history", str(folder), "--prices", str(exported))
    assert by_folder == by_file
    assert by_file["summary"]["forecast"]["median"] > 0


def test_the_pipelines_records_without_prices_have_no_forecast_never_a_made_up_number(account, tmp_path, capsys):
    """The writer asks no Price List: without ``--prices`` the runs are there but unpriced, said as such."""
    found = plan_json(tmp_path, capsys, "--history", str(write_folder(account, tmp_path / "synced")))
    assert found["summary"]["forecast"]["runsPriced"] == 0 and found["summary"]["forecast"]["runsWithoutForecast"] == 3
    (resource,) = found["resources"]
    assert resource["cost"]["noForecast"] == f"no history: the 3 earlier runs of workflow {WORKFLOW_ID} lack prices"


def test_a_failed_runs_record_counts_in_its_workflows_failure_share(account, tmp_path):
    found = read_sources([str(write_folder(account, tmp_path))], s3=boto3.client, say=lambda _: None)
    assert Counter(run.status for run in found.runs) == {"COMPLETED": 3, "FAILED": 1}
    assert {run.workflow_id for run in found.runs} == {WORKFLOW_ID}


def test_prices_of_another_region_than_the_history_files_are_an_error(exported, tmp_path):
    other = tmp_path / "prices.json"
    other.write_text(json.dumps({**json.loads(exported.read_text()), "region": "eu-west-1"}))
    with pytest.raises(PlanInputError, match="prices of eu-west-1, for a history of us-east-1"):
        read_sources([str(exported)], prices=str(other), s3=boto3.client, say=lambda _: None)


# -- the folder in S3 ------------------------------------------------------------------------------------

def test_an_s3_history_folder_is_read_with_the_bucket_owner_given(account):
    """moto's S3; every call carries ``ExpectedBucketOwner`` from ``--expected-bucket-owner``."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    for run_id in account.runs:
        day, body = written(account, run_id)
        s3.put_object(Bucket=BUCKET, Key=f"cohort/{FOLDER}/{day}/{account.runs[run_id]['uuid']}.json", Body=body)
    seen: list[dict[str, Any]] = []
    made = boto3.client("s3", region_name=REGION)
    made.meta.events.register("provide-client-params.s3.*", lambda params, **_: seen.append(dict(params)))
    found = read_sources([f"s3://{BUCKET}/cohort/"], owner=OWNER, s3=lambda: made, say=lambda _: None)
    assert len(found.runs) == 4 and found.region == REGION
    assert seen and all(params.get("ExpectedBucketOwner") == OWNER for params in seen)


def test_the_plan_reads_an_s3_history_folder_as_it_reads_its_local_copy(account, exported, tmp_path, capsys):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    for run_id in account.runs:
        day, body = written(account, run_id)
        s3.put_object(Bucket=BUCKET, Key=f"cohort/{FOLDER}/{day}/{account.runs[run_id]['uuid']}.json", Body=body)
    by_s3 = plan_json(tmp_path, capsys, "--history", f"s3://{BUCKET}/cohort/", "--prices", str(exported),
                      "--expected-bucket-owner", OWNER, "--region", REGION)
    by_copy = plan_json(tmp_path, capsys, "--history", str(write_folder(account, tmp_path / "synced")),
                        "--prices", str(exported))
    assert by_s3 == by_copy


def refused(operation: str, code: str, status: int, expected: dict[str, Any], before: int = 0,
            relisted: list[str] | None = None):
    """An S3 client whose ``operation`` is refused as S3 refuses it, after ``before`` ListObjectsV2 answers; then,
    with ``relisted``, the listing of the refused key answers those keys."""
    client = boto3.client("s3", region_name=REGION)
    stubber = Stubber(client)
    prefix = f"cohort/{FOLDER}/"
    if before:
        stubber.add_response("list_objects_v2", {"CommonPrefixes": [{"Prefix": f"{prefix}2026-12-01/"}],
                                                 "IsTruncated": False},
                             {"Bucket": BUCKET, "Prefix": prefix, "Delimiter": "/", "ExpectedBucketOwner": OWNER})
        stubber.add_response("list_objects_v2", {"Contents": [{"Key": f"{prefix}2026-12-01/{uuid.UUID(int=1)}.json"}],
                                                 "IsTruncated": False},
                             {"Bucket": BUCKET, "Prefix": f"{prefix}2026-12-01/", "ExpectedBucketOwner": OWNER})
    stubber.add_client_error(operation, code, "Access Denied", status, expected_params=expected)
    if relisted is not None:
        stubber.add_response("list_objects_v2", {"Contents": [{"Key": key} for key in relisted], "IsTruncated": False},
                             {"Bucket": BUCKET, "Prefix": expected["Key"], "MaxKeys": 1, "ExpectedBucketOwner": OWNER})
    stubber.activate()
    return client


def test_a_refused_listing_is_an_error_naming_the_uri_and_s3_listbucket():
    client = refused("list_objects_v2", "AccessDenied", 403, {"Bucket": BUCKET, "Prefix": f"cohort/{FOLDER}/",
                                                              "Delimiter": "/", "ExpectedBucketOwner": OWNER})
    with pytest.raises(PlanInputError) as caught:
        read_sources([f"s3://{BUCKET}/cohort/"], owner=OWNER, s3=lambda: client, say=lambda _: None)
    assert str(caught.value) == (f"s3://{BUCKET}/cohort/: S3 answered AccessDenied: reading a run history needs "
                                 f"s3:ListBucket on bucket {BUCKET} for the prefix cohort/{FOLDER}/, in a bucket "
                                 f"account {OWNER} owns (--expected-bucket-owner)")


def test_a_refused_read_is_an_error_naming_the_uri_and_s3_getobject():
    """A 403 for a key the listing still shows is a refusal (a missing key would be 403 too to a caller whose
    ListBucket does not reach it: S3 API Reference, GetObject, "Permissions")."""
    key = f"cohort/{FOLDER}/2026-12-01/{uuid.UUID(int=1)}.json"
    client = refused("get_object", "AccessDenied", 403, {"Bucket": BUCKET, "Key": key, "ExpectedBucketOwner": OWNER},
                     before=2, relisted=[key])
    with pytest.raises(PlanInputError) as caught:
        read_sources([f"s3://{BUCKET}/cohort/"], owner=OWNER, s3=lambda: client, say=lambda _: None)
    assert str(caught.value).endswith(f"reading a run history needs s3:GetObject on arn:aws:s3:::{BUCKET}/cohort/"
                                      f"{FOLDER}/*, in a bucket account {OWNER} owns (--expected-bucket-owner)")


def test_a_record_gone_since_it_was_listed_is_skipped_not_an_error():
    """S3 answers 403, not 404, for a missing key to a caller whose ListBucket does not reach it (S3 API Reference,
    GetObject, "Permissions"): the listing, asked again, no longer shows it, so it was deleted meanwhile."""
    key = f"cohort/{FOLDER}/2026-12-01/{uuid.UUID(int=1)}.json"
    client = refused("get_object", "AccessDenied", 403, {"Bucket": BUCKET, "Key": key, "ExpectedBucketOwner": OWNER},
                     before=2, relisted=[])
    found = read_sources([f"s3://{BUCKET}/cohort/"], owner=OWNER, s3=lambda: client, say=lambda _: None)
    assert found.runs == ()


def test_a_refused_s3_history_ends_the_plan_with_exit_1_and_the_permission_on_stderr(tmp_path, capsys, monkeypatch):
    client = refused("list_objects_v2", "AccessDenied", 403, {"Bucket": BUCKET, "Prefix": f"{FOLDER}/",
                                                              "Delimiter": "/"})
    monkeypatch.setattr(cli, "session", lambda *_: type("Session", (), {"client": lambda self, _: client})())
    base, head = assembly(tmp_path, "base", lambda stack: None), assembly(tmp_path, "head", cohort(samples(3)))
    assert console(["plan", str(base), str(head), "--history", f"s3://{BUCKET}/"]) == cli.ERROR
    assert f"s3://{BUCKET}/: S3 answered AccessDenied: reading a run history needs s3:ListBucket" in \
        capsys.readouterr().err


# -- bounded: a 100,000-run history --------------------------------------------------------------------------

class CountingS3:
    """S3 holding ``days`` × ``per_day`` history records, answering ListObjectsV2 as S3 does (1,000 a page, in key
    order, common prefixes with a delimiter) and counting the calls."""

    exceptions = type("Exceptions", (), {"NoSuchKey": type("NoSuchKey", (Exception,), {}), "ClientError": ClientError})

    def __init__(self, days: int, per_day: int) -> None:
        start = dt.date(2026, 1, 1)
        self.days = [(start + dt.timedelta(days=number)).isoformat() for number in range(days)]
        self.per_day = per_day
        self.calls: Counter[str] = Counter()

    def list_objects_v2(self, *, Bucket: str, Prefix: str, Delimiter: str = "", ContinuationToken: str = "0",
                        **_: Any) -> dict[str, Any]:
        self.calls["ListObjectsV2"] += 1
        if Delimiter:
            items = [f"{Prefix}{day}/" for day in self.days]
        else:
            day = Prefix.rstrip("/").rsplit("/", 1)[1]
            items = [f"{Prefix}{uuid.UUID(int=self.days.index(day) * self.per_day + n)}.json"
                     for n in range(self.per_day)]
        start = int(ContinuationToken)
        page = sorted(items)[start:start + 1000]
        more = start + 1000 < len(items)
        listed = {"CommonPrefixes": [{"Prefix": item} for item in page]} if Delimiter else {
            "Contents": [{"Key": item} for item in page]}
        return {**listed, "IsTruncated": more, **({"NextContinuationToken": str(start + 1000)} if more else {})}

    def get_object(self, *, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        self.calls["GetObject"] += 1
        day, name = Key.rsplit("/", 2)[1:]
        stop = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc) + dt.timedelta(hours=12)
        run = {"status": "COMPLETED", "workflowId": WORKFLOW_ID, "uuid": name.removesuffix(".json"),
               "arn": f"arn:aws:omics:{REGION}:{OWNER}:run/1", "startTime": stop - dt.timedelta(hours=1),
               "stopTime": stop}
        body = provenance_history.document(run, [], "germline", REGION)
        return {"Body": type("Body", (), {"read": lambda self: body})()}


def test_a_100000_run_history_costs_at_most_2000_reads_and_3_listings():
    """100 days of 1,000 records: the days in one listing, the two newest days in one each, 2,000 GetObject."""
    s3 = CountingS3(days=100, per_day=1000)
    found = read_folder(S3Folder(s3, f"s3://{BUCKET}/"), REGION, runs_per_workflow=10**6)
    assert s3.calls == {"GetObject": MAX_OBJECTS, "ListObjectsV2": 3}
    assert found.documents == MAX_OBJECTS and found.stopped_at == "2026-04-09"


def test_reading_stops_after_the_newest_day_that_gives_each_planned_workflow_its_newest_runs():
    s3 = CountingS3(days=100, per_day=1000)
    found = read_folder(S3Folder(s3, f"s3://{BUCKET}/"), REGION, wanted={WORKFLOW_ID})
    assert s3.calls == {"GetObject": 1000, "ListObjectsV2": 2}
    assert len(found.runs) == history.RUNS_PER_WORKFLOW and found.stopped_at == "2026-04-10"


def test_the_plan_stops_reading_once_the_workflow_it_forecasts_has_its_newest_runs(tmp_path, capsys, exported):
    """The cohort's workflow has 50 runs on the newest day: the day before is not read, and the plan says so."""
    for number in range(history.RUNS_PER_WORKFLOW):
        record(tmp_path / "synced", "2026-12-02", f"run-{number}", completed())
    record(tmp_path / "synced", "2026-12-01", "older", completed())
    base, head = assembly(tmp_path, "base", lambda stack: None), assembly(tmp_path, "head", cohort(samples(3)))
    console(["plan", str(base), str(head), "--history", str(tmp_path / "synced"), "--prices", str(exported)])
    said = capsys.readouterr().err
    assert f"{tmp_path / 'synced'}: 50 history documents read, 50 runs kept" in said
    assert "runs that stopped on 2026-12-02 or earlier may be left unread" in said


def test_without_the_planned_workflows_known_every_day_is_read_up_to_the_bound():
    """``wanted`` None: a workflow known only at deploy time, whose runs may be in any day."""
    s3 = CountingS3(days=3, per_day=10)
    found = read_folder(S3Folder(s3, f"s3://{BUCKET}/"), REGION, wanted=None, runs_per_workflow=5)
    assert s3.calls["GetObject"] == 30 and found.stopped_at is None


# -- documents it cannot use ----------------------------------------------------------------------------------

def record(root: Path, day: str, name: str, text: str) -> None:
    path = root / FOLDER / day / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def completed(region: str = REGION) -> str:
    stop = dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)
    run = {"status": "COMPLETED", "workflowId": WORKFLOW_ID, "uuid": "u", "startTime": stop - dt.timedelta(hours=1),
           "stopTime": stop}
    return provenance_history.document(run, [], "germline", region).decode()


def test_malformed_and_foreign_documents_are_skipped_and_counted(tmp_path):
    record(tmp_path, "2026-12-01", "good", completed())
    record(tmp_path, "2026-12-01", "foreign", json.dumps({"format": "another-tool/2", "runs": []}))
    record(tmp_path, "2026-12-01", "broken", "{not json")
    record(tmp_path, "2026-12-01", "shapeless", json.dumps({"format": history.FORMAT, "runs": [{"seconds": 1}]}))
    said: list[str] = []
    found = read_sources([str(tmp_path)], s3=boto3.client, say=said.append)
    assert len(found.runs) == 1
    assert said[-1] == (f"{tmp_path}: skipped 2 unreadable or not a history document, 1 not of format "
                        f"{history.FORMAT}")


def test_a_document_of_another_region_than_the_stacks_is_skipped_never_mixed(tmp_path):
    record(tmp_path, "2026-12-01", "here", completed())
    record(tmp_path, "2026-12-01", "there", completed("eu-west-1"))
    said: list[str] = []
    found = read_sources([str(tmp_path)], region="eu-west-1", s3=boto3.client, say=said.append)
    assert found.region == "eu-west-1" and len(found.runs) == 1
    assert said[-1].endswith("skipped 1 of another Region than the history's (eu-west-1)")


def test_without_a_known_region_the_newest_documents_region_is_the_historys(tmp_path):
    record(tmp_path, "2026-12-02", "newest", completed("eu-west-1"))
    record(tmp_path, "2026-12-01", "older", completed())
    found = read_sources([str(tmp_path)], s3=boto3.client, say=lambda _: None)
    assert found.region == "eu-west-1" and len(found.runs) == 1


def test_history_files_of_different_regions_are_an_error(tmp_path, exported):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**json.loads(exported.read_text()), "region": "eu-west-1"}))
    with pytest.raises(PlanInputError, match="history files of different Regions"):
        read_sources([str(exported), str(other)], s3=boto3.client, say=lambda _: None)


def test_a_failed_runs_record_written_before_the_writer_named_its_workflow_is_counted_not_guessed(tmp_path):
    """Records of runs that did not complete once had no ``runs`` entry: no workflow to count them for."""
    old = json.loads(completed())
    old.update(runs=[], run={**old["run"], "status": "FAILED"})
    record(tmp_path, "2026-12-01", "old", json.dumps(old))
    said: list[str] = []
    assert read_sources([str(tmp_path)], s3=boto3.client, say=said.append).runs == ()
    assert said[-1].endswith("skipped 1 of runs that did not complete, written before the writer named their "
                             "workflow (not in the failure share)")


def test_the_prices_files_region_is_the_historys_when_no_history_file_names_one(tmp_path, exported):
    record(tmp_path, "2026-12-02", "newest", completed("eu-west-1"))
    record(tmp_path, "2026-12-01", "older", completed())
    found = read_sources([str(tmp_path)], prices=str(exported), s3=boto3.client, say=lambda _: None)
    assert found.region == REGION and len(found.runs) == 1 and found.prices == PRICES


def test_prices_without_a_history_are_an_error_not_ignored(tmp_path, capsys, exported):
    base, head = assembly(tmp_path, "base", lambda stack: None), assembly(tmp_path, "head", cohort(samples(3)))
    assert console(["plan", str(base), str(head), "--prices", str(exported)]) == cli.ERROR
    assert "--prices prices a --history; without one there are no runs to price" in capsys.readouterr().err
