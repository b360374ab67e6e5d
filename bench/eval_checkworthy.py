"""Evaluate (and train) the check-worthiness model on CheckThat! 2022 Task 1A English.

Usage::

    .venv/bin/python bench/eval_checkworthy.py           # F1 of the positive class on dev, shipped weights
    .venv/bin/python bench/eval_checkworthy.py --train   # fit on train, pick C and threshold on dev, write weights

Reads ``../shared/data/disinfo/checkthat22_1a_en`` (never copied into the repo). The model
selection on dev makes the dev figure optimistic; the held-out test set is kept elsewhere.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detectors.disinfo.checkworthy import DEFAULT_WEIGHTS, CheckworthyModel, make_vectorizer  # noqa: E402
from detectors.disinfo.text import clean_text  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "disinfo" / "checkthat22_1a_en"


def read_split(path: Path) -> tuple[list[str], np.ndarray]:
    """Tweets and 0/1 labels of one split."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["tweet_text"] for r in rows], np.array([int(r["class_label"]) for r in rows])


def _f1(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    tp = int(((pred == 1) & (y == 1)).sum())
    precision = tp / max(1, int(pred.sum()))
    recall = tp / max(1, int(y.sum()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall


def train(texts: list[str], y: np.ndarray, dev_texts: list[str], dev_y: np.ndarray, out: Path) -> None:
    """Fit TF-IDF idf and the logistic regression; pick C and the threshold on dev; save ``.npz``."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    counts = make_vectorizer().transform([clean_text(t) for t in texts])
    tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
    idf = tfidf.idf_.astype(np.float32)
    best = None
    for c in (0.1, 0.3, 1.0, 3.0):
        probe = CheckworthyModel(idf, np.zeros(len(idf)), 0.0, 0.5)
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(probe.features(texts), y)
        probe = CheckworthyModel(idf, model.coef_[0], float(model.intercept_[0]), 0.5)
        p = probe.predict(dev_texts)
        for threshold in np.arange(0.3, 0.71, 0.05):
            f1 = _f1(dev_y, (p >= threshold).astype(int))[0]
            if best is None or f1 > best[0] + 1e-9:
                best = (f1, c, float(threshold), model)
        print(f"C={c}: dev F1@0.5 {_f1(dev_y, (p >= 0.5).astype(int))[0]:.4f}", file=sys.stderr)
    assert best is not None  # noqa: S101
    f1, c, threshold, model = best
    # Platt scaling on out-of-fold train scores: class weighting squeezes raw probabilities
    # around 0.5, and rules read the score as a probability.
    from sklearn.model_selection import cross_val_predict

    features = CheckworthyModel(idf, np.zeros(len(idf)), 0.0, 0.5).features(texts)
    oof = cross_val_predict(
        LogisticRegression(C=c, max_iter=3000, class_weight="balanced"),
        features,
        y,
        cv=5,
        method="decision_function",
    )
    platt = LogisticRegression(C=100.0).fit(oof.reshape(-1, 1), y)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    coef = model.coef_[0] * a
    intercept = float(model.intercept_[0]) * a + b
    calibrated = CheckworthyModel(idf, coef, intercept, 0.5)
    p = calibrated.predict(dev_texts)
    threshold, f1 = max(
        ((float(t), _f1(dev_y, (p >= t).astype(int))[0]) for t in np.arange(0.1, 0.71, 0.025)),
        key=lambda pair: pair[1],
    )
    np.savez_compressed(
        out,
        idf=idf.astype(np.float16),
        coef=coef.astype(np.float32),
        intercept=np.float32(intercept),
        threshold=np.float32(threshold),
    )
    print(
        f"wrote {out}: C={c}, Platt a={a:.2f} b={b:.2f}, threshold={threshold:.3f}, dev F1 {f1:.4f}",
        file=sys.stderr,
    )


def main() -> None:
    """Train and/or evaluate; print a JSON report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"CheckThat! 1A data not found at {args.data}")
    train_x, train_y = read_split(args.data / "CT22_english_1A_checkworthy_train.tsv")
    dev_x, dev_y = read_split(args.data / "CT22_english_1A_checkworthy_dev.tsv")
    if args.train:
        train(train_x, train_y, dev_x, dev_y, args.weights)
    model = CheckworthyModel.load(args.weights)
    began = time.perf_counter()
    p = model.predict(dev_x)
    elapsed = time.perf_counter() - began
    f1, precision, recall = _f1(dev_y, (p >= model.threshold).astype(int))
    f1_half = _f1(dev_y, (p >= 0.5).astype(int))[0]
    print(
        json.dumps(
            {
                "split": "dev",
                "items": len(dev_y),
                "positives": int(dev_y.sum()),
                "threshold": round(model.threshold, 2),
                "F1_positive": round(f1, 4),
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "F1_positive_at_0.5": round(f1_half, 4),
                "texts_per_second": round(len(dev_x) / elapsed, 1),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
