"""A static bound on how many steps a CEL rule's comprehensions can take, checked when codes load.

CEL has no loops, but its macros (``all``, ``exists``, ``exists_one``, ``map``, ``filter``) iterate
over a list, and nested ones multiply: three nested ``all()`` over ``lists.range(1000)`` is a
billion steps, minutes on one short post. :func:`rule_cost` reads the rule text (string literals
blanked) and bounds the steps: a macro over ``lists.range(N)`` with a literal ``N`` takes ``N``
steps, over a list literal its length, over anything else (a list read from the item, or a range
of a computed length) :data:`UNKNOWN_LIST` steps; a macro nested in another's body runs once per
step of the outer one. A rule over :data:`MAX_RULE_COST` is refused at load. Lists from the item
can be longer than the guess: the judge's per-item time limit (:class:`RuleClock`) is the backstop
for those.

The CEL library cannot be interrupted from outside (it holds the GIL while it evaluates, so a
watchdog thread never runs), but it asks a Python *variable resolver* each time the rule reads
``item``, ``signals`` or ``calendar``, including inside every loop that re-reads them.
:class:`RuleClock` is that resolver: within the limit it answers nothing (the real facts are used);
past it, it answers an empty map, so every later read fails at once and the evaluation unwinds in
one step per pending loop. The judge then drops the result and dead-letters the item naming the
clause. A loop that reads no fact inside it (``lists.range(N)``, a list literal) is bounded at load
instead.

>>> rule_cost('item.text.size() > 3')
0
>>> rule_cost('lists.range(50).all(a, lists.range(50).all(b, a + b >= 0))')
2550
"""

from __future__ import annotations

import re
import time
from typing import Any

from codes.lint import strip_strings

__all__ = ["MAX_RULE_COST", "RULE_TIME_LIMIT_S", "UNKNOWN_LIST", "RuleClock", "rule_cost"]

RULE_TIME_LIMIT_S = 2.0
"""Default time one item may spend in the rules of all codes (``Settings.rule_time_limit_s``)."""

MAX_RULE_COST = 100_000
"""Most comprehension steps a rule may take (about 0.2 s of CEL on this project's CI CPU)."""

UNKNOWN_LIST = 100
"""Steps assumed for a macro over a list whose length the text does not tell."""

_MACRO = re.compile(r"\.\s*(?:exists_one|exists|all|map|filter)\s*\(")
_RANGE = re.compile(r"lists\s*\.\s*range\s*\(\s*(\d+)\s*\)\s*$")


def _close(text: str, open_at: int) -> int:
    """Index of the bracket closing the one at ``open_at`` (or the end of the text)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[text[open_at]]]
    for i in range(open_at + 1, len(text)):
        ch = text[i]
        if ch in pairs:
            stack.append(pairs[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return i
    return len(text)


def _receiver_size(receiver: str) -> int:
    """Steps of a macro over the expression that ends ``receiver``."""
    receiver = receiver.rstrip()
    found = _RANGE.search(receiver)
    if found:
        return int(found.group(1))
    if receiver.endswith("]"):
        depth, start = 0, None
        for i in range(len(receiver) - 1, -1, -1):
            depth += {"]": 1, "[": -1}.get(receiver[i], 0)
            if depth == 0:
                start = i
                break
        before = receiver[start - 1] if start else ""
        if start is not None and not (before.isalnum() or before in ("_", ")", "]")):  # a literal, not x[i]
            inner = receiver[start + 1 : -1]
            if not inner.strip():
                return 0
            level, items = 0, 1
            for ch in inner:
                level += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(ch, 0)
                items += ch == "," and level == 0
            return items
    return UNKNOWN_LIST


def _cost(text: str) -> int:
    total = 0
    pos = 0
    while True:
        found = _MACRO.search(text, pos)
        if found is None:
            return total
        open_at = found.end() - 1
        close_at = _close(text, open_at)
        body = text[open_at + 1 : close_at]
        total += _receiver_size(text[: found.start()]) * (1 + _cost(body))
        pos = close_at + 1


def rule_cost(rule: str) -> int:
    """Upper bound (under the assumptions above) of the comprehension steps ``rule`` takes."""
    return _cost(strip_strings(rule))


class RuleClock:
    """The per-item deadline of rule evaluation, as a CEL variable resolver (see the module text).

    >>> clock = RuleClock(60.0)
    >>> clock("item") is None, clock.late
    (True, False)
    >>> spent = RuleClock(0.0)
    >>> spent("item"), spent.late
    ({}, True)
    """

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.deadline = time.monotonic() + limit_s
        self.late = False

    def __call__(self, name: str) -> Any:
        """``None`` (read the real fact) before the deadline; an empty map after it."""
        if self.late or time.monotonic() >= self.deadline:
            self.late = True
            return {}
        return None
