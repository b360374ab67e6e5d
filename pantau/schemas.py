"""The records that flow through Pantau.

Every stage reads and writes these pydantic models, whatever the transport (in-process
queues or Kafka topics) and whatever the store (SQLite or a search engine):

``MediaItem`` -> ``EnrichedItem`` (item + ``Enrichment``) -> ``Signal`` (one per detector
and item) -> ``Breach`` (a clause of a code of conduct that fired) -> ``Incident`` (what
people review) -> ``Alert`` (what is sent to a compliance officer). Whatever fails on the
way becomes a ``DeadLetter``.

Ids are digests, never counters, so that replays converge on the same records:

>>> MediaItem.make_id("feed:demo", "42") == MediaItem.make_id("feed:demo", "42")
True
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Alert",
    "Breach",
    "DeadLetter",
    "EnrichedItem",
    "Enrichment",
    "Face",
    "Family",
    "Incident",
    "IncidentStatus",
    "MediaFile",
    "MediaItem",
    "Modality",
    "Severity",
    "Signal",
    "TextPart",
    "MAX_ITEM_NESTING",
    "digest",
    "scrub",
    "utcnow",
]

MAX_ITEM_NESTING = 32
"""Deepest nesting of lists and objects an item may carry (its ``extra`` fields); deeper ones are refused."""

_MAX_RECORD_NESTING = 200
"""Deepest nesting any other record accepts: far below what copying or serialising it can handle."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub_text(text: str) -> str:
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def scrub(value: Any, max_depth: int = _MAX_RECORD_NESTING, _depth: int = 0) -> Any:
    """Return ``value`` with lone surrogates replaced by U+FFFD; raise ``ValueError`` past ``max_depth``.

    A JSON string may spell a lone surrogate (``"\\ud800"``): Python decodes it, but it cannot be
    encoded to UTF-8, so every later step that writes text (a detector, JSON, SQLite) would raise on it.
    Replacing it keeps the item judged (refusing it would let a post evade monitoring with one escape).
    Lists, tuples and dicts (keys too) are walked; other values are returned as they are.

    >>> bad = "a" + chr(0xD800) + "b"
    >>> scrub({"text": bad, "n": [1, chr(0xDC00)]}) == {"text": "a\\ufffdb", "n": [1, "\\ufffd"]}
    True
    """
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, dict | list | tuple):
        if _depth >= max_depth:
            raise ValueError(f"nested deeper than {max_depth} levels")
        deeper = _depth + 1
        if isinstance(value, dict):
            return {scrub(k, max_depth, deeper): scrub(v, max_depth, deeper) for k, v in value.items()}
        items = [scrub(v, max_depth, deeper) for v in value]
        if isinstance(value, list):
            return items
        return tuple(items) if type(value) is tuple else value
    return value



def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def digest(*parts: str, length: int = 32) -> str:
    """Return a stable hex digest of ``parts`` (joined with a separator that cannot occur in ids).

    >>> digest("a", "b") == digest("a", "b") != digest("ab")
    True
    """
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:length]


class Modality(StrEnum):
    """What kind of content a detector reads."""

    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"


class Family(StrEnum):
    """The three harms Recommendation 2 names, plus campaign-conduct rules."""

    SYNTHETIC = "synthetic"
    DISINFO = "disinfo"
    GBV = "gbv"
    CAMPAIGN = "campaign"
    META = "meta"


class Severity(StrEnum):
    """Severity of a clause, ordered from least to most severe."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Return 0 (low) to 3 (critical), for sorting."""
        return ["low", "medium", "high", "critical"].index(self.value)


class IncidentStatus(StrEnum):
    """Where an incident stands in the commission's review.

    ``new`` -> ``confirmed`` / ``dismissed`` / ``escalated`` -> ``appealed`` (by the party) ->
    ``upheld`` / ``overturned`` (by the commission); :mod:`pantau.review` holds the transitions.
    """

    NEW = "new"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    ESCALATED = "escalated"
    APPEALED = "appealed"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)
    _max_nesting: ClassVar[int] = _MAX_RECORD_NESTING

    @model_validator(mode="before")
    @classmethod
    def _scrubbed(cls, data: Any) -> Any:
        """No record holds a lone surrogate or nests deeper than its bound (see :func:`scrub`)."""
        return scrub(data, cls._max_nesting) if isinstance(data, dict) else data


