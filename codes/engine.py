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
    ``phase`` (before, nomination, campaign, silence, polling, after), ``in_campaign``,
    ``in_silence``, ``polling_day``, ``election``... for the item's publication time.

Loud at load: YAML errors, schema errors, CEL syntax errors, unknown signal names, type
errors, and rules that fire on an empty item are all reported with file, line and clause.

Example Snippet::

    engine = CodeEngine.from_files([Path("codes/model_code.yaml")], signal_names={"gbv.text"})
    breaches = engine.judge(enriched, signals, registry, calendar)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import cel
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codes.calendar import Calendar
from codes.registry import Person, Registry
from pantau.errors import RuleError
from pantau.schemas import Breach, EnrichedItem, Family, Severity, Signal, utcnow

__all__ = ["Clause", "Code", "CodeEngine", "CompiledClause", "Example", "build_facts"]

_SIGNAL_REF = re.compile(r"""signals\s*\[\s*(?:"([^"]+)"|'([^']+)')\s*\]""")
_COMPREHENSION_VAR = re.compile(r"\.(?:exists|all|exists_one|map|filter)\(\s*(\w+)\s*,")


class Example(BaseModel):
    """A worked example written in the code: facts in, breach expected or not."""

    model_config = ConfigDict(extra="forbid")

    name: str
    breach: bool = Field(description="Whether the clause must fire on this example.")
    item: dict[str, Any] = Field(default_factory=dict, description="Item facts (merged over an empty item).")
    signals: dict[str, dict[str, Any]] = Field(default_factory=dict)
    calendar: dict[str, Any] = Field(default_factory=dict)


class OnBreach(BaseModel):
    """What to do when the clause fires."""

    model_config = ConfigDict(extra="forbid")

    notify: list[str] = Field(default_factory=lambda: ["commission"], description="commission, party_officer")
    deadline_hours: float | None = Field(None, description="Time the party has to answer.")


class Clause(BaseModel):
    """One clause of a code: as signed, with its rule."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    text: str = Field(description="The clause as signed.")
    family: Family
    severity: Severity
    applies_to: Literal["signatories", "anyone"] = Field(
        "signatories",
        description="signatories: only content from signatory parties' accounts is a breach of the code; "
        "anyone: any content is an incident for the commission (e.g. abuse aimed at a candidate).",
    )
    rule: str
    on_breach: OnBreach = Field(default_factory=OnBreach)
    examples: list[Example] = Field(default_factory=list)


class Code(BaseModel):
    """A code of conduct: metadata and clauses."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    version: str
    jurisdiction: str = ""
    effective_from: date | None = None
    effective_until: date | None = None
    signatories: list[str] = Field(default_factory=list, description="Party ids; empty = the registry's.")
    clauses: list[Clause]


class CompiledClause:
    """A clause with its rule compiled once."""

    def __init__(self, code: Code, clause: Clause, program: Any, signals: list[str], line: int | None) -> None:
        self.code = code
        self.clause = clause
        self.program = program
        self.signals = signals
        self.line = line

    def where(self, path: Path | str) -> str:
        """``file:line clause id`` for messages."""
        return f"{path}:{self.line or '?'}: clause {self.clause.id}"


def _person_facts(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "role": person.role,
        "gender": person.gender,
        "party": person.party or "",
        "consented": person.consented_ai_depiction,
    }


def _empty_signal() -> dict[str, Any]:
    return {"score": 0.0, "label": "absent", "evidence": "", "details": {}}


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


