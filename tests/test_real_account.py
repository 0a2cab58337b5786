"""Stacks of the library deployed into an account that enforces IAM, KMS and S3 as AWS does (``account_world``).

Each test synthesizes a stack, deploys its template into the account world and drives its custom resource
through the handler as CloudFormation drives it (``stack_world``). Every call the handler makes is authorized
against the synthesized handler role's policies and the bucket and key policies; every access HealthOmics makes
as the service role is authorized against the synthesized service role's. A refused call fails the test (it
raises, or the run fails with the reason HealthOmics documents), so a missing permission cannot pass here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from healthomics_run import (
    DeletePolicy,
    HealthOmicsRun,
    HealthOmicsRunBatch,
    RunOutputBucket,
    RunServiceRole,
    WorkflowRun,
    WorkflowRunBatch,
)
from healthomics_run.handlers.start_run import handler
from healthomics_run.service_calls.runs import RunError
from tests.account_world import OTHER_ACCOUNT, ForeignBucket
from tests.fake_omics import REGION
from tests.stack_world import WORKFLOW_ID, StackWorld, deploy, synthesize

IMPORTED_BUCKET = "example-imported-bucket"
PARTNER_BUCKET = "example-partner-bucket"
BUCKETS = ("default", "customer-managed-key", "imported", "other-account")
KINDS = ("run", "inline-cohort", "staged-cohort", "grown-cohort")


def samples(count: int, start: int = 1) -> list[dict[str, Any]]:
    return [{"run_setting_id": f"SAMPLE-{i:04d}", "parameters": {"sample_name": f"SAMPLE-{i:04d}"}}
            for i in range(start, start + count)]


def output_bucket(stack: cdk.Stack, kind: str) -> s3.IBucket:
    if kind == "default":
        return RunOutputBucket(stack, "Outputs")
    if kind == "customer-managed-key":
        return RunOutputBucket(stack, "Outputs", encryption_key=kms.Key(stack, "OutputKey", enable_key_rotation=True))
    if kind == "imported":
        return s3.Bucket.from_bucket_name(stack, "Outputs", IMPORTED_BUCKET)
    return s3.Bucket.from_bucket_attributes(stack, "Outputs", bucket_name=PARTNER_BUCKET, account=OTHER_ACCOUNT)


def app(kind: str, bucket: str, *, pattern: bool, count: int = 2, change: bool = False) -> Callable[[cdk.Stack], None]:
    """A stack with one run or one cohort, writing to ``bucket``; ``change``: the update a test deploys next."""
    cohort = kind != "run"
    count = {"staged-cohort": 101, "grown-cohort": 2}.get(kind, count)
    settings: dict[str, Any] = {"workflow_id": WORKFLOW_ID, "delete_policy": DeletePolicy.CANCEL}
    if bucket == "other-account":
        settings["output_bucket_owner_id"] = OTHER_ACCOUNT
    if kind == "run":
        settings["parameters"] = {"sample_name": "NA12878-CHANGED" if change else "NA12878"}
    else:
        settings["samples"] = samples(count + (1 if change else 0))

    def build(stack: cdk.Stack) -> None:
        out = output_bucket(stack, bucket)
        if pattern:
            construct = HealthOmicsRunBatch if cohort else HealthOmicsRun
            construct(stack, "Cohort", output_bucket=out, **settings)
            return
        role = RunServiceRole(stack, "Role", output_bucket=out, output_prefix="runs/")
        construct = WorkflowRunBatch if cohort else WorkflowRun
        made = construct(stack, "Cohort", role=role, output_uri=f"s3://{out.bucket_name}/runs/", **settings)
        if out.encryption_key is not None:  # a low-level construct: the user grants the handler the bucket's key
            out.encryption_key.grant(made.handler_role, "kms:Decrypt", "kms:GenerateDataKey")
    return build


def partner_policy(world: StackWorld) -> ForeignBucket:
    """Another account's bucket whose policy lets this stack's handler and service role use it (cross-account
    access needs the identity policy and the bucket policy: IAM User Guide, "Cross-account policy evaluation")."""
    roles = [world.deployed.role_arn(logical) for logical in world.deployed.of_type("AWS::IAM::Role")]
    return ForeignBucket(owner=OTHER_ACCOUNT, statements=[
        {"Effect": "Allow", "Principal": {"AWS": roles}, "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": f"arn:aws:s3:::{PARTNER_BUCKET}/*"},
        {"Effect": "Allow", "Principal": {"AWS": roles}, "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{PARTNER_BUCKET}"}])


FOREIGN = {"imported": {IMPORTED_BUCKET: ForeignBucket()}, "other-account": {PARTNER_BUCKET: ForeignBucket()}}


def started(world: StackWorld) -> tuple[int, int]:
    """(StartRun, StartRunBatch) calls that created something: distinct requestIds."""
    ids = {op: {params["requestId"] for params in world.omics.params_of(op)} for op in ("StartRun", "StartRunBatch")}
    return len(ids["StartRun"]), len(ids["StartRunBatch"])


def failed_runs(world: StackWorld) -> list[str]:
    return [f"{run['id']}: {run.get('failureReason')} {run.get('statusMessage')}"
            for run in world.omics.runs.values() if run["status"] == "FAILED"]


# -- the matrix -----------------------------------------------------------------------------------------------

MATRIX = [(kind, bucket, pattern) for kind in KINDS for bucket in BUCKETS for pattern in (True, False)
          if pattern or bucket in ("default", "customer-managed-key")]


@pytest.mark.parametrize("kind,bucket,pattern", MATRIX)
def test_deploy_update_rollback_and_delete_meet_no_refusal_and_start_nothing_twice(monkeypatch, tmp_path, kind,
                                                                                   bucket, pattern):
    """Create, an update that changes one run's settings (a run's parameter, a cohort's new sample), the rollback
    of that update (which, with CANCEL, cancels what the update started) and the Delete with CANCEL, each as
    CloudFormation sends it, in an account that refuses what AWS refuses. No call is refused, no run fails for
    access, and what starts is exactly what changed: the rollback starts nothing."""
    if kind == "run" and bucket == "other-account":
        pytest.skip("output_bucket_owner_id is a StartRunBatch field: a single run has no other-account output")
    first = synthesize(app(kind, bucket, pattern=pattern), tmp_path / "v1")
    changed = synthesize(app(kind, bucket, pattern=pattern, change=True), tmp_path / "v2")
    with deploy(monkeypatch, first, tmp_path / "v1", foreign=FOREIGN.get(bucket)) as world:
        if bucket == "other-account":
            world.account.foreign[PARTNER_BUCKET] = partner_policy(world)
        resource = world.resource()
        resource.create()
        before = started(world)
        assert before == ((1, 0) if kind == "run" else (0, 1))

        old_props, old_physical = resource.props, resource.physical_id
        world.redeploy(changed, tmp_path / "v2")
        new_props = world.resource(resource.logical_id).props
        answer = resource.update(new_props, cleanup=False)
        after_update = started(world)
        assert after_update == ((2, 0) if kind == "run" else (0, 2))
        runs_in_new_batch = [run for run in world.omics.runs.values()
                             if run.get("batchId") == answer["Data"].get("BatchId")]
        assert kind == "run" or len(runs_in_new_batch) == 1, "only the new sample runs"

        world.redeploy(first, tmp_path / "v1")  # the rollback brings the earlier policies back too
        rolled_back = resource.roll_back(new_props, answer["PhysicalResourceId"], old_props)
        assert rolled_back["PhysicalResourceId"] == old_physical, "the rollback answers with the earlier run"
        assert started(world) == after_update, "the rollback starts nothing"

        resource.delete()
        assert world.account.denied == []
        assert failed_runs(world) == []
        assert all(run["status"] == "CANCELLED" for run in world.omics.runs.values()), "CANCEL reached every run"


# -- the defects the enforcing world showed ---------------------------------------------------------------------

def cohort_stack(count: int = 2) -> Callable[[cdk.Stack], None]:
    def build(stack: cdk.Stack) -> None:
        HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=samples(count),
                            delete_policy=DeletePolicy.CANCEL)
    return build


def ledger_location(world: StackWorld, resource) -> tuple[str, str]:
    from healthomics_run.run_model import ledger_location

    uri = ledger_location.ledger_uri(resource.event("Update", resource.props))
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def test_a_cohorts_first_deploy_learns_the_ledger_is_absent_by_listing_its_folder_not_by_a_refused_read(
        monkeypatch, tmp_path):
    """S3 answers a GetObject of a missing key with 403 AccessDenied to a caller without ``s3:ListBucket`` on the
    bucket (S3 API Reference, GetObject, "Permissions": "If you don't have the s3:ListBucket permission, Amazon S3
    returns an HTTP status code 403"). The handler may list only its ledger folder (``s3:prefix``, which governs
    ListObjectsV2: S3 User Guide, "Bucket policy examples using condition keys"), so it asks ListObjectsV2."""
    with deploy(monkeypatch, cohort_stack(), tmp_path) as world:
        resource = world.resource()
        resource.create()
        bucket, key = ledger_location(world, resource)
        listed = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket, Prefix=key)
        assert [item["Key"] for item in listed["Contents"]] == [key]
        assert world.account.denied == []


def test_without_the_listbucket_statement_the_first_deploy_fails_as_in_a_real_account(monkeypatch, tmp_path):
    """The world refuses as S3 does: take the handler's ListBucket away and the first Create is refused (what
    every cohort's first deploy met before this statement existed)."""
    with deploy(monkeypatch, cohort_stack(), tmp_path) as world:
        statements = world.account.statements(world.account.handler_role)
        world.account.removed = (world.account.handler_role,
                                 next(s for s in statements if s["Action"] == "s3:ListBucket"))
        with pytest.raises(Exception, match="s3:ListBucket"):
            world.resource().create()
        assert started(world) == (0, 0)


