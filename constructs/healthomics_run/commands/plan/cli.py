"""``healthomics-run plan BASE HEAD``: exit 0 when no run starts, 2 when one will (or may), 3 when
``--max-cost`` is exceeded (or cannot be checked), 1 on error. ``healthomics-run export-history FILE``
writes the account's run history and prices for a plan in CI without credentials."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..aws_access import MissingBoto3, add_aws_arguments, describe_exit_codes, session
from . import history, pipeline_history, queueing
from .assembly import PlanInputError, StackTemplate, load
from .cascade import cascades
from .decide import Row, plan, unmatched_stacks
from .render import FORMATS, Display
from .review import review

NO_RUN_STARTS, ERROR, RUNS_START, OVER_BUDGET = 0, 1, 2, 3
EXIT_CODES = {NO_RUN_STARTS: "no run or batch starts", ERROR: "error (bad arguments, unreadable input, AWS refused)",
              RUNS_START: "runs or batches start (or may)",
              OVER_BUDGET: "--max-cost exceeded, or runs start that have no forecast"}
EXPORT_EXIT_CODES = {0: "the history was written", ERROR: "error (bad arguments, AWS refused, boto3 missing)"}


class Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage; here 2 means "runs start", so usage errors exit 1."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(ERROR)


def _positive(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not above 0")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.description = ("Say which HealthOmics runs and batches a deploy will start, keep, cancel or leave "
                          "running, what they are forecast to cost, and whether the account can take them, "
                          "comparing two cloud assemblies (cdk.out) or templates.")
    parser.add_argument("base", help="what is deployed now: a cdk.out directory, a template file, or the output "
                                     "of `aws cloudformation get-template`")
    parser.add_argument("head", help="what will be deployed: a cdk.out directory or a template file")
    parser.add_argument("--format", choices=sorted(FORMATS), default="table",
                        help="table (default), markdown for a pull-request comment, or json")
    values = parser.add_mutually_exclusive_group()
    values.add_argument("--show-values", dest="display", action="store_const", const=Display.SHOW,
                        help="show every value, sample ids included (by default free text and sample ids are "
                             "hidden: they may identify patients; numbers, booleans and enumerations are shown)")
    values.add_argument("--hide-values", dest="display", action="store_const", const=Display.HIDE,
                        help="hide every value")
    parser.set_defaults(display=Display.SAFE)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--history", metavar="FILE|FOLDER|S3_URI", action="append",
                        help="run history: forecasts cost. A file written by `healthomics-run export-history` (runs "
                             "and prices), or a folder of the history records the after-run pipeline writes: a local "
                             "copy or s3://bucket/prefix/ (s3:ListBucket and s3:GetObject needed), the newest runs "
                             f"read first, at most {pipeline_history.MAX_OBJECTS:,} records a folder. Repeatable: "
                             "the runs of each are added")
    source.add_argument("--from-account", action="store_true",
                        help="read run history and prices from the account (credentials needed)")
    parser.add_argument("--prices", metavar="FILE",
                        help="with --history: the prices of this export-history file (its runs are not read); the "
                             "pipeline's history records hold none")
    parser.add_argument("--expected-bucket-owner", metavar="ACCOUNT",
                        help="with an s3:// --history: the account that owns the bucket (S3 refuses another's)")
    add_aws_arguments(parser, when="with --from-account or an s3:// --history")
    parser.add_argument("--max-cost", type=_positive, metavar="USD",
                        help=f"exit {OVER_BUDGET} when the p90 forecast of the runs that start exceeds this "
                             "many US dollars, or when runs start that have no forecast")
    parser.add_argument("--start-run-rate", type=_positive, metavar="PER_SECOND",
                        help="your StartRun quota (runs per second): checks how long a batch takes to submit "
                             "against its timeout")
    return describe_exit_codes(parser, EXIT_CODES)


def add_export_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.description = ("Write the account's COMPLETED HealthOmics runs (durations, storage, task resources; no "
                          "parameter values, run names or sample ids) and their prices from the AWS Price List to a "
                          "file, for `healthomics-run plan --history FILE` in CI without credentials.")
    parser.add_argument("output", help="the file to write (JSON)")
    add_aws_arguments(parser)
    parser.add_argument("--workflow-id", action="append", help="only this workflow's runs (repeatable)")
    parser.add_argument("--runs", type=int, default=history.RUNS_PER_WORKFLOW,
                        help=f"the newest COMPLETED runs kept per workflow (default {history.RUNS_PER_WORKFLOW})")
    return describe_exit_codes(parser, EXPORT_EXIT_CODES)


def _history(arguments: argparse.Namespace, rows: list[Row], base: dict[str, StackTemplate],
             head: dict[str, StackTemplate]) -> history.History | None:
    if arguments.history:
        regions = {stack.region or "" for stack in head.values()}
        return pipeline_history.read_sources(
            arguments.history, prices=arguments.prices, owner=arguments.expected_bucket_owner,
            region=regions.pop() if len(regions) == 1 else "",  # the stacks' one Region, when they agree
            wanted=_workflows(rows, base, head),
            say=lambda line: print(f"healthomics-run plan: {line}", file=sys.stderr),
            s3=lambda: session("plan --history", arguments.profile, arguments.region).client("s3"))
    if arguments.prices:
        raise PlanInputError("--prices prices a --history; without one there are no runs to price")
    if arguments.from_account:
        return history.read_account(arguments.region, profile=arguments.profile)
    return None


def _workflows(rows: list[Row], base: dict[str, StackTemplate], head: dict[str, StackTemplate]) -> set[str] | None:
    """The workflows (ids or names) the plan forecasts runs of; None when one is known only at deploy time."""
    keys = [row.target.workflow_key if row.target is not None else None for row in rows if row.may_start]
    keys += [item.workflow_key for found in cascades(rows, base, head) for item in found.after_cohort]
    return None if None in keys else {key for key in keys if key is not None}


def _quotas(arguments: argparse.Namespace) -> queueing.Quotas:
    """The account's HealthOmics quotas from Service Quotas with ``--from-account``; else the documented defaults."""
    if not arguments.from_account:
        return queueing.DEFAULT_QUOTAS
    aws = session("plan --from-account", arguments.profile, arguments.region)
    try:
        return queueing.from_service_quotas(aws.client("service-quotas"))
    except Exception as error:
        if not type(error).__module__.startswith("botocore"):
            raise
        raise PlanInputError(f"reading the account's HealthOmics quotas failed ({error}); it needs "
                             "servicequotas:ListServiceQuotas") from error