class MediaFile(_Record):
    """One media file attached to an item, as fetched into the content-addressed media folder."""

    url: str | None = Field(None, description="Where the file came from, if remote.")
    path: str | None = Field(None, description="Local path (in the media folder once fetched).")
    sha256: str | None = Field(None, description="SHA-256 of the content; the file's identity.")
    mime: str | None = Field(None, description="MIME type sniffed from the content, not the extension.")
    size: int | None = Field(None, ge=0)
    modality: Modality | None = None
    meta: dict[str, Any] = Field(default_factory=dict, description="Width, height, duration, ...")


class MediaItem(_Record):
    """A post, message, page or tip as it arrives from a source."""

    id: str = Field(description="Stable id: digest of source and native id.")
    source: str = Field(description="Name of the configured source, e.g. 'feed:demo'.")
    native_id: str = Field(description="The id the platform or feed gave the item.")
    platform: str | None = Field(
        None, description="facebook, tiktok, youtube, x, telegram, web, rss, tip, ..."
    )
    account: str | None = Field(None, description="Handle or id of the account that posted.")
    account_name: str | None = None
    party: str | None = Field(None, description="Party id, when the account is in the registry.")
    url: str | None = None
    title: str | None = None
    text: str = ""
    media: list[MediaFile] = Field(default_factory=list)
    language: str | None = Field(None, description="ISO 639-1 code of the main text, if known.")
    mentions: list[str] = Field(default_factory=list)
    reply_to: str | None = Field(None, description="Account the item answers, if any.")
    labels: list[str] = Field(
        default_factory=list,
        description="Platform labels carried in the feed, e.g. 'ai-generated', 'paid-partnership'.",
    )
    sponsor: str | None = Field(None, description="Declared sponsor of paid content.")
    paid: bool = False
    is_tip: bool = False
    published_at: datetime | None = None
    ingested_at: datetime = Field(default_factory=utcnow)
    extra: dict[str, Any] = Field(default_factory=dict)

    _max_nesting: ClassVar[int] = MAX_ITEM_NESTING

    @staticmethod
    def make_id(source: str, native_id: str) -> str:
        """Return the stable id of an item: a digest of its source and native id."""
        return digest("item", source, native_id)

    @field_validator("text", mode="before")
    @classmethod
    def _text_not_none(cls, value: Any) -> Any:
        return "" if value is None else value


class TextPart(_Record):
    """A piece of text with where it came from (caption, OCR of an image, transcript of audio)."""

    origin: str = Field(description="caption, title, ocr, transcript")
    text: str
    language: str | None = None
    media_sha256: str | None = None
    start: float | None = Field(None, description="Seconds, for transcripts.")
    end: float | None = None


class Face(_Record):
    """A face found in an image or keyframe, with who it matches in the registry."""

    media_sha256: str | None = None
    box: list[float] = Field(default_factory=list, description="x, y, width, height in pixels")
    score: float = 0.0
    person_id: str | None = None
    person_name: str | None = None
    match_score: float = 0.0
    frame_time: float | None = None


class Enrichment(_Record):
    """What enrichers extracted from an item, shared by every detector (Presidio's NlpArtifacts)."""

    model_config = ConfigDict(extra="allow")

    text_parts: list[TextPart] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list, description="Languages found, main first.")
    faces: list[Face] = Field(default_factory=list)
    hashes: dict[str, str] = Field(default_factory=dict, description="media sha256 -> perceptual hash")
    media_meta: dict[str, dict[str, Any]] = Field(default_factory=dict, description="sha256 -> metadata")
    done: list[str] = Field(default_factory=list, description="Names of the enrichers that ran.")

    def all_text(self, item: MediaItem) -> str:
        """Return the item's caption and every extracted text part, one per line."""
        parts = [item.title or "", item.text]
        parts += [p.text for p in self.text_parts if p.origin not in ("caption", "title")]
        return "\n".join(p for p in parts if p)


