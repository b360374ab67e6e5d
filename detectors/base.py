"""The two plug-in contracts: :class:`Enricher` (extracts) and :class:`Detector` (judges).

Modelled on Presidio's ``EntityRecognizer``: each class declares what it reads and what it
produces, loads its assets in :meth:`load` (called once by the registry, never in
``__init__``), and works on *batches* so that models can batch.

Example Snippet::

    class ShoutingDetector(Detector):
        name = "demo.shouting"
        version = "1.0"
        family = Family.META
        modalities = frozenset({Modality.TEXT})

        def detect(self, batch):
            return [[self.signal(e, score=float(e.text.isupper()), label="shouting")] for e in batch]
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from pantau.lru import LRU
from pantau.schemas import EnrichedItem, Family, Modality, Signal, digest

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = ["Detector", "Enricher", "NoOptions", "Plugin", "item_modalities", "signals_per_text"]


class NoOptions(BaseModel):
    """Options of a plug-in that takes none."""

    model_config = ConfigDict(extra="forbid")


def item_modalities(enriched: EnrichedItem) -> set[Modality]:
    """Return the modalities present in an item (text counts when any text, caption or extracted, exists)."""
    found: set[Modality] = set()
    if enriched.item.text.strip() or (enriched.item.title or "").strip() or enriched.enrichment.text_parts:
        found.add(Modality.TEXT)
    for media in enriched.item.media:
        if media.modality is not None:
            found.add(media.modality)
    return found


def signals_per_text(
    batch: Sequence[EnrichedItem], judge: Callable[[EnrichedItem, str], Signal]
) -> list[list[Signal]]:
    """``detect`` of a detector that reads text: ``judge(enriched, text)``'s signal for each item with text
    (caption, title, OCR, transcript), no signal for an item without."""
    results: list[list[Signal]] = []
    for enriched in batch:
        text = enriched.text
        results.append([judge(enriched, text)] if text.strip() else [])
    return results


R = TypeVar("R")

MEMO_ENTRIES = 10_000
"""Results a plug-in remembers by media digest (a few MiB: readings, hashes, face boxes)."""


class Plugin(ABC):
    """What enrichers and detectors share: a name, a version, options and a one-time load."""

    name: ClassVar[str]
    version: ClassVar[str] = "0.1.0"
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs: ClassVar[tuple[str, ...]] = ()
    """Names of the enrichers whose output this plug-in reads."""
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: dict[str, Any] | BaseModel | None = None) -> None:
        if isinstance(options, BaseModel):
            self.options = options
        else:
            self.options = self.Options(**(options or {}))
        self._loaded = False
        self.settings: Settings | None = None
        """Set by the registry before :meth:`load`; plug-ins read paths (data folder, registry) from it."""

    def load(self) -> None:  # noqa: B027 - optional hook
        """Load models or assets. Raise :class:`~pantau.errors.DetectorUnavailable` with a fix if missing."""

    def ensure_loaded(self) -> None:
        """Call :meth:`load` once (its duration goes to the ``pantau_model_load_seconds`` metric)."""
        if not self._loaded:
            from pantau.metrics import MODEL_LOAD_SECONDS

            start = time.perf_counter()
            self.load()
            MODEL_LOAD_SECONDS.labels(self.name).set(time.perf_counter() - start)
            self._loaded = True

    @property
    def loaded(self) -> bool:
        """Whether :meth:`load` has run."""
        return self._loaded

    def memo(self, key: Hashable | None, compute: Callable[[], R]) -> R:
        """``compute()``, remembered under ``key`` (e.g. a file's SHA-256 and frame time) in a bounded LRU.

        Share cascades post the same image or clip thousands of times; a media enricher reads each
        file once. ``key=None`` or ``dedupe`` off in the settings (the naive benchmark) computes
        every time. The key must hold everything the result depends on besides the plug-in's options.
        """
        if key is None or not getattr(self.settings, "dedupe", True):
            return compute()
        cache: LRU[Hashable, Any] = self.__dict__.setdefault("_memo", LRU(MEMO_ENTRIES))
        return cache.get_or_compute(key, compute)  # type: ignore[no-any-return]

    def applies_to(self, enriched: EnrichedItem) -> bool:
        """Return whether this plug-in has anything to read in the item."""
        return bool(self.modalities & item_modalities(enriched)) if self.modalities else True

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Return name, version, modalities and needs, for ``pantau detectors``."""
        return {
            "name": cls.name,
            "version": cls.version,
            "modalities": sorted(m.value for m in cls.modalities),
            "needs": list(cls.needs),
        }


class Enricher(Plugin):
    """Extracts something from items (text by OCR, a transcript, languages, faces, hashes).

    :meth:`enrich` fills ``enriched.enrichment`` in place for each item of the batch and
    appends its name to ``enrichment.done``. It may raise for the whole batch; the runner then
    retries item by item and dead-letters only the items that still fail.
    """

    @abstractmethod
    def enrich(self, batch: Sequence[EnrichedItem]) -> None:
        """Add this enricher's fields to each item's enrichment."""


class Detector(Plugin):
    """Scores items for one harm and returns :class:`~pantau.schemas.Signal` objects.

    :meth:`detect` returns one list of signals per input item, in input order (an empty list
    when nothing applies). Scores are probability-like in [0, 1]; thresholds live in the code
    of conduct, not here.
    """

    family: ClassVar[Family]

    @abstractmethod
    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """Return the signals of each item, aligned with ``batch``."""

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Return name, version, family, modalities and needs."""
        return {**super().describe(), "family": cls.family.value}

    def signal(
        self,
        enriched: EnrichedItem,
        score: float,
        label: str,
        evidence: str = "",
        details: dict[str, Any] | None = None,
        media_sha256: str | None = None,
    ) -> Signal:
        """Build a signal of this detector for one item (score clipped to [0, 1])."""
        return Signal(
            item_id=enriched.item.id,
            detector=self.name,
            version=self.version,
            family=self.family,
            score=min(1.0, max(0.0, float(score))),
            label=label,
            evidence=evidence,
            details=details or {},
            media_sha256=media_sha256,
        )

    def cache_key(self, enriched: EnrichedItem) -> str | None:
        """Return a key such that items with equal keys get equal signals, or ``None`` to never cache.

        The pipeline scores one item per key and copies its signals to the others (share
        cascades repeat the same text and media thousands of times). The default covers what
        detectors usually read: all text, media hashes, labels, mentions, reply-to, language.
        Override it when a detector reads anything else of the item.
        """
        item = enriched.item
        if any(m.sha256 is None for m in item.media):
            return None
        return digest(
            self.name, self.version, enriched.text, "|".join(m.sha256 or "" for m in item.media),
            "|".join(item.labels), "|".join(item.mentions), item.reply_to or "", item.language or "",
            item.platform or "", str(item.paid), item.sponsor or "",
        )

    @staticmethod
    def texts(batch: Iterable[EnrichedItem]) -> list[str]:
        """Return the full text (caption, title, OCR, transcript) of each item."""
        return [e.text for e in batch]
