"""Train the ``gbv.text`` heads and write ``detectors/gbv/weights/gbv_text.npz`` (one command, fixed seed).

Usage (from the repository root; reads ``../shared/data/gbv``)::

    OMP_NUM_THREADS=1 nice .venv/bin/python bench/train_gbv.py fit        # embed (cached) + fit + write
    OMP_NUM_THREADS=1 nice .venv/bin/python bench/train_gbv.py loso       # leave-one-source-out figures

``fit`` embeds every corpus row with the ONNX int8 engine the detector runs at inference
(cached per source under ``/tmp/pantau-gbv-onnx``, rebuilt when missing, ~13 min on one core),
then fits, for each binary head (``sexism``, ``abuse``, ``threat``), one logistic regression
on hashed character n-grams and encoder vectors side by side, with sample weights that give
each source a total weight proportional to the square root of its size. Calibration: per
language group (:data:`detectors.gbv.text_model.GROUPS`), a Platt scaling of the 3-fold
out-of-fold logits, with the macro-F1-optimal out-of-fold threshold folded into the bias, so
**0.5 is the decision point** of every head in every group; groups without labels for a head
use the head's pooled calibration. Which sources train which head, and how their labels map,
is :data:`gbv_data.SOURCES` and ``docs/gbv.md``. Everything is seeded: the same data give the
same weights (the file's sha256 is printed; pin it in ``detectors/gbv/weights/SHA256SUMS``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gbv_data import CATEGORIES, corpus_vectors, load_corpus  # noqa: E402

from detectors.gbv.features import N_FEATURES, char_features  # noqa: E402
from detectors.gbv.text_model import DEFAULT_WEIGHTS, GROUPS, language_group  # noqa: E402

FOLDS = 3
SEED = 0
E5_SCALE = 2.0
"""Encoder vectors (unit rows) are scaled by this next to the L2-normalised n-grams."""
HEADS: dict[str, tuple[str, ...]] = {
    "sexism": ("edos", "reddit", "mlthsc", "fil2016"),
    "abuse": ("fil2016", "vihsd", "mlthsc", "netifier", "idnews", "idig", "thai", "myning"),
    "threat": ("edos", "hatecheck", "threats_own", "reddit", "fil2016", "vihsd", "mlthsc", "netifier", "idnews",
               "idig", "thai", "myning"),
}
C = {"sexism": 2.0, "abuse": 2.0, "threat": 1.0}


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """Return the probability threshold that maximises macro-F1 of ``p`` against ``y``."""
    from sklearn.metrics import f1_score

    if len(set(y.tolist())) < 2:
        return 0.5
    grid = np.linspace(0.05, 0.95, 91)
    scores = [f1_score(y, p >= t, average="macro") for t in grid]
    return float(grid[int(np.argmax(scores))])


def source_weights(sources: pd.Series, base: pd.Series) -> np.ndarray:
    """Row weights: each source's total is proportional to sqrt(its rows) x its base weight; mean 1."""
    counts = sources.map(sources.value_counts())
    w = base.to_numpy() * np.sqrt(counts.to_numpy()) / counts.to_numpy()
    return w / w.mean()


def features(texts: list[str], vectors: np.ndarray, idf: np.ndarray):  # noqa: ANN201 - scipy sparse
    """Return the joint feature matrix: n-grams (L2 rows) beside scaled encoder vectors."""
    from scipy.sparse import csr_matrix, hstack

    return hstack([char_features(texts, idf), csr_matrix(vectors * E5_SCALE)]).tocsr()


def _lr(c: float):  # noqa: ANN202
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000, random_state=SEED)