def test_the_handler_may_use_the_output_buckets_customer_managed_key_for_the_ledger(monkeypatch, tmp_path):
    """SSE-KMS writes need ``kms:GenerateDataKey`` and reads ``kms:Decrypt`` (S3 User Guide, "Using server-side
    encryption with AWS KMS keys", permissions); CDK's default key policy delegates to IAM (KMS Developer Guide,
    "Default key policy"), so the handler role's own policy must name the key."""
    def build(stack):
        key = kms.Key(stack, "OutputKey", enable_key_rotation=True)
        HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=samples(2),
                            output_bucket=RunOutputBucket(stack, "Outputs", encryption_key=key))
    with deploy(monkeypatch, build, tmp_path) as world:
        world.resource().create()
        handler_statements = world.account.statements(world.account.handler_role)
        kms_actions = [s["Action"] for s in handler_statements if "kms" in json.dumps(s["Action"])]
        assert kms_actions == [["kms:Decrypt", "kms:GenerateDataKey"]]
        assert world.account.denied == []


def test_a_ledger_that_cannot_be_written_stops_the_deploy_before_any_batch_starts(monkeypatch, tmp_path):
    """The start is recorded as pending in the ledger before StartRunBatch: a ledger the handler may not write (a
    bucket policy, a key, an SCP) fails the Create with nothing started, so no batch runs unrecorded (and the
    Provider framework, which answers the rollback's Delete of a failed Create itself, leaves nothing behind)."""
    with deploy(monkeypatch, cohort_stack(), tmp_path) as world:
        statements = world.account.statements(world.account.handler_role)
        world.account.removed = (world.account.handler_role,
                                 next(s for s in statements if s["Action"] == ["s3:GetObject", "s3:PutObject"]))
        with pytest.raises(Exception, match="s3:PutObject"):
            world.resource().create()
        assert world.omics.count("StartRunBatch") == 0


