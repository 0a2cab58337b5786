"""Queueing per run group and per account: every resource of the app that starts runs in one run group shares
its limits, and every run of the account shares the account's quotas.

- A run group queues runs beyond ``maxRuns`` and tasks beyond ``maxCpus``/``maxGpus`` (HealthOmics guide, "Using
  HealthOmics run groups", https://docs.aws.amazon.com/omics/latest/dev/creating-run-groups.html), whichever
  resource or stack started them: ten runs in a ``max_runs`` 1 group run one after the other. "Service limits take
  precedence over run group limits" (same page): the account's quotas queue them too.
- A run group is the same one when its runs name the same id: a literal id, or the same ``AWS::Omics::RunGroup``
  resource, referred to in its own stack (``Ref``/``Fn::GetAtt``) or from another stack of the app through an
  export (``Fn::ImportValue`` of an output's ``Export.Name``: CloudFormation User Guide, "Fn::ImportValue").
- The account's quotas (concurrent runs, active CPUs and GPUs, runs retained) come from Service Quotas
  (``servicequotas:ListServiceQuotas``, service code ``omics``) when the plan may call the account; their defaults
  are on the HealthOmics guide's "HealthOmics service quotas" page
  (https://docs.aws.amazon.com/omics/latest/dev/service-quotas.html). That page's workflow rows were not in the
  reference material at hand. Service Quotas names them, as two independent public tools spell them (a quota
  checker, whose codes for the page's Analytics rows are the ones the page links to, and a Terraform module):
  "Workflows - Maximum runs (active or inactive)" (L-C9679DBC: the runs the account keeps, of which
  ``retentionMode`` REMOVE deletes the oldest: StartRun API reference), "Workflows - Maximum concurrent active runs
  using static run storage" (L-A30FD31B) and "... using dynamic run storage" (L-BE38079A), "Workflows - Maximum
  concurrent tasks per run" (L-25504C8C), "Workflows - Maximum active GPUs" (L-AFB19B96). Neither named a quota on
  active CPUs.

The time a group needs is a bound from the earlier runs' medians: the runs' total time divided among ``max_runs``
(in whole waves), their vCPU time divided by ``max_cpus``, and never less than the longest single run. Every
waiting resource of the group is checked against it: whichever order the deploy starts them in, the last waits
that long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

from healthomics_run.run_model.reasons import listing

from .assembly import StackTemplate
from .capacity import duration
from .cost import PerRun
from .decide import Row
from .target import RunGroupLimits, _limits, _referred, exported

QUOTAS_PAGE = ("HealthOmics guide, \"HealthOmics service quotas\", "
               "https://docs.aws.amazon.com/omics/latest/dev/service-quotas.html")


@dataclass(frozen=True)
class Quotas:
    """The account's run quotas; None: not known. ``source``: "account" (Service Quotas) or "default"."""

    concurrent_runs: int | None = None
    active_cpus: int | None = None
    active_gpus: int | None = None
    retained_runs: int | None = None
    source: str = "default"

    @property
    def known(self) -> bool:
        return any(value is not None for value in (self.concurrent_runs, self.active_cpus, self.active_gpus,
                                                    self.retained_runs))


# The documented defaults (QUOTAS_PAGE). None of the workflow rows' values could be read (the page's copies at hand
# end before them, and no other source quoted them), so every one is unknown: without --from-account the plan says
# which quotas it did not check and where their defaults are, rather than guess one (``quota_notes``).
DEFAULT_QUOTAS = Quotas(source="default")


def _quota_field(name: str) -> str | None:
    """Which of ``Quotas`` a Service Quotas ``QuotaName`` of HealthOmics is, by its words: the names of the module
    docstring, and the like ("retained" or "(active or inactive)" runs alike)."""
    words = name.lower()
    if "gpu" in words:
        return "active_gpus"
    if "cpu" in words:
        return "active_cpus"
    if "concurrent" in words and "run" in words and "import" not in words and "task" not in words:
        return "concurrent_runs"
    if ("retain" in words or "inactive" in words) and "run" in words:
        return "retained_runs"
    return None


