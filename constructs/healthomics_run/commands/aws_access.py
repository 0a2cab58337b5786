"""What every command that calls AWS shares: ``--profile`` and ``--region`` as the AWS CLI takes them, one boto3
session made from them, one wording when boto3 is missing, and the exit codes in ``--help``.

boto3 is not a dependency of the construct library (``pip install 'healthomics-run[status]'`` brings it), so
nothing here imports it until a command runs.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any, Mapping, Optional

EXTRA = "status"  # the optional dependency group of pyproject.toml that brings boto3


class MissingBoto3(Exception):
    """boto3 is not installed; the message says which command needs it and how to install it."""


def missing_boto3(command: str) -> str:
    """The one wording every command uses when boto3 is missing."""
    return f"healthomics-run {command} needs boto3: pip install 'healthomics-run[{EXTRA}]'"


def require_boto3(command: str) -> Any:
    """The boto3 module, or ``MissingBoto3`` naming the command and the install line."""
    try:
        import boto3
    except ImportError:
        raise MissingBoto3(missing_boto3(command)) from None
    return boto3


def add_aws_arguments(parser: argparse.ArgumentParser, *, when: str = "") -> None:
    """``--profile`` and ``--region``, as the AWS CLI takes them (``when``: the option they apply with, if any)."""
    only = f"{when}: " if when else ""
    parser.add_argument("--profile", help=f"{only}a named profile of your AWS configuration (default: as the AWS "
                                          "CLI finds credentials: AWS_PROFILE, then the default chain)")
    parser.add_argument("--region", help=f"{only}the AWS Region (default: your AWS configuration's)")


def session(command: str, profile: Optional[str] = None, region: Optional[str] = None) -> Any:
    """A boto3 session with the profile and Region the command was given (None: as boto3 finds them)."""
    return require_boto3(command).Session(profile_name=profile, region_name=region)


def describe_exit_codes(parser: argparse.ArgumentParser, codes: Mapping[int, str]) -> argparse.ArgumentParser:
    """Put the command's exit codes in its ``--help`` (the epilog, lines kept as written)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # which keeps the description as written too:
    if parser.description:                                          # wrapped here, as argparse would
        parser.description = textwrap.fill(parser.description, width=100)
    parser.epilog = "exit codes:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in sorted(codes.items()))
    return parser