def test_a_failure_to_record_after_the_start_hands_over_with_the_generations_physical_id(monkeypatch, tmp_path):
    """Should the ledger write after StartRunBatch fail (the pending write before it went through), on_event
    answers with the generation's physical id and hands the recording to is_complete, which finds the same batch
    by the same requestId: the rollback's Delete of a Create that then fails reaches the handler, and a retry
    starts nothing new."""
    from healthomics_run.service_calls import s3_objects

    with deploy(monkeypatch, cohort_stack(), tmp_path) as world:
        resource = world.resource()
        request = resource.event("Create", resource.props)
        writes, real = [], s3_objects.write_text

        def second_write_fails(*args, **kwargs):
            writes.append(args[1])
            if len(writes) == 2:
                raise s3_objects.RetryLater("S3 PutObject: SlowDown")
            return real(*args, **kwargs)
        monkeypatch.setattr(s3_objects, "write_text", second_write_fails)
        answer = handler.on_event(request)
        assert answer["PhysicalResourceId"].startswith("cohort-") and answer["Phase"] == "start"
        done = resource.complete(answer, request)
        assert world.omics.count("StartRunBatch") == 2 and started(world) == (0, 1)
        assert done["Data"]["RunsStarted"] == 2


def test_a_deleted_ledger_fails_an_update_that_would_start_runs_naming_it_and_how_to_restore_it(monkeypatch, tmp_path):
    """The ledger is the record of which samples ran: without it, nothing is guessed. An update that needs it
    fails with the ledger's URI and the commands that bring back its last version (the output bucket is
    versioned), and starts nothing; the rollback, whose settings name the generation the resource has, succeeds
    (no UPDATE_ROLLBACK_FAILED); a Delete never fails over it."""
    with deploy(monkeypatch, cohort_stack(2), tmp_path / "v1") as world:
        resource = world.resource()
        resource.create()
        old_props, old_physical = resource.props, resource.physical_id
        bucket, key = ledger_location(world, resource)
        boto3.client("s3", region_name=REGION).delete_object(Bucket=bucket, Key=key)
        world.redeploy(cohort_stack(3), tmp_path / "v2")
        new_props = world.resource(resource.logical_id).props
        with pytest.raises(RunError) as error:
            handler.on_event(resource.event("Update", new_props, PhysicalResourceId=old_physical,
                                            OldResourceProperties=old_props))
        assert f"s3://{bucket}/{key} is missing" in str(error.value)
        assert f"aws s3api list-object-versions --bucket {bucket} --prefix {key}" in str(error.value)
        assert world.omics.count("StartRunBatch") == 1
        rollback = handler.on_event(resource.event("Update", old_props, PhysicalResourceId=old_physical,
                                                   OldResourceProperties=new_props))
        assert rollback["PhysicalResourceId"] == old_physical and world.omics.count("StartRunBatch") == 1
        resource.delete()


