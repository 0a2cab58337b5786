"""``healthomics-run plan BASE HEAD``: exit 0 when no run starts, 2 when one will (or may), 1 on error."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .assembly import PlanInputError, load
from .decide import plan
from .render import FORMATS

NO_RUN_STARTS, ERROR, RUNS_START = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage; here 2 means "runs start", so usage errors exit 1."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(ERROR)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.description = ("Say which HealthOmics runs and batches a deploy will start, keep, cancel or leave "
                          "running, comparing two cloud assemblies (cdk.out) or templates.")
    parser.add_argument("base", help="what is deployed now: a cdk.out directory, a template file, or the output "
                                     "of `aws cloudformation get-template`")
    parser.add_argument("head", help="what will be deployed: a cdk.out directory or a template file")
    parser.add_argument("--format", choices=sorted(FORMATS), default="table",
                        help="table (default), markdown for a pull-request comment, or json")
    parser.add_argument("--show-values", action="store_true",
                        help="show parameter values (hidden by default: they may identify patients)")
    return parser


def run(arguments: argparse.Namespace) -> int:
    try:
        rows = plan(load(arguments.base), load(arguments.head))
    except PlanInputError as error:
        print(f"healthomics-run plan: {error}", file=sys.stderr)
        return ERROR
    sys.stdout.write(FORMATS[arguments.format](rows, arguments.show_values))
    return RUNS_START if any(row.may_start for row in rows) else NO_RUN_STARTS


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m healthomics_run.plan BASE HEAD``."""
    return run(add_arguments(_Parser(prog="python -m healthomics_run.plan")).parse_args(argv))


def console(argv: Sequence[str] | None = None) -> int:
    """The ``healthomics-run`` console script: ``healthomics-run plan BASE HEAD``, ``healthomics-run provenance
    STACK``."""
    from ..provenance_records import cli as provenance

    parser = _Parser(prog="healthomics-run", description="Tools for healthomics-run stacks.")
    commands = parser.add_subparsers(dest="command", required=True)
    add_arguments(commands.add_parser("plan", help="which runs a deploy will start, keep or cancel")).set_defaults(
        run=run)
    provenance.add_arguments(commands.add_parser(
        "provenance", help="write the provenance records a stack's ended runs are missing")).set_defaults(
        run=provenance.run)
    arguments = parser.parse_args(argv)
    return arguments.run(arguments)