def from_service_quotas(client) -> Quotas:
    """The account's HealthOmics quotas as Service Quotas lists them (ListServiceQuotas, ServiceCode ``omics``).

    Where several quotas are one of ``Quotas`` (concurrent runs: one for STATIC and one for DYNAMIC run storage), the
    smallest is taken: the plan then never says runs fit that the account would queue."""
    found: dict[str, int] = {}
    request: dict[str, Any] = {"ServiceCode": "omics"}
    while True:
        page = client.list_service_quotas(**request)
        for quota in page.get("Quotas", []):
            name = _quota_field(str(quota.get("QuotaName", "")))
            if name is not None and quota.get("Value") is not None:
                value = int(quota["Value"])
                found[name] = min(found.get(name, value), value)
        if not page.get("NextToken"):
            return Quotas(**found, source="account")
        request["NextToken"] = page["NextToken"]


@dataclass(frozen=True)
class Group:
    """A run group as the plan knows it: what to call it and its limits (None: not in the templates)."""

    name: str
    limits: RunGroupLimits | None


def group_of(row: Row, stacks: dict[str, StackTemplate]) -> Group | None:
    """The run group a row's runs run in, named the same whichever stack refers to it."""
    goal = row.target
    if goal is None or goal.run_group is None:
        return None
    value, stack = goal.run_group, stacks.get(row.stack)
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return Group(f"run group {value}", goal.run_group_limits)
    if isinstance(value, dict) and set(value) == {"Fn::ImportValue"}:
        found = exported(value["Fn::ImportValue"], stacks)
        if found is None:
            return None
        stack, value = found
        if isinstance(value, str):
            return Group(f"run group {value}", goal.run_group_limits)
    if stack is None:
        return None
    resource = _referred(value, stack)
    if resource is None or resource.get("Type") != "AWS::Omics::RunGroup":
        return None
    logical_id = next(key for key, item in stack.resources.items() if item is resource)
    path = (resource.get("Metadata") or {}).get("aws:cdk:path", f"{stack.name}/{logical_id}")
    return Group(path.removesuffix("/Resource"), _limits(value, stack))


def shared_groups(rows: Iterable[Row], stacks: dict[str, StackTemplate]) -> dict[str, list[Row]]:
    """Run group name -> the rows that start runs in it, for groups that more than one resource starts runs in."""
    members: dict[str, list[Row]] = {}
    for row in rows:
        group = group_of(row, stacks) if (row.runs_to_start or 0) > 0 else None
        if group is not None:
            members.setdefault(group.name, []).append(row)
    return {name: found for name, found in members.items() if len(found) > 1}


def _busy(members: list[tuple[Row, PerRun]], limits: RunGroupLimits | None,
          quotas: Quotas) -> tuple[float, str] | None:
    """How long the members' runs take together, and the limit that sets it."""
    runs = sum(row.runs_to_start or 0 for row, _ in members)
    if not runs:
        return None
    work = sum((row.runs_to_start or 0) * figures.median_seconds for row, figures in members)
    cpu_work = sum((row.runs_to_start or 0) * figures.median_vcpu_seconds for row, figures in members)
    bounds = {"one run's median duration": max(figures.median_seconds for _, figures in members)}
    for name, most in ((f"max_runs {limits.max_runs}" if limits and limits.max_runs else "",
                        limits.max_runs if limits else None),
                       (f"the account's concurrent runs ({quotas.concurrent_runs}, {quotas.source})",
                        quotas.concurrent_runs)):
        if most:
            bounds[name] = math.ceil(runs / most) * work / runs
    for name, most in ((f"max_cpus {limits.max_cpus}" if limits and limits.max_cpus else "",
                        limits.max_cpus if limits else None),
                       (f"the account's active CPUs ({quotas.active_cpus}, {quotas.source})", quotas.active_cpus)):
        if most and cpu_work:
            bounds[name] = cpu_work / most
    limit, busy = max(bounds.items(), key=lambda item: item[1])
    return busy, limit


