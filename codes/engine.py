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

Example Snippet::

    engine = CodeEngine.from_files([Path("codes/model_code.yaml")], signal_names={"gbv.text"})
    breaches = engine.judge(enriched, signals, registry, calendar)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import cel
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from codes.calendar import Calendar
from codes.cost import MAX_RULE_COST, RULE_TIME_LIMIT_S, UNKNOWN_LIST, RuleClock, rule_cost
from codes.facts import empty_calendar, empty_item, empty_person, empty_signal
from codes.lint import CUSTOM_FUNCTIONS, loop_variables, rule_problems, signals_read, strip_strings
from pantau.documents import line_of, load_document
from pantau.errors import RuleError
from pantau.lru import LRU
from pantau.registry import Person, Registry
from pantau.schemas import Breach, EnrichedItem, Family, Severity, Signal, utcnow

__all__ = ["Clause", "Code", "CodeEngine", "CompiledClause", "Example", "OnBreach", "build_facts"]


class Example(BaseModel):
    """A worked example written in the code: facts in, breach expected or not."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="What the example shows, e.g. 'deepfake of a candidate'.")
    breach: bool = Field(description="Whether the clause must fire on this example.")
    item: dict[str, Any] = Field(default_factory=dict, description="Item facts (merged over an empty item).")
    signals: dict[str, dict[str, Any]] = Field(default_factory=dict)
    calendar: dict[str, Any] = Field(default_factory=dict)


class OnBreach(BaseModel):
    """What to do when the clause fires."""

    model_config = ConfigDict(extra="forbid")

    notify: list[Literal["commission", "party_officer"]] = Field(
        default_factory=lambda: ["commission"],
        description="Who is alerted: commission, party_officer (the officer of the signatory party that "
        "posted "
        "it; content by others goes to the commission only).",
    )
    deadline_hours: float | None = Field(
        None, description="Hours the party has to answer or take the content down."
    )


class Clause(BaseModel):
    """One clause of a code: as signed, with its rule."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        description="Clause id cited in breaches, e.g. GBV-1. Never reuse an id for another meaning."
    )
    title: str = Field(description="One line saying what the clause forbids.")
    text: str = Field(description="The clause as signed.")
    family: Family = Field(description="The harm: synthetic, disinfo, gbv, campaign or meta.")
    severity: Severity = Field(description="low, medium, high or critical.")
    applies_to: Literal["signatories", "anyone"] = Field(
        "signatories",
        description="signatories: only content from signatory parties' accounts is a breach of the code; "
        "anyone: any content is an incident for the commission (e.g. abuse aimed at a candidate).",
    )
    rule: str = Field(
        description="CEL expression over item, signals and calendar that is true on a breach, e.g. "
        'signals["gbv.threat"].score >= 0.7. See docs/codes.md for the facts it can read.'
    )
    on_breach: OnBreach = Field(default_factory=OnBreach)
    examples: list[Example] = Field(
        default_factory=list,
        description="Positive (breach: true) and negative examples; `pantau codes test` runs them.",
    )


class Code(BaseModel):
    """A code of conduct: metadata and clauses."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Code id cited in breaches, e.g. pantau-model-code.")
    title: str
    version: str = Field(
        description='Version, quoted ("1.1"). Raise it whenever a clause or rule changes: breaches cite it.'
    )
    jurisdiction: str = Field("", description="Jurisdiction whose election calendar applies by default.")
    effective_from: date | None = Field(None, description="First day the code is in force, YYYY-MM-DD.")
    effective_until: date | None = Field(None, description="Last day the code is in force, YYYY-MM-DD.")
    signatories: list[str] = Field(
        default_factory=list, description="Party ids; empty = the registry's signatories."
    )
    clauses: list[Clause] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Code:
        if self.effective_from and self.effective_until and self.effective_until < self.effective_from:
            raise ValueError(
                f"effective_until ({self.effective_until}) is before effective_from ({self.effective_from})"
            )
        return self


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


class _Reads:
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


def _person_facts(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "role": person.role,
        "gender": person.gender,
        "party": person.party or "",
        "constituency": person.constituency or "",
        "consented": person.consented_ai_depiction,
    }


def _empty_signal() -> dict[str, Any]:
    return empty_signal()


def _plain(value: Any) -> Any:
    """Make a value CEL-friendly: no None (CEL null breaks comparisons), dates as strings."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _jurisdiction(
    registry: Registry, calendar: Calendar, at: datetime, party: str | None, default: str | None
) -> str | None:
    """The jurisdiction whose calendar applies: the posting party's, else the code's.

    A party jurisdiction with no election in the calendar falls back to the code's, so a party
    registered under a region still sees the national election's silence period.
    """
    found = registry.party(party) if party else None
    if (
        found is not None
        and found.jurisdiction
        and (not calendar.elections or calendar.current(at, found.jurisdiction) is not None)
    ):
        return found.jurisdiction
    return default or None


