"""``healthomics-run provenance STACK``: exit 0 when every ended run of the stack has its record, 1 on error.

Imports neither aws_cdk nor (until it runs) boto3: the command needs AWS credentials and boto3, the plan
command needs neither.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.description = ("Write the provenance record (ro-crate-metadata.json) of every ended run of a stack "
                          "that has none: status events are delivered at best effort. Uses your AWS credentials.")
    parser.add_argument("stack", help="the stack's name (or id), as deployed")
    parser.add_argument("--region", help="the stack's Region (default: your AWS configuration's)")
    return parser


def run(arguments: argparse.Namespace) -> int:
    try:
        from . import missing
    except ImportError as error:  # boto3 is not a dependency of the construct library
        print(f"healthomics-run provenance needs boto3 (pip install boto3): {error}", file=sys.stderr)
        return 1
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        outcomes = missing.for_stack(arguments.stack, arguments.region)
    except (BotoCoreError, ClientError) as error:
        print(f"healthomics-run provenance: {error}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        print(outcome)
    return 0