MALFORMED_LEDGERS = {  # what a hand edit, a cut-short upload or another tool can leave at the ledger's key
    "no samples": (b'{"version": 1}', "it has no 'samples'"),
    "an entry of two items": (b'{"version": 1, "samples": {"k": ["SAMPLE-0001", "1000001"]}, "batches": {}}',
                              "samples['k'] must be a list of three strings"),
    "an entry that is a string": (b'{"samples": {"k": "abc"}, "batches": {}}', "samples['k'] must be a list"),
    "unknown flags": (b'{"samples": {"k": ["SAMPLE-0001", "1000001", "x"]}, "batches": {}}', "flags must be made of"),
    "not UTF-8": (b'\xff\xfe{\x00"\x00s\x00', "it is not UTF-8 text"),
    "a JSON list": (b'[["SAMPLE-0001", "1000001", "w"]]', "the ledger must be a JSON object; got [["),
    "a JSON number": (b"42", "the ledger must be a JSON object; got 42"),
    "batches a list": (b'{"samples": {}, "batches": ["1000001"]}', "batches must be a JSON object"),
    "current a number": (b'{"samples": {}, "batches": {}, "current": 5}', "current must be a generation"),
    "an answer's count a string": (b'{"samples": {}, "batches": {}, "answers": {"g": {"started": "2"}}}',
                                   "answers['g'].started must be an integer"),
    "pending without keys": (b'{"samples": {}, "batches": {}, "pending": {"d": ["k"]}}', "pending['d'] must be"),
    "cut short": (b'{"version": 1, "samples": {"k": ["SAMPLE-0001", "100', "it is not JSON"),
}


