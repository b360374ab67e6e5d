"""Who may see what: roles to store scopes, redaction of victims' data, intimate media withheld.

Every dashboard read goes through the store with :func:`scope_for` (the store filters, so no
page can forget to). What a journalist sees is further passed through :func:`redact_incident`,
which removes victims' personal data from every text the incident carries:

- phone numbers, e-mail addresses, identity numbers (national ids, passport-like codes),
  street addresses;
- names of targeted private persons: the registry's people whose role is ``other`` and the
  names detectors list in ``Signal.details["private_names"]`` (detectors that find victims
  should put them there);
- handles of victims: in a gender-based-violence incident every handle other than the
  poster's, elsewhere handles that are not official or affiliated party accounts.

Intimate media are never shown to anyone (:func:`intimate_media`): a signal whose
``details["intimate"]`` is true, or a gender-based-violence signal whose label says intimate,
withholds the file it points to (or every file of the item when it points to none).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pantau.schemas import Family, Incident, IncidentStatus, Signal
from pantau.stores.base import Scope

if TYPE_CHECKING:
    from pantau.auth import User
    from pantau.registry import Registry

__all__ = [
    "REDACTED",
    "can_decide",
    "can_rate_claims",
    "intimate_media",
    "is_intimate",
    "redact_incident",
    "redact_text",
    "scope_for",
]

REDACTED = "[redacted]"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    # Malaysian MyKad (900101-14-5678), Indonesian NIK (16 digits), and other long id numbers.
    ("id", re.compile(r"\b\d{6}-\d{2}-\d{4}\b")),
    ("id", re.compile(r"\b\d{12,16}\b")),
    ("id", re.compile(r"\b[A-Z]{1,2}\d{7,9}\b")),
    # Phone numbers: +60 12-345 6789, 012-3456789, (021) 555 1234, 0812 3456 7890.
    (
        "phone",
        re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?\d{1,4}|\(?0\d{1,4}\)?)[\s.-]?\d{3,4}[\s.-]?\d{3,5}\b"),
    ),
    # Street addresses: a street word, a name and usually a number.
    (
        "address",
        re.compile(
            r"\b(?:No\.?\s*\d+[A-Za-z]?,?\s*)?(?:Jalan|Jln\.?|Jl\.|Lorong|Lrg\.?|Gang|Taman|Persiaran|Lebuh|"
            r"Street|St\.|Road|Rd\.|Avenue|Ave\.|Lane)\s+[A-Z0-9][\w'-]*(?:[ \t]+[A-Z0-9][\w'-]*){0,3}"
            r"(?:,?\s*(?:No\.?\s*)?\d+[A-Za-z]?\b)?",
        ),
    ),
    ("postcode", re.compile(r"\b\d{5}\s+[A-Z][a-z]+")),
]
_HANDLE = re.compile(r"(?<![\w@])@[\w.]{2,}\w")


def scope_for(user: User) -> Scope:
    """Return the store scope of a user's role.

    >>> from pantau.auth import User
    >>> scope_for(User(username="j", role="journalist")).redact
    True
    """
    if user.role == "commission":
        return Scope.everything()
    # The fact-check queue holds posts nobody has ruled on yet: saying in public, or to the party,
    # that a post is "being checked" would prejudge it. Only the commission and fact-checkers see it.
    if user.role == "fact_checker":
        return Scope(statuses=frozenset(), redact=True)  # the queue, and no incident at all
    if user.role == "party_officer":
        return Scope(parties=frozenset({user.party}) if user.party else frozenset(), claim_checks=False)
    # Journalists see findings that stand: confirmed, and upheld on appeal.
    return Scope(
        statuses=frozenset({IncidentStatus.CONFIRMED, IncidentStatus.UPHELD}), redact=True, claim_checks=False
    )


def can_rate_claims(user: User) -> bool:
    """The commission and fact-checkers give verdicts in the fact-check queue."""
    return user.role in ("commission", "fact_checker")


def can_decide(user: User) -> bool:
    """Only the commission confirms, dismisses and escalates incidents."""
    return user.role == "commission"


def is_intimate(signal: Signal) -> bool:
    """Return whether a signal marks intimate (sexual) content."""
    if signal.details.get("intimate") is True:
        return True
    return signal.family == Family.GBV and "intimate" in signal.label.lower() and signal.score >= 0.5


def intimate_media(incident: Incident) -> set[str]:
    """Return the SHA-256 of every media file of the incident that must never be shown."""
    withheld: set[str] = set()
    for signal in incident.signals:
        if not is_intimate(signal):
            continue
        if signal.media_sha256:
            withheld.add(signal.media_sha256)
        else:
            withheld.update(m.sha256 or m.path or m.url or "" for m in incident.item.media)
    return withheld


def redact_text(text: str, names: Iterable[str] = (), handles: Iterable[str] = ()) -> str:
    """Replace personal data in ``text`` with ``[redacted]``.

    >>> redact_text("Call Rina at +60 12-345 6789 or rina@mail.example", names=["Rina"])
    'Call [redacted] at [redacted] or [redacted]'
    """
    if not text:
        return text
    for _, pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    for handle in sorted({h for h in handles if h}, key=len, reverse=True):
        bare = handle.lstrip("@")
        text = re.sub(rf"(?<![\w.])@?{re.escape(bare)}(?![\w])", REDACTED, text, flags=re.IGNORECASE)
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", REDACTED, text, flags=re.IGNORECASE)
    return text


def _private_names(incident: Incident, registry: Registry | None) -> set[str]:
    names: set[str] = set()
    for signal in incident.signals:
        listed = signal.details.get("private_names") or []
        if isinstance(listed, list):
            names.update(str(n) for n in listed)
    if registry is not None:
        for person in registry.people:
            if person.role == "other":
                names.update(person.names())
    for face in incident.faces:
        if face.person_name and (registry is None or (registry.person(face.person_id) or None) is None):
            names.add(face.person_name)
    return names


def _victim_handles(incident: Incident, registry: Registry | None) -> set[str]:
    poster = (incident.item.account or "").lstrip("@").lower()
    text = " ".join([incident.item.text, incident.item.title or "", *(p.text for p in incident.text_parts)])
    handles = {h.lstrip("@") for h in [*incident.item.mentions, *_HANDLE.findall(text)]}
    if incident.item.reply_to:
        handles.add(incident.item.reply_to.lstrip("@"))
    handles.discard(poster)
    if incident.family == Family.GBV or registry is None:
        return handles
    public = set()
    for handle in handles:
        account = registry.account(None, handle)
        if account is not None and account.kind in ("official", "affiliated"):
            public.add(handle)
    return handles - public


def redact_incident(incident: Incident, registry: Registry | None = None) -> Incident:
    """Return a copy of the incident with victims' personal data redacted and intimate media withheld.

    The poster (the account that published the item) is not redacted: it is the party or
    person the incident is about. The post's URL, native id and media URLs are dropped.
    """
    names = _private_names(incident, registry)
    handles = _victim_handles(incident, registry)

    def red(value: str | None) -> str | None:
        return redact_text(value, names, handles) if value else value

    withheld = intimate_media(incident)
    media = [
        m.model_copy(update={"path": None, "url": None, "meta": {**m.meta, "withheld": "intimate"}})
        if (m.sha256 or m.path or m.url or "") in withheld
        else m
        for m in incident.item.media
    ]
    # Media URLs, the post's URL and its native id lead back to the post (a doxxing post shows
    # the victim's data); what a journalist sees and exports carries none of them.
    media = [m.model_copy(update={"url": None}) for m in media]
    item = incident.item.model_copy(
        update={
            "url": None,
            "native_id": REDACTED,
            "text": red(incident.item.text) or "",
            "title": red(incident.item.title),
            "mentions": [REDACTED for _ in incident.item.mentions],
            "reply_to": REDACTED if incident.item.reply_to else None,
            "media": media,
            "extra": {},
        }
    )
    signals = [
        s.model_copy(update={"evidence": red(s.evidence) or "", "details": _safe_details(s.details)})
        for s in incident.signals
    ]
    parts = [p.model_copy(update={"text": red(p.text) or ""}) for p in incident.text_parts]
    faces = [
        f.model_copy(update={"person_name": REDACTED if f.person_name in names else f.person_name})
        for f in incident.faces
    ]
    return incident.model_copy(update={"item": item, "signals": signals, "text_parts": parts, "faces": faces})


_SAFE_DETAIL_KEYS = {"intimate", "model", "threshold", "labels", "language", "claim_id", "verdict", "c2pa"}


_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")


def _safe_details(details: dict[str, Any]) -> dict[str, Any]:
    """Keep only detail keys known to hold no personal data.

    Besides those, a score breakdown stays when it is only that: ``signals`` as names to numbers
    and ``drivers`` as labels (the verification panel's bar chart); anything else in them drops it.

    >>> _safe_details({"signals": {"learned": 0.9}, "drivers": ["forensic"], "provenance": {"signer": "x"}})
    {'signals': {'learned': 0.9}, 'drivers': ['forensic']}
    >>> _safe_details({"signals": {"learned": "Rina"}, "drivers": ["Rina Kusuma"]})
    {}
    """
    safe = {k: v for k, v in details.items() if k in _SAFE_DETAIL_KEYS}
    scores = details.get("signals")
    if isinstance(scores, dict) and scores and all(
        isinstance(k, str) and _SLUG.match(k) and isinstance(v, int | float) and not isinstance(v, bool)
        for k, v in scores.items()
    ):
        safe["signals"] = dict(scores)
    drivers = details.get("drivers")
    if isinstance(drivers, list) and drivers and all(isinstance(d, str) and _SLUG.match(d) for d in drivers):
        safe["drivers"] = list(drivers)
    return safe
