"""The IAM policy evaluator of the test world (``tests/iam_policy.py``), on the examples and rules AWS documents.

Every "allowed" verdict of the account world comes from this evaluator, so it is tested here on its own: each test
takes one behaviour from an AWS documentation page (named with its URL in the test's docstring), uses AWS's own
example policy and request where the page gives one, and checks the verdict both ways where a control is needed
to show the test can fail. Account ids are placeholders: 111111111111 calls, 222222222222 is another account.
"""

from __future__ import annotations

from typing import Any, Optional

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.account_world import Account, ForeignBucket, aws_managed_s3_key
from tests.deployed import Deployed
from tests.fake_omics import ACCOUNT, REGION
from tests.iam_policy import Caller, Policies

ME, OTHER = "111111111111", "222222222222"
ROLE = f"arn:aws:iam::{ME}:role/example-role"
ANOTHER_ROLE = f"arn:aws:iam::{ME}:role/another-role"
CALLER = Caller(account=ME, arn=ROLE)
FOREIGN_CALLER = Caller(account=OTHER, arn=f"arn:aws:iam::{OTHER}:role/partner-role")
KEY = f"arn:aws:kms:{REGION}:{ME}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VIA_S3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:CallerAccount": ME}


def allow(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def allowed(action: str, resource: str, identity: list[dict[str, Any]], resource_policy: Optional[list] = None, *,
            owner: str = ME, who: Caller = CALLER, context: Optional[dict[str, Any]] = None,
            key_policy: bool = False, session: Optional[list[dict[str, Any]]] = None) -> bool:
    policies = Policies(identity, resource_policy or [], owner, session)
    return policies.decide(who, action, resource, context or {}, key_policy=key_policy).allowed


# -- explicit and implicit deny ----------------------------------------------------------------------------------

IAM_READ_NO_REPORTS = [allow(["iam:Get*", "iam:List*"], Sid="AllowGetList"),
                       deny("iam:*Report", Sid="DenyReports")]


def test_an_explicit_deny_beats_an_allow_even_one_in_another_policy():
    """AWS's example: AllowGetList allows ``iam:Get*`` and ``iam:List*``, DenyReports denies the actions ending in
    ``Report``; a request for ``iam:GetOrganizationsAccessReport`` is explicitly denied, and "If someone adds
    another policy ... to grant them access to IAM reports, such as iam:GenerateCredentialReport", the Deny still
    wins. Source: IAM User Guide, "The difference between explicit and implicit denies",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html"""
    assert allowed("iam:GetUser", "*", IAM_READ_NO_REPORTS)
    assert not allowed("iam:GetOrganizationsAccessReport", "*", IAM_READ_NO_REPORTS)
    assert not allowed("iam:GenerateCredentialReport", "*",
                       [*IAM_READ_NO_REPORTS, allow("iam:GenerateCredentialReport")])


def test_an_action_no_statement_allows_is_implicitly_denied():
    """Same example: "All other actions in IAM, such as iam:CreatePolicy are implicitly denied" ("An implicit
    denial occurs when there is no applicable Deny statement but also no applicable Allow statement"). Source:
    IAM User Guide, "The difference between explicit and implicit denies",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html"""
    assert allowed("iam:ListRoles", "*", IAM_READ_NO_REPORTS)
    assert not allowed("iam:CreatePolicy", "*", IAM_READ_NO_REPORTS)
    assert not allowed("iam:GetUser", "*", [])


# -- identity-based and resource-based policies, in one account and across accounts -------------------------------

LOGS = "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs"
CARLOS_IDENTITY = [allow(["s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject"], [LOGS, f"{LOGS}/*"])]
CARLOS_BUCKET = [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:PutObject", "Resource": f"{LOGS}/*"}]


def test_in_one_account_a_resource_policy_naming_the_caller_allows_what_its_identity_policy_does_not():
    """AWS's example: Carlos's identity policy allows only reading the logs bucket; the bucket policy allows him
    ``s3:PutObject``; saving a file is allowed, because "If either the identity-based policy or the resource-based
    policy within the same account allows the request and the other doesn't, the request is still allowed".
    Source: IAM User Guide, "Policy evaluation for requests within a single account",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html"""
    assert allowed("s3:PutObject", f"{LOGS}/app.log", CARLOS_IDENTITY, CARLOS_BUCKET)
    assert not allowed("s3:PutObject", f"{LOGS}/app.log", CARLOS_IDENTITY, [])


def test_in_one_account_an_identity_policy_allows_what_the_resource_policy_does_not_name():
    """Same example, the other half: the bucket policy says nothing of ``s3:GetObject``; Carlos's identity policy
    allows it, which is enough in one account. Source: IAM User Guide, "Policy evaluation for requests within a
    single account", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html"""
    assert allowed("s3:GetObject", f"{LOGS}/app.log", CARLOS_IDENTITY, CARLOS_BUCKET)
    assert not allowed("s3:DeleteObject", f"{LOGS}/app.log", CARLOS_IDENTITY, CARLOS_BUCKET)


SHARED = "arn:aws:s3:::example-shared-bucket"
PARTNER_IDENTITY = [allow("s3:GetObject", f"{SHARED}/*")]
BUCKET_FOR_PARTNER = [{"Effect": "Allow", "Principal": {"AWS": FOREIGN_CALLER.arn}, "Action": "s3:GetObject",
                       "Resource": f"{SHARED}/*"}]


def test_across_accounts_the_identity_policy_alone_is_not_enough():
    """"To allow cross-account access, you attach a resource-based policy to the resource ... You must also attach
    an identity-based policy to the identity that acts as the principal in the request." Source: IAM User Guide,
    "Cross-account policy evaluation logic",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"""
    assert not allowed("s3:GetObject", f"{SHARED}/data.csv", PARTNER_IDENTITY, [], who=FOREIGN_CALLER)
    assert allowed("s3:GetObject", f"{SHARED}/data.csv", PARTNER_IDENTITY, BUCKET_FOR_PARTNER, who=FOREIGN_CALLER)


def test_across_accounts_the_resource_policy_alone_is_not_enough():
    """The principal's identity-based policy "must allow the requested access to the resource in the trusting
    service", even when the resource policy names the principal. Source: IAM User Guide, "Cross-account policy
    evaluation logic", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"""
    assert not allowed("s3:GetObject", f"{SHARED}/data.csv", [], BUCKET_FOR_PARTNER, who=FOREIGN_CALLER)
    assert allowed("s3:GetObject", f"{SHARED}/data.csv", PARTNER_IDENTITY, BUCKET_FOR_PARTNER, who=FOREIGN_CALLER)


def test_a_resource_policy_naming_an_account_delegates_to_that_accounts_iam_policies():
    """"When you use an AWS account identifier as the principal in a policy, you delegate authority to the
    account. All identities inside the account can access the resource if they have the appropriate IAM
    permissions attached to explicitly allow access." So a bucket policy naming the caller's account root does not
    by itself let a role of that account in. Source: IAM User Guide, "AWS JSON policy elements: Principal" (AWS
    account principals), https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    to_account = [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ME}:root"}, "Action": "s3:GetObject",
                   "Resource": f"{SHARED}/*"}]
    assert not allowed("s3:GetObject", f"{SHARED}/data.csv", [], to_account)
    assert allowed("s3:GetObject", f"{SHARED}/data.csv", [allow("s3:GetObject", f"{SHARED}/*")], to_account)


# -- NotAction, NotResource, NotPrincipal ------------------------------------------------------------------------

def test_notaction_with_allow_allows_every_action_on_the_resource_but_those_listed():
    """AWS's example: ``"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::*"`` allows
    "all of the Amazon S3 actions that can be performed on any S3 resource except for deleting a bucket". Source:
    IAM User Guide, "IAM JSON policy elements: NotAction",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"""
    policy = [{"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::*"}]
    assert allowed("s3:GetObject", "arn:aws:s3:::example-bucket/key", policy)
    assert not allowed("s3:DeleteBucket", "arn:aws:s3:::example-bucket", policy)


def test_notaction_with_deny_denies_every_action_but_those_listed():
    """AWS's example DenyAllUsersNotUsingMFA: ``Deny`` with ``NotAction: iam:*`` and ``BoolIfExists
    aws:MultiFactorAuthPresent false`` denies non-IAM actions to a user not signed in with MFA; signed in with
    MFA, "the Condition test fails and the final Deny statement has no effect". Source: IAM User Guide, "IAM JSON
    policy elements: NotAction", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"""
    policy = [allow("*"), {"Sid": "DenyAllUsersNotUsingMFA", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
                           "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]
    without_mfa = {"aws:MultiFactorAuthPresent": "false"}
    assert not allowed("s3:GetObject", "arn:aws:s3:::example-bucket/key", policy, context=without_mfa)
    assert allowed("iam:ChangePassword", "*", policy, context=without_mfa)
    assert allowed("s3:GetObject", "arn:aws:s3:::example-bucket/key", policy,
                   context={"aws:MultiFactorAuthPresent": "true"})


def test_notresource_with_deny_denies_every_resource_but_those_listed():
    """AWS's example: the HRPayroll policy denies ``s3:*`` with ``NotResource`` the ``Payroll`` folder of
    ``HRBucket``: "explicitly denies access to all Amazon S3 resources other than the listed resources" (and grants
    nothing by itself). Source: IAM User Guide, "IAM JSON policy elements: NotResource",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"""
    policy = [allow("s3:*"), {"Effect": "Deny", "Action": "s3:*",
                              "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}]
    assert allowed("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/2026-12.csv", policy)
    assert not allowed("s3:GetObject", "arn:aws:s3:::HRBucket/Benefits/plan.pdf", policy)
    assert not allowed("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/x", policy[1:]), "the Deny grants nothing"


def _not_principal(*names: str) -> list[dict[str, Any]]:
    return [{"Effect": "Deny", "NotPrincipal": {"AWS": list(names)}, "Action": "s3:*",
             "Resource": ["arn:aws:s3:::BUCKETNAME", "arn:aws:s3:::BUCKETNAME/*"]}]


def test_a_deny_with_notprincipal_denies_every_principal_it_does_not_name():
    """AWS's example: ``Deny`` ``s3:*`` on BUCKETNAME with ``NotPrincipal`` Bob and Bob's account root: "all
    principals except the user named Bob ... are explicitly denied access", here another role of the same account
    that its identity policy allows. Source: IAM User Guide, "AWS JSON policy elements: NotPrincipal",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"""
    bucket = _not_principal(ROLE, f"arn:aws:iam::{ME}:root")
    other = Caller(account=ME, arn=ANOTHER_ROLE)
    identity = [allow("s3:GetObject", "arn:aws:s3:::BUCKETNAME/*")]
    assert not allowed("s3:GetObject", "arn:aws:s3:::BUCKETNAME/key", identity, bucket, who=other)
    assert allowed("s3:GetObject", "arn:aws:s3:::BUCKETNAME/key", identity, [], who=other)


def test_a_deny_with_notprincipal_spares_the_principal_it_names_with_its_account():
    """Same example: the principal named (with its account's ARN, as the page asks) is not denied; the statement
    "by itself does not grant access", so its identity policy must still allow. Source: IAM User Guide, "AWS JSON
    policy elements: NotPrincipal", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"""
    bucket = _not_principal(ROLE, f"arn:aws:iam::{ME}:root")
    assert allowed("s3:GetObject", "arn:aws:s3:::BUCKETNAME/key", [allow("s3:GetObject")], bucket)
    assert not allowed("s3:GetObject", "arn:aws:s3:::BUCKETNAME/key", [], bucket)


def test_a_notprincipal_naming_the_role_but_not_its_account_still_denies_the_role():
    """"When you use NotPrincipal with Deny, you must also specify the account ARN of the not-denied principal.
    Otherwise, the policy might deny access to the entire account containing the principal." The world takes the
    strict reading: a role named without its account is denied. Source: IAM User Guide, "AWS JSON policy elements:
    NotPrincipal", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"""
    identity = [allow("s3:GetObject")]
    assert not allowed("s3:GetObject", "arn:aws:s3:::BUCKETNAME/key", identity, _not_principal(ROLE))
    assert allowed("s3:GetObject", "arn:aws:s3:::BUCKETNAME/key", identity,
                   _not_principal(ROLE, f"arn:aws:iam::{ME}:root"))


def test_notprincipal_with_allow_is_refused_as_unsupported():
    """"NotPrincipal must be used with "Effect":"Deny". Using it with "Effect":"Allow" is not supported." The world
    refuses to read such a policy rather than guess. Source: IAM User Guide, "AWS JSON policy elements:
    NotPrincipal", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"""
    bucket = [{"Effect": "Allow", "NotPrincipal": {"AWS": ANOTHER_ROLE}, "Action": "s3:GetObject",
               "Resource": "arn:aws:s3:::BUCKETNAME/*"}]
    with pytest.raises(NotImplementedError, match="NotPrincipal with Allow"):
        allowed("s3:GetObject", "arn:aws:s3:::BUCKETNAME/key", [], bucket)


# -- conditions --------------------------------------------------------------------------------------------------

def test_condition_key_names_are_compared_case_insensitively():
    """"Context key names are not case-sensitive. For example, including the aws:SourceIP context key is
    equivalent to testing for AWS:SourceIp." A policy writing ``aws:sourceaccount`` or ``S3:Prefix`` reads the
    request's ``aws:SourceAccount`` and ``s3:prefix``. Source: IAM User Guide, "IAM JSON policy elements: Condition",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html"""
    policy = [allow("s3:ListBucket", "arn:aws:s3:::example-bucket",
                    Condition={"StringEquals": {"aws:sourceaccount": ME}, "StringLike": {"S3:Prefix": "runs/*"}})]
    request = {"aws:SourceAccount": ME, "s3:prefix": "runs/a"}
    assert allowed("s3:ListBucket", "arn:aws:s3:::example-bucket", policy, context=request)
    assert not allowed("s3:ListBucket", "arn:aws:s3:::example-bucket", policy,
                       context={**request, "s3:prefix": "other/a"})


def test_stringequals_compares_values_case_sensitively():
    """""Condition" : { "StringEquals" : { "aws:username" : "johndoe" }} ... Users named JohnDoe are denied
    access." Source: IAM User Guide, "IAM JSON policy elements: Condition",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html"""
    policy = [allow("s3:GetObject", Condition={"StringEquals": {"aws:username": "johndoe"}})]
    assert allowed("s3:GetObject", "arn:aws:s3:::b/k", policy, context={"aws:username": "johndoe"})
    assert not allowed("s3:GetObject", "arn:aws:s3:::b/k", policy, context={"aws:username": "JohnDoe"})


def test_stringequalsignorecase_matches_values_in_any_case():
    """"The following condition uses the StringEqualsIgnoreCase operator to match users named johndoe or JohnDoe."
    Source: IAM User Guide, "IAM JSON policy elements: Condition",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html"""
    policy = [allow("s3:GetObject", Condition={"StringEqualsIgnoreCase": {"aws:username": "johndoe"}})]
    assert allowed("s3:GetObject", "arn:aws:s3:::b/k", policy, context={"aws:username": "JohnDoe"})
    assert not allowed("s3:GetObject", "arn:aws:s3:::b/k", policy, context={"aws:username": "janedoe"})


INSTANCE_TYPES = {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}


def test_stringlike_matches_the_wildcards_of_its_values():
    """AWS's ``StringLike`` ``ec2:InstanceType`` ``["t1.*", "t2.*", "m3.*"]`` allows launching a t2 or m3 instance,
    not a c5. Source: IAM User Guide, "IAM JSON policy elements: Condition operators" (...IfExists),
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    policy = [allow("ec2:RunInstances", Condition={"StringLike": INSTANCE_TYPES})]
    instance = f"arn:aws:ec2:{REGION}:{ME}:instance/*"
    assert allowed("ec2:RunInstances", instance, policy, context={"ec2:InstanceType": "t2.micro"})
    assert not allowed("ec2:RunInstances", instance, policy, context={"ec2:InstanceType": "c5.large"})


def test_a_condition_on_a_key_absent_from_the_request_does_not_hold():
    """AWS's THISPOLICYDOESNOTWORK: the image, key pair and security group a launch also uses "do not have the
    ec2:InstanceType condition key, so the StringLike check fails" ("If the key that you specify in a policy
    condition is not present in the request context, the values do not match and the condition is false").
    Source: IAM User Guide, "IAM JSON policy elements: Condition operators",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    policy = [allow("ec2:RunInstances", Sid="THISPOLICYDOESNOTWORK", Condition={"StringLike": INSTANCE_TYPES})]
    assert not allowed("ec2:RunInstances", f"arn:aws:ec2:{REGION}::image/ami-0abcdef1234567890", policy)


def test_ifexists_holds_for_an_absent_key_and_tests_a_present_one():
    """AWS's fix of that policy, ``StringLikeIfExists``: "If the key is not present, evaluate the condition element
    as true"; a present key is still tested. Source: IAM User Guide, "IAM JSON policy elements: Condition
    operators" (...IfExists), https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    policy = [allow("ec2:RunInstances", Sid="RunInstance", Condition={"StringLikeIfExists": INSTANCE_TYPES})]
    assert allowed("ec2:RunInstances", f"arn:aws:ec2:{REGION}::image/ami-0abcdef1234567890", policy)
    assert not allowed("ec2:RunInstances", f"arn:aws:ec2:{REGION}:{ME}:instance/*", policy,
                       context={"ec2:InstanceType": "c5.large"})


REQUIRE_SSE_KMS = [allow("s3:PutObject"), {
    "Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/*",
    "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]


def test_stringnotequals_denies_every_other_value():
    """AWS's bucket policy DenyUnEncryptedObjectUploads denies ``s3:PutObject`` with ``StringNotEquals
    s3:x-amz-server-side-encryption aws:kms``: an upload asking for AES256 is denied, one asking for aws:kms is
    not. Source: S3 User Guide, "Protecting data using server-side encryption with AWS KMS keys (SSE-KMS)",
    Requiring server-side encryption, https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"""
    identity, bucket = REQUIRE_SSE_KMS[:1], REQUIRE_SSE_KMS[1:]
    key = "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/report.csv"
    assert allowed("s3:PutObject", key, identity, bucket, context={"s3:x-amz-server-side-encryption": "aws:kms"})
    assert not allowed("s3:PutObject", key, identity, bucket, context={"s3:x-amz-server-side-encryption": "AES256"})


def test_a_negated_operator_holds_for_an_absent_key():
    """"If the policy condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and the
    right key is not present, the condition is true": the same bucket policy denies an upload that asks for no
    encryption at all ("the following bucket policy denies upload object (s3:PutObject) permission to everyone if
    the request does not include the x-amz-server-side-encryption header"). Sources: IAM User Guide, "IAM JSON
    policy elements: Condition operators",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html; S3 User
    Guide, "Protecting data using server-side encryption with AWS KMS keys (SSE-KMS)",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"""
    identity, bucket = REQUIRE_SSE_KMS[:1], REQUIRE_SSE_KMS[1:]
    assert not allowed("s3:PutObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/report.csv", identity, bucket)
    assert allowed("s3:PutObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/report.csv", identity, [])


def test_arnlike_matches_each_colon_separated_part_of_the_arn_on_its_own():
    """AWS's example: pattern ``arn:aws:someservice:*:111122223333:finance/*`` and value
    ``arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt``: "With a StringLike
    condition, the match succeeds ... With an ArnLike condition, which matches elements between colons, the match
    fails." Source: IAM User Guide, "IAM JSON policy elements: Condition operators" (ARN condition operators),
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    string_like = [allow("sqs:SendMessage", Condition={"StringLike": {"aws:SourceArn": pattern}})]
    arn_like = [allow("sqs:SendMessage", Condition={"ArnLike": {"aws:SourceArn": pattern}})]
    assert allowed("sqs:SendMessage", "*", string_like, context={"aws:SourceArn": value})
    assert not allowed("sqs:SendMessage", "*", arn_like, context={"aws:SourceArn": value})
    assert allowed("sqs:SendMessage", "*", arn_like,
                   context={"aws:SourceArn": "arn:aws:someservice:us-east-2:111122223333:finance/document.txt"})


def test_arnequals_on_a_source_arn_absent_from_a_direct_request_does_not_hold():
    """AWS's queue policy lets SNS send messages "only if the service is sending the messages on behalf of a
    particular Amazon SNS topic" (``ArnEquals aws:SourceArn``; here the account it names is another one, so that
    the queue policy decides); "If an IAM user attempts to perform this operation directly, the condition returns
    false". Source: IAM User Guide, "IAM JSON policy elements: Condition
    operators", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    queue = f"arn:aws:sqs:{REGION}:{ME}:QUEUE-ID"
    policy = [{"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "SQS:SendMessage", "Resource": queue,
               "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:{REGION}:{ME}:TOPIC-ID"}}}]
    identity = [allow("sqs:SendMessage", queue)]
    assert allowed("sqs:SendMessage", queue, identity, policy, who=FOREIGN_CALLER,
                   context={"aws:SourceArn": f"arn:aws:sns:{REGION}:{ME}:TOPIC-ID"})
    assert not allowed("sqs:SendMessage", queue, identity, policy, who=FOREIGN_CALLER)
    assert not allowed("sqs:SendMessage", queue, identity, policy, who=FOREIGN_CALLER,
                       context={"aws:SourceArn": f"arn:aws:sns:{REGION}:{ME}:OTHER-TOPIC"})


def test_bool_denies_requests_not_made_over_tls():
    """AWS's BooleanExample denies ``s3:*`` on a bucket "if the request is not over SSL" (``Bool
    aws:SecureTransport false``). Source: IAM User Guide, "IAM JSON policy elements: Condition operators" (Boolean
    condition operators), https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    policy = [allow("s3:*"), deny("s3:*", ["arn:aws:s3:::DOC-EXAMPLE-BUCKET", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
                                  Sid="BooleanExample", Condition={"Bool": {"aws:SecureTransport": "false"}})]
    key = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/key"
    assert not allowed("s3:GetObject", key, policy, context={"aws:SecureTransport": "false"})
    assert allowed("s3:GetObject", key, policy, context={"aws:SecureTransport": "true"})


def test_null_true_holds_only_when_the_key_is_absent():
    """AWS's example: ``"Null": {"aws:TokenIssueTime": "true"}`` lets a user call EC2 only with their own
    credentials: "If the user is using temporary credentials, then the key aws:TokenIssueTime exists". Source: IAM
    User Guide, "IAM JSON policy elements: Condition operators" (Null),
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    policy = [allow("ec2:*", Condition={"Null": {"aws:TokenIssueTime": "true"}})]
    assert allowed("ec2:DescribeInstances", "*", policy)
    assert not allowed("ec2:DescribeInstances", "*", policy, context={"aws:TokenIssueTime": "2026-12-07T10:00:00Z"})


def test_numeric_less_than_equals_limits_s3_max_keys():
    """AWS's example: ``NumericLessThanEquals s3:max-keys 10`` lets the requester "list up to 10 objects in
    example_bucket at a time". Source: IAM User Guide, "IAM JSON policy elements: Condition operators" (Numeric),
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    policy = [allow("s3:ListBucket", "arn:aws:s3:::example_bucket",
                    Condition={"NumericLessThanEquals": {"s3:max-keys": "10"}})]
    assert allowed("s3:ListBucket", "arn:aws:s3:::example_bucket", policy, context={"s3:max-keys": "10"})
    assert not allowed("s3:ListBucket", "arn:aws:s3:::example_bucket", policy, context={"s3:max-keys": "11"})


DENY_RESTRICTED_TAGS = [allow("iam:Tag*"), {"Sid": "DenyRestrictedTags", "Effect": "Deny",
                                            "Action": ["iam:Tag*", "iam:UnTag*"], "Resource": ["*"],
                                            "Condition": {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}}]


@pytest.mark.parametrize("tag_keys,denied", [(["key1:legal"], False), (["key1:hr", "key1:personnel"], False),
                                             (["key2:audit"], True), (None, True)])
def test_forallvalues_tests_every_value_of_a_multivalued_key_and_holds_for_an_absent_one(tag_keys, denied):
    """AWS's table for DenyRestrictedTags (``ForAllValues:StringNotLike aws:TagKeys key1*``): ``key1:legal`` and
    ``key1:hr, key1:personnel`` do not match (not denied); ``key2:audit`` matches; no ``aws:TagKeys`` in the request
    matches too ("The ForAllValues set operator also returns true if there are no context keys in the request").
    Source: IAM User Guide, "Multivalued context keys examples",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html"""
    context = {} if tag_keys is None else {"aws:TagKeys": tag_keys}
    assert allowed("iam:TagRole", ROLE, DENY_RESTRICTED_TAGS, context=context) is not denied


def test_foranyvalue_needs_one_matching_value_and_fails_for_an_absent_key():
    """``ForAnyValue`` "tests whether at least one member of the set of request context key values matches at least
    one member of the set of context key values in your policy condition"; with no key in the request the condition
    returns false. Source: IAM User Guide, "Single-valued vs. multivalued context keys",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"""
    policy = [allow("iam:TagRole", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["cohort", "study"]}})]
    assert allowed("iam:TagRole", ROLE, policy, context={"aws:TagKeys": ["owner", "study"]})
    assert not allowed("iam:TagRole", ROLE, policy, context={"aws:TagKeys": ["owner"]})
    assert not allowed("iam:TagRole", ROLE, policy)


def test_set_operators_read_an_empty_value_as_a_null_dataset():
    """``ForAllValues`` "also returns true if there are no keys in the request, or if the key values resolve to a
    null data set, such as an empty string"; for ``ForAnyValue`` "For no matching key or a null dataset, the
    condition returns false". Source: IAM User Guide, "Single-valued vs. multivalued context keys",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"""
    assert not allowed("iam:TagRole", ROLE, DENY_RESTRICTED_TAGS, context={"aws:TagKeys": ""})
    any_of = [allow("iam:TagRole", Condition={"ForAnyValue:StringLike": {"aws:TagKeys": "*"}})]
    assert not allowed("iam:TagRole", ROLE, any_of, context={"aws:TagKeys": [""]})
    assert allowed("iam:TagRole", ROLE, any_of, context={"aws:TagKeys": ["cohort"]})


def test_an_operator_the_world_does_not_model_is_refused_not_guessed():
    """The world reads only the operators it models; an ``IpAddress`` condition (IAM User Guide, "IAM JSON policy
    elements: Condition operators", IP address condition operators,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html) raises
    instead of being read as always or never true."""
    policy = [allow("s3:GetObject", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})]
    with pytest.raises(NotImplementedError, match="IpAddress"):
        allowed("s3:GetObject", "arn:aws:s3:::b/k", policy, context={"aws:SourceIp": "203.0.113.5"})


# -- wildcards in actions and resources ---------------------------------------------------------------------------

def test_action_names_match_case_insensitively_with_wildcards():
    """"The prefix and the action name are case insensitive. For example, iam:ListAccessKeys is the same as
    IAM:listaccesskeys." Source: IAM User Guide, "IAM JSON policy elements: Action",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html"""
    assert allowed("iam:ListAccessKeys", "*", [allow("IAM:listaccesskeys")])
    assert allowed("s3:GetObjectVersion", "arn:aws:s3:::b/k", [allow("S3:get*")])
    assert not allowed("s3:PutObject", "arn:aws:s3:::b/k", [allow("S3:get*")])


def test_resource_arns_match_case_sensitively_with_wildcards():
    """"In the Resource element, the IAM user name is case sensitive" (``arn:aws:iam::...:user/Bob``); wildcards
    ``*`` and ``?`` stand for any characters or one. Source: IAM User Guide, "IAM JSON policy elements: Resource",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"""
    policy = [allow("iam:GetUser", f"arn:aws:iam::{ME}:user/Bob"),
              allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*")]
    assert allowed("iam:GetUser", f"arn:aws:iam::{ME}:user/Bob", policy)
    assert not allowed("iam:GetUser", f"arn:aws:iam::{ME}:user/bob", policy)
    assert allowed("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/a/b.txt", policy)
    assert not allowed("s3:GetObject", "arn:aws:s3:::AMZN-S3-DEMO-BUCKET/a/b.txt", policy)


# -- KMS key policies ---------------------------------------------------------------------------------------------

ENABLE_IAM = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
              "Principal": {"AWS": f"arn:aws:iam::{ME}:root"}, "Action": "kms:*", "Resource": "*"}
USE_KEY = [allow(["kms:Decrypt", "kms:GenerateDataKey"], KEY)]


def test_a_key_policy_naming_only_the_account_root_delegates_to_iam_policies():
    """The default key policy's statement "gives the AWS account that owns the KMS key permission to use IAM
    policies to allow access"; it "does not by itself give any IAM users or roles access". Source: AWS KMS
    Developer Guide, "Default key policy", https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"""
    assert allowed("kms:Decrypt", KEY, USE_KEY, [ENABLE_IAM], key_policy=True)
    assert not allowed("kms:Decrypt", KEY, [], [ENABLE_IAM], key_policy=True)


def test_iam_policies_alone_do_not_open_a_key_whose_policy_does_not_delegate():
    """"To use an IAM policy to control access to a KMS key, the key policy for the KMS key must give the account
    permission to use IAM policies." A key policy naming only another role leaves this role out, whatever its IAM
    policy says. Source: AWS KMS Developer Guide, "Using IAM policies with AWS KMS",
    https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies.html"""
    only_another = [{"Effect": "Allow", "Principal": {"AWS": ANOTHER_ROLE}, "Action": "kms:*", "Resource": "*"}]
    assert not allowed("kms:Decrypt", KEY, [allow("kms:*")], only_another, key_policy=True)
    assert allowed("kms:Decrypt", KEY, [], only_another, who=Caller(account=ME, arn=ANOTHER_ROLE), key_policy=True)


def test_a_key_policy_naming_the_caller_is_enough_in_the_keys_own_account():
    """"You can use the key policy alone to control access, which means the full scope of access to the KMS key is
    defined in a single document (the key policy)." Source: AWS KMS Developer Guide, "KMS key access and
    permissions", https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html"""
    names_role = [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": ["kms:Decrypt"], "Resource": "*"}]
    assert allowed("kms:Decrypt", KEY, [], names_role, key_policy=True)
    assert not allowed("kms:GenerateDataKey", KEY, [], names_role, key_policy=True)


FOREIGN_KEY = f"arn:aws:kms:{REGION}:{ME}:key/0987dcba-09fe-87dc-65ba-ab0987654321"
KEY_FOR_PARTNER = [ENABLE_IAM, {"Sid": "Allow an external account to use this KMS key", "Effect": "Allow",
                                "Principal": {"AWS": [f"arn:aws:iam::{OTHER}:root", FOREIGN_CALLER.arn]},
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                           "kms:DescribeKey"], "Resource": "*"}]


def test_another_accounts_key_needs_the_callers_iam_policy_too():
    """"Cross-account access requires permission in the key policy of the KMS key and in an IAM policy in the
    external user's account ... Neither the key policy nor the IAM policy alone is sufficient": a key policy that
    names the partner role itself is not enough without the role's IAM policy. Source: AWS KMS Developer Guide,
    "Allowing users in other accounts to use a KMS key",
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html"""
    assert not allowed("kms:Decrypt", FOREIGN_KEY, [], KEY_FOR_PARTNER, owner=ME, who=FOREIGN_CALLER, key_policy=True)
    assert allowed("kms:Decrypt", FOREIGN_KEY, [allow("kms:Decrypt", FOREIGN_KEY)], KEY_FOR_PARTNER, owner=ME,
                   who=FOREIGN_CALLER, key_policy=True)


def test_another_accounts_key_is_closed_to_an_iam_policy_its_key_policy_does_not_back():
    """Same page, the other half: the external account's IAM policy "delegate[s] the permissions that are specified
    in the key policy"; a key policy that names only its own account gives it nothing to delegate. Source: AWS KMS
    Developer Guide, "Allowing users in other accounts to use a KMS key",
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html"""
    iam_policy = [allow("kms:Decrypt", FOREIGN_KEY)]
    assert not allowed("kms:Decrypt", FOREIGN_KEY, iam_policy, [ENABLE_IAM], owner=ME, who=FOREIGN_CALLER,
                       key_policy=True)
    assert allowed("kms:Decrypt", FOREIGN_KEY, iam_policy, KEY_FOR_PARTNER, owner=ME, who=FOREIGN_CALLER,
                   key_policy=True)


def test_the_aws_managed_s3_key_lets_principals_of_its_account_use_it_through_s3_only():
    """An AWS managed key's policy "combines a Principal element that specifies all AWS identities with the
    kms:CallerAccount condition key to effectively allow access to all identities in AWS account 111122223333" and
    ``kms:ViaService`` "to further limit the permissions by only allowing requests that come through" the service
    ("All AWS managed keys use a kms:ViaService condition key"). The world's ``aws/s3`` key is written that way:
    a role with no KMS permission of its own may use it through S3, not directly, and not from another account.
    Source: AWS KMS Developer Guide, "AWS KMS condition keys" (kms:CallerAccount, kms:ViaService),
    https://docs.aws.amazon.com/kms/latest/developerguide/policy-conditions.html"""
    key, statements = aws_managed_s3_key(ME)
    assert allowed("kms:Decrypt", key, [], statements, context=VIA_S3, key_policy=True)
    assert not allowed("kms:Decrypt", key, [], statements, context={"kms:CallerAccount": ME}, key_policy=True)
    assert not allowed("kms:Decrypt", key, [allow("kms:Decrypt")], statements, who=FOREIGN_CALLER,
                       context={**VIA_S3, "kms:CallerAccount": OTHER}, key_policy=True)


def test_a_key_policy_can_require_the_encryption_context_s3_passes():
    """``kms:EncryptionContext:context-key`` "control[s] access to a symmetric KMS key based on the encryption
    context in a request"; "The key name is not case sensitive"; S3's key is ``aws:s3:arn``. Sources: AWS KMS
    Developer Guide, "AWS KMS condition keys" (kms:EncryptionContext:context-key),
    https://docs.aws.amazon.com/kms/latest/developerguide/policy-conditions.html; S3 User Guide, "Encryption
    context", https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context"""
    bucket = "arn:aws:s3:::example-output-bucket"
    key_policy = [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*",
                   "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": bucket}}}]
    assert allowed("kms:Decrypt", KEY, [], key_policy, context={"kms:encryptioncontext:aws:s3:arn": bucket},
                   key_policy=True)
    assert not allowed("kms:Decrypt", KEY, [], key_policy, context={"kms:EncryptionContext:aws:s3:arn": f"{bucket}/k"},
                       key_policy=True)


# -- session policies ---------------------------------------------------------------------------------------------

PRODUCTION = [allow("s3:ListBucket", "arn:aws:s3:::productionapp"),
              allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "arn:aws:s3:::productionapp/*")]


def test_a_session_policy_leaves_the_intersection_of_it_and_the_identity_policy():
    """AWS's example: the role may list, get, put and delete in ``productionapp``; a session policy passed to
    AssumeRole that allows only ``s3:GetObject`` leaves the session only that: "The resulting session's permissions
    are the intersection of the role's identity-based policy and the session policies". Source: IAM User Guide,
    "Permissions for AssumeRole, AssumeRoleWithSAML, and AssumeRoleWithWebIdentity",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_assumerole.html"""
    session = [allow("s3:GetObject", "arn:aws:s3:::productionapp/*")]
    assert allowed("s3:GetObject", "arn:aws:s3:::productionapp/a", PRODUCTION, session=session)
    assert not allowed("s3:PutObject", "arn:aws:s3:::productionapp/a", PRODUCTION, session=session)
    assert allowed("s3:PutObject", "arn:aws:s3:::productionapp/a", PRODUCTION)


def test_a_session_policy_cannot_grant_more_than_the_identity_policy():
    """"You cannot use session policies to grant more permissions than those allowed by the identity-based policy
    of the role that is being assumed." Source: IAM User Guide, "Permissions for AssumeRole, AssumeRoleWithSAML,
    and AssumeRoleWithWebIdentity",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_assumerole.html"""
    assert not allowed("s3:DeleteBucket", "arn:aws:s3:::productionapp", PRODUCTION, session=[allow("s3:*")])
    assert allowed("s3:DeleteObject", "arn:aws:s3:::productionapp/a", PRODUCTION, session=[allow("s3:*")])


def test_a_resource_policy_naming_the_role_is_limited_by_the_session_policy():
    """"IAM role – Resource-based policies that grant permissions to an IAM role ARN are limited by an implicit deny
    in a permissions boundary or session policy." Source: IAM User Guide, "Policy evaluation logic" (resource-based
    policies and implicit denies in other policy types),
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"""
    bucket = [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:PutObject",
               "Resource": "arn:aws:s3:::productionapp/*"}]
    assert allowed("s3:PutObject", "arn:aws:s3:::productionapp/a", [], bucket)
    assert not allowed("s3:PutObject", "arn:aws:s3:::productionapp/a", [], bucket,
                       session=[allow("s3:GetObject", "arn:aws:s3:::productionapp/*")])


# -- the account world: what it asks of the evaluator for S3 and KMS -----------------------------------------------

def _account(bucket: dict[str, Any], handler_statements: list[dict[str, Any]],
             foreign: Optional[dict[str, ForeignBucket]] = None) -> Account:
    """An account world over a hand-written template: one bucket and a handler role (no synth)."""
    template = {"Resources": {
        "Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "example-data-bucket", **bucket}},
        "HandlerRole": {"Type": "AWS::IAM::Role",
                        "Properties": {"Policies": [{"PolicyDocument": {"Statement": handler_statements}}]}}}}
    return Account(Deployed(template, "ExampleStack"), foreign)


SSE_KMS_AWS_MANAGED = {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}}


def test_the_world_reads_a_bucket_with_no_key_named_through_the_aws_managed_s3_key_policy():
    """A bucket with SSE-KMS and no key named uses ``aws/s3`` ("If you don't specify a customer managed key, Amazon
    S3 automatically creates an AWS KMS key in your AWS account"), whose policy asks ``kms:CallerAccount`` and
    ``kms:ViaService``: the world supplies both for the KMS call S3 makes for the caller, so a role without KMS
    permissions is allowed by that key policy, and a session policy that leaves KMS out still refuses. Sources: S3
    User Guide, "Protecting data using server-side encryption with AWS KMS keys (SSE-KMS)",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html; AWS KMS Developer Guide, "AWS KMS
    condition keys", https://docs.aws.amazon.com/kms/latest/developerguide/policy-conditions.html"""
    account = _account(SSE_KMS_AWS_MANAGED, [allow("s3:GetObject", "arn:aws:s3:::example-data-bucket/*")])
    assert account.may_use_key("HandlerRole", "kms:Decrypt", "example-data-bucket", "a.txt") == (True, "allowed")
    account.sessions["HandlerRole"] = [allow("s3:*")]
    assert not account.may_use_key("HandlerRole", "kms:Decrypt", "example-data-bucket", "a.txt")[0]


def _context_key(arn: str) -> list[dict[str, Any]]:
    return [ENABLE_IAM | {"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}},
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*",
             "Condition": {"StringNotLike": {"kms:EncryptionContext:aws:s3:arn": arn}}}]


@pytest.mark.parametrize("bucket_key,context_arn", [(False, "arn:aws:s3:::example-partner-data/runs/*"),
                                                     (True, "arn:aws:s3:::example-partner-data")])
def test_the_world_passes_the_encryption_context_s3_uses_object_arn_or_bucket_arn_with_a_bucket_key(
        bucket_key, context_arn):
    """"If you use SSE-KMS without enabling an S3 Bucket Key, you use the object ARN as your encryption context ...
    if you use SSE-KMS and enable an S3 Bucket Key, you use the bucket ARN"; "S3 Bucket Keys use the bucket ARN as
    encryption context". A key policy denying any other ``aws:s3:arn`` lets the world's S3 call through with the
    right one and refuses the other. Sources: S3 User Guide, "Encryption context",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context; S3 User Guide,
    "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html"""
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    right = ForeignBucket(key_arn=key, key_statements=_context_key(context_arn), bucket_key=bucket_key)
    wrong = ForeignBucket(key_arn=key, key_statements=_context_key(context_arn), bucket_key=not bucket_key)
    handler = [allow(["kms:Decrypt", "kms:GenerateDataKey"], key)]
    assert _account({}, handler, {"example-partner-data": right}).may_use_key(
        "HandlerRole", "kms:Decrypt", "example-partner-data", "runs/out.vcf")[0]
    assert not _account({}, handler, {"example-partner-data": wrong}).may_use_key(
        "HandlerRole", "kms:Decrypt", "example-partner-data", "runs/out.vcf")[0]


def test_the_world_runs_a_role_under_a_session_policy_as_their_intersection():
    """A role the world runs with a session policy (``Account.sessions``, AssumeRole's ``Policy``) keeps only what
    both allow. Source: IAM User Guide, "Permissions for AssumeRole, AssumeRoleWithSAML, and
    AssumeRoleWithWebIdentity",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_assumerole.html"""
    account = _account({}, [allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::example-data-bucket/*")])
    key = "arn:aws:s3:::example-data-bucket/a.txt"
    assert account.may("HandlerRole", "s3:PutObject", key, bucket="example-data-bucket")[0]
    account.sessions["HandlerRole"] = [allow("s3:GetObject", "arn:aws:s3:::example-data-bucket/*")]
    assert account.may("HandlerRole", "s3:GetObject", key, bucket="example-data-bucket")[0]
    allowed_put, why = account.may("HandlerRole", "s3:PutObject", key, bucket="example-data-bucket")
    assert not allowed_put and "session policy" in why


@pytest.fixture
def versioned_world(monkeypatch, tmp_path):
    """The account world over the hand-written template, with moto and the handler's S3 client attached."""
    from healthomics_run.service_calls import clients
    from tests.stack_world import deploy

    template = {"Resources": {
        "Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "example-data-bucket"}},
        "HandlerRole": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyDocument": {"Statement": [
            allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::example-data-bucket/*"),
            allow("s3:ListBucket", "arn:aws:s3:::example-data-bucket")]}}]}}}}
    with deploy(monkeypatch, (template, None), tmp_path) as world:
        raw = boto3.client("s3", region_name=REGION)
        first = raw.put_object(Bucket="example-data-bucket", Key="ledger.json", Body=b"1")["VersionId"]
        raw.put_object(Bucket="example-data-bucket", Key="ledger.json", Body=b"2")
        yield world, clients.s3(), first


def _grant(world, statement: dict[str, Any]) -> None:
    role = world.account.handler_role
    world.account.statements = lambda logical, granted=world.account.statements: [
        *granted(logical), *([statement] if logical == role else [])]


def test_a_get_object_naming_a_version_is_authorized_as_s3_get_object_version(versioned_world):
    """"If you include a versionId in your request header, you must have the s3:GetObjectVersion permission to
    access a specific version of an object. The s3:GetObject permission is not required in this scenario." Source:
    Amazon S3 API Reference, "GetObject" (versionId),
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (read in its SDK copy,
    https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-get-object-request/version-id.html)"""
    world, s3, first = versioned_world
    assert s3.get_object(Bucket="example-data-bucket", Key="ledger.json")["Body"].read() == b"2"
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.get_object(Bucket="example-data-bucket", Key="ledger.json", VersionId=first)
    assert "s3:GetObjectVersion" in world.account.denied[-1]
    _grant(world, allow("s3:GetObjectVersion", "arn:aws:s3:::example-data-bucket/*"))
    assert s3.get_object(Bucket="example-data-bucket", Key="ledger.json", VersionId=first)["Body"].read() == b"1"


def test_list_object_versions_is_authorized_as_s3_list_bucket_versions(versioned_world):
    """"To use this operation, you must have permission to perform the s3:ListBucketVersions action. Be aware of the
    name difference." ``s3:ListBucket`` is not enough. Source: Amazon S3 API Reference, "ListObjectVersions",
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html (read in its SDK copy,
    https://docs.aws.amazon.com/goto/SdkForKotlin/s3-2006-03-01/ListObjectVersions)"""
    world, s3, _ = versioned_world
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.list_object_versions(Bucket="example-data-bucket", Prefix="ledger.json")
    assert "s3:ListBucketVersions" in world.account.denied[-1]
    _grant(world, allow("s3:ListBucketVersions", "arn:aws:s3:::example-data-bucket"))
    listed = s3.list_object_versions(Bucket="example-data-bucket", Prefix="ledger.json")
    assert len(listed["Versions"]) == 2