@pytest.mark.parametrize("body,why", MALFORMED_LEDGERS.values(), ids=MALFORMED_LEDGERS.keys())
def test_a_hand_edited_ledger_fails_an_update_with_its_uri_and_never_fails_a_delete(monkeypatch, tmp_path, capsys,
                                                                                    body, why):
    """Whatever is at the ledger's key, an Update that needs it fails naming the ledger, what is wrong with it and
    how to bring back its last good version (the bucket is versioned), and starts nothing; the rollback (its
    settings name the generation the resource has) succeeds; a Delete with CANCEL succeeds, cancels nothing it
    cannot name, leaves the file as it found it (the evidence to restore from) and logs why. CloudFormation sends
    the rollback's Update, then the Delete (CloudFormation User Guide, "Custom resource response objects",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html); a Delete that fails
    leaves the stack DELETE_FAILED."""
    with deploy(monkeypatch, cohort_stack(2), tmp_path / "v1") as world:
        resource = world.resource()
        resource.create()
        bucket, key = ledger_location(world, resource)
        raw = boto3.client("s3", region_name=REGION)
        raw.put_object(Bucket=bucket, Key=key, Body=body)
        old_props, old_physical = resource.props, resource.physical_id
        world.redeploy(cohort_stack(3), tmp_path / "v2")
        new_props = world.resource(resource.logical_id).props
        with pytest.raises(RunError) as error:
            handler.on_event(resource.event("Update", new_props, PhysicalResourceId=old_physical,
                                            OldResourceProperties=old_props))
        assert f"s3://{bucket}/{key} is not a ledger this handler can read" in str(error.value)
        assert why in str(error.value), str(error.value)
        assert f"aws s3api list-object-versions --bucket {bucket} --prefix {key}" in str(error.value)
        rollback = handler.on_event(resource.event("Update", old_props, PhysicalResourceId=old_physical,
                                                   OldResourceProperties=new_props))
        assert rollback["PhysicalResourceId"] == old_physical
        capsys.readouterr()
        assert resource.delete()["IsComplete"] is True
        logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        assert any(entry["message"] == "delete" and entry["outcome"].startswith("nothing cancelled: ")
                   and why in entry["outcome"] for entry in logged), logged
        assert world.omics.count("StartRunBatch") == 1
        assert world.omics.count("CancelRunBatch") == world.omics.count("CancelRun") == 0
        assert raw.get_object(Bucket=bucket, Key=key)["Body"].read() == body


def test_a_settings_file_is_written_once_even_when_the_start_is_retried(monkeypatch, tmp_path):
    """HealthOmics records a batch settings file's ETag and fails the batch if it changes (API Reference,
    BatchRunSettings); SSE-KMS ETags are no MD5 of the content (S3 API Reference, Object: ETag), so even
    identical bytes written again may change it. The file is named by what it holds and written with
    ``If-None-Match: *`` (S3 API Reference, PutObject: 412 when the key exists)."""
    with deploy(monkeypatch, cohort_stack(101), tmp_path / "v1") as world:
        resource = world.resource()
        resource.create()
        world.redeploy(cohort_stack(250), tmp_path / "v2")  # 149 new samples: more than go inline
        new_props = world.resource(resource.logical_id).props
        world.omics.fail_next("StartRunBatch", "ThrottlingException", "Rate exceeded", times=3)
        resource.update(new_props)
        settings_files = {k: n for k, n in world.account.writes.items() if "/.healthomics-run/" in k[1]
                          and not k[1].endswith(f"{resource.logical_id}.json")}
        assert len(settings_files) == 1 and list(settings_files.values()) == [1]
        assert started(world) == (0, 2)