class EnrichedItem(_Record):
    """An item together with its enrichment."""

    item: MediaItem
    enrichment: Enrichment = Field(default_factory=Enrichment)

    @property
    def text(self) -> str:
        """All text of the item (caption, title, OCR, transcript)."""
        return self.enrichment.all_text(self.item)


class Signal(_Record):
    """One detector's judgement of one item."""

    item_id: str
    detector: str = Field(description="Registered detector name, e.g. 'gbv.text'.")
    version: str
    family: Family
    score: float = Field(ge=0.0, le=1.0, description="Probability-like score in [0, 1].")
    label: str = Field(description="Short label, e.g. 'sexist', 'ai-declared', 'not-applicable'.")
    evidence: str = Field("", description="Short human-readable reason.")
    details: dict[str, Any] = Field(default_factory=dict)
    media_sha256: str | None = None


class Breach(_Record):
    """A clause of a code of conduct that an item breaches, with the rule that fired."""

    code_id: str
    code_version: str
    clause_id: str
    clause_title: str
    clause_text: str = ""
    family: Family
    severity: Severity
    rule: str = Field(description="The CEL rule text that fired, as written in the code.")
    signals: list[str] = Field(default_factory=list, description="Detectors whose signals the rule read.")
    attributed_party: str | None = Field(
        None, description="Signatory party whose account posted it: a code breach for its officer."
    )
    notify: list[str] = Field(default_factory=list, description="Roles or recipients to alert.")
    deadline_hours: float | None = None


class Incident(_Record):
    """A breach of a clause by one item: the unit people review."""

    id: str = Field(
        description="Digest of item id, code id, code version and clause id: "
        "replays overwrite, never duplicate; "
        "a new code version adds incidents and leaves those judged under the old one as they were."
    )
    item: MediaItem
    breach: Breach
    signals: list[Signal] = Field(default_factory=list)
    text_parts: list[TextPart] = Field(default_factory=list)
    faces: list[Face] = Field(default_factory=list)
    targets: list[str] = Field(default_factory=list, description="Registry ids of people targeted.")
    status: IncidentStatus = IncidentStatus.NEW
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @staticmethod
    def make_id(item_id: str, code_id: str, clause_id: str, code_version: str = "") -> str:
        """Return the stable id of the incident that one clause of one code version raises on one item.

        The version is part of the id so that judging again under a new version never rewrites an
        incident raised (and perhaps reviewed and notified) under the old one (docs/codes.md).
        """
        if not code_version:
            return digest("incident", item_id, code_id, clause_id)
        return digest("incident", item_id, code_id, clause_id, code_version)

    @property
    def family(self) -> Family:
        """The harm family of the clause breached."""
        return self.breach.family

    @property
    def party(self) -> str | None:
        """The party the incident concerns (the posting account's party)."""
        return self.breach.attributed_party or self.item.party


class Alert(_Record):
    """A message to a recipient about an incident; de-duplicated by incident and recipient."""

    id: str
    incident_id: str
    recipient: str
    channel: str = "outbox"
    party: str | None = None
    subject: str
    body: str
    severity: Severity = Severity.MEDIUM
    due_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

    @staticmethod
    def make_id(incident_id: str, recipient: str) -> str:
        """Return the stable id of the alert about one incident to one recipient."""
        return digest("alert", incident_id, recipient)


class DeadLetter(_Record):
    """Something that could not be processed, kept with the reason and the original input."""

    id: str
    stage: str = Field(description="ingest, enrich, detect, judge, store, alert")
    reason: str = Field(description="Exception class and message.")
    error_type: str
    source: str | None = None
    item_id: str | None = None
    payload: str = Field("", description="The original input, truncated to a bounded size.")
    payload_digest: str = ""
    created_at: datetime = Field(default_factory=utcnow)