def build_facts(
    enriched: EnrichedItem | None,
    signals: Sequence[Signal],
    signal_names: Iterable[str],
    registry: Registry,
    calendar: Calendar,
    signatories: Sequence[str],
    jurisdiction: str | None = None,
    details_of: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Return the CEL activation (``item``, ``signals``, ``calendar``) for one item.

    :param jurisdiction: the code's jurisdiction, used for the calendar unless the posting party
        has its own in the registry.
    :param details_of: the signals whose ``details`` the rules read (``None``: all); the others
        get empty details, which saves converting them.
    """
    absent = empty_signal()  # one object for every absent signal: facts are read, never changed
    sig: dict[str, dict[str, Any]] = dict.fromkeys(signal_names, absent)
    wanted = None if details_of is None else set(details_of)
    for s in signals:
        current = sig.get(s.detector)
        if current is None or current["label"] == "absent" or s.score > current["score"]:
            sig[s.detector] = {
                "score": float(s.score),
                "label": s.label,
                "evidence": s.evidence,
                "details": _plain(s.details) if wanted is None or s.detector in wanted else {},
            }
    if enriched is None:
        item_facts = empty_item()
        item_facts["jurisdiction"] = jurisdiction or ""
        return {"item": item_facts, "signals": sig, "calendar": calendar.context(utcnow(), jurisdiction)}
    item = enriched.item
    depicted: dict[str, Person] = {}
    for face in enriched.enrichment.faces:
        person = registry.person(face.person_id)
        if person is not None:
            depicted[person.id] = person
    targets = registry.people_mentioned(
        enriched.text, [*item.mentions, *([item.reply_to] if item.reply_to else [])]
    )
    party = item.party
    account = registry.account(item.platform, item.account) if item.account else None
    if party is None and account is not None:
        party = account.party
    at = item.published_at or item.ingested_at
    where = _jurisdiction(registry, calendar, at, party, jurisdiction)
    item_facts = {
        "id": item.id,
        "platform": item.platform or "",
        "account": item.account or "",
        "account_kind": account.kind if account else "",
        "party": party or "",
        "by_signatory": bool(party and party in signatories),
        "jurisdiction": where or "",
        "text": enriched.text,
        "caption": item.text,
        "labels": [label.lower() for label in item.labels],
        "paid": item.paid,
        "sponsor": item.sponsor or "",
        "language": item.language
        or (enriched.enrichment.languages[0] if enriched.enrichment.languages else ""),
        "is_tip": item.is_tip,
        "has_media": bool(item.media),
        "media_kinds": sorted({m.modality.value for m in item.media if m.modality}),
        "mentions": list(item.mentions),
        "depicted": [_person_facts(p) for p in depicted.values()],
        "targets": [_person_facts(p) for p in targets],
        "published_at": at.isoformat(),
    }
    return {"item": item_facts, "signals": sig, "calendar": calendar.context(at, where)}


def _empty_item() -> dict[str, Any]:
    return empty_item()


def _context(facts: dict[str, Any], functions: Iterable[str] | None = None) -> Any:
    """Build the CEL context; ``functions`` limits the cel.stdlib extensions added to those rules call."""
    ctx = cel.Context(facts)
    ctx.add_function("contains_any", _contains_any)
    ctx.add_function("lower", lambda s: str(s).lower())
    wanted = set(functions or ()) - set(CUSTOM_FUNCTIONS)
    if wanted:
        from cel.stdlib import STDLIB_FUNCTIONS

        for name in sorted(wanted & set(STDLIB_FUNCTIONS)):
            ctx.add_function(name, STDLIB_FUNCTIONS[name])
    return ctx


def _contains_any(text: Any, words: Any) -> bool:
    haystack = str(text).lower()
    return any(str(w).lower() in haystack for w in words)


def _people(value: Any) -> Any:
    """Fill the fields an example leaves out of a person, so rules read every field safely."""
    if isinstance(value, list):
        return [{**empty_person(), **p} if isinstance(p, dict) else p for p in value]
    return value


def _example_facts(example: Example, signal_names: Iterable[str]) -> dict[str, Any]:
    item = empty_item()
    given = _plain(example.item)
    for key in ("depicted", "targets"):
        if key in given:
            given[key] = _people(given[key])
    item.update(given)
    sig = {name: empty_signal() for name in signal_names}
    for name, value in example.signals.items():
        sig[name] = {**empty_signal(), **_plain(value)}
    cal = empty_calendar()
    cal.update(_plain(example.calendar))
    return {"item": item, "signals": sig, "calendar": cal}


def _probe_facts(signal_names: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """Items that make most rules fire: every signal at 1.0, flags set, people of every kind present.

    Used at load to find rules that raise on well-typed facts (type errors hidden behind a
    short-circuit on the empty item) and rules that can never fire.
    """
    names = list(signal_names)
    woman = {
        **empty_person(),
        "id": "probe-f",
        "name": "Probe F",
        "gender": "female",
        "role": "candidate",
        "party": "probe",
        "constituency": "probe",
    }
    man = {**woman, "id": "probe-m", "name": "Probe M", "gender": "male", "consented": True}
    full_item = {
        **empty_item(),
        "id": "probe",
        "platform": "x",
        "account": "@probe",
        "account_kind": "official",
        "party": "probe",
        "by_signatory": True,
        "jurisdiction": "probe",
        "text": "probe",
        "caption": "probe",
        "labels": ["ai-generated"],
        "paid": True,
        "language": "en",
        "is_tip": True,
        "has_media": True,
        "media_kinds": ["image", "video", "audio"],
        "mentions": ["@probe"],
        "depicted": [woman, man],
        "targets": [woman, man],
        "published_at": "2026-01-01T00:00:00+00:00",
    }
    sponsored = {**full_item, "sponsor": "probe"}
    calendars = []
    for phase in ("campaign", "silence", "polling"):
        cal = {
            **empty_calendar(),
            "election": "probe",
            "name": "probe",
            "jurisdiction": "probe",
            "phase": phase,
            "in_campaign": phase == "campaign",
            "in_silence": phase != "campaign",
            "polling_day": "2026-01-02",
            "polls_open": "08:00",
            "polls_close": "17:00",
            "nomination_day": "2025-12-01",
            "voting_methods": ["in person"],
            "local_time": "2026-01-01T08:00:00+08:00",
        }
        calendars.append(cal)
    probes = []
    for label in ("probe", "absent"):
        sig = {n: {"score": 1.0, "label": label, "evidence": "probe", "details": {}} for n in names}
        for item in (full_item, sponsored, empty_item()):
            for cal in calendars:
                probes.append(
                    (
                        f"signals at 1.0 ({label}), {cal['phase']}",
                        {"item": item, "signals": sig, "calendar": cal},
                    )
                )
    return probes


class CodeEngine:
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
        self._reads_by_code: dict[str, _Reads | None] = {}
        for c in clauses:
            reads = self._reads_by_code.setdefault(c.code.id, _Reads())
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
            raise RuleError(f"{where}: rule does not parse: {_syntax(str(exc))}") from exc
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
            ctx = _context(facts, compiled.functions)
        result = compiled.program.execute(ctx)
        if not isinstance(result, bool):
            raise RuleError(
                f"rule of clause {compiled.clause.id} returned {type(result).__name__}, not a boolean "
                "(true/false); compare it, e.g. score >= 0.7"
            )
        return result

    def _check_clause(self, compiled: CompiledClause, check_examples: bool) -> None:
        path = self.paths.get(compiled.code.id, "?")
        where = compiled.where(path, compiled.rule_line)
        empty = _example_facts(Example(name="empty", breach=False), self.signal_names)
        try:
            fired = self._evaluate(compiled, empty)
        except Exception as exc:  # noqa: BLE001 - any evaluation failure is a load-time rule error
            raise RuleError(f"{where}: rule fails on an empty item: {_why(exc)}") from exc
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
                raise RuleError(f"{where}: rule fails on a test item ({name}): {_why(exc)}") from exc
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
                _pad(compiled.example_lines, len(compiled.clause.examples)),
                strict=True,
            ):
                facts = _example_facts(example, self.signal_names | set(example.signals))
                ex_where = compiled.where(path, line)
                try:
                    fired = self._example_breach(compiled, facts)
                except Exception as exc:  # noqa: BLE001
                    raise RuleError(f"{ex_where}: example {example.name!r}: {_why(exc)}") from exc
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
                (name, facts, _context(facts, functions)) for name, facts in _probe_facts(names)
            ]
        return self._probe_cache

    def _example_breach(self, compiled: CompiledClause, facts: dict[str, Any]) -> bool:
        """Whether an example is a breach, as :meth:`judge` decides it: the rule is true and the
        clause applies to the example's author (``applies_to: signatories`` needs ``by_signatory``)."""
        fired = self._evaluate(compiled, facts)
        return fired and (compiled.clause.applies_to == "anyone" or bool(facts["item"].get("by_signatory")))

    def _safe_fires(self, compiled: CompiledClause, example: Example) -> bool:
        try:
            return self._evaluate(compiled, _example_facts(example, self.signal_names | set(example.signals)))
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
                _pad(compiled.example_lines, len(compiled.clause.examples)),
                strict=True,
            ):
                facts = _example_facts(example, self.signal_names | set(example.signals))
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
                    ok, msg = False, f"{path}:{line or '?'}: {_why(exc)}"
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
                fired, error = False, _why(exc)
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
            ctx = _context(projected, self._functions_by_code.get(code_id))
        else:
            ctx = _context(facts, self._functions_by_code.get(code_id))
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


def _pad(lines: Sequence[int | None], n: int) -> list[int | None]:
    return [*lines, *([None] * (n - len(lines)))][:n]


def _syntax(message: str) -> str:
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


def _why(exc: Exception) -> str:
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
