"""Letting HealthOmics pull a private ECR repository's images: the repository policy it needs.

HealthOmics pulls a workflow's container images as the service principal ``omics.amazonaws.com``,
not as the run's service role, so each private repository needs a repository policy statement that
allows it (HealthOmics guide, "Amazon ECR permissions",
https://docs.aws.amazon.com/omics/latest/dev/permissions-ecr.html). The statement is the guide's
own: no ``aws:SourceAccount``/``aws:SourceArn`` conditions, which the guide does not show and which
would also have to admit the accounts of shared workflows.
"""

from __future__ import annotations

import json

from aws_cdk import Annotations, Token
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam

from constructs import Construct

OMICS_SERVICE = "omics.amazonaws.com"
PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
WARNING_ID = "healthomics-run::ecr-repository-policy"
# The statement as it must stand in the repository policy (ECR repository policies name no Resource).
STATEMENT_JSON = {"Effect": "Allow", "Principal": {"Service": OMICS_SERVICE}, "Action": list(PULL_ACTIONS)}


def allow_omics_pull(repository: ecr.IRepository, scope: Construct) -> bool:
    """Add the statement that lets HealthOmics pull from ``repository`` to its repository policy.

    CDK cannot change the policy of an imported repository: then a synth warning on ``scope`` says
    which statement to add by hand. Returns whether the statement was added.
    """
    added = repository.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal(OMICS_SERVICE)], actions=list(PULL_ACTIONS))).statement_added
    if not added:
        name = repository.repository_name
        which = repository.node.path if Token.is_unresolved(name) else f"{name!r}"
        Annotations.of(scope).add_warning_v2(
            WARNING_ID, f"ECR repository {which} is imported, so its repository policy cannot be changed here; "
            "HealthOmics cannot pull its images until you add this statement to its repository policy: "
            f"{json.dumps(STATEMENT_JSON)} (see https://docs.aws.amazon.com/omics/latest/dev/permissions-ecr.html)")
    return added
