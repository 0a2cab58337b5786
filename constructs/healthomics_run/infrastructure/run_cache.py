"""Run caches keep the outputs of a run's tasks so that later runs can reuse them (call caching)."""

from __future__ import annotations

import re
from typing import Any, Optional, Union

from aws_cdk import Annotations, Arn, ArnFormat, IResource, Resource, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_omics as omics
from aws_cdk import aws_s3 as s3
from typing_extensions import Protocol, runtime_checkable

from constructs import Construct
from healthomics_run.construct_helpers.interfaces import ResourceProtocolMeta
from healthomics_run.construct_helpers.validation import acknowledge, add_check, is_unresolved, wildcard_finding
from healthomics_run.enums import CacheBehavior
from healthomics_run.run_model import rules, service_model

from .output_bucket import RunOutputBucket

_ARN = re.compile(r"arn:[^:]+:omics:[^:]+:[0-9]{12}:runCache/(?P<id>[^/]+)")
_ARN_FORMAT = "arn:<partition>:omics:<region>:<account>:runCache/<id>"
NO_LOCATION_WARNING_ID = "healthomics-run::run-cache-location-unknown"
_WILDCARD_REASON = ("HealthOmics names the cached task outputs itself; the wildcard covers only the objects "
                    "under the run cache's S3 location.")


@runtime_checkable
class IRunCache(IResource, Protocol, metaclass=ResourceProtocolMeta):
    """A run cache: created here (``RunCache``) or imported (``RunCache.from_run_cache_arn`` /
    ``from_run_cache_id``).

    An ``aws_cdk.IResource``, so it also has ``stack``, ``env``, ``node`` and ``apply_removal_policy``.
    """

    cache_id: str
    """The run cache's id (a token for a created cache)."""
    cache_arn: str
    """``arn:<partition>:omics:<region>:<account>:runCache/<id>``."""
    cache_behavior: Optional[str]
    """Its default behaviour as a plain string such as ``"CACHE_ON_FAILURE"``; ``None`` when unknown (an
    imported cache whose behaviour was not given)."""

    def grant_service_role(self, role: iam.IGrantable) -> iam.Grant:
        """Give a run's service role what it needs to use this cache, and return the grant."""
        ...


class _RunCacheBase(Resource, IRunCache):
    """The S3 location of a cache, its grant and the checks shared by created and imported caches."""

    bucket: Optional[s3.IBucket]
    prefix: str

    @property
    def cache_s3_uri(self) -> Optional[str]:
        """``s3://bucket/prefix``, or ``None`` for an imported cache whose location was not given."""
        return None if self.bucket is None else f"s3://{self.bucket.bucket_name}/{self.prefix}"

    def grant_service_role(self, role: iam.IGrantable) -> iam.Grant:
        """Let a run's service role read, write and list the cache location (``s3:GetObject`` and
        ``s3:PutObject`` on the objects under the prefix, ``s3:ListBucket`` on the bucket) and use the
        bucket's customer managed KMS key, if it has one.

        An imported cache whose location (``bucket``) was not given cannot be granted: then the grant
        returned does nothing (``iam.Grant.drop``) and a synth warning (id
        ``healthomics-run::run-cache-location-unknown``) on the cache says so. Import the cache with
        ``bucket=`` (and ``prefix=``), or give the role access to the cache location yourself and
        acknowledge the warning (``Validations.of(cache).acknowledge(Acknowledgment(id=..., reason=...))``).

        :returns: the grant of the principal's statements (and of the key, if any).
        """
        if self.bucket is None:
            Annotations.of(self).add_warning_v2(
                NO_LOCATION_WARNING_ID,
                f"run cache {self.cache_arn if not is_unresolved(self.cache_arn) else self.node.path} was imported "
                f"without its S3 location, so {_principal_name(role)} was given no access to it and runs that use the "
                "cache cannot read or write it: import it with bucket= (and prefix=), or grant the role "
                "s3:GetObject, s3:PutObject and s3:ListBucket on the cache location yourself")
            return iam.Grant.drop(role, f"use the run cache {self.node.path}")
        objects = self.bucket.arn_for_objects(f"{self.prefix}*")
        grant = iam.Grant.add_to_principal(grantee=role, actions=["s3:GetObject", "s3:PutObject"],
                                           resource_arns=[objects])
        grant = grant.combine(iam.Grant.add_to_principal(grantee=role, actions=["s3:ListBucket"],
                                                         resource_arns=[self.bucket.bucket_arn]))
        if self.bucket.encryption_key is not None:
            grant = grant.combine(self.bucket.encryption_key.grant_encrypt_decrypt(role))
        principal = role.grant_principal
        if isinstance(principal, Construct):
            try:
                acknowledge(principal, (wildcard_finding(principal, objects), _WILDCARD_REASON))
            except ValueError:
                pass  # a prefix built from other intrinsics: cdk-nag reports the wildcard for review
        return grant

    def _location_errors(self) -> list[str]:
        if self.bucket is None:
            return []
        pattern = service_model.input_members("CreateRunCache")["cacheS3Location"]["pattern"]
        errors = []
        if not is_unresolved(self.prefix):
            if self.prefix.startswith("/"):
                errors.append(f"prefix must not start with '/' (it follows s3://bucket/); got {self.prefix!r}")
            elif not re.fullmatch(pattern, f"s3://bucket/{self.prefix}"):
                errors.append("prefix must be at most 1024 characters on one line (the cache location must "
                              f"match {pattern}); got {len(self.prefix)} characters")
        name = self.bucket.bucket_name
        if not is_unresolved(name) and not re.fullmatch(pattern, f"s3://{name}"):
            errors.append("bucket must have a name of 3 to 63 lowercase letters, digits, dots and hyphens "
                          f"(the cache location must match {pattern}); got {name!r}")
        here, there = Stack.of(self).region, self.bucket.env.region
        if not is_unresolved(here) and not is_unresolved(there) and here != there:
            errors.append(f"bucket must be in the stack's Region {here}: HealthOmics uses a run cache only in "
                          f"its own Region; got a bucket in {there}")
        return errors


