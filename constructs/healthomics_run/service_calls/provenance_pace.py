"""The writer's share of HealthOmics' quotas, kept per container: a token bucket per operation.

HealthOmics quotas are per operation, account and Region (GetRun, GetRunTask, ListRunTasks, ListRuns: 10 TPS
each by default; "HealthOmics API quotas", https://docs.aws.amazon.com/omics/latest/dev/api-quotas.html). The
queue's MaximumConcurrency bounds the writer's containers; each paces every HealthOmics operation to the stack's
share divided by that bound (``Config.per_container``), so that together they never pass the share however many
records wait. Throttling that still happens (others' calls) is the clients' adaptive retries' to wait out.
"""

from __future__ import annotations

import time
from typing import Any


class TokenBucket:
    """``rate`` tokens a second, holding at most ``burst``; ``take`` waits (``time.sleep``) for one."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError(f"a rate of calls must be positive; got {rate!r}")
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.time()
        self.waited = 0.0

    def take(self) -> float:
        """Take one token, waiting until there is one; answer how long it waited."""
        now = time.time()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        wait = 0.0
        if self.tokens < 1:
            wait = (1 - self.tokens) / self.rate
            time.sleep(wait)
            self.at += wait
            self.tokens = 1.0
        self.tokens -= 1
        self.waited += wait
        return wait


class Pace:
    """One bucket per HealthOmics operation of a client, taken before each call (botocore's ``before-call``)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.buckets: dict[str, TokenBucket] = {}

    def bucket(self, operation: str) -> TokenBucket:
        if operation not in self.buckets:
            self.buckets[operation] = TokenBucket(self.rate)
        return self.buckets[operation]

    def before_call(self, model: Any = None, **_: Any) -> None:
        self.bucket(model.name).take()

    def attach(self, omics) -> "Pace":
        omics.meta.events.register("before-call.omics", self.before_call)
        return self
