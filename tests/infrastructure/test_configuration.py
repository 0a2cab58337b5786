"""Configuration: the AWS::Omics::Configuration it synthesizes, its checks and imports.

AWS behaviour the tests rely on, and where it is stated:

- AWS::Omics::Configuration takes ``Name`` (required, ``[A-Za-z0-9][A-Za-z0-9\\-\\._]*``, 1 to 128) and
  ``RunConfigurations`` (required) whose ``VpcConfig`` has ``SecurityGroupIds`` and ``SubnetIds``; ``Ref``
  returns the name (its primary identifier), ``Fn::GetAtt Arn`` the ARN: "AWS::Omics::Configuration",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-omics-configuration.html
  and "AWS::Omics::Configuration VpcConfig",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-omics-configuration-vpcconfig.html
- At most 5 security groups (``sg-[0-9a-f]+``) and 16 subnets (``subnet-[0-9a-f]+``): "VpcConfig",
  https://docs.aws.amazon.com/omics/latest/api/API_VpcConfig.html (the shipped service model says the same).
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

from healthomics_run import Configuration, IConfiguration, ValidationError
from tests.synth import new_stack, template


def subnet(stack: cdk.Stack, subnet_id: str = "subnet-0abc1234") -> ec2.ISubnet:
    return ec2.Subnet.from_subnet_id(stack, subnet_id, subnet_id)


def group(stack: cdk.Stack, group_id: str = "sg-0abc1234") -> ec2.ISecurityGroup:
    return ec2.SecurityGroup.from_security_group_id(stack, group_id, group_id)


def vpc(stack: cdk.Stack) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(stack, "ImportedVpc", vpc_id="vpc-0abc1234",
                                       availability_zones=["us-east-1a", "us-east-1b"],
                                       private_subnet_ids=["subnet-0aaa1111", "subnet-0bbb2222"],
                                       public_subnet_ids=["subnet-0ccc3333", "subnet-0ddd4444"])


def test_configuration_with_subnets_and_security_groups():
    stack = new_stack()
    configuration = Configuration(stack, "Vpc", subnets=[subnet(stack)], security_groups=[group(stack)],
                                  name="hipaa-vpc", description="Runs in the private VPC")
    (logical_id, resource), = template(stack).find_resources("AWS::Omics::Configuration").items()
    assert resource["Properties"] == {
        "Name": "hipaa-vpc", "Description": "Runs in the private VPC",
        "RunConfigurations": {"VpcConfig": {"SubnetIds": ["subnet-0abc1234"], "SecurityGroupIds": ["sg-0abc1234"]}}}
    assert stack.resolve(configuration.configuration_name) == {"Ref": logical_id}
    assert stack.resolve(configuration.configuration_arn) == {"Fn::GetAtt": [logical_id, "Arn"]}
    assert isinstance(configuration, IConfiguration) and isinstance(configuration, cdk.Resource)


def test_default_name_is_unique_and_fits_the_service_pattern():
    stack = new_stack()
    Configuration(stack, "Vpc", subnets=[subnet(stack)], security_groups=[group(stack)])
    template(stack).has_resource_properties("AWS::Omics::Configuration", {
        "Name": Match.string_like_regexp(r"^TestStack-Vpc-[0-9A-F]{8}$"), "Description": Match.absent()})


def test_subnets_from_a_vpc_and_a_new_security_group_with_no_inbound_rules():
    stack = new_stack()
    configuration = Configuration(stack, "Vpc", vpc=vpc(stack))
    t = template(stack)
    (group_id, security_group), = t.find_resources("AWS::EC2::SecurityGroup").items()
    assert "SecurityGroupIngress" not in security_group["Properties"]
    assert security_group["Properties"]["VpcId"] == "vpc-0abc1234"
    t.has_resource_properties("AWS::Omics::Configuration", {"RunConfigurations": {"VpcConfig": {
        "SubnetIds": ["subnet-0aaa1111", "subnet-0bbb2222"],
        "SecurityGroupIds": [{"Fn::GetAtt": [group_id, "GroupId"]}]}}})
    assert len(configuration.security_groups) == 1


def test_vpc_subnets_selects_which_subnets():
    stack = new_stack()
    Configuration(stack, "Vpc", vpc=vpc(stack), vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
                  security_groups=[group(stack)])
    template(stack).has_resource_properties("AWS::Omics::Configuration", {"RunConfigurations": {"VpcConfig": {
        "SubnetIds": ["subnet-0ccc3333", "subnet-0ddd4444"], "SecurityGroupIds": ["sg-0abc1234"]}}})


@pytest.mark.parametrize("build, message", [
    (lambda s: Configuration(s, "C", security_groups=[group(s)]), "give subnets, or vpc"),
    (lambda s: Configuration(s, "C", subnets=[subnet(s)]), "give security_groups (or vpc"),
    (lambda s: Configuration(s, "C", subnets=[subnet(s)], vpc=vpc(s)),
     "give subnets or vpc (with vpc_subnets), not both"),
    (lambda s: Configuration(s, "C", subnets=[subnet(s)], security_groups=[group(s)],
                             vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)),
     "vpc_subnets selects subnets of vpc: give vpc too"),
    (lambda s: Configuration(s, "C", subnets=[subnet(s)], security_groups=[group(s)], name="my vpc"),
     "name must match the pattern"),
    (lambda s: Configuration(s, "C", subnets=[subnet(s)], security_groups=[group(s)], name="n" * 129),
     "name must be 1 to 128 characters long, got 129"),
    (lambda s: Configuration(s, "C", subnets=[subnet(s)], security_groups=[group(s)], description=""),
     "description must be 1 to 256 characters long"),
    (lambda s: Configuration(s, "C", subnets=[], security_groups=[group(s)]), "subnets must hold 1 to 16, got 0"),
    (lambda s: Configuration(s, "C", subnets=[subnet(s, f"subnet-0{i:07x}") for i in range(17)],
                             security_groups=[group(s)]), "subnets must hold 1 to 16, got 17"),
    (lambda s: Configuration(s, "C", subnets=[subnet(s)], security_groups=[group(s, f"sg-0{i:07x}") for i in range(6)]),
     "security_groups must hold 1 to 5, got 6"),
    (lambda s: Configuration(s, "C", subnets=[subnet(s, "subnet-XYZ")], security_groups=[group(s)]),
     "subnets id must match the pattern subnet-[0-9a-f]+"),
    (lambda s: Configuration(s, "C", subnets=[subnet(s)], security_groups=[group(s, "sg-Q")]),
     "security_groups id must"),
    (lambda s: Configuration.from_configuration_name(s, "C", "my vpc"), "configuration_name must match the pattern"),
])
def test_props_the_service_would_refuse_raise_on_the_construct_line(build, message):
    with pytest.raises(ValidationError) as raised:
        build(new_stack())
    assert raised.value.code == "InvalidResourceProps" and message in str(raised.value)


def test_tokens_are_not_validated():
    stack = new_stack()
    text = cdk.CfnParameter(stack, "Text").value_as_string
    Configuration(stack, "C", subnets=[ec2.Subnet.from_subnet_id(stack, "S", text)],
                  security_groups=[ec2.SecurityGroup.from_security_group_id(stack, "G", text)], name=text,
                  description=text)
    Configuration.from_configuration_name(stack, "Imported", text)
    template(stack).has_resource_properties("AWS::Omics::Configuration", {"Name": {"Ref": "Text"}})


def test_import_by_name_builds_the_arn_in_this_account_and_region():
    stack = new_stack()
    configuration = Configuration.from_configuration_name(stack, "Existing", "hipaa-vpc")
    assert configuration.configuration_name == "hipaa-vpc"
    assert stack.resolve(configuration.configuration_arn) == {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":omics:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"},
        ":configuration/hipaa-vpc"]]}


def test_cdk_nag_finds_nothing_unacknowledged(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "ConfigurationStack")
    Configuration(stack, "Vpc", vpc=vpc(stack))
    Configuration(stack, "Given", subnets=[subnet(stack)], security_groups=[group(stack)])
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))
    app.synth()  # raises ValidationFailed when any finding is not acknowledged
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert all(r["conclusion"] == "success" for r in report["pluginReports"]), report