class RunCache(_RunCacheBase):
    """An ``AWS::Omics::RunCache``: where HealthOmics keeps task outputs for later runs to reuse.

    Props are checked against the service's ``CreateRunCache`` constraints at synth time (values
    that are tokens are checked by CloudFormation at deploy time). Deleting the run cache leaves
    its data in S3. Keep the cache location in S3 Standard-like classes: call caching does not read
    objects archived in Glacier.

    Attributes: ``cache_id``, ``cache_arn`` (tokens), ``bucket``, ``prefix``, ``cache_s3_uri``,
    ``cache_behavior`` (a plain string), ``resource`` (the ``CfnRunCache``).
    Tag it with ``Tags.of(cache).add(key, value)``.

    :param bucket: the bucket holding the cache; it must be in the stack's Region.
        Default: a new ``RunOutputBucket`` (SSE-KMS with the AWS managed key, SSL-only, block public
        access, versioned, access logs, retained).
    :param prefix: key prefix of the cache location in ``bucket``. Default: the construct's path and ``/``.
    :param cache_behavior: the default behaviour of runs that use the cache (a run may override it).
        Default: ``CacheBehavior.CACHE_ON_FAILURE``.
    :param name: 1 to 128 characters. Default: the construct's path (last 128 characters).
    :param description: 1 to 256 characters. Default: none.
    :param bucket_owner_id: the 12-digit account id that owns ``bucket``. Default: none (the service
        expects this account).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: Optional[s3.IBucket] = None,
        prefix: Optional[str] = None,
        cache_behavior: Union[CacheBehavior, str] = CacheBehavior.CACHE_ON_FAILURE,
        name: Optional[str] = None,
        description: Optional[str] = None,
        bucket_owner_id: Optional[str] = None,
    ) -> None:
        super().__init__(scope, id)
        self.bucket: s3.IBucket = bucket if bucket is not None else RunOutputBucket(self, "Bucket")
        self.prefix: str = prefix if prefix is not None else f"{self.node.path}/"
        self.cache_behavior: str = _plain(cache_behavior)
        name = name if name is not None else self.node.path[-128:]
        add_check(self, lambda: self._location_errors() + _create_errors(
            name=name, description=description, cache_behavior=self.cache_behavior, bucket_owner_id=bucket_owner_id))
        self.resource = omics.CfnRunCache(
            self, "Resource", cache_s3_location=self.cache_s3_uri, cache_behavior=self.cache_behavior,
            cache_bucket_owner_id=bucket_owner_id, name=name, description=description)
        self.cache_id: str = self.resource.attr_id
        self.cache_arn: str = self.resource.attr_arn

    @classmethod
    def from_run_cache_arn(cls, scope: Construct, id: str, arn: str, *,
                           cache_behavior: Union[CacheBehavior, str, None] = None,
                           bucket: Optional[s3.IBucket] = None, prefix: str = "") -> IRunCache:
        """An existing run cache, by ARN (``arn:<partition>:omics:<region>:<account>:runCache/<id>``).

        :param cache_behavior: its default behaviour, if known. Default: unknown (``None``).
        :param bucket: the bucket of its S3 location, so ``grant_service_role`` can grant access.
            Default: unknown; ``grant_service_role`` then grants nothing and warns at synth.
        :param prefix: the key prefix of its S3 location in ``bucket``. Default: ``""`` (the whole bucket).
        """
        if is_unresolved(arn):
            cache_id = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME).resource_name or ""  # a token: never empty
        else:
            match = _ARN.fullmatch(arn)
            cache_id = match["id"] if match else ""
        return _ImportedRunCache(scope, id, cache_id=cache_id, cache_arn=arn, cache_behavior=cache_behavior,
                                 bucket=bucket, prefix=prefix, by_arn=True)

    @classmethod
    def from_run_cache_id(cls, scope: Construct, id: str, cache_id: str, *,
                          cache_behavior: Union[CacheBehavior, str, None] = None,
                          bucket: Optional[s3.IBucket] = None, prefix: str = "") -> IRunCache:
        """An existing run cache in this stack's account and Region, by id (digits).

        Same keyword arguments as ``from_run_cache_arn``.
        """
        arn = Stack.of(scope).format_arn(service="omics", resource="runCache", resource_name=cache_id)
        return _ImportedRunCache(scope, id, cache_id=cache_id, cache_arn=arn, cache_behavior=cache_behavior,
                                 bucket=bucket, prefix=prefix)


class _ImportedRunCache(_RunCacheBase):
    def __init__(self, scope: Construct, id: str, *, cache_id: str, cache_arn: str,
                 cache_behavior: Union[CacheBehavior, str, None], bucket: Optional[s3.IBucket], prefix: str,
                 by_arn: bool = False) -> None:
        # By ARN, its account and Region are the ARN's (env), which a run of another Region is checked against.
        from_arn = by_arn and not is_unresolved(cache_arn) and _ARN.fullmatch(cache_arn) is not None
        super().__init__(scope, id, environment_from_arn=cache_arn if from_arn else None)
        self.cache_id, self.cache_arn = cache_id, cache_arn
        self.cache_behavior = None if cache_behavior is None else _plain(cache_behavior)
        self.bucket, self.prefix = bucket, prefix
        add_check(self, lambda: self._import_errors() + self._location_errors())

    def _import_errors(self) -> list[str]:
        errors = []
        if not is_unresolved(self.cache_arn) and not _ARN.fullmatch(self.cache_arn):
            errors.append(f"arn must be a run cache ARN, {_ARN_FORMAT}; got {self.cache_arn!r}")
        elif not is_unresolved(self.cache_id):
            errors += rules.member_errors("cache_id", self.cache_id, service_model.input_members("StartRun")["cacheId"])
        if self.cache_behavior is not None and not is_unresolved(self.cache_behavior):
            errors += rules.member_errors("cache_behavior", self.cache_behavior,
                                          service_model.input_members("CreateRunCache")["cacheBehavior"])
        return errors


def _principal_name(role: iam.IGrantable) -> str:
    principal = role.grant_principal
    return f"the role {principal.node.path}" if isinstance(principal, Construct) else "the run's service role"


def _plain(value: Union[CacheBehavior, str]) -> str:
    return value.value if isinstance(value, CacheBehavior) else value


def _create_errors(*, bucket_owner_id: Optional[str], **props: Any) -> list[str]:
    members = service_model.input_members("CreateRunCache")
    api = {"name": "name", "description": "description", "cache_behavior": "cacheBehavior"}
    errors = []
    for prop, value in props.items():
        if value is not None and not is_unresolved(value):
            errors += rules.member_errors(prop, value, members[api[prop]])
    if (bucket_owner_id is not None and not is_unresolved(bucket_owner_id)
            and rules.member_errors("bucket_owner_id", bucket_owner_id, members["cacheBucketOwnerId"])):
        errors.append(f"bucket_owner_id must be an AWS account id of 12 digits; got {bucket_owner_id!r}")
    return errors