def build_facts(
    enriched: EnrichedItem | None,
    signals: Sequence[Signal],
    signal_names: Iterable[str],
    registry: Registry,
    calendar: Calendar,
    signatories: Sequence[str],
) -> dict[str, Any]:
    """Return the CEL activation (``item``, ``signals``, ``calendar``) for one item."""
    sig: dict[str, dict[str, Any]] = {name: _empty_signal() for name in signal_names}
    for s in signals:
        current = sig.get(s.detector)
        if current is None or current["label"] == "absent" or s.score > current["score"]:
            sig[s.detector] = {
                "score": float(s.score), "label": s.label, "evidence": s.evidence, "details": _plain(s.details),
            }
    if enriched is None:
        item_facts = _empty_item()
        return {"item": item_facts, "signals": sig, "calendar": calendar.context(utcnow())}
    item = enriched.item
    depicted: dict[str, Person] = {}
    for face in enriched.enrichment.faces:
        person = registry.person(face.person_id)
        if person is not None:
            depicted[person.id] = person
    targets = registry.people_mentioned(enriched.text, [*item.mentions, *([item.reply_to] if item.reply_to else [])])
    party = item.party
    if party is None and item.account:
        account = registry.account(item.platform, item.account)
        party = account.party if account else None
    at = item.published_at or item.ingested_at
    item_facts = {
        "id": item.id,
        "platform": item.platform or "",
        "account": item.account or "",
        "party": party or "",
        "by_signatory": bool(party and party in signatories),
        "text": enriched.text,
        "caption": item.text,
        "labels": [label.lower() for label in item.labels],
        "paid": item.paid,
        "sponsor": item.sponsor or "",
        "language": item.language or (enriched.enrichment.languages[0] if enriched.enrichment.languages else ""),
        "is_tip": item.is_tip,
        "has_media": bool(item.media),
        "media_kinds": sorted({m.modality.value for m in item.media if m.modality}),
        "mentions": list(item.mentions),
        "depicted": [_person_facts(p) for p in depicted.values()],
        "targets": [_person_facts(p) for p in targets],
        "published_at": at.isoformat(),
    }
    return {"item": item_facts, "signals": sig, "calendar": calendar.context(at)}


def _empty_item() -> dict[str, Any]:
    return {
        "id": "", "platform": "", "account": "", "party": "", "by_signatory": False, "text": "", "caption": "",
        "labels": [], "paid": False, "sponsor": "", "language": "", "is_tip": False, "has_media": False,
        "media_kinds": [], "mentions": [], "depicted": [], "targets": [], "published_at": "",
    }


def _context(facts: dict[str, Any]) -> Any:
    ctx = cel.Context(facts)
    ctx.add_function("contains_any", _contains_any)
    ctx.add_function("lower", lambda s: str(s).lower())
    return ctx


def _contains_any(text: Any, words: Any) -> bool:
    haystack = str(text).lower()
    return any(str(w).lower() in haystack for w in words)


def _example_facts(example: Example, signal_names: Iterable[str]) -> dict[str, Any]:
    item = _empty_item()
    item.update(_plain(example.item))
    sig = {name: _empty_signal() for name in signal_names}
    for name, value in example.signals.items():
        sig[name] = {**_empty_signal(), **_plain(value)}
    cal = Calendar().context(utcnow())
    cal.update(_plain(example.calendar))
    return {"item": item, "signals": sig, "calendar": cal}


