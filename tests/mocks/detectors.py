"""Small fake plug-ins for tests (Presidio keeps its fakes in tests/mocks/ too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from detectors.base import Detector, Enricher
from pantau.schemas import EnrichedItem, Family, Modality, Signal, TextPart


class KeywordDetector(Detector):
    """Scores 1.0 when the text contains a keyword ('bad' by default)."""

    name = "test.keyword"
    version = "1"
    family = Family.GBV
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})

    def __init__(self, keyword: str = "bad", name: str | None = None) -> None:
        super().__init__()
        self.keyword = keyword
        if name:
            self.name = name  # type: ignore[misc]

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        return [[self.signal(e, 1.0 if self.keyword in e.text else 0.0, "hit")] for e in batch]


class ExplodingDetector(Detector):
    """Raises on items whose text contains 'boom' (to test dead letters)."""

    name = "test.exploding"
    version = "1"
    family = Family.META
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        if any("boom" in e.text for e in batch):
            raise RuntimeError("detector exploded")
        return [[] for _ in batch]


class UpperEnricher(Enricher):
    """Adds an OCR-like text part with the caption in upper case."""

    name = "test.upper"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})

    def enrich(self, batch: Sequence[EnrichedItem]) -> None:
        for e in batch:
            e.enrichment.text_parts.append(TextPart(origin="ocr", text=e.item.text.upper()))
            e.enrichment.done.append(self.name)
