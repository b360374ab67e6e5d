"""``disinfo.checkworthy``: is this post a factual claim worth a fact-checker's time?

Surfaces political claims that match no fact-check yet, so that fact-checkers can rank what
to check next. The model is a logistic regression over TF-IDF-weighted hashed character
n-grams (2-5 within words, 2^18 buckets), trained on CheckThat! 2022 Task 1A English
(``bench/eval_checkworthy.py --train``); weights ship as ``weights/checkworthy.npz`` (idf,
coefficients, threshold), so inference needs only scikit-learn's stateless hashing.

Signal: ``score`` = probability the text is check-worthy; ``label`` ``check-worthy`` at or above
the threshold picked on dev (stored with the weights), else ``not-check-worthy``;
``details``: ``threshold``, ``model``. English-trained: Malay and Indonesian texts share the
script and many n-grams (numbers, names, "%", "juta") but score lower; see the model card.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.disinfo.text import clean_text
from pantau.errors import DetectorUnavailable
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = ["CheckworthyDetector", "CheckworthyModel", "DEFAULT_WEIGHTS"]

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "checkworthy.npz"
N_FEATURES = 2**18
MAX_CHARS = 2_000


def make_vectorizer():  # noqa: ANN201 - sklearn type, imported lazily
    """The stateless hashing vectorizer the weights were trained with."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        lowercase=True,
    )


class CheckworthyModel:
    """TF-IDF over hashed character n-grams, then a logistic regression."""

    def __init__(self, idf: np.ndarray, coef: np.ndarray, intercept: float, threshold: float) -> None:
        self.idf = idf.astype(np.float32)
        self.coef = coef.astype(np.float32)
        self.intercept = float(intercept)
        self.threshold = float(threshold)
        self._vectorizer = make_vectorizer()

    @classmethod
    def load(cls, path: Path = DEFAULT_WEIGHTS) -> CheckworthyModel:
        """Read weights; raise :class:`DetectorUnavailable` naming the fix when absent or broken."""
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(data["idf"], data["coef"], float(data["intercept"]), float(data["threshold"]))
        except (OSError, KeyError, ValueError) as exc:
            raise DetectorUnavailable(
                f"check-worthiness weights unreadable at {path}: {exc}; "
                "rebuild with bench/eval_checkworthy.py --train"
            ) from exc

    def features(self, texts: Sequence[str]):  # noqa: ANN201 - scipy sparse matrix
        """L2-normalised TF-IDF rows (sublinear tf) of cleaned texts."""
        from sklearn.preprocessing import normalize

        counts = self._vectorizer.transform([clean_text(t, MAX_CHARS) for t in texts]).astype(np.float32)
        counts.data = 1.0 + np.log(counts.data)
        return normalize(counts.multiply(self.idf).tocsr())

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Probability that each text is check-worthy."""
        if not texts:
            return np.zeros(0)
        z = self.features(texts) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64).ravel()))


class CheckworthyOptions(BaseModel):
    """Options of ``disinfo.checkworthy``."""

    model_config = ConfigDict(extra="forbid")

    weights: str | None = Field(None, description="Weights file (.npz); default the shipped one.")
    threshold: float | None = Field(
        None, ge=0, le=1, description="Label threshold; default the one tuned on dev."
    )


class CheckworthyDetector(Detector):
    """Scores how check-worthy a text is (CheckThat! 2022 1A model)."""

    name = "disinfo.checkworthy"
    version = "0.1.0"
    family = Family.DISINFO
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})
    Options = CheckworthyOptions

    def load(self) -> None:
        """Read the weights."""
        options: CheckworthyOptions = self.options  # type: ignore[assignment]
        self.model = CheckworthyModel.load(Path(options.weights) if options.weights else DEFAULT_WEIGHTS)
        self.threshold = options.threshold if options.threshold is not None else self.model.threshold

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per item with text."""
        texts = self.texts(batch)
        live = [i for i, t in enumerate(texts) if clean_text(t)]
        results: list[list[Signal]] = [[] for _ in batch]
        if not live:
            return results
        probs = self.model.predict([texts[i] for i in live])
        for i, p in zip(live, probs, strict=True):
            worthy = p >= self.threshold
            label = "check-worthy" if worthy else "not-check-worthy"
            evidence = f"check-worthiness {p:.2f} (threshold {self.threshold:.2f})" if worthy else ""
            details = {
                "threshold": self.threshold,
                "model": "char-ngram tf-idf + logistic regression, CheckThat! 2022 1A",
            }
            results[i] = [self.signal(batch[i], float(p), label, evidence, details)]
        return results
