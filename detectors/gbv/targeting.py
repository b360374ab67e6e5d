"""``gbv.targeting``: is a registered woman candidate or official the target of a post?

Reads the registry (``settings.registry_file``; :mod:`codes.registry`). A person is targeted
when the post replies to one of her accounts (score 1.0), mentions one of her handles
(1.0), or names her by her full name (0.9) or a registered variant (0.8: variants such as a
first name alone are more ambiguous). Her own posts do not target her.

Signal: ``score`` (the strongest way a registered woman is addressed; 0 when none is),
``label`` ``targets-woman`` / ``targets-person`` (only others) / ``no-target``;
``details``: ``targets`` (registry ids of the women targeted), ``people`` (everyone
registered who is addressed, with ``gender``, ``role`` and ``how``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from codes.registry import Person, Registry, load_registry
from detectors.base import Detector
from detectors.gbv.normalise import clean_text
from pantau.errors import ConfigError, DetectorUnavailable
from pantau.schemas import EnrichedItem, Family, Modality, Signal

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = ["GbvTargetingDetector", "Target", "find_targets", "registry_from_settings"]

WOMEN_ROLES = frozenset({"candidate", "official", "commissioner"})
HOW_SCORES = {"reply": 1.0, "handle": 1.0, "name": 0.9, "variant": 0.8}


def registry_from_settings(settings: Settings | None) -> Registry:
    """Load the registry named in ``settings`` (an empty one without settings)."""
    path = getattr(settings, "registry_file", None) if settings is not None else None
    try:
        return load_registry(path)
    except ConfigError as exc:
        raise DetectorUnavailable(f"gbv detectors need a readable registry: {exc}") from exc


class Target:
    """A registered person addressed by a post, and how."""

    def __init__(self, person: Person, how: str) -> None:
        self.person = person
        self.how = how

    @property
    def score(self) -> float:
        """How surely the post is aimed at her or him."""
        return HOW_SCORES[self.how]

    @property
    def is_woman_in_politics(self) -> bool:
        """Whether the person is a registered woman candidate, official or commissioner."""
        return self.person.gender == "female" and self.person.role in WOMEN_ROLES

    def as_dict(self) -> dict[str, Any]:
        """Return id, name, gender, role and how."""
        p = self.person
        return {"id": p.id, "name": p.name, "gender": p.gender, "role": p.role, "how": self.how}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _named(text_folded: str, name: str) -> bool:
    pattern = re.escape(_fold(name)).replace(r"\ ", r"\s+")
    return re.search(rf"(?<!\w){pattern}(?!\w)", text_folded) is not None


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

    def add(person: Person | None, how: str) -> None:
        if person is None or person.id == author_id:
            return
        if person.id not in found or HOW_SCORES[how] > found[person.id].score:
            found[person.id] = Target(person, how)

    if reply_to:
        acc = registry.account(platform, reply_to)
        if acc and acc.person:
            add(registry.person(acc.person), "reply")
    clean = clean_text(text, limit=20_000)
    handles = [*mentions, *re.findall(r"@[\w.]+", text[:20_000])]
    for handle in handles:
        acc = registry.account(platform, handle)
        if acc and acc.person:
            add(registry.person(acc.person), "handle")
    for person in registry.people_mentioned(clean):
        folded = _fold(clean)
        add(person, "name" if _named(folded, person.name) else "variant")
    return sorted(found.values(), key=lambda t: -t.score)


class GbvTargetingDetector(Detector):
    """Says which registered women in politics a post addresses."""

    name = "gbv.targeting"
    version = "1.0.0"
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
                "; ".join(f"{t.person.name} ({t.how})" for t in women)
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
