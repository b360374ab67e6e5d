"""``gbv.targeting``: is a registered woman candidate or official the target of a post?

Name matching against the registry (``settings.registry_file``; :mod:`pantau.registry`), not
a learned model. A person is targeted when the post

- replies to one of her accounts (``reply``, score 1.0) or mentions one of her handles
  (``handle``, 1.0);
- names her by her full name (``name``, 0.9), a registered variant or nickname (``variant``,
  0.8), or an honorific with one of her names (``honorific``, 0.85: "Bu Ratna", "Ibu
  Wulandari", "Puan Aminah", "Datuk Seri Aminah", "Ate Maria", "Senator Santos");
- names her by her first name alone (``first-name``, 0.7), written as a name (capitalised
  or in capitals, as OCR and transcripts give it), when no other registered person has that
  first name (0.5 when several do: each is listed);
- refers back with a pronoun (she, her, dia, beliau, siya, bà, เธอ) to a woman it names:
  ``details.people[].pronoun`` is true (the post is about her, not only mentioning her).

The text read is the item's whole text (caption, OCR of images, speech transcripts). Her own
posts do not target her.

Signal: ``score`` (the strongest way a registered woman is addressed; 0 when none is),
``label`` ``targets-woman`` / ``targets-person`` (only others) / ``no-target``;
``details``: ``targets`` (registry ids of the women targeted), ``people`` (everyone
registered who is addressed, with ``gender``, ``role``, ``how``, ``matched`` (the words
that named them) and ``pronoun``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from detectors.base import Detector
from detectors.gbv.normalise import clean_text
from pantau.errors import ConfigError, DetectorUnavailable
from pantau.registry import Person, Registry, load_registry
from pantau.schemas import EnrichedItem, Family, Modality, Signal

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = ["GbvTargetingDetector", "Target", "find_targets", "registry_from_settings"]

WOMEN_ROLES = frozenset({"candidate", "official", "commissioner"})
HOW_SCORES = {"reply": 1.0, "handle": 1.0, "name": 0.9, "honorific": 0.85, "variant": 0.8,
              "first-name": 0.7, "first-name-shared": 0.5}
HONORIFICS = (
    "bu", "ibu", "mbak", "kak", "kakak", "puan", "cik", "datuk", "datuk seri", "dato", "dato'", "dato seri",
    "datin", "datin seri", "tan sri", "puan sri", "toh puan", "yb", "hajah", "hjh", "dr", "ate", "aling",
    "senator", "sen.", "rep.", "congresswoman", "mayor", "gov.", "governor", "madam", "mrs", "mrs.", "ms",
    "ms.", "miss", "commissioner", "minister", "menteri", "bà", "chị", "cô", "khun",
)
"""Titles and kinship terms put before a woman's name in the region (lower case, accents kept)."""
_NAME_PARTICLES = frozenset({"binti", "bin", "bt", "bte", "a/p", "ap", "de", "del", "dela", "la", "van"})
_PRONOUNS = re.compile(
    r"(?<!\w)(?:she|her|hers|herself|dia|beliau|siya|niya|bà ấy|cô ấy|chị ấy|เธอ|หล่อน)(?!\w)", re.IGNORECASE
)


def registry_from_settings(settings: Settings | None) -> Registry:
    """Load the registry named in ``settings`` (an empty one without settings)."""
    path = getattr(settings, "registry_file", None) if settings is not None else None
    try:
        return load_registry(path)
    except ConfigError as exc:
        raise DetectorUnavailable(f"gbv detectors need a readable registry: {exc}") from exc


class Target:
    """A registered person addressed by a post, and how."""

    def __init__(self, person: Person, how: str, matched: str = "") -> None:
        self.person = person
        self.how = how
        self.matched = matched
        self.pronoun = False

    @property
    def score(self) -> float:
        """How surely the post is aimed at her or him."""
        return HOW_SCORES[self.how]

    @property
    def is_woman_in_politics(self) -> bool:
        """Whether the person is a registered woman candidate, official or commissioner."""
        return self.person.gender == "female" and self.person.role in WOMEN_ROLES

    def as_dict(self) -> dict[str, Any]:
        """Return id, name, gender, role, how, the words matched and whether a pronoun refers to her."""
        p = self.person
        return {"id": p.id, "name": p.name, "gender": p.gender, "role": p.role, "how": self.how,
                "matched": self.matched, "pronoun": self.pronoun}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _name_regex(name: str) -> str:
    return re.escape(_fold(name)).replace(r"\ ", r"\s+")


def _search(text_folded: str, name: str) -> re.Match[str] | None:
    return re.search(rf"(?<!\w){_name_regex(name)}(?!\w)", text_folded)


def _name_tokens(person: Person) -> list[str]:
    """The words of her registered name and variants that can follow an honorific."""
    words: list[str] = []
    for name in person.names():
        for w in name.replace(".", " ").split():
            if len(w) >= 3 and w.lower() not in _NAME_PARTICLES and w.lower() not in HONORIFICS:
                words.append(w)
    return list(dict.fromkeys(words))