def _clause_lines(text: str) -> dict[str, int]:
    """Map clause ids to the line where they are defined (for messages)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        m = re.match(r"\s*-?\s*id:\s*['\"]?([^'\"#\s]+)", line)
        if m and m.group(1) not in lines:
            lines[m.group(1)] = number
    return lines


class CodeEngine:
    """Judges items against one or more codes of conduct."""

    def __init__(self, clauses: list[CompiledClause], paths: dict[str, Path] | None = None) -> None:
        self.clauses = clauses
        self.paths = paths or {}
        self.signal_names: set[str] = set()

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
        :param check_examples: also run each clause's examples (``pantau codes test``).
        """
        compiled: list[CompiledClause] = []
        known = set(signal_names) if signal_names is not None else None
        sources: dict[str, Path] = {}
        for path in paths:
            code, text = cls._parse(Path(path))
            if code.id in sources:
                raise RuleError(f"{path}: code id {code.id!r} also defined in {sources[code.id]}")
            sources[code.id] = Path(path)
            lines = _clause_lines(text)
            seen: set[str] = set()
            for clause in code.clauses:
                if clause.id in seen:
                    raise RuleError(f"{path}:{lines.get(clause.id, '?')}: clause id {clause.id!r} is defined twice")
                seen.add(clause.id)
                compiled.append(cls._compile(Path(path), code, clause, lines.get(clause.id), known))
        engine = cls(compiled, sources)
        engine.signal_names = known if known is not None else {s for c in compiled for s in c.signals}
        for c in compiled:
            engine._check_clause(c, check_examples=check_examples)
        return engine

    @staticmethod
    def _parse(path: Path) -> tuple[Code, str]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleError(f"{path}: cannot read: {exc}") from exc
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
            raise RuleError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
        if not isinstance(raw, dict):
            raise RuleError(f"{path}: a code must be a YAML mapping with 'id', 'title', 'version' and 'clauses'")
        try:
            return Code.model_validate(raw), text
        except ValidationError as exc:
            lines = _clause_lines(text)
            problems = []
            for err in exc.errors()[:10]:
                loc = err["loc"]
                line = "?"
                if len(loc) >= 2 and loc[0] == "clauses" and isinstance(loc[1], int):
                    clauses = raw.get("clauses") or []
                    if loc[1] < len(clauses) and isinstance(clauses[loc[1]], dict):
                        line = str(lines.get(str(clauses[loc[1]].get("id")), "?"))
                problems.append(f"{path}:{line}: {'.'.join(str(p) for p in loc)}: {err['msg']}")
            raise RuleError("\n".join(problems)) from exc

    @staticmethod
    def _compile(path: Path, code: Code, clause: Clause, line: int | None, known: set[str] | None) -> CompiledClause:
        where = f"{path}:{line or '?'}: clause {clause.id}"
        try:
            program = cel.compile(clause.rule)
        except ValueError as exc:
            raise RuleError(f"{where}: rule does not parse: {exc}") from exc
        used = sorted({a or b for a, b in _SIGNAL_REF.findall(clause.rule)})
        if known is not None:
            unknown = [s for s in used if s not in known]
            if unknown:
                raise RuleError(
                    f"{where}: rule reads unknown signal(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
                )
        variables = set(program.variables())
        allowed = {"item", "signals", "calendar", *_COMPREHENSION_VAR.findall(clause.rule)}
        stray = sorted(v.split(".")[0] for v in variables if v.split(".")[0] not in allowed)
        if stray:
            raise RuleError(f"{where}: rule reads unknown variable(s) {', '.join(stray)}; use item, signals, calendar")
        return CompiledClause(code, clause, program, used, line)

    def _evaluate(self, compiled: CompiledClause, facts: dict[str, Any], ctx: Any = None) -> bool:
        result = compiled.program.execute(ctx if ctx is not None else _context(facts))
        if not isinstance(result, bool):
            raise RuleError(f"rule of clause {compiled.clause.id} returned {type(result).__name__}, not a boolean")
        return result

    def _check_clause(self, compiled: CompiledClause, check_examples: bool) -> None:
        path = self.paths.get(compiled.code.id, "?")
        where = compiled.where(path)
        empty = _example_facts(Example(name="empty", breach=False), self.signal_names)
        try:
            fired = self._evaluate(compiled, empty)
        except Exception as exc:  # noqa: BLE001 - any evaluation failure is a load-time rule error
            raise RuleError(f"{where}: rule fails on an empty item: {type(exc).__name__}: {exc}") from exc
        if fired:
            raise RuleError(f"{where}: rule fires on an empty item with no signals (it would always fire)")
        if check_examples:
            for example in compiled.clause.examples:
                facts = _example_facts(example, self.signal_names | set(example.signals))
                try:
                    fired = self._evaluate(compiled, facts)
                except Exception as exc:  # noqa: BLE001
                    raise RuleError(f"{where}: example {example.name!r}: {type(exc).__name__}: {exc}") from exc
                if fired != example.breach:
                    expected = "a breach" if example.breach else "no breach"
                    raise RuleError(f"{where}: example {example.name!r} expected {expected}, rule gave {fired}")

    def run_examples(self) -> list[tuple[str, str, bool, str]]:
        """Run every clause's examples; return (clause id, example name, passed, message) rows."""
        rows = []
        for compiled in self.clauses:
            for example in compiled.clause.examples:
                facts = _example_facts(example, self.signal_names | set(example.signals))
                try:
                    fired = self._evaluate(compiled, facts)
                    ok = fired == example.breach
                    msg = "" if ok else f"expected {'breach' if example.breach else 'no breach'}, got {fired}"
                except Exception as exc:  # noqa: BLE001
                    ok, msg = False, f"{type(exc).__name__}: {exc}"
                rows.append((compiled.clause.id, example.name, ok, msg))
        return rows

    def signatories(self, code: Code, registry: Registry) -> list[str]:
        """The code's signatory parties (the registry's signatories when the code lists none)."""
        return list(code.signatories) or registry.signatories()

    def in_force(self, code: Code, at: datetime) -> bool:
        """Whether a code is in force at ``at``."""
        day = at.date()
        if code.effective_from and day < code.effective_from:
            return False
        return not (code.effective_until and day > code.effective_until)

    def explain(
        self, enriched: EnrichedItem, signals: Sequence[Signal], registry: Registry, calendar: Calendar
    ) -> list[dict[str, Any]]:
        """Evaluate every clause on one item and say which fired and why (``pantau codes explain``)."""
        rows = []
        for compiled in self.clauses:
            signatories = self.signatories(compiled.code, registry)
            facts = build_facts(enriched, signals, self.signal_names, registry, calendar, signatories)
            try:
                fired = self._evaluate(compiled, facts)
                error = ""
            except Exception as exc:  # noqa: BLE001
                fired, error = False, f"{type(exc).__name__}: {exc}"
            attributable = compiled.clause.applies_to == "anyone" or facts["item"]["by_signatory"]
            rows.append({
                "code": compiled.code.id,
                "clause": compiled.clause.id,
                "title": compiled.clause.title,
                "rule": compiled.clause.rule.strip(),
                "fired": bool(fired and attributable),
                "rule_true": bool(fired),
                "applies_to": compiled.clause.applies_to,
                "by_signatory": facts["item"]["by_signatory"],
                "signals": {s: facts["signals"].get(s, _empty_signal())["score"] for s in compiled.signals},
                "error": error,
            })
        return rows

    def judge(
        self,
        enriched: EnrichedItem,
        signals: Sequence[Signal],
        registry: Registry,
        calendar: Calendar,
    ) -> list[Breach]:
        """Return the breaches one item commits, each citing code, version and clause.

        A rule that raises on this item (e.g. a detail missing) is an error of that rule on that
        item: it is raised as :class:`RuleError` for the caller to dead-letter.
        """
        breaches: list[Breach] = []
        at = enriched.item.published_at or enriched.item.ingested_at
        facts_by_code: dict[str, dict[str, Any]] = {}
        ctx_by_code: dict[str, Any] = {}
        for compiled in self.clauses:
            code = compiled.code
            if not self.in_force(code, at):
                continue
            signatories = self.signatories(code, registry)
            facts = facts_by_code.get(code.id)
            if facts is None:
                facts = build_facts(enriched, signals, self.signal_names, registry, calendar, signatories)
                facts_by_code[code.id] = facts
                # Converting the facts into CEL values is the costly part: once per item and code.
                ctx_by_code[code.id] = _context(facts)
            by_signatory = facts["item"]["by_signatory"]
            if compiled.clause.applies_to == "signatories" and not by_signatory:
                continue
            try:
                fired = self._evaluate(compiled, facts, ctx_by_code[code.id])
            except Exception as exc:  # noqa: BLE001
                raise RuleError(f"clause {compiled.clause.id} failed on item {enriched.item.id}: {exc}") from exc
            if not fired:
                continue
            party = facts["item"]["party"] or None
            notify = list(compiled.clause.on_breach.notify)
            if not by_signatory:
                notify = [n for n in notify if n != "party_officer"] or ["commission"]
            breaches.append(Breach(
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
            ))
        return breaches

