"""RunCache: the AWS::Omics::RunCache it synthesizes, its bucket, its grant, imports and synth-time checks."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

from healthomics_run import (
    CacheBehavior,
    HealthOmicsRun,
    HealthOmicsRunBatch,
    RunCache,
    RunServiceRole,
    ValidationError,
)
from tests.synth import new_stack, template

CACHE_BUCKET = "example-cache-bucket"
CACHE_ARN = "arn:aws:omics:us-east-1:123456789012:runCache/1234567"


def run_role(stack: cdk.Stack) -> iam.Role:
    return iam.Role(stack, "RunRole", assumed_by=iam.ServicePrincipal("omics.amazonaws.com"))


def statements(stack: cdk.Stack) -> list[dict]:
    policies = template(stack).find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def only_bucket_id(stack: cdk.Stack) -> str:
    buckets = template(stack).find_resources("AWS::S3::Bucket", {"Properties": {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}}})
    (bucket_id,) = buckets
    return bucket_id


def test_run_cache_stores_under_its_path_in_its_bucket_with_cache_on_failure_by_default():
    stack = new_stack()
    cache = RunCache(stack, "Cache")
    bucket = only_bucket_id(stack)
    template(stack).has_resource_properties("AWS::Omics::RunCache", {
        "CacheS3Location": {"Fn::Join": ["", ["s3://", {"Ref": bucket}, "/TestStack/Cache/"]]},
        "CacheBehavior": "CACHE_ON_FAILURE",
        "Name": "TestStack/Cache",
        "Description": Match.absent(),
        "CacheBucketOwnerId": Match.absent(),
    })
    assert cache.cache_behavior == "CACHE_ON_FAILURE" and cache.prefix == "TestStack/Cache/"
    (cache_id,) = template(stack).find_resources("AWS::Omics::RunCache")
    assert stack.resolve(cache.cache_id) == {"Fn::GetAtt": [cache_id, "Id"]}
    assert stack.resolve(cache.cache_arn) == {"Fn::GetAtt": [cache_id, "Arn"]}
    assert stack.resolve(cache.cache_s3_uri) == {"Fn::Join": ["", ["s3://", {"Ref": bucket}, "/TestStack/Cache/"]]}


def test_default_name_is_the_last_128_characters_of_the_construct_path():
    stack = new_stack()
    cache = RunCache(stack, "C" * 200)
    template(stack).has_resource_properties("AWS::Omics::RunCache", {"Name": cache.node.path[-128:]})


def test_default_bucket_is_kms_encrypted_private_ssl_only_versioned_and_logged():
    stack = new_stack()
    RunCache(stack, "Cache")
    t = template(stack)
    t.resource_count_is("AWS::S3::Bucket", 2)  # the cache bucket and its access-log bucket
    t.has_resource_properties("AWS::S3::Bucket", {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "VersioningConfiguration": {"Status": "Enabled"},
        "LoggingConfiguration": Match.object_like({"LogFilePrefix": "Bucket/"}),
    })
    t.has_resource_properties("AWS::S3::BucketPolicy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])}})
    t.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Retain"})


def test_bring_your_own_bucket_prefix_and_settings():
    stack = new_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "CacheBucket", CACHE_BUCKET)
    cache = RunCache(stack, "Cache", bucket=bucket, prefix="caches/germline/",
                     cache_behavior=CacheBehavior.CACHE_ALWAYS,
                     name="germline cache", description="Task outputs of germline runs",
                     bucket_owner_id="123456789012")
    t = template(stack)
    t.resource_count_is("AWS::S3::Bucket", 0)
    t.has_resource_properties("AWS::Omics::RunCache", {
        "CacheS3Location": f"s3://{CACHE_BUCKET}/caches/germline/",
        "CacheBehavior": "CACHE_ALWAYS",
        "Name": "germline cache",
        "Description": "Task outputs of germline runs",
        "CacheBucketOwnerId": "123456789012",
    })
    assert cache.cache_behavior == "CACHE_ALWAYS" and type(cache.cache_behavior) is str
    assert cache.cache_s3_uri == f"s3://{CACHE_BUCKET}/caches/germline/"


def test_grant_service_role_allows_read_and_write_under_the_prefix_and_listing_the_bucket():
    stack = new_stack()
    cache = RunCache(stack, "Cache", bucket=s3.Bucket.from_bucket_name(stack, "CacheBucket", CACHE_BUCKET),
                     prefix="caches/germline/")
    cache.grant_service_role(run_role(stack))
    bucket_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{CACHE_BUCKET}"]]}
    objects = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{CACHE_BUCKET}/caches/germline/*"]]}
    assert statements(stack) == [
        {"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Allow", "Resource": objects},
        {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": bucket_arn},
    ]


def test_grant_service_role_on_the_default_bucket_is_scoped_to_the_cache_path():
    stack = new_stack()
    cache = RunCache(stack, "Cache")
    cache.grant_service_role(run_role(stack))
    bucket_arn = {"Fn::GetAtt": [only_bucket_id(stack), "Arn"]}
    assert statements(stack) == [
        {"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Allow",
         "Resource": {"Fn::Join": ["", [bucket_arn, "/TestStack/Cache/*"]]}},
        {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": bucket_arn},
    ]


def test_grant_service_role_adds_the_customer_managed_key_of_the_bucket():
    stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket.from_bucket_attributes(stack, "CacheBucket", bucket_name=CACHE_BUCKET, encryption_key=key)
    RunCache(stack, "Cache", bucket=bucket).grant_service_role(run_role(stack))
    (key_statement,) = [s for s in statements(stack) if "kms:Decrypt" in s["Action"]]
    assert "kms:Encrypt" in key_statement["Action"]
    assert key_statement["Resource"] == {"Fn::GetAtt": ["Key961B73FD", "Arn"]}


def test_import_by_arn_takes_the_id_from_the_arn():
    stack = new_stack()
    cache = RunCache.from_run_cache_arn(stack, "Cache", CACHE_ARN, cache_behavior=CacheBehavior.CACHE_ALWAYS)
    assert (cache.cache_id, cache.cache_arn, cache.cache_behavior) == ("1234567", CACHE_ARN, "CACHE_ALWAYS")
    cdk.App.of(stack).synth()


def test_import_by_arn_token_selects_the_id_at_deploy_time():
    stack = new_stack()
    arn = cdk.CfnParameter(stack, "CacheArn").value_as_string
    cache = RunCache.from_run_cache_arn(stack, "Cache", arn)
    assert stack.resolve(cache.cache_id) == {"Fn::Select": [1, {"Fn::Split": ["/", {"Fn::Select": [
        5, {"Fn::Split": [":", {"Ref": "CacheArn"}]}]}]}]}
    assert cache.cache_behavior is None
    cdk.App.of(stack).synth()


def test_import_by_id_builds_the_arn_in_the_stacks_account_and_region():
    stack = new_stack()
    cache = RunCache.from_run_cache_id(stack, "Cache", "1234567")
    assert cache.cache_id == "1234567" and cache.cache_behavior is None
    assert stack.resolve(cache.cache_arn) == {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":omics:", {"Ref": "AWS::Region"}, ":",
        {"Ref": "AWS::AccountId"}, ":runCache/1234567"]]}


def test_imported_cache_with_a_location_grants_it():
    stack = new_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "CacheBucket", CACHE_BUCKET)
    RunCache.from_run_cache_id(stack, "Cache", "1234567", bucket=bucket, prefix="germline/").grant_service_role(
        run_role(stack))
    assert [s["Action"] for s in statements(stack)] == [["s3:GetObject", "s3:PutObject"], "s3:ListBucket"]
    assert statements(stack)[0]["Resource"]["Fn::Join"][1][-1] == f":s3:::{CACHE_BUCKET}/germline/*"


def test_imported_cache_without_a_location_grants_nothing_and_says_so():
    stack = new_stack()
    grant = RunCache.from_run_cache_arn(stack, "Cache", CACHE_ARN).grant_service_role(run_role(stack))
    assert isinstance(grant, iam.Grant) and grant.principal_statements == []
    template(stack).resource_count_is("AWS::IAM::Policy", 0)
    Annotations.from_stack(stack).has_warning("/TestStack/Cache", Match.string_like_regexp(
        f"run cache {CACHE_ARN} was imported without its S3 location.*bucket="))


def _foreign_bucket(stack):
    return s3.Bucket.from_bucket_attributes(stack, "CacheBucket", bucket_name=CACHE_BUCKET, region="eu-west-1")


@pytest.mark.parametrize("build, message", [
    (lambda s: RunCache(s, "Cache", name="x" * 129), "name must be 1 to 128 characters long, got 129"),
    (lambda s: RunCache(s, "Cache", name=""), "name must be 1 to 128 characters long, got 0"),
    (lambda s: RunCache(s, "Cache", description="d" * 257), "description must be 1 to 256 characters long, got 257"),
    (lambda s: RunCache(s, "Cache", cache_behavior="SOMETIMES"),
     "cache_behavior must be one of CACHE_ON_FAILURE, CACHE_ALWAYS; got 'SOMETIMES'"),
    (lambda s: RunCache(s, "Cache", bucket_owner_id="12345"),
     "bucket_owner_id must be an AWS account id of 12 digits; got '12345'"),
    (lambda s: RunCache(s, "Cache", bucket_owner_id="12345678901x"), "bucket_owner_id must be an AWS account id"),
    (lambda s: RunCache(s, "Cache", prefix="/cache/"), "prefix must not start with '/'"),
    (lambda s: RunCache(s, "Cache", prefix="p" * 1025),
     "prefix must be at most 1024 characters on one line (the cache location must match s3://"),
    (lambda s: RunCache(s, "Cache", bucket=s3.Bucket.from_bucket_name(s, "B", "Upper_Case")),
     "bucket must have a name of 3 to 63 lowercase letters, digits, dots and hyphens"),
    (lambda s: RunCache(s, "Cache", bucket=_foreign_bucket(s)),
     "bucket must be in the stack's Region us-east-1: HealthOmics uses a run cache only in its own Region; "
     "got a bucket in eu-west-1"),
    (lambda s: RunCache.from_run_cache_arn(s, "Cache", "arn:aws:omics:us-east-1:123456789012:runGroup/1234567"),
     "arn must be a run cache ARN, arn:<partition>:omics:<region>:<account>:runCache/<id>"),
    (lambda s: RunCache.from_run_cache_arn(s, "Cache", "arn:aws:omics:us-east-1:123456789012:runCache/abc"),
     "cache_id must match the pattern [0-9]+; got 'abc'"),
    (lambda s: RunCache.from_run_cache_id(s, "Cache", "cache-1"), "cache_id must match the pattern [0-9]+"),
    (lambda s: RunCache.from_run_cache_id(s, "Cache", "1234567", cache_behavior="NEVER"),
     "cache_behavior must be one of CACHE_ON_FAILURE, CACHE_ALWAYS; got 'NEVER'"),
])
def test_invalid_prop_fails_synthesis_naming_it(build, message):
    stack = cdk.Stack(cdk.App(), "TestStack", env=cdk.Environment(region="us-east-1"))
    build(stack)
    with pytest.raises(Exception) as raised:
        cdk.App.of(stack).synth()
    assert message in str(raised.value)


def test_every_problem_is_reported_at_once():
    stack = new_stack()
    RunCache(stack, "Cache", name="", cache_behavior="SOMETIMES", prefix="/x")
    with pytest.raises(Exception) as raised:
        cdk.App.of(stack).synth()
    assert all(prop in str(raised.value) for prop in ("name must", "cache_behavior must", "prefix must"))


def test_values_known_only_at_deploy_time_are_not_validated():
    stack = new_stack()
    text = cdk.CfnParameter(stack, "Text").value_as_string
    cache = RunCache(stack, "Cache", bucket=s3.Bucket.from_bucket_name(stack, "CacheBucket", text), prefix=text,
                     cache_behavior=text, name=text, description=text, bucket_owner_id=text)
    RunCache.from_run_cache_id(stack, "Imported", text, cache_behavior=text)
    cdk.App.of(stack).synth()
    assert stack.resolve(cache.cache_behavior) == {"Ref": "Text"}


def test_cdk_nag_finds_nothing_unacknowledged(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "CacheStack")
    RunCache(stack, "Cache").grant_service_role(RunServiceRole(stack, "ServiceRole"))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))
    app.synth()  # raises ValidationFailed when any finding is not acknowledged
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert all(r["conclusion"] == "success" for r in report["pluginReports"]), report


def test_grant_acknowledges_only_the_cache_wildcard_on_the_role_with_a_reason():
    stack = new_stack()
    role = run_role(stack)
    RunCache(stack, "Cache").grant_service_role(role)
    acknowledged = {rule: reason for entry in role.node.metadata
                    if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY for rule, reason in entry.data.items()}
    bucket = only_bucket_id(stack)
    (rule,) = acknowledged
    assert rule.endswith(f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/TestStack/Cache/*]")
    assert "run cache" in next(iter(acknowledged.values()))


# -- cache= on runs and batches ------------------------------------------------------------

def _cached(stack: cdk.Stack, construct=HealthOmicsRun, **props):
    cache = RunCache(stack, "Cache")
    extra = {"samples": [{"run_setting_id": "S1"}]} if construct is HealthOmicsRunBatch else {}
    return cache, construct(stack, "Germline", workflow_id="1234567", cache=cache, **extra, **props)


@pytest.mark.parametrize("construct, resource_type", [(HealthOmicsRun, "Custom::HealthOmicsRun"),
                                                      (HealthOmicsRunBatch, "Custom::HealthOmicsRunBatch")])
def test_cache_prop_sets_the_cache_id_of_runs_and_batches(construct, resource_type):
    stack = new_stack()
    cache, _ = _cached(stack, construct)
    (resource,) = template(stack).find_resources(resource_type).values()
    assert resource["Properties"]["CacheId"] == stack.resolve(cache.cache_id)


def test_cache_prop_gives_the_service_role_the_cache_location():
    stack = new_stack()
    cache, run = _cached(stack)
    role_policy = template(stack).find_resources("AWS::IAM::Policy", {"Properties": {
        "Roles": [stack.resolve(run.role.role_name)]}})
    granted = json.dumps(role_policy)
    assert json.dumps(stack.resolve(cache.bucket.arn_for_objects(f"{cache.prefix}*"))) in granted
    assert '"s3:PutObject"' in granted


def test_the_handler_may_start_runs_with_that_cache_only():
    stack = new_stack()
    cache, _ = _cached(stack)
    start = next(s for s in statements(stack) if s["Action"][0] == "omics:StartRun")
    assert stack.resolve(cache.cache_arn) in start["Resource"]


def test_cache_and_cache_id_together_are_refused():
    with pytest.raises(ValidationError, match="give cache \\(a RunCache\\) or cache_id, not both"):
        _cached(new_stack(), cache_id="7654321")
