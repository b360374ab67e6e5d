"""Train and evaluate the check-worthiness head (``disinfo.checkworthy``), per domain.

Usage::

    .venv/bin/python bench/eval_checkworthy.py           # dev figures of the shipped weights, per domain
    .venv/bin/python bench/eval_checkworthy.py --train   # fit, write weights/checkworthy_e5.json, print sha256

Data and vectors: ``bench/checkworthy_data.py`` (CheckThat! 2022 1A English; Indonesian
turnbackhoax.id hoaxes as positives and news comments as negatives; vectors cached outside
the repo, the first run encodes ~3,500 texts, ~2 minutes on one core).

Training (C and calibration out of fold; the threshold on out-of-fold and English dev scores):

1. logistic regression (class-balanced; Indonesian rows weighted ``ID_WEIGHT``), C: the
   smallest of ``C_GRID`` whose out-of-fold ROC AUC on the English train tweets (5 folds, seed
   ``SEED``) is within ``AUC_TOLERANCE`` of the best;
2. Platt scaling fitted on the English out-of-fold scores;
3. the threshold that maximises the mean of two F1 curves of the check-worthy class, English
   out of fold and English dev (smoothed over +-0.02), is moved to 0.5 (the intercept absorbs it), so the detector's
   0.5 is the decision. The English dev figure is therefore not fully held out; the Indonesian
   dev set is (nothing is chosen on it).

Every step is deterministic (lbfgs, fixed folds, vectors encoded one text at a time on one
thread, weights rounded and written as sorted JSON): re-running ``--train`` gives the same
file, whose SHA-256 is pinned in ``detectors/disinfo/checkworthy.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from checkworthy_data import SEED, embed_texts, load_domains  # noqa: E402

from detectors.disinfo.checkworthy import DEFAULT_WEIGHTS, PINNED_SHA256, CheckworthyModel  # noqa: E402

C_GRID = (0.3, 1.0, 3.0, 10.0)
ID_WEIGHT = 0.5
"""Weight of an Indonesian row: the English tweets stay the main signal (the held-out check is English)."""
SIGNIFICANT = 8
AUC_TOLERANCE = 0.0025


def figures(y: np.ndarray, p: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """F1, precision and recall of the positive class at ``threshold``, and ROC AUC."""
    from sklearn.metrics import roc_auc_score

    pred = p >= threshold
    tp = int((pred & (y == 1)).sum())
    precision = tp / max(1, int(pred.sum()))
    recall = tp / max(1, int(y.sum()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")
    return {"F1_positive": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4),
            "ROC_AUC": round(auc, 4), "items": len(y), "positives": int(y.sum())}


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float):  # noqa: ANN202 - sklearn model
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y, sample_weight=w)


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT}g}")


def train(out: Path, indonesian: bool = True) -> dict[str, object]:
    """Fit the head as the module docstring says; write ``out``; return the training report."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    domains = load_domains(indonesian)
    xs, ys, ws, english = [], [], [], []
    for n, d in enumerate(domains):
        xs.append(embed_texts(d.train_x))
        ys.append(np.asarray(d.train_y))
        ws.append(np.full(len(d.train_y), 1.0 if n == 0 else ID_WEIGHT))
        english.append(np.full(len(d.train_y), n == 0))
    x, y, w, is_en = np.vstack(xs), np.concatenate(ys), np.concatenate(ws), np.concatenate(english)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, y * 2 + is_en))
    tried = []
    for c in C_GRID:
        oof = np.zeros(len(y))
        for fit_rows, held in folds:
            oof[held] = _fit(x[fit_rows], y[fit_rows], w[fit_rows], c).decision_function(x[held])
        auc = float(roc_auc_score(y[is_en], oof[is_en]))
        print(f"C={c}: out-of-fold ROC AUC (English) {auc:.4f}", file=sys.stderr)
        tried.append((auc, c, oof))
    # The most regularised C within AUC_TOLERANCE of the best (differences below it are noise).
    top = max(auc for auc, _, _ in tried)
    auc, c, oof = next(t for t in tried if t[0] >= top - AUC_TOLERANCE)
    model = _fit(x, y, w, c)
    platt = LogisticRegression(C=1e4, max_iter=5000).fit(oof[is_en].reshape(-1, 1), y[is_en])
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    calibrated = 1.0 / (1.0 + np.exp(-(a * oof + b)))
    dev_x, dev_y = embed_texts(domains[0].dev_x), np.asarray(domains[0].dev_y)
    dev_p = 1.0 / (1.0 + np.exp(-(a * model.decision_function(dev_x) + b)))
    grid = np.round(np.arange(0.10, 0.701, 0.01), 2)
    curves = np.array([[figures(y[is_en], calibrated[is_en], float(t))["F1_positive"],
                        figures(dev_y, dev_p, float(t))["F1_positive"]] for t in grid])
    # Out of fold the train tweets are harder than dev (AUC ~0.85 vs ~0.90) and want a lower
    # threshold; the mean of both F1 curves picks one that holds on both.
    # Both curves are step functions (dev has 44 positives): smooth the mean over +-0.02 first.
    smooth = np.convolve(np.pad(curves.mean(axis=1), 2, mode="edge"), np.ones(5) / 5, mode="valid")
    threshold = float(grid[int(np.argmax(smooth))])
    for t, (f_oof, f_dev) in zip(grid, curves, strict=True):
        if abs(t - threshold) < 0.105 and round(t * 100) % 2 == 0:
            print(f"  threshold {t:.2f}: F1 out of fold {f_oof:.4f}, dev {f_dev:.4f}", file=sys.stderr)
    shift = float(np.log(threshold / (1.0 - threshold)))
    weights = {
        "coef": [_round(v) for v in (model.coef_[0] * a).tolist()],
        "intercept": _round(float(model.intercept_[0]) * a + b - shift),
        "meta": {
            "encoder": "multilingual-e5-small, ONNX int8 (detectors.e5_onnx), query: prefix",
            "trained_on": [d.name for d in domains],
            "rows": {"english": int(is_en.sum()), "indonesian": int((~is_en).sum()), "positives": int(y.sum())},
            "indonesian_weight": ID_WEIGHT,
            "C": c,
            "seed": SEED,
            "platt": [_round(a), _round(b)],
            "threshold_moved_to_0.5": threshold,
            "oof_english": figures(y[is_en], calibrated[is_en], threshold),
            "oof_indonesian": figures(y[~is_en], calibrated[~is_en], threshold) if (~is_en).any() else None,
        },
    }
    out.write_text(json.dumps(weights, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    same = "matches" if digest == PINNED_SHA256 else "differs from"
    print(f"wrote {out}: C={c}, threshold {threshold} -> 0.5; sha256 {digest} ({same} the pinned one)",
          file=sys.stderr)
    return weights


def evaluate(path: Path, indonesian: bool = True) -> dict[str, object]:
    """Per-domain dev figures at 0.5, and the head's speed on cached vectors."""
    model = CheckworthyModel.load(path, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    report: dict[str, object] = {"weights": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
                                 "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    for d in load_domains(indonesian):
        vectors = embed_texts(d.dev_x)
        began = time.perf_counter()
        p = model.predict_vectors(vectors)
        report[f"dev {d.name}"] = {**figures(np.asarray(d.dev_y), p),
                                   "head_texts_per_second": round(len(p) / max(time.perf_counter() - began, 1e-9))}
    probe = ["Unemployment rose to 12 percent", "Good morning everyone, have a lovely day!"]
    report["probes"] = dict(zip(probe, [round(float(s), 3) for s in model.predict_vectors(embed_texts(probe))],
                                strict=True))
    report["out_of_fold (training)"] = {k: model.meta.get(k) for k in ("oof_english", "oof_indonesian")}
    return report


def main() -> None:
    """Train and/or evaluate; print a JSON report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", action="store_true", help="Fit and write the weights first.")
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--english-only", action="store_true", help="Leave the Indonesian data out.")
    args = parser.parse_args()
    if args.train:
        train(args.weights, indonesian=not args.english_only)
    print(json.dumps(evaluate(args.weights, indonesian=not args.english_only), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