def test_every_s3_call_of_the_handler_names_the_bucket_owner(monkeypatch, tmp_path):
    """``ExpectedBucketOwner`` on each call: a bucket that changed hands is refused with 403 (S3 User Guide,
    "Verifying bucket ownership with bucket owner condition"), before any parameter value is written to it."""
    from healthomics_run.service_calls import clients

    build = app("inline-cohort", "other-account", pattern=True)
    with deploy(monkeypatch, build, tmp_path, foreign=FOREIGN["other-account"]) as world:
        world.account.foreign[PARTNER_BUCKET] = partner_policy(world)
        calls = []
        clients.s3().meta.events.register("before-parameter-build.s3", lambda params, **_: calls.append(dict(params)))
        resource = world.resource()
        resource.create()
        assert calls and all(call.get("ExpectedBucketOwner") == OTHER_ACCOUNT for call in calls)
        world.account.foreign[PARTNER_BUCKET].owner = "999999999999"  # the bucket changed hands
        world.redeploy(app("inline-cohort", "other-account", pattern=True, change=True), tmp_path / "v2")
        with pytest.raises(RunError, match=r"cannot be read \(AccessDenied: .*ExpectedBucketOwner"):
            resource.update(world.resource(resource.logical_id).props)
        assert started(world) == (0, 1), "nothing is written to, or started for, a bucket that changed hands"


def _cohort_paths(world: StackWorld) -> tuple[str, dict[str, str], dict[str, str]]:
    """The cohort's output bucket, an output's and a record's ARN, and the prefixes that list each."""
    bucket = next(name for logical, name in world.deployed.names.items() if logical.startswith("CohortOutputBucket")
                  and "AccessLogs" not in logical)
    objects = {"output": f"arn:aws:s3:::{bucket}/CohortStack/Cohort/1000001/out/sample.vcf.gz",
               "record": f"arn:aws:s3:::{bucket}/CohortStack/Cohort/.healthomics-run/CohortStack/x/Cohort.json"}
    prefixes = {"output": "CohortStack/Cohort/1000001/", "record": "CohortStack/Cohort/.healthomics-run/"}
    return bucket, objects, prefixes


def assert_reads_outputs_and_not_records(may: Callable[..., tuple[bool, str]], bucket: str, objects: dict[str, str],
                                   prefixes: dict[str, str]) -> None:
    for action in ("s3:GetObject", "s3:GetObjectVersion"):  # the current version, and any older one
        assert may(action, objects["output"])[0], action
        assert not may(action, objects["record"])[0], action
    for action in ("s3:ListBucket", "s3:ListBucketVersions"):
        assert may(action, f"arn:aws:s3:::{bucket}", {"s3:prefix": prefixes["output"]})[0], action
        for prefix in (prefixes["record"], prefixes["record"] + "CohortStack/", prefixes["record"].rstrip("/")):
            assert not may(action, f"arn:aws:s3:::{bucket}", {"s3:prefix": prefix})[0], (action, prefix)


def test_grant_read_outputs_reads_the_outputs_but_not_the_cohorts_records(monkeypatch, tmp_path):
    """The ledger and the settings files hold sample ids and parameter values: an explicit Deny in the grantee's
    policy keeps them, and every older version of them, from whoever may read the outputs; listing the records
    folder is refused too.

    Sources: IAM User Guide, "Policy evaluation logic"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an explicit Deny in any
    policy wins over any Allow; S3 API Reference, GetObject, "Permissions"
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html): "If you include a versionId in your request
    header, you must have the s3:GetObjectVersion permission ... The s3:GetObject permission is not required";
    S3 API Reference, ListObjectVersions (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html):
    "you must have permission to perform the s3:ListBucketVersions action"; S3 User Guide, "Bucket policy examples
    using condition keys" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html): a
    listing's ``s3:prefix`` is a condition key."""
    def build(stack):
        cohort = HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=samples(2))
        cohort.grant_read_outputs(iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal()))
    with deploy(monkeypatch, build, tmp_path) as world:
        reader = next(logical for logical in world.deployed.of_type("AWS::IAM::Role") if "Reader" in logical)
        bucket, objects, prefixes = _cohort_paths(world)
        assert_reads_outputs_and_not_records(
            lambda action, resource, context=None: world.account.may(reader, action, resource, context, bucket=bucket),
            bucket, objects, prefixes)


