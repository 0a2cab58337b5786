"""``healthomics-run provenance STACK``: exit 0 when every ended run of the stack has its record, 1 on error.

Imports neither aws_cdk nor (until it runs) boto3: the command needs AWS credentials and boto3, the plan
command needs neither.
"""

from __future__ import annotations

import argparse
import sys

from ..aws_access import MissingBoto3, add_aws_arguments, describe_exit_codes, require_boto3

EXIT_CODES = {0: "every ended run of the stack has its record (written now, or before)",
              1: "error (bad arguments, AWS refused, boto3 missing)"}


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.description = ("Write the provenance record (ro-crate-metadata.json) of every ended run of a stack "
                          "that has none: status events are delivered at best effort. Uses your AWS credentials.")
    parser.add_argument("stack", help="the stack's name (or id), as deployed")
    add_aws_arguments(parser)
    return describe_exit_codes(parser, EXIT_CODES)


def run(arguments: argparse.Namespace) -> int:
    try:
        require_boto3("provenance")  # not a dependency of the construct library
    except MissingBoto3 as error:
        print(error, file=sys.stderr)
        return 1
    from botocore.exceptions import BotoCoreError, ClientError

    from . import missing

    try:
        outcomes = missing.for_stack(arguments.stack, arguments.region, arguments.profile)
    except (BotoCoreError, ClientError) as error:
        print(f"healthomics-run provenance: {error}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        print(outcome)
    return 0
