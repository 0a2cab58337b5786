"""Run configurations: the VPC (subnets and security groups) that runs in ``VPC`` networking mode use.

``AWS::Omics::Configuration`` takes ``Name`` and ``RunConfigurations.VpcConfig`` (``SubnetIds``, at most
16; ``SecurityGroupIds``, at most 5), both replaced on change; ``Ref`` returns the name, ``Arn`` is an
attribute (AWS::Omics::Configuration reference,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-configuration.html;
VpcConfig, https://docs.aws.amazon.com/omics/latest/api/API_VpcConfig.html).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from aws_cdk import IResource, Names, Resource, Stack
from aws_cdk import aws_omics as omics

from constructs import Construct

if TYPE_CHECKING:  # aws_ec2 is a tenth of a second to import: only when a security group is made
    from aws_cdk import aws_ec2 as ec2
from typing_extensions import Protocol, runtime_checkable

from healthomics_run import errors as codes
from healthomics_run.construct_helpers.interfaces import ResourceProtocolMeta
from healthomics_run.construct_helpers.validation import is_unresolved
from healthomics_run.run_model import rules, service_model


@runtime_checkable
class IConfiguration(IResource, Protocol, metaclass=ResourceProtocolMeta):
    """A run configuration: created here (``Configuration``) or imported (``Configuration.from_configuration_name``).

    An ``aws_cdk.IResource``, so it also has ``stack``, ``env``, ``node`` and ``apply_removal_policy``.
    """

    configuration_name: str
    """The name, a run's ``configurationName`` (a token, ``Ref``, for a created configuration)."""
    configuration_arn: str
    """``arn:<partition>:omics:<region>:<account>:configuration/<name>``."""


class Configuration(Resource, IConfiguration):
    """An ``AWS::Omics::Configuration``: where runs in ``NetworkingMode.VPC`` reach the network.

    Attributes: ``configuration_name`` (``Ref``), ``configuration_arn``, ``security_groups``,
    ``subnet_ids``, ``resource`` (the ``CfnConfiguration``).

    :param subnets: the subnets the runs use (1 to 16). Give these, or ``vpc`` (and ``vpc_subnets``).
        Default: none (then ``vpc`` is required).
    :param vpc: a VPC to pick subnets from with ``vpc_subnets``, and to make the default security group in.
        Default: none (then ``subnets`` and ``security_groups`` are required).
    :param vpc_subnets: which subnets of ``vpc``. Default: CDK's default selection (private subnets with
        egress, else isolated, else public).
    :param security_groups: 1 to 5. Default: a new security group in ``vpc`` with no inbound rules and all
        outbound traffic allowed (runs pull images and reach S3 through it).
    :param name: 1 to 128 letters, digits, ``-``, ``.``, ``_``. Default: unique, from the construct's path.
    :param description: 1 to 256 characters. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        subnets: Optional[Sequence[ec2.ISubnet]] = None,
        vpc: Optional[ec2.IVpc] = None,
        vpc_subnets: Optional[ec2.SubnetSelection] = None,
        security_groups: Optional[Sequence[ec2.ISecurityGroup]] = None,
        name: Optional[str] = None,
        description: Optional[str] = None,
    ) -> None:
        super().__init__(scope, id)
        problems: list[str] = []
        if subnets is not None and vpc is not None:
            problems.append("give subnets or vpc (with vpc_subnets), not both")
        elif subnets is None and vpc is None:
            problems.append("give subnets, or vpc (with vpc_subnets) to choose them from")
        if vpc_subnets is not None and vpc is None:
            problems.append("vpc_subnets selects subnets of vpc: give vpc too")
        if security_groups is None and vpc is None:
            problems.append("give security_groups (or vpc, to get a new security group in it)")
        name = name if name is not None else Names.unique_resource_name(self, max_length=128, separator="-")
        members = service_model.input_members("CreateConfiguration")
        for prop, value in (("name", name), ("description", description)):
            if value is not None and not is_unresolved(value):
                problems += rules.member_errors(prop, value, members[prop])
        codes.raise_if_any(self, (codes.INVALID_RESOURCE_PROPS, problems))
        if subnets is None:
            assert vpc is not None, "refused above: without subnets, vpc is given"
            subnets = vpc.select_subnets(**_selection(vpc_subnets)).subnets
        self.subnet_ids: list[str] = [subnet.subnet_id for subnet in subnets]
        if security_groups is None:
            assert vpc is not None, "refused above: without security groups, vpc is given"
            from aws_cdk import aws_ec2 as ec2

            security_groups = [ec2.SecurityGroup(self, "SecurityGroup", vpc=vpc, allow_all_outbound=True,
                                                 description=f"HealthOmics runs of {self.node.path}")]
        self.security_groups: list[ec2.ISecurityGroup] = list(security_groups)
        group_ids = [group.security_group_id for group in self.security_groups]
        codes.raise_if_any(self, (codes.INVALID_RESOURCE_PROPS, _vpc_errors(self.subnet_ids, group_ids)))
        self.resource = omics.CfnConfiguration(
            self, "Resource", name=name, description=description,
            run_configurations=omics.CfnConfiguration.RunConfigurationsProperty(
                vpc_config=omics.CfnConfiguration.VpcConfigProperty(subnet_ids=self.subnet_ids,
                                                                    security_group_ids=group_ids)))
        self.configuration_name: str = self.resource.ref
        self.configuration_arn: str = self.resource.attr_arn

    @classmethod
    def from_configuration_name(cls, scope: Construct, id: str, configuration_name: str) -> IConfiguration:
        """An existing run configuration of this account and Region, by name."""
        return _ImportedConfiguration(scope, id, configuration_name)


class _ImportedConfiguration(Resource, IConfiguration):
    def __init__(self, scope: Construct, id: str, configuration_name: str) -> None:
        super().__init__(scope, id)
        problems = [] if is_unresolved(configuration_name) else rules.member_errors(
            "configuration_name", configuration_name, service_model.input_members("CreateConfiguration")["name"])
        codes.raise_if_any(self, (codes.INVALID_RESOURCE_PROPS, problems))
        self.configuration_name = configuration_name
        self.configuration_arn = Stack.of(self).format_arn(service="omics", resource="configuration",
                                                           resource_name=configuration_name)


def _vpc_errors(subnet_ids: list[str], group_ids: list[str]) -> list[str]:
    vpc = service_model.shape("VpcConfig")["members"]
    problems = []
    for prop, ids, list_shape in (("subnets", subnet_ids, service_model.shape(vpc["subnetIds"]["shape"])),
                                  ("security_groups", group_ids,
                                   service_model.shape(vpc["securityGroupIds"]["shape"]))):
        if not 1 <= len(ids) <= list_shape["max"]:
            problems.append(f"{prop} must hold 1 to {list_shape['max']}, got {len(ids)}")
        item = service_model.shape(list_shape["member"]["shape"])
        for value in ids:
            if not is_unresolved(value):
                problems += rules.member_errors(f"{prop} id", value, item)
    return problems


def _selection(selection: Optional[ec2.SubnetSelection]) -> dict:
    """``select_subnets`` takes the selection's fields as keywords in Python."""
    if selection is None:
        return {}
    fields = ("availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnets", "subnet_type")
    return {field: getattr(selection, field) for field in fields if getattr(selection, field) is not None}