def _first_name(person: Person) -> str:
    words = [w for w in person.name.split() if w.lower() not in HONORIFICS]
    return words[0] if words and len(words) > 1 and len(words[0]) >= 3 else ""


class _NameIndex:
    """Per-registry look-ups: people by the words that follow an honorific, and by first name."""

    def __init__(self, registry: Registry) -> None:
        self.by_word: dict[str, list[Person]] = {}
        self.by_first: dict[str, list[Person]] = {}
        for person in registry.people:
            for word in _name_tokens(person):
                self.by_word.setdefault(_fold(word), []).append(person)
            first = _first_name(person)
            if first:
                self.by_first.setdefault(_fold(first), []).append(person)
        titles = "|".join(sorted((_name_regex(h) for h in HONORIFICS), key=len, reverse=True))
        self.titled = re.compile(rf"(?<!\w)(?:{titles})\.?\s+(\w+)")


_INDEXES: dict[int, tuple[Registry, _NameIndex]] = {}


def _index(registry: Registry) -> _NameIndex:
    hit = _INDEXES.get(id(registry))
    if hit is None or hit[0] is not registry:
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        hit = (registry, _NameIndex(registry))
        _INDEXES[id(registry)] = hit
    return hit[1]


def find_targets(
    registry: Registry,
    text: str,
    mentions: Sequence[str] = (),
    reply_to: str | None = None,
    platform: str | None = None,
    author: str | None = None,
) -> list[Target]:
    """Return the registered people a post addresses (excluding its author), strongest way first."""
    author_acc = registry.account(platform, author) if author else None
    author_id = author_acc.person if author_acc else None
    found: dict[str, Target] = {}

    def add(person: Person | None, how: str, matched: str) -> None:
        if person is None or person.id == author_id:
            return
        if person.id not in found or HOW_SCORES[how] > found[person.id].score:
            found[person.id] = Target(person, how, matched)

    if reply_to:
        acc = registry.account(platform, reply_to)
        if acc and acc.person:
            add(registry.person(acc.person), "reply", reply_to)
    clean = clean_text(text, limit=20_000)
    handles = [*mentions, *re.findall(r"@[\w.]+", text[:20_000])]
    for handle in handles:
        acc = registry.account(platform, handle)
        if acc and acc.person:
            add(registry.person(acc.person), "handle", handle)
    folded = _fold(clean)
    for person in registry.people_mentioned(clean):
        full = _search(folded, person.name)
        if full:
            add(person, "name", full.group(0))
            continue
        variant = next((m for v in person.variants if (m := _search(folded, v))), None)
        add(person, "variant", variant.group(0) if variant else "")
    index = _index(registry)
    for m in index.titled.finditer(folded):
        for person in index.by_word.get(m.group(1), []):
            add(person, "honorific", m.group(0))
    # First names alone: only words written as names (capitalised or in capitals).
    capitalised = {_fold(w): w for w in reversed(re.findall(r"\w+", clean)) if w[0].isupper()}
    for first, people in index.by_first.items():
        if first in capitalised:
            for person in people:
                add(person, "first-name" if len(people) == 1 else "first-name-shared", capitalised[first])
    for target in found.values():
        target.pronoun = target.how not in ("reply", "handle") and bool(_PRONOUNS.search(clean))
    return sorted(found.values(), key=lambda t: -t.score)


class GbvTargetingDetector(Detector):
    """Says which registered women in politics a post addresses."""

    name = "gbv.targeting"
    version = "1.1.0"
    family = Family.GBV
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})

    def load(self) -> None:
        """Load the registry from settings."""
        self.registry = registry_from_settings(self.settings)

    def applies_to(self, enriched: EnrichedItem) -> bool:
        """Apply to items with text, mentions or a reply-to account."""
        item = enriched.item
        return bool(item.mentions or item.reply_to) or super().applies_to(enriched)

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """Return one ``gbv.targeting`` signal per item."""
        self.ensure_loaded()
        results: list[list[Signal]] = []
        for enriched in batch:
            item = enriched.item
            targets = find_targets(
                self.registry, enriched.text, item.mentions, item.reply_to, item.platform, item.account
            )
            women = [t for t in targets if t.is_woman_in_politics]
            score = max((t.score for t in women), default=0.0)
            label = "targets-woman" if women else ("targets-person" if targets else "no-target")
            evidence = (
                "; ".join(f"{t.person.name} ({t.how}: {t.matched!r})" for t in women)
                or (
                    "registered people addressed: " + ", ".join(t.person.name for t in targets)
                    if targets
                    else ""
                )
                or "no registered person addressed"
            )
            details = {"targets": [t.person.id for t in women], "people": [t.as_dict() for t in targets]}
            results.append([self.signal(enriched, score, label, evidence, details)])
        return results
