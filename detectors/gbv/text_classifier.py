"""``gbv.text``: gendered abuse (sexist, misogynist or gender-targeted) and abuse, with the EDOS category.

Signal (rules read ``signals["gbv.text"]``):

- ``score``: English and unlabelled languages: P(sexist or gender-targeted abuse), generic
  abuse counting only when the abuse head is very sure; the region's languages (Tagalog,
  Vietnamese, Malay, Indonesian, Thai: route ``asean``), where abuse labels exist:
  P(abusive), the sexism head counting only when very sure (see
  :mod:`detectors.gbv.text_model`). Calibrated per language group: **0.5** is the decision
  point; the model code of conduct uses 0.75 for precision.
- ``label``: ``sexist/<category>`` (``threats``, ``derogation``, ``animosity``,
  ``prejudiced``), ``abusive`` (abuse head), or ``not-sexist``.
- ``details``: ``sexism`` (P(gendered abuse), 0.5 decision, in every language), ``abuse``
  (P(abusive language, any target), 0.5 decision), ``threat`` (the threat head), ``category``,
  ``categories`` (EDOS Task B probabilities), ``route`` (``en``, ``asean``, ``other``),
  ``group`` (calibration group: ``en``, ``tl``, ``vi``, ``ms-id``, ``th``, ``other``),
  ``encoder`` (whether the multilingual encoder was used).

Model card: ``detectors/gbv/MODEL_CARD.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.gbv.lexicon import item_languages
from detectors.gbv.text_model import DEFAULT_WEIGHTS, GbvTextModel, TextScores, model_for
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = ["GbvTextDetector", "text_label"]


def text_label(scores: TextScores) -> str:
    """Return the ``gbv.text`` label of a text's scores."""
    if scores.sexism >= 0.5:
        return f"sexist/{scores.category}"
    if scores.score >= 0.5:
        return "abusive"
    return "not-sexist"


def text_details(scores: TextScores, encoder: bool) -> dict[str, Any]:
    """Return the ``details`` of a ``gbv.text`` signal."""
    return {
        "sexism": round(scores.sexism, 4),
        "abuse": round(scores.abuse, 4),
        "category": scores.category,
        "categories": scores.categories,
        "threat": round(scores.threat, 4),
        "route": scores.route,
        "group": scores.group,
        "encoder": encoder,
    }


class GbvTextDetector(Detector):
    """Scores sexist and misogynist abuse in any text of an item (caption, OCR, transcript)."""

    class Options(BaseModel):
        """Options of ``gbv.text``."""

        model_config = ConfigDict(extra="forbid")
        weights: Path = Field(DEFAULT_WEIGHTS, description="Weights file written by bench/train_gbv.py.")
        use_encoder: bool = Field(
            True,
            description="Blend in multilingual-e5-small (better, ~5 texts/s on 2 cores); "
            "false: character n-grams only (hundreds of texts/s, weaker outside English).",
        )

    name = "gbv.text"
    version = "2.0.0"
    family = Family.GBV
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})
    needs: ClassVar[tuple[str, ...]] = ("text.language",)

    def load(self) -> None:
        """Load the shared text model (weights and encoder)."""
        opts: Any = self.options
        self.model: GbvTextModel = model_for(self.settings, Path(opts.weights), bool(opts.use_encoder))

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """Score every item with text in one batch."""
        self.ensure_loaded()
        results: list[list[Signal]] = [[] for _ in batch]
        idx = [i for i, e in enumerate(batch) if e.text.strip()]
        if not idx:
            return results
        scores = self.model.predict([batch[i].text for i in idx], [item_languages(batch[i]) for i in idx])
        encoder = self.model.encoder is not None
        for i, s in zip(idx, scores, strict=True):
            label = text_label(s)
            evidence = f"sexism {s.sexism:.2f}, abuse {s.abuse:.2f}"
            if s.sexism >= 0.5:
                evidence += f", EDOS category {s.category} ({s.categories[s.category]:.2f})"
            results[i] = [self.signal(batch[i], s.score, label, evidence, text_details(s, encoder))]
        return results
