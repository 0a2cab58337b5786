"""Failure reasons that fit what CloudFormation accepts.

CloudFormation takes a custom resource's response body (status, reason, ids and ``Data``) of at
most 4,096 bytes and otherwise shows only "Response object is too long". The Provider framework
sends our error message as the reason, followed by a pointer to the logs and its own JavaScript
stack (``framework.js``, ``cfn-response.js``), beside the ids and the attributes. So a message is
kept to ``MAX_MESSAGE_BYTES``: problems that repeat across samples are said once with the samples
counted, long lists name their first few items and count the rest, and when a message must still
be cut, the cut comes out of the middle, so that its start (what failed) and its end (what to do)
both arrive.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Iterable, Sequence

MAX_MESSAGE_BYTES = 2000
NAMED = 5  # items named in a list before the rest are counted
_CUT = " [...] "
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def listing(items: Sequence[str], named: int = NAMED, separator: str = ", ") -> str:
    """``a, b, c`` or ``a, b, c, d, e and 195 more``."""
    shown = separator.join(items[:named])
    return f"{shown} and {len(items) - named} more" if len(items) > named else shown


def with_suggestion(name: str, choices: Iterable[str]) -> str:
    """``name``, with the closest known name when one is close: a misspelt parameter names its fix."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.7)
    return f"{name} (did you mean {close[0]}?)" if close else name


def grouped(problems: Sequence[tuple[str, str]], total: int) -> list[str]:
    """``(sample, problem)`` pairs, one line per distinct problem with its samples counted:
    ``all 100 samples: ...``, ``samples 'S1', 'S2' and 3 more: ...`` or ``sample row 2: ...``."""
    by_problem: dict[str, list[str]] = {}
    for subject, problem in problems:
        by_problem.setdefault(problem, []).append(subject)
    lines = []
    for problem, subjects in by_problem.items():
        if len(subjects) == total and total > 1:
            lines.append(f"all {total} samples: {problem}")
        else:
            lines.append(f"{'sample' if len(subjects) == 1 else 'samples'} {listing(subjects)}: {problem}")
    return lines


def bounded(message: str, limit: int = MAX_MESSAGE_BYTES) -> str:
    """``message`` in at most ``limit`` bytes as it travels, cut in the middle when it must be.

    Counted as JSON (the framework sends it inside a JSON body, where a quote or backslash takes two
    bytes and a control character six), after control characters other than newlines became spaces.
    """
    message = _CONTROL.sub(" ", message)
    if sent_size(message) <= limit:
        return message
    keep = len(message)
    while keep > 0:
        keep -= max(1, (sent_size(message) - limit) // 2 if keep == len(message) else keep // 10)
        head, tail = message[: keep * 2 // 3], message[len(message) - (keep - keep * 2 // 3):]
        if sent_size(head + _CUT + tail) <= limit:
            return head + _CUT + tail
    return _CUT.strip()


def sent_size(text: str) -> int:
    """Bytes ``text`` takes inside the JSON body CloudFormation receives."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2  # without its quotes
