"""The account's run history and the prices that cost it: what the forecast rests on.

A history holds the earlier runs that ended (COMPLETED, and FAILED or CANCELLED ones for the failure share;
workflow id, name and version; run storage type, size and running time; each COMPLETED run's tasks'
instance type, vCPUs, GPUs, running time and whether it was a cache hit), the
on-demand prices of the instance types and run storage they used, and the limits of the account's run
groups (ListRunGroups), for the capacity check of runs in a run group made outside the stack. It holds
no parameter value, no run or task name and no sample id: ``healthomics-run export-history`` writes it
to a file that CI reads without credentials, and ``healthomics-run plan --from-account`` reads the same
from the account.
Both go through ``from_account``, so both give the same numbers.

Sources: HealthOmics API reference (ListRuns, GetRun, ListRunTasks, ListRunGroups); AWS Price List API
(``pricing:GetProducts``, service code ``AmazonOmics``, attribute ``resourceType`` per instance type
and ``Run Storage`` / ``Dynamic Run Storage``; the same filters aws-healthomics-tools' run analyzer uses).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from ..aws_access import MissingBoto3, session
from .assembly import PlanInputError
from .target import RunGroupLimits

FORMAT = "healthomics-run-history/1"
CURRENCY = "USD"  # the Price List's on-demand prices are in USD
SERVICE_CODE = "AmazonOmics"
PRICING_REGION = "us-east-1"  # the Price List API's endpoint
STORAGE_PRICE = {"STATIC": "Run Storage", "DYNAMIC": "Dynamic Run Storage"}  # resourceType of run storage
RUNS_PER_WORKFLOW = 50  # the newest ended runs (COMPLETED, FAILED, CANCELLED) of each workflow a history keeps
ENDED = ("COMPLETED", "FAILED", "CANCELLED")  # ListRuns statuses a history keeps


@dataclass(frozen=True)
class Task:
    instance_type: str | None  # None: the task record names none (nothing to charge)
    seconds: float  # startTime → stopTime
    cpus: int = 0
    cache_hit: bool = False
    gpus: int = 0  # ListRunTasks' ``gpus``: an accelerated-computing instance type (omics.g4dn, omics.g5, ...)


@dataclass(frozen=True)
class Run:
    workflow_id: str
    seconds: float  # startTime → stopTime: a run is charged only while RUNNING
    storage_type: str = "STATIC"
    storage_capacity: int | None = None  # GiB: STATIC as provisioned; DYNAMIC the most used (GetRun)
    workflow_name: str | None = None
    workflow_version: str | None = None
    tasks: tuple[Task, ...] = ()
    status: str = "COMPLETED"  # FAILED and CANCELLED runs count towards the failure share, not the cost figures


@dataclass(frozen=True)
class History:
    runs: tuple[Run, ...] = ()
    prices: dict[str, float] = field(default_factory=dict)  # resourceType -> USD per hour (storage: per GB-hour)
    region: str = ""
    currency: str = CURRENCY
    run_groups: dict[str, RunGroupLimits] = field(default_factory=dict)  # the account's run groups, by id
    # READY2RUN workflows' fixed USD price per run, by workflow id, from the HealthOmics pricing page (the Price
    # List's name for them is not documented, so export-history does not fetch them: add them to the file).
    run_prices: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        document = {"format": FORMAT, "region": self.region, "currency": self.currency,
                    "prices": dict(sorted(self.prices.items())), "runs": [asdict(run) for run in self.runs],
                    "run_groups": {key: asdict(limits) for key, limits in sorted(self.run_groups.items())},
                    "run_prices": dict(sorted(self.run_prices.items()))}
        return json.dumps(document, indent=1, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "history") -> "History":
        try:
            document = json.loads(text)
        except ValueError as error:
            raise _not_a_history(source, error) from error
        return cls.from_document(document, source)

    @classmethod
    def from_document(cls, document: Any, source: str = "history") -> "History":
        try:
            if document.get("format") != FORMAT:
                raise ValueError(f"format is {document.get('format')!r}, not {FORMAT!r}")
            runs = tuple(Run(**{**run, "tasks": tuple(Task(**task) for task in run.get("tasks", ()))})
                         for run in document["runs"])
            groups = {key: RunGroupLimits(**limits) for key, limits in (document.get("run_groups") or {}).items()}
            return cls(runs=runs, prices={key: float(value) for key, value in document["prices"].items()},
                       region=str(document.get("region", "")), currency=str(document.get("currency", CURRENCY)),
                       run_groups=groups,
                       run_prices={key: float(value) for key, value in (document.get("run_prices") or {}).items()})
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise _not_a_history(source, error) from error


def _not_a_history(source: str, error: Exception) -> PlanInputError:
    return PlanInputError(f"{source}: not a history written by `healthomics-run export-history` ({error})")


def read(path: str | Path) -> History:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PlanInputError(f"{path}: the history file cannot be read ({error})") from error
    return History.from_json(text, str(path))


def _seconds(item: dict[str, Any]) -> float | None:
    start, stop = item.get("startTime"), item.get("stopTime")
    if not isinstance(start, datetime) or not isinstance(stop, datetime):
        return None
    return max(0.0, (stop - start).total_seconds())


def _pages(call, key: str, **request: Any) -> Iterable[dict[str, Any]]:
    """Every item of a paginated HealthOmics list (``startingToken`` / ``nextToken``)."""
    while True:
        page = call(**request)
        yield from page.get(key, [])
        if not page.get("nextToken"):
            return
        request["startingToken"] = page["nextToken"]


def _run(omics, listed: dict[str, Any]) -> Run | None:
    """One COMPLETED run, from GetRun (storage as the run-storage guide says GetRun reports it) and its
    tasks from ListRunTasks; a FAILED or CANCELLED one as ListRuns lists it (it counts towards the failure
    share only: no further call); None when it never ran (no start or stop time)."""
    if listed.get("status", "COMPLETED") != "COMPLETED":
        ran = _seconds(listed)
        return Run(workflow_id=str(listed.get("workflowId")), seconds=ran or 0.0, status=str(listed["status"]),
                   storage_type=listed.get("storageType") or "STATIC", storage_capacity=listed.get("storageCapacity"),
                   workflow_name=listed.get("workflowName"), workflow_version=listed.get("workflowVersionName"))
    try:
        described = omics.get_run(id=listed["id"])
    except omics.exceptions.ResourceNotFoundException:
        return None  # deleted since it was listed
    return run_record(described, list(_pages(omics.list_run_tasks, "items", id=listed["id"])), listed)


def run_record(described: dict[str, Any], tasks: Iterable[dict[str, Any]], listed: dict[str, Any] | None = None, *,
               now: datetime | None = None) -> Run | None:
    """A run as GetRun describes it and its tasks as ListRunTasks lists them; with ``now``, a run or task still
    going counts until then (its cost so far). None when it never started."""
    def seconds(item: dict[str, Any]) -> float | None:
        return _seconds({**item, "stopTime": item.get("stopTime") or now})

    ran = seconds(described)
    if ran is None:
        return None
    listed = listed or {}
    return Run(workflow_id=str(described.get("workflowId") or listed.get("workflowId")), seconds=ran,
               storage_type=described.get("storageType") or "STATIC",
               storage_capacity=described.get("storageCapacity"),
               workflow_name=listed.get("workflowName"), workflow_version=described.get("workflowVersionName"),
               tasks=tuple(Task(instance_type=task.get("instanceType"), seconds=seconds(task) or 0.0,
                                cpus=int(task.get("cpus") or 0), cache_hit=bool(task.get("cacheHit")),
                                gpus=int(task.get("gpus") or 0))
                           for task in tasks))


def _price(pricing, resource_type: str, region: str) -> float | None:
    """The on-demand USD price of one ``resourceType`` in ``region``: per hour, or per GB-hour for storage."""
    filters = [{"Type": "TERM_MATCH", "Field": "resourceType", "Value": resource_type},
               {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
    request: dict[str, Any] = {"ServiceCode": SERVICE_CODE, "Filters": filters}
    while True:
        page = pricing.get_products(**request)
        for item in page.get("PriceList", []):
            product = json.loads(item) if isinstance(item, str) else item
            for term in (product.get("terms", {}).get("OnDemand") or {}).values():
                for dimension in (term.get("priceDimensions") or {}).values():
                    price = (dimension.get("pricePerUnit") or {}).get(CURRENCY)
                    if price is not None:
                        return float(price)
        if not page.get("NextToken"):
            return None
        request["NextToken"] = page["NextToken"]


def from_account(omics, pricing, region: str, workflow_ids: Iterable[str] = (),
                 runs_per_workflow: int = RUNS_PER_WORKFLOW) -> History:
    """The newest ended runs of each workflow (of ``workflow_ids`` only, when given) and their prices. ListRuns is
    asked once, without a status filter, and the COMPLETED, FAILED and CANCELLED runs are kept."""
    wanted = set(workflow_ids)
    kept: dict[str, int] = {}
    runs: list[Run] = []
    listed_runs = [item for item in _pages(omics.list_runs, "items")
                   if item.get("status") in ENDED and (not wanted or str(item.get("workflowId")) in wanted)]
    # Newest first, whatever order ListRuns answers in (its order is not documented).
    listed_runs.sort(key=lambda item: item["creationTime"].timestamp() if isinstance(item.get("creationTime"), datetime)
                     else 0.0, reverse=True)
    for listed in listed_runs:
        workflow = str(listed.get("workflowId"))
        if kept.get(workflow, 0) >= runs_per_workflow:
            continue
        run = _run(omics, listed)
        if run is not None:
            kept[workflow] = kept.get(workflow, 0) + 1
            runs.append(run)
    resource_types = sorted({task.instance_type for run in runs for task in run.tasks if task.instance_type}
                            | {STORAGE_PRICE.get(run.storage_type, run.storage_type) for run in runs})
    prices = {name: price for name in resource_types if (price := _price(pricing, name, region)) is not None}
    groups = {str(group["id"]): RunGroupLimits(max_runs=group.get("maxRuns"), max_cpus=group.get("maxCpus"),
                                               max_duration_minutes=group.get("maxDuration"),
                                               max_gpus=group.get("maxGpus"))
              for group in _pages(omics.list_run_groups, "items")}
    return History(runs=tuple(runs), prices=prices, region=region, run_groups=groups)


def read_account(region: str | None, workflow_ids: Iterable[str] = (),
                 runs_per_workflow: int = RUNS_PER_WORKFLOW, *, profile: str | None = None,
                 command: str = "plan --from-account") -> History:
    """``from_account`` with boto3's clients (``profile`` and ``region`` as the AWS CLI's); an AWS error (no
    credentials, access denied, no such profile) as a PlanInputError; no boto3, ``MissingBoto3``."""
    try:
        omics, pricing, resolved = account_clients(region, profile, command)
        return from_account(omics, pricing, resolved, workflow_ids, runs_per_workflow)
    except MissingBoto3:
        raise
    except Exception as error:
        if not type(error).__module__.startswith("botocore"):
            raise
        raise PlanInputError(f"reading the account's run history failed ({error}); it needs omics:ListRuns, "
                             "omics:GetRun, omics:ListRunTasks, omics:ListRunGroups and pricing:GetProducts") from error


def account_clients(region: str | None, profile: str | None = None, command: str = "plan --from-account"):
    """boto3 clients for HealthOmics (the account's region) and the Price List (its own endpoint)."""
    aws = session(command, profile, region)
    omics = aws.client("omics")
    pricing = aws.client("pricing", region_name=PRICING_REGION)
    return omics, pricing, omics.meta.region_name
