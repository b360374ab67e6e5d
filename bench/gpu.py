"""One command for a lent GPU: the image and text encoders on CUDA and on the CPU, side by side.

Usage (on the device machine, after ``make setup`` and ``pip install onnxruntime-gpu``)::

    .venv/bin/python bench/gpu.py                      # both encoders, both devices
    .venv/bin/python bench/gpu.py --images 2048 --batch 128 --cpu-images 64

For each encoder and each execution provider that ONNX Runtime offers here, prints one JSON
line: items per second after a warm-up batch, the batch size, and the provider ONNX Runtime
actually used (a CUDA request that fell back to the CPU says so). The image encoder is the CLIP
ViT-B/16 tower with the class-token outputs the trained synthetic head reads
(:class:`detectors.synthetic.clip_features.ClipLayers`); the text encoder is the int8
multilingual-e5-small graph (:class:`detectors.e5_onnx.OnnxE5`). Inputs are random pixels and
the synthetic text workload, so the figures are throughput only. Goals (issue 20): >= 1,000
images/s and >= 20,000 texts/s on one H100.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

__all__ = ["main"]


def _cpu_flags() -> str:
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return platform.processor()
    wanted = ("avx2", "avx512f", "avx512_vnni", "amx_tile", "amx_int8")
    return " ".join(f for f in wanted if f" {f}" in flags)


def bench_images(provider: str, n: int, batch: int, threads: int) -> dict:
    """Images per second through the CLIP tower on one provider."""
    from detectors.synthetic.clip_features import ClipLayers

    clip = ClipLayers(threads=threads, providers=[provider, "CPUExecutionProvider"])
    views = list(np.random.default_rng(0).integers(0, 255, (min(n, 256), 224, 224, 3), dtype=np.uint8))
    views = (views * (n // len(views) + 1))[:n]
    clip.encode(views[:batch], batch=batch)
    start = time.perf_counter()
    clip.encode(views, batch=batch)
    seconds = time.perf_counter() - start
    return {"encoder": "clip-vit-b16-int8", "asked": provider, "used": clip.providers[0], "items": n,
            "batch": batch, "items_per_s": round(n / seconds, 1)}


def bench_texts(provider: str, n: int, batch: int, threads: int) -> dict:
    """Texts per second through the e5 graph on one provider."""
    from bench.workload import write_workload
    from detectors.e5_onnx import OnnxE5

    with tempfile.TemporaryDirectory() as tmp:
        feed = write_workload(Path(tmp), kind="text", n_items=min(n, 4000), duplicate_rate=0.0)
        texts = [json.loads(line)["text"] for line in feed.read_text().splitlines()]
    texts = (texts * (n // len(texts) + 1))[:n]
    try:
        engine = OnnxE5(threads=threads, batch_size=batch, providers=[provider, "CPUExecutionProvider"])
    except TypeError:  # an engine without a providers argument runs on the CPU only
        engine = OnnxE5(threads=threads, batch_size=batch)
        provider_used = "CPUExecutionProvider"
    else:
        provider_used = engine.providers[0] if hasattr(engine, "providers") else provider
    engine.encode(texts[:batch], True)
    start = time.perf_counter()
    engine.encode(texts, True)
    seconds = time.perf_counter() - start
    return {"encoder": "multilingual-e5-small-int8", "asked": provider, "used": provider_used, "items": n,
            "batch": batch, "items_per_s": round(n / seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    """Run every encoder on every provider and print one JSON line each."""
    import onnxruntime as ort

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=2048, help="images on a GPU")
    parser.add_argument("--cpu-images", type=int, default=64)
    parser.add_argument("--texts", type=int, default=40000, help="texts on a GPU")
    parser.add_argument("--cpu-texts", type=int, default=640)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--only", choices=("images", "texts"), default=None)
    args = parser.parse_args(argv)
    available = ort.get_available_providers()
    print(json.dumps({"onnxruntime": ort.__version__, "providers": available, "cpu": _cpu_flags(),
                      "cores": os.cpu_count()}), flush=True)
    for provider in [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]:
        gpu = provider != "CPUExecutionProvider"
        batch = args.batch if gpu else 16
        if args.only in (None, "images"):
            print(json.dumps(bench_images(provider, args.images if gpu else args.cpu_images, batch, args.threads)),
                  flush=True)
        if args.only in (None, "texts"):
            print(json.dumps(bench_texts(provider, args.texts if gpu else args.cpu_texts, max(batch, 32),
                                         args.threads)), flush=True)
    if "CUDAExecutionProvider" not in available:
        print(json.dumps({"note": "no CUDA provider here: pip install onnxruntime-gpu on the device machine"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
