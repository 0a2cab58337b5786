"""What is left of this Lambda invocation, so that no HealthOmics call starts that could outlive it.

A function that runs past its configured timeout is stopped and the Provider framework takes that
as a failure of the resource. So before each call the handler checks that the call's worst case
(``CALL_SECONDS``, from the client's timeouts and retries in ``clients``) still fits; when it does
not, the step is handed to the next ``is_complete`` instead (``RetryLater``).
"""

from __future__ import annotations

import math
import time
from typing import Any

# clients.RETRY_CONFIG: 3 attempts of at most 5 s to connect and 15 s to read (per socket read: a slow
# trickle could take longer, which HealthOmics' small JSON answers do not), plus two backoffs of at most
# 1 s and 2 s, each lengthened by up to 5 s when the service sends x-amz-retry-after.
CALL_SECONDS = 75
MARGIN_SECONDS = 5  # returning the result and logging

_deadline = math.inf


class RetryLater(Exception):
    """HealthOmics is throttling us, briefly unavailable, or this invocation has too little time left:
    the step is to be tried again at the next ``is_complete``. Never shown as a failure by itself."""


def begin(context: Any) -> None:
    """Start counting for one invocation (``context`` is Lambda's; without one, there is no limit)."""
    global _deadline
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    _deadline = time.time() + remaining() / 1000 - MARGIN_SECONDS if remaining else math.inf


def check(action: str) -> None:
    if time.time() + CALL_SECONDS > _deadline:
        from .budget import RetryLater  # runs imports this module

        raise RetryLater(f"{action}: too little time left in this invocation")


def has_time_for(step_seconds: float) -> bool:
    """Whether a step of a loop that took ``step_seconds`` so far can run again and still leave one call's worst
    case for saving what the loop did (the next ``is_complete`` goes on from there)."""
    return time.time() + step_seconds + CALL_SECONDS <= _deadline
