"""A deterministic, instant stand-in for the sentence encoder (hashed bag of words)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from detectors.disinfo.embedding import Role
from detectors.disinfo.text import tokenize


class HashingEncoder:
    """Maps each word to a fixed random direction; a text is the normalised sum. Counts calls."""

    key = "test-hashing"
    dim = 64

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        self.encoded += list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in tokenize(text):
                out[i] += self._word(word)
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out
