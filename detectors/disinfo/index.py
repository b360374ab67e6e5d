"""Search structures of the claim matcher: BM25 over words, and a vector index over embeddings.

- :class:`LexicalIndex`: ``bm25s`` (MIT) over lower-cased word tokens in any script, with
  a small stop-word list for English, Malay and Indonesian. Scores every claim for a query
  (a sparse dot product), which stays cheap at a million claims.
- :class:`VectorIndex`: ``faiss`` (MIT) inner product over L2-normalised vectors. Exact
  (``IndexFlatIP``) up to :data:`EXACT_LIMIT` claims, where brute force is both exact and fast;
  an inverted-file index (``IndexIVFFlat``, ``nprobe`` lists searched) above, whose search cost
  grows with ``n / nlist * nprobe`` rather than ``n`` (see ``bench/bench_claims.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from detectors.disinfo.text import tokenize
from pantau.errors import DetectorUnavailable

__all__ = ["EXACT_LIMIT", "STOPWORDS", "LexicalIndex", "VectorIndex", "lexical_tokens"]

log = logging.getLogger(__name__)

EXACT_LIMIT = 200_000
"""Up to this many claims the vector index is exact (a 200k x 384 matrix product is ~10 ms)."""

STOPWORDS = frozenset(
    # English
    "the a an of to in and or is are was were be been being for on at by with from that this these those "
    "it its as not no but has have had will would can could do does did i you he she we they his her their "
    "our my your "
    "me him them us rt amp via just so if then than there here what which who whom how when where all any "
    # Malay / Indonesian
    "yang dan di ke dari ini itu untuk dengan pada adalah akan ada tidak tak bagi oleh juga atau kita kami "
    "saya anda dia mereka sudah telah dalam para pun lah kah nya ia se sebagai karena kerana bahwa bahawa "
    "jika kalau tersebut".split()
)


def lexical_tokens(text: str) -> list[str]:
    """Tokens BM25 reads: lower-cased words, stop words dropped, one-letter tokens dropped."""
    return [t for t in tokenize(text) if t not in STOPWORDS and len(t) > 1]


class LexicalIndex:
    """BM25 (Lucene variant) over claim texts."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._bm25: object | None = None
        self.size = 0

    def build(self, texts: Sequence[str]) -> None:
        """Index ``texts`` (position = claim number)."""
        try:
            import bm25s
        except ImportError as exc:
            raise DetectorUnavailable("claim matching needs bm25s: pip install 'pantau[disinfo]'") from exc
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
        self.size = len(texts)
        if not texts:
            self._bm25 = None
            return
        bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        tokens = [lexical_tokens(t) or ["∅"] for t in texts]
        bm25.index(tokens, show_progress=False)
        self._bm25 = bm25
        self.size = len(texts)

    def scores(self, text: str) -> np.ndarray:
        """BM25 score of every indexed claim for one query (zeros when no query word is known)."""
        if self._bm25 is None:
            return np.zeros(0, dtype=np.float32)
        tokens = lexical_tokens(text)
        vocab = self._bm25.vocab_dict  # type: ignore[attr-defined]
        tokens = [t for t in tokens if t in vocab]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)  # type: ignore[attr-defined]


class VectorIndex:
    """Top-k inner-product search over L2-normalised vectors (faiss)."""

    def __init__(self, kind: str = "auto", nprobe: int = 16, nlist: int | None = None) -> None:
        self.kind = kind
        self.nprobe = nprobe
        self.nlist = nlist
        self._index: object | None = None
        self.size = 0
        self.dim = 0

    def build(self, vectors: np.ndarray) -> None:
        """Index ``vectors`` (rows = claims, float32, L2-normalised)."""
        try:
            import faiss
        except ImportError as exc:
            raise DetectorUnavailable(
                "claim matching needs faiss-cpu: pip install 'pantau[disinfo]'"
            ) from exc
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        kind = self.kind
        if kind == "auto":
            kind = "flat" if n <= EXACT_LIMIT else "ivf"
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif kind == "ivf":
            nlist = self.nlist or max(1, min(4096, int(4 * np.sqrt(n))))
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(n, size=min(n, nlist * 40), replace=False)]
            index.train(sample)
            index.nprobe = self.nprobe
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 128
        else:
            raise ValueError(f"unknown vector index kind {kind!r} (auto, flat, ivf, hnsw)")
        if n:
            index.add(vectors)
        self._index = index
        self.kind = kind
        self.size = n
        self.dim = dim
        log.info("vector index: %s, %d vectors", kind, n)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (similarities, claim numbers) of the top ``k`` per query; -1 pads missing hits."""
        if self._index is None or self.size == 0:
            shape = (len(queries), k)
            return np.full(shape, -1.0, dtype=np.float32), np.full(shape, -1, dtype=np.int64)
        k = min(k, self.size)
        sims, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)  # type: ignore[attr-defined]
        return sims, ids
