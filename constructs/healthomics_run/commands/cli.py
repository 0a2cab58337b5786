"""The ``healthomics-run`` console script: one entry for the commands a person runs (``plan``, ``export-history``,
``status``, ``provenance``). Each command's module imports nothing of aws-cdk-lib, and boto3 only when it runs."""

from __future__ import annotations

from typing import Sequence

from .plan import cli as plan
from .provenance import cli as provenance
from .status import cli as status

# pyproject.toml's [project] version, written here too so that a source checkout or an editable install whose
# metadata is stale prints the right one (tests/commands/test_commands.py checks that the two agree).
VERSION = "0.3.0"


def console(argv: Sequence[str] | None = None) -> int:
    """The ``healthomics-run`` console script: ``healthomics-run plan BASE HEAD``, ``export-history FILE``,
    ``status STACK``, ``provenance STACK``."""
    parser = plan.Parser(prog="healthomics-run", description="Tools for healthomics-run stacks.")
    parser.add_argument("--version", action="version", version=f"healthomics-run {VERSION}")
    commands = parser.add_subparsers(dest="command", required=True)
    plan.add_arguments(commands.add_parser("plan",
                                           help="which runs a deploy will start, keep or cancel, and their cost"))
    plan.add_export_arguments(commands.add_parser(
        "export-history", help="write the account's run history and prices to a file for `plan --history` "
                               "(no parameter values or sample ids)"))
    status.add_arguments(commands.add_parser("status", help="a deployed stack's runs: progress, failures, drift"))
    provenance.add_arguments(commands.add_parser(
        "provenance", help="write the provenance records a stack's ended runs are missing"))
    arguments = parser.parse_args(argv)
    by_command = {"status": status.run, "provenance": provenance.run, "export-history": plan.export}
    return by_command.get(arguments.command, plan.run)(arguments)
