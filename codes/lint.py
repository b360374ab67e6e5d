"""Static checks of a CEL rule's text: which signals, fields and functions it reads, and whether they exist.

The CEL library compiles a rule but does not type-check it against Pantau's facts, so a typo such
as ``item.txet`` would only fail (or silently never match) on the first item that reaches it. These
checks read the rule text with string literals blanked out and compare every ``item.x``,
``calendar.x``, ``signals["name"].x`` and person field inside ``item.depicted``/``item.targets``
comprehensions with :mod:`codes.facts`. They are deliberately simple (regular expressions over the
text, no Python eval): a rule they cannot follow is still evaluated on probe items at load.

Example Snippet::

    problems = rule_problems('item.txet == ""', known_signals={"gbv.text"})
    # ["reads unknown field 'txet' of item; did you mean 'text'? Known: account, ..."]
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from codes.facts import CALENDAR_FIELDS, ITEM_FIELDS, PERSON_FIELDS, SIGNAL_FIELDS

__all__ = [
    "CUSTOM_FUNCTIONS",
    "known_functions",
    "loop_variables",
    "rule_problems",
    "signals_read",
    "strip_strings",
]

_STRING = re.compile(r""""(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*\'""")
_SIGNAL_REF = re.compile(r"""signals\s*\[\s*(?:"([^"]*)"|'([^']*)')\s*\]""")
_PEOPLE_LOOP = re.compile(
    r"item\s*\.\s*(?:depicted|targets)\s*\.\s*(?:exists_one|exists|all|map|filter)\(\s*(\w+)\s*,"
)
_ANY_LOOP = re.compile(r"\.\s*(?:exists_one|exists|all|map|filter)\(\s*(\w+)\s*,")

CUSTOM_FUNCTIONS = {
    "contains_any": "contains_any(text, [words]): the text contains one of the words (case-insensitive).",
    "lower": "lower(text): the text in lower case.",
}
"""Functions Pantau adds to CEL, with what they do."""

# The CEL core (the Rust ``cel`` crate): conversions, size, string predicates, timestamp accessors.
_CORE_FUNCTIONS = {
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "timestamp",
    "duration",
    "type",
    "dyn",
    "has",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getFullYear",
    "getHours",
    "getMilliseconds",
    "getMinutes",
    "getMonth",
    "getSeconds",
}


def known_functions() -> set[str]:
    """Functions a rule may call: the CEL core, the ``cel.stdlib`` extensions and Pantau's own."""
    from cel.stdlib import STDLIB_FUNCTIONS

    return _CORE_FUNCTIONS | set(STDLIB_FUNCTIONS) | set(CUSTOM_FUNCTIONS)


def strip_strings(rule: str) -> str:
    """Return the rule with every string literal replaced by ``""`` (so words inside quotes are not read)."""
    return _STRING.sub('""', rule)


def signals_read(rule: str) -> list[str]:
    """Return the detector names the rule reads with ``signals["name"]``, sorted."""
    return sorted({a or b for a, b in _SIGNAL_REF.findall(rule)})


def _unknown(name: str, of: str, known: Iterable[str]) -> str:
    known = sorted(known)
    hint = difflib.get_close_matches(name, known, n=1)
    message = f"reads unknown field {name!r} of {of}"
    if hint:
        message += f"; did you mean {hint[0]!r}?"
    return f"{message} Known: {', '.join(known)}"


def rule_problems(rule: str, known_signals: set[str] | None, functions: Iterable[str] = ()) -> list[str]:
    """Return what is wrong in a rule's text, in words for the person who wrote it (empty when nothing).

    :param known_signals: detector names the pipeline produces (``None``: do not check names).
    :param functions: the function names the compiled program calls (``Program.functions()``).
    """
    problems: list[str] = []
    if known_signals is not None:
        for name in signals_read(rule):
            if name not in known_signals:
                hint = difflib.get_close_matches(name, sorted(known_signals), n=1)
                problems.append(
                    f"reads unknown signal {name!r}"
                    + (f"; did you mean {hint[0]!r}?" if hint else "")
                    + f" Known: {', '.join(sorted(known_signals))}"
                )
    text = strip_strings(rule)
    for name in re.findall(r"(?<![\w.])item\s*\.\s*(\w+)", text):
        if name not in ITEM_FIELDS:
            problems.append(_unknown(name, "item", ITEM_FIELDS))
    for name in re.findall(r"(?<![\w.])calendar\s*\.\s*(\w+)", text):
        if name not in CALENDAR_FIELDS:
            problems.append(_unknown(name, "calendar", CALENDAR_FIELDS))
    for name in re.findall(r'signals\s*\[\s*""\s*\]\s*\.\s*(\w+)', text):
        if name not in SIGNAL_FIELDS:
            problems.append(_unknown(name, "a signal", SIGNAL_FIELDS))
    for name in re.findall(r"(?<![\w.])signals\s*\.\s*(\w+)", text):
        problems.append(
            f'reads signals.{name}, which is not how to read a signal: write signals["{name}.…"], '
            "with the detector's full name in quotes"
        )
    people_vars = set(_PEOPLE_LOOP.findall(text))
    for var in people_vars:
        for name in re.findall(rf"(?<![\w.]){re.escape(var)}\s*\.\s*(\w+)", text):
            if name not in PERSON_FIELDS:
                problems.append(_unknown(name, f"a person ({var})", PERSON_FIELDS))
    known = known_functions()
    for name in sorted(set(functions)):
        if not name[:1].isalpha() or name in known:
            continue
        hint = difflib.get_close_matches(name, sorted(known), n=1)
        problems.append(f"calls unknown function {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""))
    return list(dict.fromkeys(problems))


def loop_variables(rule: str) -> set[str]:
    """Names bound by comprehensions (``exists(p, ...)``) in the rule."""
    return set(_ANY_LOOP.findall(strip_strings(rule)))
