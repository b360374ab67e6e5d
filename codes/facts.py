"""The facts a rule can read: one place that names every field of ``item``, ``signals`` and ``calendar``.

The engine builds these facts for each item (:func:`codes.engine.build_facts`), the load-time
checks refuse rules that read a field not listed here (``item.txet``), the JSON Schema of the
code format offers them for autocompletion in clause examples, and ``docs/codes.md`` lists them.

Example Snippet::

    from codes.facts import ITEM_FIELDS, empty_item
    assert set(empty_item()) == set(ITEM_FIELDS)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "CALENDAR_FIELDS",
    "ITEM_FIELDS",
    "PERSON_FIELDS",
    "SIGNAL_FIELDS",
    "Fact",
    "empty_calendar",
    "empty_item",
    "empty_person",
    "empty_signal",
    "fact_schema",
]

FactType = Literal["string", "bool", "number", "strings", "people", "map"]


@dataclass(frozen=True)
class Fact:
    """One field a rule can read: its CEL type, its value when absent, and what it means."""

    type: FactType
    empty: Any
    description: str


ITEM_FIELDS: dict[str, Fact] = {
    "id": Fact("string", "", "Pantau's stable id of the item."),
    "platform": Fact("string", "", "Platform it was posted on (x, facebook, tiktok, telegram, web...)."),
    "account": Fact("string", "", "Handle of the account that posted it."),
    "account_kind": Fact(
        "string", "", "official, affiliated or personal when the account is in the registry."
    ),
    "party": Fact("string", "", "Registry id of the party the account belongs to ('' when unknown)."),
    "by_signatory": Fact("bool", False, "Posted by an account of a party that signed this code."),
    "jurisdiction": Fact("string", "", "Jurisdiction whose election calendar applies to the item."),
    "text": Fact("string", "", "All the text: caption, OCR of images, transcripts of audio and video."),
    "caption": Fact("string", "", "The post's own text only (what the author wrote)."),
    "labels": Fact("strings", [], "Platform labels, lower case (e.g. 'ai-generated', 'paid partnership')."),
    "paid": Fact("bool", False, "Paid or sponsored content (an advertisement)."),
    "sponsor": Fact("string", "", "The sponsor the platform or post names ('' when none)."),
    "language": Fact("string", "", "Language code of the text (e.g. 'ms', 'id', 'en')."),
    "is_tip": Fact("bool", False, "Reported by the public through the tipline."),
    "has_media": Fact("bool", False, "Has images, audio or video attached."),
    "media_kinds": Fact("strings", [], "Kinds of media attached: image, video, audio."),
    "mentions": Fact("strings", [], "Handles the post mentions or replies to."),
    "depicted": Fact("people", [], "Registry people whose faces appear in the media."),
    "targets": Fact("people", [], "Registry people named or mentioned in the text."),
    "published_at": Fact("string", "", "Publication time, ISO 8601 in UTC."),
}

PERSON_FIELDS: dict[str, Fact] = {
    "id": Fact("string", "", "Registry id of the person."),
    "name": Fact("string", "", "The person's name."),
    "role": Fact("string", "other", "candidate, official, commissioner or other."),
    "gender": Fact("string", "unknown", "female, male, nonbinary or unknown."),
    "party": Fact("string", "", "Registry id of their party ('' when none)."),
    "constituency": Fact("string", "", "Their constituency ('' when none)."),
    "consented": Fact("bool", False, "They consented in writing to AI-generated depictions of them."),
}

SIGNAL_FIELDS: dict[str, Fact] = {
    "score": Fact("number", 0.0, "0 to 1: how strongly the detector found what it looks for."),
    "label": Fact("string", "absent", "The detector's label; 'absent' when it did not run or found nothing."),
    "evidence": Fact("string", "", "A short human-readable reason."),
    "details": Fact("map", {}, "Detector-specific details; test with has() before reading one."),
}

CALENDAR_FIELDS: dict[str, Fact] = {
    "election": Fact("string", "", "Id of the election that applies ('' when none)."),
    "name": Fact("string", "", "Name of the election."),
    "jurisdiction": Fact("string", "", "Jurisdiction of the election."),
    "timezone": Fact("string", "UTC", "IANA time zone of the jurisdiction, e.g. Asia/Jakarta."),
    "phase": Fact(
        "string",
        "none",
        "Where the item's time falls: none (no election), before, nomination, campaign, closed (campaign "
        "over, silence not begun), silence, polling, after.",
    ),
    "in_campaign": Fact("bool", False, "Within the campaign period."),
    "in_silence": Fact("bool", False, "Within the silence period or on polling day before the polls close."),
    "polling_day": Fact("string", "", "Polling day, YYYY-MM-DD."),
    "polls_open": Fact("string", "", "Local time the polls open, HH:MM."),
    "polls_close": Fact("string", "", "Local time the polls close, HH:MM."),
    "nomination_day": Fact("string", "", "Nomination day, YYYY-MM-DD ('' when not set)."),
    "voting_methods": Fact("strings", [], "Lawful ways to vote, e.g. 'in person', 'postal'."),
    "local_time": Fact("string", "", "The item's time in the jurisdiction's time zone, ISO 8601."),
}


def _copy(fields: dict[str, Fact]) -> dict[str, Any]:
    return {
        name: (
            list(f.empty)
            if isinstance(f.empty, list)
            else dict(f.empty)
            if isinstance(f.empty, dict)
            else f.empty
        )
        for name, f in fields.items()
    }


def empty_item() -> dict[str, Any]:
    """Return item facts with every field at its empty value."""
    return _copy(ITEM_FIELDS)


def empty_person() -> dict[str, Any]:
    """Return person facts with every field at its empty value."""
    return _copy(PERSON_FIELDS)


def empty_signal() -> dict[str, Any]:
    """Return the facts of a signal that is absent (score 0, label 'absent')."""
    return _copy(SIGNAL_FIELDS)


def empty_calendar() -> dict[str, Any]:
    """Return calendar facts when no election applies (phase 'none')."""
    return _copy(CALENDAR_FIELDS)


_JSON_TYPES: dict[FactType, dict[str, Any]] = {
    "string": {"type": "string"},
    "bool": {"type": "boolean"},
    "number": {"type": "number"},
    "strings": {"type": "array", "items": {"type": "string"}},
    "map": {"type": "object"},
}


def fact_schema(fields: dict[str, Fact], person_schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a JSON Schema object that accepts a partial set of these facts (for clause examples)."""
    props: dict[str, Any] = {}
    for name, fact in fields.items():
        if fact.type == "people":
            spec: dict[str, Any] = {"type": "array", "items": person_schema or {"type": "object"}}
        else:
            spec = dict(_JSON_TYPES[fact.type])
        spec["description"] = fact.description
        props[name] = spec
    return {"type": "object", "properties": props, "additionalProperties": False}
