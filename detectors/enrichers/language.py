"""Language identification of every text part (CLD2 via pycld2).

CLD2 tells Malay from Indonesian and covers Thai, Vietnamese, Tagalog, Tamil and Chinese,
runs in microseconds and needs no model file. Short texts (under ~20 characters) are often
"unknown"; the item's declared language (feed setting) is then kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from detectors.base import Enricher
from pantau.schemas import EnrichedItem, Modality

__all__ = ["LanguageEnricher", "detect_language"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def detect_language(text: str) -> str | None:
    """Return the ISO 639-1 code of ``text``'s main language, or ``None`` when unsure.

    >>> detect_language("Pilihan raya akan diadakan pada hari Ahad ini di seluruh negara")
    'ms'
    """
    import pycld2

    clean = _CONTROL.sub(" ", text)[:20_000]
    if len(clean.strip()) < 3:
        return None
    try:
        reliable, _, details = pycld2.detect(clean)
    except pycld2.error:
        return None
    code = details[0][1]
    if code in ("un", "xxx") or (not reliable and len(clean) < 20):
        return None
    return {"tl": "tl", "fil": "tl", "zh-Hant": "zh"}.get(code, code.split("-")[0])


class LanguageEnricher(Enricher):
    """Sets the language of the caption, of each extracted text part, and the item's languages."""

    name = "text.language"
    version = "1.0.0"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})

    def enrich(self, batch: Sequence[EnrichedItem]) -> None:
        """Detect languages in place."""
        for enriched in batch:
            found: list[str] = []
            caption = "\n".join(p for p in (enriched.item.title, enriched.item.text) if p)
            lang = detect_language(caption) if caption else None
            lang = lang or enriched.item.language
            if lang:
                found.append(lang)
            for part in enriched.enrichment.text_parts:
                if part.language is None:
                    part.language = detect_language(part.text)
                if part.language and part.language not in found:
                    found.append(part.language)
            enriched.enrichment.languages = found
            if enriched.item.language is None and found:
                enriched.item.language = found[0]
            enriched.enrichment.done.append(self.name)
