"""The facts a rule reads (its CEL activation), built for an item, a clause's example or a load-time probe.

The fields are named once in :mod:`codes.facts`; this module fills them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import cel

from codes.calendar import Calendar
from codes.facts import empty_calendar, empty_item, empty_person, empty_signal
from codes.lint import CUSTOM_FUNCTIONS
from codes.model import Example
from pantau.registry import Person, Registry
from pantau.schemas import EnrichedItem, Signal, utcnow

__all__ = ["build_facts", "cel_context", "example_facts", "probe_facts"]


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


def cel_context(facts: dict[str, Any], functions: Iterable[str] | None = None) -> Any:
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


def example_facts(example: Example, signal_names: Iterable[str]) -> dict[str, Any]:
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


def probe_facts(signal_names: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
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
