"""IAM statements as the library writes them for roles of any size, and the ARNs of S3 URIs."""

from __future__ import annotations

import json
from typing import Optional, Sequence

from aws_cdk import Aws, Fn, Token
from aws_cdk import aws_iam as iam

# A statement cannot be split between policies, and CDK moves what does not fit the role's 10,240 inline
# characters into managed policies of at most 6,144: 40 ARNs of about 60 characters keep any one statement
# well inside either.
RESOURCES_PER_STATEMENT = 40


class GroupedStatements:
    """A role's policy as one statement per set of actions (and conditions), listing every resource any run
    of the stack needs them on.

    Least privilege is unchanged (each action is allowed on exactly the resources that runs name), while
    the policy grows by one ARN per distinct workflow, run group, cache, configuration or output location,
    not by one statement: 500 workflows stay within IAM's limits for a role. Resources already listed cost
    nothing, not even a round trip through jsii.
    """

    def __init__(self, role: iam.Role) -> None:
        self.role = role
        self._statements: dict[tuple, tuple[list[iam.PolicyStatement], set[str]]] = {}

    def allow(self, actions: Sequence[str], resources: Sequence[str], conditions: Optional[dict] = None) -> None:
        key = (tuple(actions), json.dumps(conditions, sort_keys=True))
        statements, listed = self._statements.setdefault(key, ([], set()))
        for resource in dict.fromkeys(resources):
            if resource in listed:
                continue
            if not statements or statements[-1].frozen or len(statements[-1].resources) >= RESOURCES_PER_STATEMENT:
                statements.append(iam.PolicyStatement(actions=list(actions), conditions=conditions))
                self.role.add_to_principal_policy(statements[-1])
            statements[-1].add_resources(resource)
            listed.add(resource)


def s3_object_arn(uri: str) -> str:
    """The ARN of the one object an ``s3://bucket/key`` URI names (a deploy-time URI too)."""
    if Token.is_unresolved(uri) and not uri.startswith("s3://"):  # wholly a deploy-time value
        return f"arn:{Aws.PARTITION}:s3:::{Fn.select(1, Fn.split('s3://', uri))}"
    return f"arn:{Aws.PARTITION}:s3:::{uri[len('s3://'):]}"


def s3_bucket_and_key(uri: str) -> tuple[str, str]:
    """The bucket's ARN and the key of an ``s3://bucket/key`` URI. For a URI that is wholly a deploy-time value
    the key is not known at synth: it is given as ``*`` (any key), a wider ``s3:prefix`` condition but the
    same bucket."""
    if Token.is_unresolved(uri) and not uri.startswith("s3://"):
        return f"arn:{Aws.PARTITION}:s3:::{Fn.select(2, Fn.split('/', uri))}", "*"
    bucket, _, key = uri[len("s3://"):].partition("/")
    return f"arn:{Aws.PARTITION}:s3:::{bucket}", key
