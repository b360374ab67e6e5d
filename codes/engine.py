"""The code-of-conduct engine: clauses with CEL rules, compiled once, citing the clause breached.

A code is a YAML document (format in ``codes/schema/code.schema.json``, example in
``codes/model_code.yaml``). Each clause carries a rule in CEL (Common Expression Language),
a small, side-effect-free language that commission staff can read; rule text is data and is
never evaluated as Python.

What a rule can read (the *facts* of one item):

``item``
    ``id, platform, account, party, text`` (caption + OCR + transcript), ``caption``, ``labels``,
    ``paid``, ``sponsor``, ``language``, ``is_tip``, ``has_media``, ``media_kinds``,
    ``mentions``, ``by_signatory`` (posted by a signatory party's account), ``depicted``
    (people of the registry whose faces appear: ``id, name, role, gender, party, consented``),
    ``targets`` (registry people named or mentioned: same fields).
``signals``
    a map from detector name to ``{score, label, evidence, details}``; every detector the
    registry knows is present (score 0, label ``"absent"`` when it did not run or had nothing
    to say), so ``signals["gbv.text"].score >= 0.8`` never fails on a missing key.
``calendar``
    ``phase`` (none, before, nomination, campaign, closed, silence, polling, after),
    ``in_campaign``, ``in_silence``, ``polling_day``, ``election``... for the item's
    publication time, in the election of the item's jurisdiction.

The full list, with meanings, is :mod:`codes.facts`.

Loud at load: YAML errors, schema errors (``codes/schema/code.schema.json``), CEL syntax
errors, unknown signal names, unknown fields (``item.txet``) and functions, type errors, and
rules that fire on an empty item are all reported with file, line and clause. Rules that
fire on no probe item and have no positive example are reported as warnings
(:attr:`CodeEngine.warnings`).

Versioning: a :class:`~pantau.schemas.Breach` carries the code id, version, clause text and
rule as they were when it fired, and its incident id includes the version, so a new version
of a code adds incidents and never rewrites those raised under the old one (docs/codes.md).

Where the parts live: the format's models in :mod:`codes.model`, compiled clauses and what a rule
reads in :mod:`codes.compiled`, the facts of an item, an example or a probe in
:mod:`codes.activation`, the load-time checks in :mod:`codes.checks`; this module loads, judges,
remembers verdicts and explains.

Example Snippet::

    engine = CodeEngine.from_files([Path("codes/model_code.yaml")], signal_names={"gbv.text"})
    breaches = engine.judge(enriched, signals, registry, calendar)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import cel
import yaml

from codes.activation import build_facts, cel_context
from codes.calendar import Calendar
from codes.checks import ClauseChecks
from codes.compiled import CompiledClause, Reads, reads_by_name_only, syntax, why
from codes.cost import MAX_RULE_COST, RULE_TIME_LIMIT_S, UNKNOWN_LIST, RuleClock, rule_cost
from codes.facts import empty_signal
from codes.lint import loop_variables, rule_problems, signals_read
from codes.model import Clause, Code, Example, OnBreach
from pantau.documents import line_of, load_document
from pantau.errors import RuleError
from pantau.lru import LRU
from pantau.registry import Registry
from pantau.schemas import Breach, EnrichedItem, Signal

__all__ = [
    "Clause",
    "Code",
    "CodeEngine",
    "CompiledClause",
    "Example",
    "OnBreach",
    "build_facts",
    "reads_by_name_only",
]


class CodeEngine(ClauseChecks):
    """Judges items against one or more codes of conduct."""

    def __init__(self, clauses: list[CompiledClause], paths: dict[str, Path] | None = None) -> None:
        self.clauses = clauses
        self.paths = paths or {}
        self.signal_names: set[str] = set()
        self.warnings: list[str] = []
        """Problems that do not stop loading (a rule that never fires, a clause without examples)."""
        self._probe_cache: list[tuple[str, dict[str, Any], Any]] | None = None
        self._functions_by_code: dict[str, set[str]] = {}
        for c in clauses:
            self._functions_by_code.setdefault(c.code.id, set()).update(c.functions)
        self.memo_hits = 0
        self._memo: LRU[str, frozenset[int]] = LRU(20_000)
        self.time_limit_s = RULE_TIME_LIMIT_S
        """Time one item may spend in the rules (all codes); over it, :meth:`judge` raises ``RuleError``."""
        self._reads_by_code: dict[str, Reads | None] = {}
        for c in clauses:
            reads = self._reads_by_code.setdefault(c.code.id, Reads())
            if reads is None:
                continue
            if not reads_by_name_only(c.clause.rule):
                self._reads_by_code[c.code.id] = None  # judged on all facts, verdicts never remembered
                continue
            reads.add(c.fields, c.clause.rule)

    @property
    def memo_entries(self) -> int:
        """Verdicts remembered by the facts the rules read (0: none; the naive benchmark)."""
        return self._memo.max_entries

    @memo_entries.setter
    def memo_entries(self, entries: int) -> None:
        self._memo.bound(entries)

    @property
    def codes(self) -> list[Code]:
        """The codes loaded (each once)."""
        seen: dict[str, Code] = {}
        for c in self.clauses:
            seen.setdefault(c.code.id, c.code)
        return list(seen.values())

    @classmethod
    def from_files(
        cls, paths: Sequence[Path], signal_names: Iterable[str] | None = None, check_examples: bool = False
    ) -> CodeEngine:
        """Load and compile codes; raise :class:`RuleError` naming file, line and clause on any problem.

        :param signal_names: detector names the pipeline produces; rules naming others are refused.
            ``None`` skips that check (e.g. ``pantau codes check`` without a registry).
        :param check_examples: also run each clause's examples and fail on the first that does
            not give what it expects (``pantau codes test`` reports them all instead).
        """
        compiled: list[CompiledClause] = []
        known = set(signal_names) if signal_names is not None else None
        sources: dict[str, Path] = {}
        for path in paths:
            code, node = cls._parse(Path(path))
            if code.id in sources:
                raise RuleError(f"{path}: code id {code.id!r} also defined in {sources[code.id]}")
            sources[code.id] = Path(path)
            seen: dict[str, int] = {}
            problems: list[str] = []
            for n, clause in enumerate(code.clauses):
                line = line_of(node, ["clauses", n])
                if clause.id in seen:
                    problems.append(
                        f"{path}:{line}: clause {clause.id}: clause id {clause.id!r} is defined twice "
                        f"(first at line {seen[clause.id]})"
                    )
                    continue
                seen[clause.id] = line
                example_lines = [
                    line_of(node, ["clauses", n, "examples", m]) for m in range(len(clause.examples))
                ]
                try:
                    compiled.append(
                        cls._compile(
                            Path(path),
                            code,
                            clause,
                            line,
                            known,
                            line_of(node, ["clauses", n, "rule"]),
                            example_lines,
                        )
                    )
                except RuleError as exc:
                    problems.append(str(exc))
            if problems:
                raise RuleError("\n".join(problems))
        engine = cls(compiled, sources)
        engine.signal_names = known if known is not None else {s for c in compiled for s in c.signals}
        problems = []
        for c in compiled:
            try:
                engine._check_clause(c, check_examples=check_examples)
            except RuleError as exc:
                problems.append(str(exc))
        if problems:
            raise RuleError("\n".join(problems))
        return engine

    @staticmethod
    def _parse(path: Path) -> tuple[Code, yaml.Node | None]:
        return load_document(path, "code", Code, RuleError)

    @staticmethod
    def _compile(
        path: Path,
        code: Code,
        clause: Clause,
        line: int | None,
        known: set[str] | None,
        rule_line: int | None = None,
        example_lines: Sequence[int | None] = (),
    ) -> CompiledClause:
        where = f"{path}:{rule_line or line or '?'}: clause {clause.id}"
        try:
            program = cel.compile(clause.rule)
        except ValueError as exc:
            raise RuleError(f"{where}: rule does not parse: {syntax(str(exc))}") from exc
        problems = rule_problems(clause.rule, known, program.functions())
        cost = rule_cost(clause.rule)
        if cost > MAX_RULE_COST:
            problems.append(
                f"may take {cost:,} comprehension steps on one item, over the limit of {MAX_RULE_COST:,}: "
                "nested all/exists/map/filter multiply (lists.range(N) counts N, an item list "
                f"{UNKNOWN_LIST}); flatten the loops or shorten the ranges"
            )
        if problems:
            raise RuleError("\n".join(f"{where}: rule {p}" for p in problems))
        variables = set(program.variables())
        allowed = {"item", "signals", "calendar", *loop_variables(clause.rule)}
        stray = sorted(v.split(".")[0] for v in variables if v.split(".")[0] not in allowed)
        if stray:
            raise RuleError(
                f"{where}: rule reads unknown variable(s) {', '.join(stray)}; use item, signals, calendar"
            )
        if known is not None:
            for example, ex_line in zip(
                clause.examples, example_lines or [None] * len(clause.examples), strict=False
            ):
                unknown = sorted(set(example.signals) - known)
                if unknown:
                    raise RuleError(
                        f"{path}:{ex_line or line or '?'}: clause {clause.id}: example {example.name!r} "
                        f"gives unknown signal(s) {', '.join(unknown)}"
                    )
        return CompiledClause(
            code, clause, program, signals_read(clause.rule), line, rule_line, example_lines
        )

    def _evaluate(self, compiled: CompiledClause, facts: dict[str, Any], ctx: Any = None) -> bool:
        if ctx is None:
            ctx = cel_context(facts, compiled.functions)
        result = compiled.program.execute(ctx)
        if not isinstance(result, bool):
            raise RuleError(
                f"rule of clause {compiled.clause.id} returned {type(result).__name__}, not a boolean "
                "(true/false); compare it, e.g. score >= 0.7"
            )
        return result

    def signatories(self, code: Code, registry: Registry) -> list[str]:
        """The code's signatory parties (the registry's signatories when the code lists none)."""
        return list(code.signatories) or registry.signatories()

    def in_force(self, code: Code, at: datetime, timezone: str | None = None) -> bool:
        """Whether a code is in force at ``at``, on the calendar day of ``timezone`` (IANA name; UTC if none).

        Effective dates are days in the jurisdiction: a code effective from 1 January is in force
        from local midnight, which is the evening before in UTC for ASEAN time zones.
        """
        if timezone and at.tzinfo is not None:
            from zoneinfo import ZoneInfo

            at = at.astimezone(ZoneInfo(timezone))
        day = at.date()
        if code.effective_from and day < code.effective_from:
            return False
        return not (code.effective_until and day > code.effective_until)

    def _facts(
        self,
        code: Code,
        enriched: EnrichedItem,
        signals: Sequence[Signal],
        registry: Registry,
        calendar: Calendar,
        lean: bool = False,
    ) -> dict[str, Any]:
        """The facts of one item for one code; ``lean``: signal details only where the rules read them."""
        reads = self._reads_by_code.get(code.id) if lean else None
        return build_facts(
            enriched,
            signals,
            self.signal_names,
            registry,
            calendar,
            self.signatories(code, registry),
            jurisdiction=code.jurisdiction or None,
            details_of=None if reads is None else reads.details_of(),
        )

    def explain(
        self, enriched: EnrichedItem, signals: Sequence[Signal], registry: Registry, calendar: Calendar
    ) -> list[dict[str, Any]]:
        """Evaluate every clause on one item and say which fired and why (``pantau codes explain``).

        Each row gives the clause, whether the rule was true, whether that makes a breach (the
        clause applies to this author and the code is in force), the signal scores and the item
        and calendar fields the rule read (``reads``), and any error.
        """
        rows = []
        at = enriched.item.published_at or enriched.item.ingested_at
        facts_by_code: dict[str, dict[str, Any]] = {}
        for compiled in self.clauses:
            code = compiled.code
            facts = facts_by_code.get(code.id)
            if facts is None:
                facts = facts_by_code[code.id] = self._facts(code, enriched, signals, registry, calendar)
            try:
                fired = self._evaluate(compiled, facts)
                error = ""
            except Exception as exc:  # noqa: BLE001
                fired, error = False, why(exc)
            attributable = compiled.clause.applies_to == "anyone" or facts["item"]["by_signatory"]
            in_force = self.in_force(code, at, facts["calendar"].get("timezone"))
            reads: dict[str, Any] = {}
            for name in compiled.signals:
                sig = facts["signals"].get(name, empty_signal())
                reads[name] = f"{sig['score']:.2f} {sig['label']}"
            for path in compiled.fields:
                scope, field = path.split(".", 1)
                reads[path] = _shown(facts[scope].get(field))
            rows.append(
                {
                    "code": code.id,
                    "version": code.version,
                    "clause": compiled.clause.id,
                    "title": compiled.clause.title,
                    "rule": compiled.clause.rule.strip(),
                    "fired": bool(fired and attributable and in_force),
                    "rule_true": bool(fired),
                    "applies_to": compiled.clause.applies_to,
                    "by_signatory": facts["item"]["by_signatory"],
                    "in_force": in_force,
                    "signals": {
                        s: facts["signals"].get(s, empty_signal())["score"] for s in compiled.signals
                    },
                    "reads": reads,
                    "error": error,
                }
            )
        return rows

    def judge(
        self,
        enriched: EnrichedItem,
        signals: Sequence[Signal],
        registry: Registry,
        calendar: Calendar,
    ) -> list[Breach]:
        """Return the breaches one item commits, each citing code, version and clause.

        Attribution: a clause that ``applies_to: signatories`` fires only on content from a
        signatory party's accounts, and the breach goes to that party (``attributed_party``) and
        its officer; content by anyone else is an incident for the commission only.

        A rule that raises on this item (e.g. a detail missing) is an error of that rule on that
        item: it is raised as :class:`RuleError` for the caller to dead-letter. So is an item
        whose rules run past :attr:`time_limit_s` (a loop over a list of the item that is far
        longer than the rule's author expected); the error names the clause that was running.
        """
        breaches: list[Breach] = []
        at = enriched.item.published_at or enriched.item.ingested_at
        facts_by_code: dict[str, dict[str, Any]] = {}
        fired_by_code: dict[str, frozenset[int]] = {}
        clock = RuleClock(self.time_limit_s)
        for compiled in self.clauses:
            code = compiled.code
            facts = facts_by_code.get(code.id)
            if facts is None:
                facts = facts_by_code[code.id] = self._facts(
                    code, enriched, signals, registry, calendar, lean=True
                )
                if not self.in_force(code, at, facts["calendar"].get("timezone")):
                    fired_by_code[code.id] = frozenset()
                else:
                    fired_by_code[code.id] = self._fired(code.id, facts, enriched.item.id, clock)
            if id(compiled) not in fired_by_code[code.id]:
                continue
            by_signatory = facts["item"]["by_signatory"]
            party = facts["item"]["party"] or None
            notify = list(compiled.clause.on_breach.notify)
            if not by_signatory:
                notify = [n for n in notify if n != "party_officer"] or ["commission"]
            breaches.append(
                Breach(
                    code_id=code.id,
                    code_version=code.version,
                    clause_id=compiled.clause.id,
                    clause_title=compiled.clause.title,
                    clause_text=compiled.clause.text.strip(),
                    family=compiled.clause.family,
                    severity=compiled.clause.severity,
                    rule=compiled.clause.rule.strip(),
                    signals=compiled.signals,
                    attributed_party=party if by_signatory else None,
                    notify=notify,
                    deadline_hours=compiled.clause.on_breach.deadline_hours,
                )
            )
        return breaches


    def _fired(
        self, code_id: str, facts: dict[str, Any], item_id: str, clock: RuleClock | None = None
    ) -> frozenset[int]:
        """``id()`` of the code's clauses that fire on these facts; remembered by the facts they read.

        Converting facts to CEL values is most of the judge's cost; a share cascade repeats the
        same signals and the same author facts thousands of times, so the verdict is kept in a
        bounded LRU keyed by exactly what the code's rules read (plus attribution).
        """
        reads = self._reads_by_code.get(code_id)
        key = None
        if reads is not None:
            projected = reads.project(facts)
            if self.memo_entries > 0:
                key = code_id + json.dumps(
                    [facts["item"]["by_signatory"], facts["item"]["party"], projected],
                    sort_keys=True, default=str,
                )
                hit = self._memo.get(key)
                if hit is not None:
                    self.memo_hits += 1
                    return hit
            ctx = cel_context(projected, self._functions_by_code.get(code_id))
        else:
            ctx = cel_context(facts, self._functions_by_code.get(code_id))
        if clock is not None:
            ctx.set_variable_resolver(clock)
        by_signatory = facts["item"]["by_signatory"]
        fired = set()
        for compiled in self.clauses:
            if compiled.code.id != code_id:
                continue
            if compiled.clause.applies_to == "signatories" and not by_signatory:
                continue
            try:
                verdict = self._evaluate(compiled, facts, ctx)
            except Exception as exc:  # noqa: BLE001
                if clock is not None and clock.late:
                    raise _over_time(compiled, item_id, clock) from None
                raise RuleError(f"clause {compiled.clause.id} failed on item {item_id}: {exc}") from exc
            if clock is not None and clock.late:
                raise _over_time(compiled, item_id, clock)
            if verdict:
                fired.add(id(compiled))
        verdict = frozenset(fired)
        if key is not None:
            self._memo.put(key, verdict)
        return verdict


def _over_time(compiled: CompiledClause, item_id: str, clock: RuleClock) -> RuleError:
    """The error of an item whose rules ran past the per-item time limit, naming the clause."""
    return RuleError(
        f"clause {compiled.clause.id} of code {compiled.code.id} ran past the time limit of "
        f"{clock.limit_s:g} s per item on item {item_id} (its loops over this item's lists are too "
        "long); the item is not judged, the run goes on"
    )


def _shown(value: Any) -> Any:
    """A fact as ``explain`` shows it: people as ``id (gender, consented)``, long text cut."""
    if isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        return [
            f"{v['id']} ({v.get('gender', '?')}, {'consented' if v.get('consented') else 'no consent'})"
            for v in value
        ]
    if isinstance(value, str) and len(value) > 120:
        return value[:117] + "..."
    return value
