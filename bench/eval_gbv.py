"""Evaluate ``gbv.text`` (and the threat head) per source and language on the dev rows.

Usage (from the repository root; reads ``../shared/data/gbv``)::

    OMP_NUM_THREADS=1 nice .venv/bin/python bench/eval_gbv.py                # shipped weights, dev rows
    OMP_NUM_THREADS=1 nice .venv/bin/python bench/eval_gbv.py --no-encoder   # character n-grams only
    OMP_NUM_THREADS=2 nice .venv/bin/python bench/eval_gbv.py --speed 512    # and throughput

Reports, at the shipped threshold 0.5 (every head is calibrated so; no tuning on these rows),
for each source's dev rows (see ``bench/gbv_data.py``): macro-F1 and ROC AUC of the
``gbv.text`` score and of the head that source labels (``sexism``, ``abuse``, ``threat``).
The language of each text is detected as ``pantau score`` does (never taken from the
source), so routing errors count. Encoder vectors come from the per-source cache that
``bench/train_gbv.py`` builds with the same ONNX int8 engine (``--live`` embeds again).
``sghatecheck`` (Singapore Malay HateCheck) and the ``hatecheck`` rows are diagnostics:
the sexism and abuse heads never trained on them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gbv_data import corpus_vectors, load_corpus  # noqa: E402

from detectors.gbv.encoder import encoder_input  # noqa: E402
from detectors.gbv.text_model import DEFAULT_WEIGHTS, GbvTextModel, TextScores  # noqa: E402
from detectors.gbv.threat import find_threats  # noqa: E402

HEAD_OF = {"edos": "sexism", "reddit": "sexism", "mlthsc": "sexism"}
"""The head each source is scored on (``abuse`` for the rest; MLTHSC: gender among hate)."""


class VectorLookup:
    """An encoder stand-in that returns precomputed vectors by encoder input."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        self.index = {encoder_input(t): v for t, v in zip(texts, vectors, strict=True)}

    def query(self, inputs: list[str]) -> np.ndarray:
        """Vectors of already-prepared encoder inputs."""
        return np.stack([self.index[t] for t in inputs])


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score, roc_auc_score

    out = {"macro_f1": round(float(f1_score(y, p >= 0.5, average="macro", zero_division=0)), 4),
           "f1": round(float(f1_score(y, p >= 0.5, zero_division=0)), 4)}
    if 0 < y.mean() < 1:
        out["auc"] = round(float(roc_auc_score(y, p)), 4)
    return out


def score_rows(model: GbvTextModel, rows: pd.DataFrame) -> list[TextScores]:
    """Score ``rows`` in batches (languages detected from the text, as at inference)."""
    texts = rows.text.tolist()
    return [s for i in range(0, len(texts), 512) for s in model.predict(texts[i : i + 512])]


def source_report(name: str, rows: pd.DataFrame, scores: list[TextScores]) -> dict[str, Any]:
    """Figures of one source's rows."""
    out: dict[str, Any] = {"n": len(rows)}
    score = np.array([s.score for s in scores])
    groups = pd.Series([s.group for s in scores]).value_counts(normalize=True).round(3)
    out["groups"] = groups.to_dict()
    for head in ("sexism", "abuse", "threat"):
        y = rows[head].to_numpy()
        known = y >= 0
        if known.sum() < 20 or not 0 < y[known].mean() < 1 and head != "abuse":
            continue
        p = np.array([getattr(s, head) for s in scores])
        if head == "threat":
            pattern = np.array([max((q.weight for q in find_threats(t)), default=0.0) for t in rows.text])
            out["threat (gbv.threat)"] = _metrics(y[known], np.maximum(p, pattern)[known])
        out[f"{head} head"] = _metrics(y[known], p[known])
        if head != "threat":
            out[f"{head}: gbv.text score"] = _metrics(y[known], score[known])
    if name == "edos":
        from sklearn.metrics import f1_score

        gold = rows.category.to_numpy() >= 0
        cats = ["threats", "derogation", "animosity", "prejudiced"]
        pred = np.array([cats.index(s.category) for s in scores])
        out["task_b_macro_f1"] = round(float(f1_score(rows.category.to_numpy()[gold], pred[gold], average="macro")), 4)
    return out


def evaluate_arrays(
    arrays: dict, corpus: pd.DataFrame, vectors: np.ndarray, only: str | None = None,
    whole_source: bool = False, use_encoder: bool = True,
) -> dict[str, Any]:
    """Figures per source of a model given as weight arrays (dev rows, or all of ``only``'s rows)."""
    mask = corpus.dev.to_numpy() if not whole_source else np.ones(len(corpus), dtype=bool)
    if only:
        mask &= (corpus.source == only).to_numpy()
    rows = corpus[mask]
    encoder = VectorLookup(rows.text.tolist(), vectors[mask]) if use_encoder else None
    model = GbvTextModel(arrays, encoder)
    out: dict[str, Any] = {}
    for name, part in rows.groupby("source", sort=False):
        out[str(name)] = source_report(str(name), part, score_rows(model, part))
        print(name, json.dumps(out[str(name)]), flush=True)
    return out


def speed(n: int, threads: int) -> dict[str, float]:
    """Texts per second of a fresh model on ``n`` distinct dev texts (encoder on and off)."""
    from detectors.text_embedding import configure

    configure("onnx", threads)
    corpus = load_corpus()
    texts = [f"{t} #{i}" for i, t in enumerate(corpus[corpus.dev].sample(n, random_state=7).text)]
    out = {}
    for use_encoder in (True, False):
        model = GbvTextModel.load(DEFAULT_WEIGHTS, use_encoder=use_encoder)
        model.set_cache_size(0)
        model.predict(["warm up"])
        t0 = time.monotonic()
        for start in range(0, len(texts), 256):
            model.predict(texts[start : start + 256])
        out["encoder" if use_encoder else "char_only"] = round(len(texts) / (time.monotonic() - t0), 1)
    return out


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--no-encoder", action="store_true", help="character n-grams only")
    parser.add_argument("--source", default=None, help="one source only")
    parser.add_argument("--speed", type=int, default=0, help="texts for the throughput measurement (0: skip)")
    parser.add_argument("--threads", type=int, default=2, help="encoder threads for --speed")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    if args.speed:
        result["texts_per_second"] = speed(args.speed, args.threads)
    else:
        corpus = load_corpus()
        model = GbvTextModel.load(args.weights, use_encoder=False)
        result = evaluate_arrays(model.arrays, corpus, corpus_vectors(corpus), only=args.source,
                                 use_encoder=not args.no_encoder)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