def _late(members: list[tuple[Row, PerRun]], busy: float) -> list[Row]:
    return [row for row, _ in members if row.target is not None and row.target.wait_for == "COMPLETED"
            and busy > row.target.timeout_seconds]


def group_warnings(rows: list[Row], figures: dict[str, PerRun], stacks: dict[str, StackTemplate],
                   quotas: Quotas = DEFAULT_QUOTAS) -> list[str]:
    """For each run group shared by several resources (of any stack of the app): whether their runs, queued
    together, complete within each wait's timeout."""
    found = []
    for name, members in sorted(shared_groups(rows, stacks).items()):
        with_figures = [(row, figures[row.path]) for row in members if row.path in figures]
        limits = group_of(members[0], stacks).limits  # type: ignore[union-attr]
        timed = _busy(with_figures, limits, quotas)
        if timed is None:
            continue
        busy, limit = timed
        late = _late(with_figures, busy)
        if not late:
            continue
        runs = sum(row.runs_to_start or 0 for row, _ in with_figures)
        stack_names = sorted({row.stack for row in members})
        where = f"{'stacks' if len(stack_names) > 1 else 'stack'} {', '.join(stack_names)}"
        found.append(f"{name}: {runs:,} runs of {len(members)} resources ({where}) queue in this one run group "
                     f"and need about {duration(busy)} to complete ({limit}), past the timeout of wait_for "
                     "COMPLETED of "
                     + listing([f"{row.path} ({duration(row.target.timeout_seconds)})" for row in late])  # type: ignore
                     + ": raise the run group's limits, give the resources their own run groups, raise timeout, "
                       "or wait for less")
    return found


def account_warnings(rows: list[Row], figures: dict[str, PerRun], quotas: Quotas) -> list[str]:
    """Whether the account's quotas can take every run the deploy starts, in every stack."""
    starting = [row for row in rows if (row.runs_to_start or 0) > 0 and row.target is not None]
    runs = sum(row.runs_to_start or 0 for row in starting)
    if not runs or not quotas.known:
        return []
    source = "from Service Quotas" if quotas.source == "account" else "the default"
    found = []
    if quotas.retained_runs is not None and runs > quotas.retained_runs:
        found.append(f"the deploy starts {runs:,} runs, more than the account's runs retained ({quotas.retained_runs:,}"
                     f", {source}): with retention_mode RETAIN, StartRun fails once the account keeps that many "
                     "runs; ask for a higher quota, delete old runs, or use retention_mode REMOVE")
    with_figures = [(row, figures[row.path]) for row in starting if row.path in figures]
    timed = _busy(with_figures, None, quotas) if with_figures else None
    if timed is not None and timed[1].startswith("the account's"):
        busy, limit = timed
        late = _late(with_figures, busy)
        if late:
            found.append(f"the deploy's {runs:,} runs queue on {limit} and need about {duration(busy)} to complete, "
                         "past the timeout of wait_for COMPLETED of "
                         + listing([f"{row.path} ({duration(row.target.timeout_seconds)})" for row in late])  # type: ignore
                         + ": ask for a higher quota, raise timeout, or wait for less")
    return found


def quota_notes(rows: list[Row], figures: dict[str, PerRun], quotas: Quotas) -> list[str]:
    """What the plan could not check of the account's quotas, said once: when runs it could time wait for
    COMPLETED, or when runs start and the account was asked."""
    starting = [row for row in rows if (row.runs_to_start or 0) > 0 and row.target is not None]
    timed = any(row.target.wait_for == "COMPLETED" and row.path in figures for row in starting)  # type: ignore
    if not starting or not (timed or quotas.source == "account"):
        return []
    unknown = [name for name, value in (("concurrent runs", quotas.concurrent_runs),
                                        ("active CPUs", quotas.active_cpus),
                                        ("runs retained", quotas.retained_runs)) if value is None]
    if not unknown:
        return []
    how = "give --from-account to read them from Service Quotas" if quotas.source == "default" else \
        "Service Quotas lists no such HealthOmics quota"
    return [f"account quotas not checked ({', '.join(unknown)}): {how}; defaults: {QUOTAS_PAGE}"]
