"""Load-time checks of compiled clauses and of how codes fit the registry and calendar.

Rules that fail or always fire on an empty item, that fail or never fire on probe items, and
examples that do not give what they expect (``pantau codes test``). :class:`ClauseChecks` is a
part of :class:`codes.engine.CodeEngine`; it reads the engine's clauses, paths and signal names.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from codes.activation import cel_context, example_facts, probe_facts
from codes.calendar import Calendar
from codes.compiled import CompiledClause, pad, why
from codes.model import Code, Example
from pantau.errors import RuleError
from pantau.registry import Registry

__all__ = ["ClauseChecks"]


class ClauseChecks:
    """The checks of :class:`~codes.engine.CodeEngine` (a mixin: ``self`` is the engine)."""

    clauses: list[CompiledClause]
    paths: dict[str, Path]
    signal_names: set[str]
    warnings: list[str]
    _probe_cache: list[tuple[str, dict[str, Any], Any]] | None

    if TYPE_CHECKING:  # CodeEngine's, used here

        @property
        def codes(self) -> list[Code]: ...

        def signatories(self, code: Code, registry: Registry) -> list[str]: ...

        def _evaluate(self, compiled: CompiledClause, facts: dict[str, Any], ctx: Any = None) -> bool: ...

    def _check_clause(self, compiled: CompiledClause, check_examples: bool) -> None:
        path = self.paths.get(compiled.code.id, "?")
        where = compiled.where(path, compiled.rule_line)
        empty = example_facts(Example(name="empty", breach=False), self.signal_names)
        try:
            fired = self._evaluate(compiled, empty)
        except Exception as exc:  # noqa: BLE001 - any evaluation failure is a load-time rule error
            raise RuleError(f"{where}: rule fails on an empty item: {why(exc)}") from exc
        if fired:
            raise RuleError(
                f"{where}: rule fires on an empty item with no signals (it would always fire); "
                "check for a negation (!) or an || that is true on its own"
            )
        fired_on_probe = False
        for name, facts, ctx in self._probes():
            try:
                fired_on_probe = self._evaluate(compiled, facts, ctx) or fired_on_probe
            except Exception as exc:  # noqa: BLE001
                raise RuleError(f"{where}: rule fails on a test item ({name}): {why(exc)}") from exc
        positives = [e for e in compiled.clause.examples if e.breach]
        negatives = [e for e in compiled.clause.examples if not e.breach]
        if not positives or not negatives:
            missing = "positive (breach: true)" if not positives else "negative (breach: false)"
            self.warnings.append(
                f"{compiled.where(path)}: no {missing} example; add one so `pantau codes test` "
                "shows the rule does what the clause says"
            )
        if not fired_on_probe and not any(self._safe_fires(compiled, e) for e in positives):
            self.warnings.append(
                f"{where}: rule never fired on test items with every signal at 1.0 and every "
                "flag set; check thresholds (scores are 0 to 1) and labels it compares"
            )
        if check_examples:
            for example, line in zip(
                compiled.clause.examples,
                pad(compiled.example_lines, len(compiled.clause.examples)),
                strict=True,
            ):
                facts = example_facts(example, self.signal_names | set(example.signals))
                ex_where = compiled.where(path, line)
                try:
                    fired = self._example_breach(compiled, facts)
                except Exception as exc:  # noqa: BLE001
                    raise RuleError(f"{ex_where}: example {example.name!r}: {why(exc)}") from exc
                if fired != example.breach:
                    expected = "a breach" if example.breach else "no breach"
                    raise RuleError(
                        f"{ex_where}: example {example.name!r} expected {expected}, rule gave {fired}"
                    )

    def _probes(self) -> list[tuple[str, dict[str, Any], Any]]:
        """The probe items with their CEL contexts, built once per engine (contexts are the costly part)."""
        if self._probe_cache is None:
            names = self.signal_names | {s for c in self.clauses for s in c.signals}
            functions = {f for c in self.clauses for f in c.functions}
            self._probe_cache = [
                (name, facts, cel_context(facts, functions)) for name, facts in probe_facts(names)
            ]
        return self._probe_cache

    def _example_breach(self, compiled: CompiledClause, facts: dict[str, Any]) -> bool:
        """Whether an example is a breach, as :meth:`judge` decides it: the rule is true and the
        clause applies to the example's author (``applies_to: signatories`` needs ``by_signatory``)."""
        fired = self._evaluate(compiled, facts)
        return fired and (compiled.clause.applies_to == "anyone" or bool(facts["item"].get("by_signatory")))

    def _safe_fires(self, compiled: CompiledClause, example: Example) -> bool:
        try:
            return self._evaluate(compiled, example_facts(example, self.signal_names | set(example.signals)))
        except Exception:  # noqa: BLE001 - reported by run_examples
            return False

    def run_examples(self) -> list[tuple[str, str, bool, str]]:
        """Run every clause's examples; return (clause id, example name, passed, message) rows.

        The message of a failed example starts with ``file:line`` of the example.
        """
        rows = []
        for compiled in self.clauses:
            path = self.paths.get(compiled.code.id, "?")
            for example, line in zip(
                compiled.clause.examples,
                pad(compiled.example_lines, len(compiled.clause.examples)),
                strict=True,
            ):
                facts = example_facts(example, self.signal_names | set(example.signals))
                try:
                    fired = self._example_breach(compiled, facts)
                    ok = fired == example.breach
                    msg = (
                        ""
                        if ok
                        else (
                            f"{path}:{line or '?'}: expected {'breach' if example.breach else 'no breach'}"
                            f", got {'breach' if fired else 'no breach'}"
                        )
                    )
                except Exception as exc:  # noqa: BLE001
                    ok, msg = False, f"{path}:{line or '?'}: {why(exc)}"
                rows.append((compiled.clause.id, example.name, ok, msg))
        return rows

    def cross_check(self, registry: Registry, calendar: Calendar) -> list[str]:
        """Return what does not fit between the codes, the registry and the calendar (warnings).

        Signatories the registry does not know (their posts can never be attributed), codes with
        no signatory at all, and jurisdictions (of a code or a party) with no election in the
        calendar (rules on the silence period then never fire there).
        """
        found: list[str] = []
        known_parties = {p.id for p in registry.parties}
        jurisdictions = {e.jurisdiction for e in calendar.elections}
        everywhere = "" in jurisdictions
        for code in self.codes:
            path = self.paths.get(code.id, code.id)
            unknown = [s for s in code.signatories if s not in known_parties]
            if unknown:
                found.append(
                    f"{path}: signatories {', '.join(unknown)} are not parties in the registry; "
                    "their posts cannot be attributed"
                )
            if not self.signatories(code, registry):
                found.append(
                    f"{path}: code {code.id} has no signatory party (none listed and none marked "
                    "`signatory: true` in the registry): clauses for signatories never fire"
                )
            reads_calendar = any("calendar." in c.clause.rule for c in self.clauses if c.code.id == code.id)
            if (
                reads_calendar
                and calendar.elections
                and not everywhere
                and code.jurisdiction not in jurisdictions
            ):
                found.append(
                    f"{path}: jurisdiction {code.jurisdiction!r} of code {code.id} has no election in the "
                    f"calendar (jurisdictions there: {', '.join(sorted(jurisdictions))}); rules reading "
                    "the calendar see phase 'none' (no silence period) unless the posting party's own "
                    "jurisdiction has an election"
                )
        for party in registry.parties:
            if (
                party.jurisdiction
                and calendar.elections
                and not everywhere
                and party.jurisdiction not in jurisdictions
            ):
                found.append(
                    f"registry: party {party.id} has jurisdiction {party.jurisdiction!r}, which has no "
                    "election in the calendar; the code's jurisdiction is used for its posts"
                )
        return found
