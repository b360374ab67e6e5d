"""``gbv.lexicon``: gendered slurs and sexualised terms in en, ms, id, tl, vi and th, explained.

The lexicons (``detectors/gbv/lexicons/<lang>.tsv``, sources in the README beside them) list
a term, a category (``slur``, ``sexualised``, ``sexual_violence``, ``sexist_phrase``,
``profanity``), a weight in [0, 1], a gloss, and optionally ``lang`` when the term is an
ordinary word in another language (Tagalog ``puke`` is English "puke") and counts only when
the text is in the lexicon's language.

Matching reads :func:`~detectors.gbv.normalise.fold_for_matching`, so ``5lut``, ``s l u t``,
``sluuuut``, ``ѕlut`` (Cyrillic s) and ``s\\u200blut`` all match ``slut``. Vietnamese entries
keep their tone marks (``đĩ`` is a slur, ``đi`` means "go"); Thai entries match anywhere,
because Thai is written without spaces between words.

Score: noisy-OR of the weights of the distinct terms found (two weak terms add up, one
strong term is enough). Signal label: the category of the heaviest term, or ``none``.
Evidence masks the terms (``s**t``); ``details.matches`` keeps them for reviewers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector, signals_per_text
from detectors.gbv.normalise import fold_for_matching
from pantau.errors import DetectorUnavailable
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = [
    "LEXICON_DIR",
    "GbvLexiconDetector",
    "Lexicon",
    "LexiconEntry",
    "LexiconMatch",
    "item_languages",
    "load_lexicon",
]

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
LANGUAGES = ("en", "ms", "id", "tl", "vi", "th")
CATEGORIES = ("slur", "sexualised", "sexual_violence", "sexist_phrase", "profanity")
_NO_SPACE_SCRIPTS = re.compile(
    r"[\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff]"
)  # Thai, Lao, Burmese, Khmer


@dataclass(frozen=True)
class LexiconEntry:
    """One term of a lexicon."""

    term: str
    lang: str
    category: str
    weight: float
    gloss: str
    own_language_only: bool = False


@dataclass(frozen=True)
class LexiconMatch:
    """A lexicon term found in a text."""

    entry: LexiconEntry

    @property
    def masked(self) -> str:
        """The term with inner letters starred (``slut`` -> ``s**t``), for evidence strings."""
        words = self.entry.term.split()
        return " ".join(w if len(w) <= 2 else w[0] + "*" * (len(w) - 2) + w[-1] for w in words)


def _pattern(entry: LexiconEntry, folded_term: str) -> re.Pattern[str]:
    if _NO_SPACE_SCRIPTS.search(folded_term):
        return re.compile(re.escape(folded_term))
    # Each letter may repeat (the text keeps at most two of a run), words may be glued or
    # joined by - _ . ; English terms may take a plural.
    parts = []
    for word in folded_term.split():
        parts.append("".join(re.escape(c) + "+" if c.isalpha() else re.escape(c) for c in word))
    body = r"[\s\-_.]*".join(parts)
    suffix = r"(?:e?s|z|t?y)?" if entry.lang == "en" else ""
    return re.compile(rf"(?<!\w){body}{suffix}(?!\w)")


class Lexicon:
    """Compiled lexicon entries of several languages."""

    def __init__(self, entries: Sequence[LexiconEntry]) -> None:
        self.entries = list(entries)
        self._compiled: list[tuple[LexiconEntry, re.Pattern[str], bool]] = []
        for entry in self.entries:
            keep_accents = entry.lang == "vi"
            folded = fold_for_matching(entry.term, keep_accents=keep_accents)
            if folded:
                self._compiled.append((entry, _pattern(entry, folded), keep_accents))

    def find(self, text: str, languages: Sequence[str] = ()) -> list[LexiconMatch]:
        """Return the distinct entries found in ``text``.

        :param text: raw text.
        :param languages: languages of the text (for terms that count only in their own language).
        """
        if not text:
            return []
        plain = fold_for_matching(text)
        accented = fold_for_matching(text, keep_accents=True)
        found: dict[str, LexiconMatch] = {}
        for entry, pattern, keep_accents in self._compiled:
            if entry.own_language_only and entry.lang not in languages:
                continue
            if entry.term in found:  # the same word in two lexicons (ms and id) counts once
                continue
            if pattern.search(accented if keep_accents else plain):
                found[entry.term] = LexiconMatch(entry)
        return list(found.values())


def _read_tsv(path: Path, lang: str) -> list[LexiconEntry]:
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 4 or cols[1] not in CATEGORIES:
            raise DetectorUnavailable(f"{path}:{number}: expected term, category, weight, gloss[, lang]")
        try:
            weight = float(cols[2])
        except ValueError as exc:
            raise DetectorUnavailable(f"{path}:{number}: weight {cols[2]!r} is not a number") from exc
        own = len(cols) > 4 and cols[4].strip() == "lang"
        entries.append(LexiconEntry(cols[0].strip(), lang, cols[1], weight, cols[3].strip(), own))
    return entries


def load_lexicon(folder: Path = LEXICON_DIR, languages: Sequence[str] = LANGUAGES) -> Lexicon:
    """Load and compile the lexicons of ``languages`` from ``folder``."""
    entries: list[LexiconEntry] = []
    for lang in languages:
        path = folder / f"{lang}.tsv"
        if not path.exists():
            raise DetectorUnavailable(f"gbv.lexicon: lexicon file {path} is missing")
        entries += _read_tsv(path, lang)
    return Lexicon(entries)


def item_languages(enriched: EnrichedItem) -> list[str]:
    """Languages of an item: those the language enricher found, else the declared one."""
    langs = list(enriched.enrichment.languages)
    if enriched.item.language and enriched.item.language not in langs:
        langs.append(enriched.item.language)
    return langs


class GbvLexiconDetector(Detector):
    """Finds gendered slurs and sexualised terms and says which."""

    class Options(BaseModel):
        """Options of ``gbv.lexicon``."""

        model_config = ConfigDict(extra="forbid")
        languages: list[str] = Field(default_factory=lambda: list(LANGUAGES), description="Lexicons to load.")
        folder: Path | None = Field(None, description="Folder of extra or replacement <lang>.tsv files.")

    name = "gbv.lexicon"
    version = "1.0.0"
    family = Family.GBV
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})
    needs: ClassVar[tuple[str, ...]] = ("text.language",)

    def load(self) -> None:
        """Compile the lexicons."""
        opts: Any = self.options
        self.lexicon = load_lexicon(opts.folder or LEXICON_DIR, opts.languages)

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """Return one ``gbv.lexicon`` signal per item with text."""
        self.ensure_loaded()
        return signals_per_text(
            batch, lambda item, text: self._signal(item, self.lexicon.find(text, item_languages(item)))
        )

    def _signal(self, enriched: EnrichedItem, matches: list[LexiconMatch]) -> Signal:
        if not matches:
            return self.signal(enriched, 0.0, "none", "no lexicon term")
        miss = 1.0
        for m in matches:
            miss *= 1.0 - m.entry.weight
        top = max(matches, key=lambda m: m.entry.weight)
        evidence = "; ".join(f"{m.masked} ({m.entry.lang}, {m.entry.category})" for m in matches[:5])
        details = {
            "matches": [
                {
                    "term": m.entry.term,
                    "lang": m.entry.lang,
                    "category": m.entry.category,
                    "weight": m.entry.weight,
                    "gloss": m.entry.gloss,
                }
                for m in matches
            ],
            "categories": sorted({m.entry.category for m in matches}),
        }
        return self.signal(
            enriched, min(0.99, 1.0 - miss), top.entry.category, f"lexicon: {evidence}", details
        )