def run(arguments: argparse.Namespace) -> int:
    try:
        base, head = load(arguments.base), load(arguments.head)
        rows = plan(base, head)
        found = _history(arguments, rows, base, head)
        report = review(rows, found, arguments.max_cost, arguments.start_run_rate,
                        notes=tuple(unmatched_stacks(base, head)),
                        stack_regions={name: stack.region for name, stack in head.items()}, stacks=head,
                        quotas=_quotas(arguments), base=base,
                        cascades=tuple(cascades(rows, base, head, found)))
    except PlanInputError as error:
        print(f"healthomics-run plan: {error}", file=sys.stderr)
        return ERROR
    except MissingBoto3 as error:
        print(error, file=sys.stderr)
        return ERROR
    sys.stdout.write(FORMATS[arguments.format](report, arguments.display))
    if report.budget is not None and not report.budget.passes:
        return OVER_BUDGET
    chained = any(found.runs for found in report.cascades)
    return RUNS_START if chained or any(row.may_start for row in rows) else NO_RUN_STARTS


def export(arguments: argparse.Namespace) -> int:
    """``healthomics-run export-history FILE``: no parameter values, run names or sample ids are written."""
    try:
        found = history.read_account(arguments.region, arguments.workflow_id or (), arguments.runs,
                                     profile=arguments.profile, command="export-history")
    except PlanInputError as error:
        print(f"healthomics-run export-history: {error}", file=sys.stderr)
        return ERROR
    except MissingBoto3 as error:
        print(error, file=sys.stderr)
        return ERROR
    with open(arguments.output, "w", encoding="utf-8") as out:
        out.write(found.to_json())
    print(f"{len(found.runs)} runs, {len(found.prices)} prices written to {arguments.output}", file=sys.stderr)
    return NO_RUN_STARTS


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m healthomics_run.commands.plan BASE HEAD``."""
    return run(add_arguments(Parser(prog="python -m healthomics_run.commands.plan")).parse_args(argv))