@pytest.mark.parametrize("grantee", ["role", "account"])
def test_grant_read_outputs_to_another_account_denies_the_records_in_the_bucket_policy(monkeypatch, tmp_path, grantee):
    """A grantee of another account has an identity policy this stack cannot change, so the Deny goes in the output
    bucket's policy (which this stack creates), naming the grantee; across accounts the bucket policy must allow
    and nothing may deny (IAM User Guide, "Cross-account policy evaluation logic",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html). The
    other account's role here may do anything in S3 by its own policy.

    Sources: IAM User Guide, "Policy evaluation logic"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an explicit Deny in any
    policy wins over any Allow; S3 API Reference, GetObject, "Permissions"
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html): "If you include a versionId in your request
    header, you must have the s3:GetObjectVersion permission ... The s3:GetObject permission is not required";
    S3 API Reference, ListObjectVersions (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html):
    "you must have permission to perform the s3:ListBucketVersions action"; S3 User Guide, "Bucket policy examples
    using condition keys" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html): a
    listing's ``s3:prefix`` is a condition key."""
    from tests.iam_policy import Caller

    role_arn = f"arn:aws:iam::{OTHER_ACCOUNT}:role/Reader"

    def build(stack):
        cohort = HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=samples(2))
        cohort.grant_read_outputs(iam.ArnPrincipal(role_arn) if grantee == "role"
                                  else iam.AccountPrincipal(OTHER_ACCOUNT))
    with deploy(monkeypatch, build, tmp_path) as world:
        bucket, objects, prefixes = _cohort_paths(world)
        who = Caller(account=OTHER_ACCOUNT, arn=role_arn)
        everything = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
        assert_reads_outputs_and_not_records(
            lambda action, resource, context=None: world.account.may_as(who, everything, action, resource, context,
                                                                        bucket=bucket),
            bucket, objects, prefixes)


def test_grant_read_outputs_to_another_account_on_an_imported_bucket_warns_with_the_statement_to_add():
    """An imported bucket's policy cannot be changed by the stack (CDK adds nothing to it), nor can another
    account's identity policy: nothing would keep that grantee from the records, so synth says so."""
    from aws_cdk.assertions import Annotations, Match

    from healthomics_run.runs.health_omics_run import RECORDS_DENY_WARNING_ID
    from tests.synth import new_stack

    stack = new_stack()
    cohort = HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=samples(2),
                                 output_bucket=s3.Bucket.from_bucket_name(stack, "Outputs", IMPORTED_BUCKET))
    cohort.grant_read_outputs(iam.AccountPrincipal(OTHER_ACCOUNT))
    (warning,) = [m.entry.data for m in Annotations.from_stack(stack).find_warning("*", Match.any_value())
                  if RECORDS_DENY_WARNING_ID in str(m.entry.data)]
    assert f"'{IMPORTED_BUCKET}' is imported" in warning and "s3:GetObjectVersion" in warning
    assert "s3:prefix is like 'TestStack/Cohort/.healthomics-run*'" in warning


def test_a_samples_own_output_location_in_another_bucket_is_granted_to_the_created_role(monkeypatch, tmp_path):
    """A run whose role cannot write its output location fails with EXPORT_FAILED (HealthOmics guide, "Run
    failure reasons")."""
    def build(stack):
        rows = samples(2)
        rows[1]["output_uri"] = f"s3://{IMPORTED_BUCKET}/elsewhere/"
        HealthOmicsRunBatch(stack, "Cohort", workflow_id=WORKFLOW_ID, samples=rows)
    with deploy(monkeypatch, build, tmp_path, foreign=FOREIGN["imported"]) as world:
        world.resource().create()
        assert failed_runs(world) == [] and world.account.denied == []


