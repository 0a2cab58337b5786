"""Virtual time for the handler: ``time.time`` and ``time.sleep`` on a clock the test moves, and the
Lambda context that says how much of an invocation is left. Minutes of throttling take no real time."""

from __future__ import annotations

import pytest

START = 1_800_000_000.0  # an arbitrary epoch second


class VirtualClock:
    latency = 0.05  # seconds each HealthOmics call takes

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = START
        monkeypatch.setattr("time.time", self.time)
        monkeypatch.setattr("time.sleep", self.sleep)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def set(self, moment: float) -> None:
        """Run the next invocation from ``moment``: invocations that overlap in time run one after another."""
        self.now = moment


class LambdaContext:
    """The part of Lambda's context object the handler reads."""

    def __init__(self, clock: VirtualClock, timeout_seconds: int) -> None:
        self.clock, self.started, self.timeout_seconds = clock, clock.time(), timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self.started + self.timeout_seconds - self.clock.time()) * 1000)

    def elapsed(self) -> float:
        return self.clock.time() - self.started
