"""A clause with its rule compiled once, what the rule reads, and rule errors in words staff can act on.

What a rule reads decides what :class:`codes.engine.CodeEngine` remembers verdicts by: a rule that
reads only ``item.x``, ``calendar.x`` and ``signals["name"]`` is judged on those values alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from codes.facts import empty_signal
from codes.lint import strip_strings
from codes.model import Clause, Code

__all__ = ["CompiledClause", "Reads", "pad", "reads_by_name_only", "syntax", "why"]


class CompiledClause:
    """A clause with its rule compiled once."""

    def __init__(
        self,
        code: Code,
        clause: Clause,
        program: Any,
        signals: list[str],
        line: int | None,
        rule_line: int | None = None,
        example_lines: Sequence[int | None] = (),
    ) -> None:
        self.code = code
        self.clause = clause
        self.program = program
        self.signals = signals
        self.line = line
        self.rule_line = rule_line or line
        self.example_lines = list(example_lines)
        self.functions: set[str] = set(program.functions()) if hasattr(program, "functions") else set()
        self.fields: list[str] = _fields_read(clause.rule)

    def where(self, path: Path | str, line: int | None = None) -> str:
        """``file:line: clause id`` for messages."""
        return f"{path}:{line or self.line or '?'}: clause {self.clause.id}"


def _fields_read(rule: str) -> list[str]:
    """``item.x`` and ``calendar.x`` paths the rule reads (shown by ``explain``)."""
    text = strip_strings(rule)
    found = re.findall(r"(?<![\w.])((?:item|calendar)\s*\.\s*\w+)", text)
    return list(dict.fromkeys(f.replace(" ", "") for f in found))


_SIGNAL_ATTR = re.compile(r"""signals\s*\[\s*(?:"([^"]*)"|'([^']*)')\s*\](?:\s*\.\s*(\w+))?""")
_ROOT = re.compile(r"(?<![\w.])(item|calendar|signals)\b")
_PLAIN_READ = re.compile(r"""(?:item|calendar)\s*\.\s*\w+|signals\s*\[\s*""\s*\]""")


def reads_by_name_only(rule: str) -> bool:
    """True when the rule reads facts only as ``item.x``, ``calendar.x`` and ``signals["name"]``.

    Such a rule depends on nothing but those paths (CEL has no side effects and Pantau's
    functions are pure), so its result can be remembered by their values. A rule that reads
    a whole root (``signals.exists(...)``, ``item["text"]``) cannot.
    """
    text = strip_strings(rule)
    return all(_PLAIN_READ.match(text, m.start()) for m in _ROOT.finditer(text))


class Reads:
    """What the rules of one code read: ``item.x``/``calendar.x`` fields and, per signal, its attributes."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {"item": [], "calendar": []}
        self.signals: dict[str, set[str] | None] = {}
        """Attributes read of each signal; ``None``: the whole signal (it is read without an attribute)."""

    def add(self, fields: Iterable[str], rule: str) -> None:
        for path in fields:
            scope, name = path.split(".", 1)
            if name not in self.fields[scope]:
                self.fields[scope].append(name)
        for a, b, attr in _SIGNAL_ATTR.findall(rule):
            name = a or b
            if not attr:
                self.signals[name] = None
            elif name not in self.signals:
                self.signals[name] = {attr}
            elif self.signals[name] is not None:
                self.signals[name].add(attr)  # type: ignore[union-attr]

    def details_of(self) -> list[str]:
        """Signals whose ``details`` the rules read (read whole, or ``.details`` read)."""
        return [n for n, attrs in self.signals.items() if attrs is None or "details" in attrs]

    def project(self, facts: dict[str, Any]) -> dict[str, Any]:
        """The facts the rules read, and nothing else (cheaper to convert, and the memo key)."""
        signals = facts["signals"]
        projected: dict[str, Any] = {
            scope: {name: facts[scope][name] for name in names if name in facts[scope]}
            for scope, names in self.fields.items()
        }
        projected["signals"] = {}
        for name, attrs in self.signals.items():
            sig = signals.get(name) or empty_signal()
            projected["signals"][name] = sig if attrs is None else {a: sig[a] for a in attrs if a in sig}
        return projected




def pad(lines: Sequence[int | None], n: int) -> list[int | None]:
    return [*lines, *([None] * (n - len(lines)))][:n]



def syntax(message: str) -> str:
    """A CEL syntax error in words: where in the rule, what is wrong, and the pointer the parser drew."""
    found = re.search(r"<input>:(\d+):(\d+): (.*)", message, flags=re.DOTALL)
    if not found:
        return message
    line, column, rest = found.groups()
    first, _, pointer = rest.partition("\n")
    if "'<EOF>'" in first:
        first = "the rule ends too early (an unclosed bracket or quote, or a trailing && or ||?)"
    elif "token recognition error" in first:
        first = f"unexpected character(s) {first.rsplit('at:', 1)[-1].strip()} (CEL uses &&, ||, !, ==)"
    where = f"line {line} of the rule, column {column}" if line != "1" else f"column {column}"
    return f"{where}: {first}" + (f"\n{pointer}" if pointer.strip() else "")


def why(exc: Exception) -> str:
    """An evaluation error in words: which key was missing, which types do not mix."""
    if isinstance(exc, KeyError):
        key = exc.args[0] if exc.args else "?"
        return (
            f"reads {key!r}, which this item does not have; if it is a detector's detail, test it first "
            f'with has(...), e.g. has(signals["name"].details.{key}) && ...'
        )
    text = str(exc)
    if "No such overload" in text:
        return (
            "the rule mixes types that cannot be compared or combined (e.g. a score with text, or true/false "
            "with a number)"
        )
    return f"{type(exc).__name__}: {text}"
