"""Hashed character n-gram features: the lexical half of the gendered-abuse classifier.

Character 2-5-grams inside word boundaries, hashed into :data:`N_FEATURES` buckets (so there
is no vocabulary to ship), sub-linear term frequency, an IDF vector learnt in training, L2
norm. They catch spellings, slurs and code-mixed words the encoder blurs, in any script.
Training (``bench/train_gbv.py``) and inference both build features here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from detectors.gbv.normalise import clean_text, squeeze_repeats

__all__ = ["N_FEATURES", "char_features", "lexical_input"]

N_FEATURES = 2**16
LEXICAL_MAX_CHARS = 1_000


def lexical_input(text: str) -> str:
    """Return the form the n-grams are read from: cleaned, lower case, repeats squeezed, bounded."""
    return squeeze_repeats(clean_text(text, limit=LEXICAL_MAX_CHARS).lower())


def _vectoriser() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        lowercase=False,
        preprocessor=lexical_input,
        dtype=np.float32,
    )


def char_features(texts: Sequence[str], idf: np.ndarray | None = None) -> Any:
    """Return a sparse ``(n, N_FEATURES)`` matrix of TF-IDF weighted hashed n-grams (rows L2-normalised).

    :param texts: raw texts.
    :param idf: per-bucket IDF weights from training; ``None`` returns raw counts (to fit the IDF).
    """
    from sklearn.preprocessing import normalize

    counts = _vectoriser().transform(list(texts))
    if idf is None:
        return counts
    counts.data = np.log1p(counts.data)
    weighted = counts.multiply(idf.astype(np.float32)).tocsr()
    return normalize(weighted, norm="l2", copy=False)