def test_the_service_role_fails_a_run_that_writes_where_it_may_not(monkeypatch, tmp_path):
    """The world's HealthOmics acts as the service role: without its output statement the run fails with
    EXPORT_FAILED, as the HealthOmics guide's "Run failure reasons" names it."""
    with deploy(monkeypatch, app("run", "default", pattern=True), tmp_path) as world:
        role = next(logical for logical in world.deployed.of_type("AWS::IAM::Role") if "ServiceRole" in logical)
        statements = world.account.statements(role)
        world.account.removed = (role, next(s for s in statements if s["Action"] == ["s3:GetObject", "s3:PutObject"]))
        with pytest.raises(RunError,
                           match=r"ended FAILED: EXPORT_FAILED\. Cause: S3 access of the service role\. "
                                 r".* s3:PutObject"):
            world.resource().create()
        assert [run["failureReason"] for run in world.omics.runs.values()] == ["EXPORT_FAILED"]


def test_a_cohort_delete_polled_saves_the_ledger_only_when_it_changed(monkeypatch, tmp_path):
    """Each write of the ledger is a version the bucket keeps for 90 days (RunOutputBucket's noncurrent
    expiration): polls that cancel nothing new write nothing."""
    with deploy(monkeypatch, cohort_stack(2), tmp_path) as world:
        resource = world.resource()
        resource.create()
        bucket, key = ledger_location(world, resource)
        written = world.account.writes[(bucket, key)]
        request = resource.event("Delete", resource.props, PhysicalResourceId=resource.physical_id)
        answer = handler.on_event(request)
        after_delete = world.account.writes[(bucket, key)]
        for _ in range(3):
            handler.is_complete({**request, **answer})
        assert after_delete == written + 1
        assert world.account.writes[(bucket, key)] == after_delete


def test_workflows_versions_configurations_and_caches_of_the_app_run_in_the_account(monkeypatch, tmp_path):
    """A workflow built from a folder, a version of it, a VPC configuration and a run cache, each created in the
    stack and used by runs and a cohort: every StartRun / StartRunBatch is authorized against the workflow,
    version, configuration and cache ARNs the handler's policy names (Service Authorization Reference, StartRun:
    ``workflow``, ``run``, ``runGroup``, ``runCache``, ``configuration``), and the service role reaches the
    cache location; then each is deleted with CANCEL."""
    from aws_cdk import aws_ec2 as ec2

    from healthomics_run import Configuration, RunCache, Workflow, WorkflowEngine

    folder = Path(__file__).resolve().parent.parent / "workflows" / "hello"

    def build(stack):
        hello = Workflow(stack, "Hello", definition=str(folder), engine=WorkflowEngine.NEXTFLOW)
        v2 = hello.add_version("V2", version_name="v2", definition=str(folder))
        configuration = Configuration(stack, "VpcAccess", vpc=ec2.Vpc(stack, "Vpc", max_azs=2))
        cache = RunCache(stack, "Cache")
        shared = {"cache": cache, "configuration": configuration, "delete_policy": DeletePolicy.CANCEL}
        HealthOmicsRun(stack, "Latest", workflow=hello, parameters={"sample_name": "NA12878"}, **shared)
        HealthOmicsRun(stack, "Pinned", workflow=v2, parameters={"sample_name": "NA24385"}, **shared)
        HealthOmicsRunBatch(stack, "Cohort", workflow=v2, samples=samples(2), **shared)
    with deploy(monkeypatch, build, tmp_path) as world:
        for logical, resource in world.deployed.of_type("AWS::Omics::Workflow").items():
            template = {name: {"optional": True} for name in
                        resource["Properties"].get("ParameterTemplate", {}) or {"sample_name": {}}}
            world.omics.add_workflow(world.deployed.names[logical], template, versions={"v2": template})
        resources = [world.resource(logical) for logical in world.logical_ids("Custom::HealthOmicsRun")
                     + world.logical_ids("Custom::HealthOmicsRunBatch")]
        for resource in resources:
            resource.create()
        assert started(world) == (2, 1)
        for resource in resources:
            resource.delete()
        assert world.account.denied == [] and failed_runs(world) == []
        assert {params["cacheId"] for params in world.omics.params_of("StartRun")} == set(world.omics.run_caches)
