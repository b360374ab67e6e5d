"""English offensive language (alt-profanity-check: TF-IDF + linear SVM, calibrated).

Model card
----------
- What: probability that an English text is offensive or profane. A generic, weak signal;
  the gendered-abuse detectors (``gbv.*``) are the ones the code of conduct relies on.
- How: ``alt-profanity-check`` 1.9.1 (MIT), trained by its authors on ~200k English
  comments; bag of words, so it sees insults, not intent.
- Limits: English only (other languages score near 0); misses implicit abuse; flags
  reclaimed or quoted slurs. Never act on it alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from detectors.base import Detector
from pantau.errors import DetectorUnavailable
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = ["OffensiveTextDetector"]

MAX_CHARS = 20_000


class OffensiveTextDetector(Detector):
    """Scores English offensive language."""

    name = "text.offensive"
    version = "1.9.1"
    family = Family.GBV
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})

    def load(self) -> None:
        """Import the model (loaded by the package on import)."""
        try:
            from profanity_check import predict_prob
        except ImportError as exc:  # pragma: no cover - core dependency
            raise DetectorUnavailable("text.offensive needs alt-profanity-check: pip install pantau") from exc
        self._predict = predict_prob

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """Score every item with text, in one call."""
        texts = [e.text[:MAX_CHARS] for e in batch]
        indices = [i for i, t in enumerate(texts) if t.strip()]
        results: list[list[Signal]] = [[] for _ in batch]
        if not indices:
            return results
        probs = self._predict([texts[i] for i in indices])
        for i, p in zip(indices, probs, strict=True):
            label = "offensive" if p >= 0.5 else "not-offensive"
            results[i] = [self.signal(batch[i], float(p), label, f"offensive-language probability {p:.2f}")]
        return results