def calibrate(z: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per-group (a, c) so that sigmoid(a z + c) is calibrated with its macro-F1 threshold at 0.5."""
    from sklearn.linear_model import LogisticRegression

    def fit_one(zz: np.ndarray, yy: np.ndarray) -> list[float]:
        platt = LogisticRegression(C=10.0).fit(zz[:, None], yy)
        a, c = float(platt.coef_[0][0]), float(platt.intercept_[0])
        t = best_threshold(yy, 1 / (1 + np.exp(-(a * zz + c))))
        return [a, c - float(np.log(t / (1 - t)))]

    pooled = fit_one(z, y)
    rows = []
    for g in GROUPS:
        m = groups == g
        ok = m.sum() >= 100 and 0 < y[m].mean() < 1 and min(y[m].sum(), (1 - y[m]).sum()) >= 20
        rows.append(fit_one(z[m], y[m]) if ok else pooled)
    return np.array(rows, dtype=np.float32)


def fit_head(name: str, rows: pd.DataFrame, x, idf: np.ndarray, oof: bool = True) -> dict:  # noqa: ANN001
    """Fit one binary head on ``rows`` (features ``x``); return its arrays."""
    from sklearn.model_selection import StratifiedKFold

    t0 = time.monotonic()
    y = rows[name].to_numpy()
    w = source_weights(rows.source, rows.weight)
    groups = np.array([language_group(t) for t in rows.text])  # detected, as at inference
    lr, char_lr = _lr(C[name]), _lr(C[name])  # both feature sets; n-grams alone (use_encoder: false)
    x_char = x[:, :N_FEATURES]
    z_oof = np.zeros(len(y))
    z_char_oof = np.zeros(len(y))
    if oof:
        strata = rows.source.astype(str) + y.astype(str)
        for tr, te in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(x, strata):
            z_oof[te] = _lr(C[name]).fit(x[tr], y[tr], sample_weight=w[tr]).decision_function(x[te])
            fold = _lr(C[name]).fit(x_char[tr], y[tr], sample_weight=w[tr])
            z_char_oof[te] = fold.decision_function(x_char[te])
    lr.fit(x, y, sample_weight=w)
    char_lr.fit(x_char, y, sample_weight=w)
    if not oof:  # leave-one-source-out runs: in-sample logits stand in (calibration only)
        z_oof, z_char_oof = lr.decision_function(x), char_lr.decision_function(x_char)
    calib = calibrate(z_oof, y, groups)
    solo = calibrate(z_char_oof, y, groups)
    print(f"[{name}] {len(y)} rows, {int(y.sum())} positive, {time.monotonic() - t0:.0f}s", flush=True)
    return {
        f"{name}_char_w": lr.coef_[0][:N_FEATURES].astype(np.float16),
        f"{name}_e5_w": (lr.coef_[0][N_FEATURES:] * E5_SCALE).astype(np.float32),
        f"{name}_b": np.float32(lr.intercept_[0]),
        f"{name}_calib": calib,
        f"{name}_solo_char_w": char_lr.coef_[0].astype(np.float16),
        f"{name}_solo_b": np.float32(char_lr.intercept_[0]),
        f"{name}_solo": solo,
    }


def fit_category(rows: pd.DataFrame, vectors: np.ndarray, idf: np.ndarray) -> dict:
    """Fit the EDOS Task B head (multinomial, class-balanced) on EDOS training sexist posts."""
    from sklearn.linear_model import LogisticRegression

    keep = (rows.source == "edos").to_numpy() & (rows.category >= 0).to_numpy() & ~rows.dev.to_numpy()
    texts = rows.text[keep].tolist()
    y = rows.category.to_numpy()[keep]
    char_lr = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced").fit(char_features(texts, idf), y)
    e5_lr = LogisticRegression(C=2.0, max_iter=3000, class_weight="balanced").fit(vectors[keep], y)
    return {
        "category_char_w": char_lr.coef_.astype(np.float16),
        "category_char_b": char_lr.intercept_.astype(np.float32),
        "category_e5_w": e5_lr.coef_.astype(np.float32),
        "category_e5_b": e5_lr.intercept_.astype(np.float32),
        "category_e5_used": np.bool_(True),
        "category_names": np.array(CATEGORIES),
    }


def fit_idf(texts: list[str]) -> np.ndarray:
    """Return smoothed IDF weights per hash bucket."""
    counts = char_features(texts)
    df = np.bincount(counts.indices, minlength=N_FEATURES)
    return (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)


def training_rows(corpus: pd.DataFrame, head: str, leave_out: str | None = None) -> np.ndarray:
    """Indices of the training rows of ``head`` (labelled, not dev, not ``leave_out``)."""
    m = corpus.source.isin(HEADS[head]) & (corpus[head] >= 0) & ~corpus.dev
    if leave_out:
        m &= corpus.source != leave_out
    return np.flatnonzero(m.to_numpy())


def fit_all(corpus: pd.DataFrame, vectors: np.ndarray, leave_out: str | None = None, oof: bool = True) -> dict:
    """Fit the IDF and every head; ``leave_out`` drops one source from all of them."""
    train = corpus[~corpus.dev & corpus.source.isin({s for h in HEADS.values() for s in h})]
    if leave_out:
        train = train[train.source != leave_out]
    idf = fit_idf(sorted(set(train.text)))
    arrays: dict = {"format": np.int32(2), "idf": idf.astype(np.float16), "groups": np.array(GROUPS)}
    for head in HEADS:
        idx = training_rows(corpus, head, leave_out)
        rows = corpus.iloc[idx]
        arrays |= fit_head(head, rows, features(rows.text.tolist(), vectors[idx], idf), idf, oof=oof)
    arrays |= fit_category(corpus, vectors, idf)
    return arrays


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_weights(arrays: dict, out: Path) -> str:
    """Write ``arrays`` deterministically (no timestamps) and return the file's sha256."""
    import io
    import zipfile

    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.save(buf, np.asarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    digest = sha256(out)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB) sha256 {digest}")
    return digest


def main() -> None:
    """Command line: ``fit`` or ``loso``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fit", "loso"])
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--sources", nargs="*", default=None, help="loso: sources to leave out (default all)")
    args = parser.parse_args()
    corpus = load_corpus()
    vectors = corpus_vectors(corpus)
    if args.command == "fit":
        digest = write_weights(fit_all(corpus, vectors), args.out)
        (args.out.parent / "SHA256SUMS").write_text(f"{digest}  {args.out.name}\n")
        return
    from eval_gbv import evaluate_arrays

    results = {}
    for source in args.sources or [s for s in HEADS["sexism"] + HEADS["abuse"] if s != "fil2016"] + ["fil2016"]:
        arrays = fit_all(corpus, vectors, leave_out=source, oof=False)
        results[source] = evaluate_arrays(arrays, corpus, vectors, only=source, whole_source=True)
        print(source, json.dumps(results[source]), flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
