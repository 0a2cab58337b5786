"""``healthomics-run status STACK``: exit 0 when all is well, 2 when something failed, 3 on drift, 1 on error.

A failure outranks drift: a stack with both exits 2 (the rows say which is which). The command calls AWS through
boto3, which the construct library itself does not need: ``pip install 'healthomics-run[status]'`` brings it, and
this module imports it only when the command runs (``healthomics-run plan`` and synthesis never load it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
import time
from typing import TYPE_CHECKING, Callable, Optional

from .. import aws_access
from ..aws_access import MissingBoto3, add_aws_arguments, describe_exit_codes, require_boto3

if TYPE_CHECKING:
    from .declared import Declared
    from .survey import Row, Survey

ALL_WELL, ERROR, FAILED, DRIFT = 0, 1, 2, 3
EXIT_CODES = {ALL_WELL: "all is well (going or ended as wanted)", ERROR: "error (bad arguments, AWS refused, boto3 "
              "missing)", FAILED: "a run or batch failed, or a cohort's ledger is not a ledger "
              "(restore it; this outranks drift)",
              DRIFT: "drift: the stack and HealthOmics disagree (deleted, cancelled outside the stack, duplicates)"}
DEFAULT_INTERVAL_SECONDS = 60
FORMATS = ("table", "markdown", "json")  # render.FORMATS, named here so that building the parser imports no boto3


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.description = ("Show a stack's HealthOmics runs and batches as HealthOmics holds them now: status, times, "
                          "progress, cost so far, why failed runs failed, and where the stack and HealthOmics "
                          "disagree (drift), each with what to do.")
    parser.add_argument("stack", nargs="?", help="a deployed stack's name or id (credentials and Region as the AWS "
                                                 "CLI finds them)")
    parser.add_argument("--template", help="instead of a deployed stack: a template file or a cdk.out directory "
                                           "(runs and batches are then found by their names)")
    add_aws_arguments(parser)
    parser.add_argument("--format", choices=sorted(FORMATS), default="table",
                        help="table (default), markdown for an issue or pull-request comment, or json")
    parser.add_argument("--wait", action="store_true",
                        help="look again every --interval seconds, one progress line per look, until nothing the "
                             "stack started is still going; then show the status")
    parser.add_argument("--interval", type=int, default=DEFAULT_INTERVAL_SECONDS,
                        help=f"seconds between looks with --wait (default {DEFAULT_INTERVAL_SECONDS})")
    parser.add_argument("--history", help="price each run's cost so far with the prices of this file "
                                          "(`healthomics-run export-history`); default: not priced")
    return describe_exit_codes(parser, EXIT_CODES)


def exit_code(rows: list[Row]) -> int:
    from .survey import State

    states = {row.state for row in rows}
    failed = State.FAILED in states or any(row.diagnosis is not None for row in rows)  # a batch still going, too
    return FAILED if failed else DRIFT if State.DRIFT in states else ALL_WELL


def run(arguments: argparse.Namespace, survey: Optional[Survey] = None,
        cloudformation: Optional[Callable[[], object]] = None) -> int:
    """The command; ``survey`` and ``cloudformation`` (a client factory) stand in for AWS in tests."""
    if bool(arguments.stack) == bool(arguments.template):
        print("healthomics-run status: give a stack name, or --template PATH", file=sys.stderr)
        return ERROR
    try:
        require_boto3("status")
    except MissingBoto3 as error:
        print(error, file=sys.stderr)
        return ERROR
    from botocore.exceptions import BotoCoreError, ClientError

    from healthomics_run.commands.plan import history
    from healthomics_run.commands.plan.assembly import PlanInputError
    from healthomics_run.service_calls import clients
    from healthomics_run.service_calls.budget import RetryLater
    from healthomics_run.service_calls.runs import RunError

    from . import declared, render
    from .pricing import HistoryPricing, NoPricing
    from .survey import Survey

    session = functools.partial(aws_access.session, "status", arguments.profile, arguments.region)
    try:
        pricer = HistoryPricing(history.read(arguments.history).prices) if getattr(arguments, "history", None) \
            else NoPricing()
    except PlanInputError as error:
        print(f"healthomics-run status: {error}", file=sys.stderr)
        return ERROR
    survey = survey or Survey(omics=functools.cache(lambda: clients.new_omics_client(arguments.region,
                                                                                     arguments.profile)),
                              s3=functools.cache(lambda: session().client("s3")), pricer=pricer)
    cloudformation = cloudformation or (lambda: session().client("cloudformation"))
    try:
        resources = (declared.from_template(arguments.template) if arguments.template
                     else declared.from_stack(cloudformation(), arguments.stack))
        rows = _follow(survey, resources, arguments.interval) if arguments.wait else survey.rows(resources)
    except (PlanInputError, RunError, RetryLater, ClientError, BotoCoreError) as error:
        print(f"healthomics-run status: {error}", file=sys.stderr)
        return ERROR
    sys.stdout.write(render.FORMATS[arguments.format](rows))
    return exit_code(rows)


def _follow(survey: Survey, resources: list[Declared], interval: int) -> list[Row]:
    """Look until nothing is still going, printing one progress line per look (to stderr: stdout keeps the
    status alone, for ``--format json``). A look HealthOmics throttles is skipped, not fatal."""
    from healthomics_run.service_calls.budget import RetryLater

    from . import render
    from .survey import State

    while True:
        try:
            rows = survey.rows(resources)
        except RetryLater as why:
            print(f"[{_now()}] HealthOmics is throttling ({why}); looking again", file=sys.stderr, flush=True)
        else:
            print(render.progress_line(rows, _now()), file=sys.stderr, flush=True)
            if not any(row.state is State.ACTIVE for row in rows):
                return rows
        time.sleep(interval)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
