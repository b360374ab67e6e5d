"""Train the synthetic-image head on frozen CLIP features, with leave-one-source-out figures.

Usage::

    .venv/bin/python bench/train_synthetic.py                 # LOSO figures + write the weights
    .venv/bin/python bench/train_synthetic.py --no-write      # figures only
    .venv/bin/python bench/train_synthetic.py --json out.json

Data: :mod:`bench.synthetic_data` (``../shared/data/media``); features:
:mod:`bench.synthetic_features` (cached under ``pantau-data/cache/synthetic``).

Model: for each view (``global``, ``face``, ``patch``), the class tokens of the chosen CLIP
blocks are concatenated, standardised, and read by an L2-regularised logistic regression; the
views' logits are averaged (a missing face view falls back to the global one). Training rows
are two augmented copies of every image (``TRAIN``); classes are balanced and every
origin weighs the same, so a large origin cannot set the decision alone. The averaged logit
is then Platt-calibrated on the *out-of-origin* scores, so 0.5 is the decision point on images
from sources the head never saw. Scaler, head and calibration fold into one linear map per view
(``detectors/synthetic/weights/clip_head.npz`` with its sha256 pinned in
``detectors/synthetic/learned.py``).

Figures (the dev figures to choose by): every image is scored by a head trained without its
origin (leave-one-source-out). Reported: ROC AUC of each AI family (``gan``, ``diffusion``,
``ai-unknown``) against every real image, per origin, on the file as published (``clean``) and
after re-publication (``aug1``), and the robustness rows (JPEG q75, 50% resize, 70% crop).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.synthetic_data import Image, load_images  # noqa: E402
from bench.synthetic_features import DEFAULT_CACHE, ROBUSTNESS, load_variant  # noqa: E402

__all__ = ["Config", "main"]

WEIGHTS = REPO / "detectors" / "synthetic" / "weights" / "clip_head.npz"
LEARNED = REPO / "detectors" / "synthetic" / "learned.py"


class Config:
    """Which blocks and views the head reads, and its regularisation."""

    def __init__(self, layers: tuple[int, ...], views: tuple[str, ...], c: float) -> None:
        self.layers, self.views, self.c = layers, views, c

    def __repr__(self) -> str:
        return f"layers={list(self.layers)} views={list(self.views)} C={self.c}"

    def columns(self) -> np.ndarray:
        """Column indices of the chosen blocks in a cached feature row."""
        return np.concatenate([np.arange(k * 768, (k + 1) * 768) for k in self.layers])


class Ensemble:
    """Heads on blocks of the same views, whose logits are averaged after each is scaled to unit spread.

    The scales come from the members' out-of-origin logits (:func:`loso` sets them), and the
    average of linear heads is one linear head over the union of their blocks, so the weights
    file keeps one map per view.
    """

    def __init__(self, members: tuple[Config, ...]) -> None:
        self.members = members
        self.layers = tuple(sorted({k for m in members for k in m.layers}))
        self.views = members[0].views
        self.c = None
        self.scales: list[float] | None = None

    def __repr__(self) -> str:
        return "mean of [" + "; ".join(repr(m) for m in self.members) + "]"

    def columns(self) -> np.ndarray:
        """Column indices of the union of the members' blocks."""
        return np.concatenate([np.arange(k * 768, (k + 1) * 768) for k in self.layers])


def view_matrix(data: dict, view: str, cols: np.ndarray) -> np.ndarray:
    """One view's chosen columns; a missing face falls back to the global view."""
    x = data[view][:, cols].astype(np.float32)
    if view == "face":
        x[~data["has_face"]] = data["global"][~data["has_face"]][:, cols].astype(np.float32)
    return x


def sample_weights(images: list[Image]) -> np.ndarray:
    """Each (origin, label) group weighs the same in all, then classes are balanced."""
    groups = [(im.origin, im.label) for im in images]
    counts = {g: groups.count(g) for g in set(groups)}
    w = np.array([1.0 / counts[g] for g in groups])
    y = np.array([im.label for im in images])
    for label in (0, 1):
        w[y == label] /= w[y == label].sum()
    return w * len(w) / w.sum()


def fit_view(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Standardise and fit a logistic regression; return the folded (weights, bias)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(0), x.std(0) + 1e-6
    model = LogisticRegression(C=c, max_iter=3000, tol=1e-5)
    model.fit((x - mean) / scale, y, sample_weight=w)
    coef = model.coef_[0] / scale
    return coef.astype(np.float64), float(model.intercept_[0] - np.dot(coef, mean))


def fit(cfg: Config | Ensemble, train: list[dict], images: list[Image]) -> dict[str, tuple[np.ndarray, float]]:
    """Fit one head per view on the rows of ``train`` (variants of the same images)."""
    if isinstance(cfg, Ensemble):
        if cfg.scales is None:
            raise ValueError("an ensemble's member scales come from loso(): run it first")
        folded: dict[str, tuple[np.ndarray, float]] = {}
        fitted = [fit(m, train, images) for m in cfg.members]
        for view in cfg.views:
            w, b = np.zeros(len(cfg.layers) * 768), 0.0
            for scale, member, heads in zip(cfg.scales, cfg.members, fitted, strict=True):
                wm, bm = heads[view]
                for j, k in enumerate(member.layers):
                    pos = cfg.layers.index(k)
                    w[pos * 768 : (pos + 1) * 768] += scale * wm[j * 768 : (j + 1) * 768]
                b += scale * bm
            folded[view] = (w, b)
        return folded
    cols = cfg.columns()
    y = np.array([im.label for im in images] * len(train))
    w = np.tile(sample_weights(images), len(train))
    return {
        v: fit_view(np.concatenate([view_matrix(d, v, cols) for d in train]), y, w, cfg.c) for v in cfg.views
    }


def logits(heads: dict[str, tuple[np.ndarray, float]], cfg: Config, data: dict) -> np.ndarray:
    """The views' averaged logit for every row of a variant."""
    cols = cfg.columns()
    return np.mean([view_matrix(data, v, cols) @ w + b for v, (w, b) in heads.items()], axis=0)


def take(data: dict, idx: np.ndarray) -> dict:
    """Rows ``idx`` of a variant's arrays."""
    return {k: v[idx] for k, v in data.items() if np.ndim(v)}


def loso(cfg: Config | Ensemble, images: list[Image], variants: dict[str, dict]) -> dict[str, np.ndarray]:
    """Out-of-origin logits of every variant: each origin scored by heads trained without it."""
    if isinstance(cfg, Ensemble):
        parts = [loso(m, images, variants) for m in cfg.members]
        cfg.scales = [1.0 / float(np.std(p[TRAIN[0]])) / len(parts) for p in parts]
        return {name: sum(s * p[name] for s, p in zip(cfg.scales, parts, strict=True)) for name in parts[0]}
    keys = {name: {k: i for i, k in enumerate(d["keys"])} for name, d in variants.items()}
    out = {name: np.full(len(d["keys"]), np.nan) for name, d in variants.items()}
    for origin in sorted({im.origin for im in images}):
        train_idx = np.array([i for i, im in enumerate(images) if im.origin != origin])
        heads = fit(cfg, [take(variants[v], train_idx) for v in TRAIN], [images[i] for i in train_idx])
        for name, data in variants.items():
            rows = np.array(
                [keys[name][im.key] for im in images if im.origin == origin and im.key in keys[name]]
            )
            if len(rows):
                out[name][rows] = logits(heads, cfg, take(data, rows))
    return out


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC (nan when one class is absent)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan")


def platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit p = sigmoid(a z + b) on out-of-origin logits (classes balanced)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e4, class_weight="balanced").fit(z.reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def report(images: list[Image], variants: dict[str, dict], scores: dict[str, np.ndarray]) -> dict:
    """Per family, per origin and robustness figures from out-of-origin probabilities."""
    by_key = {im.key: im for im in images}
    out: dict = {"families": {}, "origins": {}, "robustness": {}}
    for name, data in variants.items():
        ims = [by_key[k] for k in data["keys"]]
        y = np.array([im.label for im in ims])
        fam = np.array([im.family for im in ims])
        p = scores[name]
        row = {"all": auc(y, p), "acc@0.5": float(((p >= 0.5) == y).mean())}
        for f in ("gan", "diffusion", "ai-unknown"):
            mask = (fam == f) | (y == 0)
            row[f] = auc(y[mask], p[mask])
            row[f + " recall@0.5"] = float((p[fam == f] >= 0.5).mean())
        row["real FPR@0.5"] = float((p[y == 0] >= 0.5).mean())
        row["real FPR@0.7"] = float((p[y == 0] >= 0.7).mean())  # the model code's threshold
        row["AI recall@0.7"] = float((p[y == 1] >= 0.7).mean())
        (out["robustness"] if name in ROBUSTNESS else out["families"])[name] = row
    ims = [by_key[k] for k in variants["clean"]["keys"]]
    p = scores["clean"]
    for origin in sorted({im.origin for im in ims}):
        for label in (0, 1):
            mask = np.array([im.origin == origin and im.label == label for im in ims])
            if mask.any():
                out["origins"][f"{origin} [{'ai' if label else 'real'}]"] = {
                    "n": int(mask.sum()),
                    "rate>=0.5": float((p[mask] >= 0.5).mean()),
                    "mean": float(p[mask].mean()),
                }
    clean_idx = {k: i for i, k in enumerate(variants["clean"]["keys"])}
    for name in ROBUSTNESS:
        if name in variants:
            ref = scores["clean"][[clean_idx[k] for k in variants[name]["keys"]]]
            out["robustness"][name]["mean |delta| vs clean"] = float(np.abs(scores[name] - ref).mean())
    return out


def write(cfg: Config | Ensemble, heads: dict[str, tuple[np.ndarray, float]], a: float, b: float, figures: dict) -> str:
    """Fold calibration into the heads, write the weights, pin their sha256; return the digest."""
    arrays: dict[str, np.ndarray] = {"layers": np.array(cfg.layers, np.int64)}
    for view, (w, bias) in heads.items():
        # calibrated logit = a * mean_v(w_v x_v + b_v) + b: each view gets a / n_views of it
        arrays[f"w_{view}"] = (w * a / len(heads)).astype(np.float32)
        arrays[f"b_{view}"] = np.array([bias * a / len(heads) + b / len(heads)], np.float32)
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # fixed dates: same bytes every run
        for name in sorted(arrays):
            item = io.BytesIO()
            np.save(item, arrays[name], allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(2026, 1, 1, 0, 0, 0))
            zf.writestr(info, item.getvalue())
    WEIGHTS.write_bytes(buf.getvalue())
    digest = hashlib.sha256(buf.getvalue()).hexdigest()
    meta = {"config": repr(cfg), "views": list(heads), "layers": list(cfg.layers), "platt": [a, b], "sha256": digest}
    WEIGHTS.with_suffix(".json").write_text(json.dumps({**meta, "figures": figures}, indent=1) + "\n")
    text = LEARNED.read_text(encoding="utf-8")
    LEARNED.write_text(
        re.sub(r'HEAD_SHA256 = "[0-9a-f]*"', f'HEAD_SHA256 = "{digest}"', text), encoding="utf-8"
    )
    return digest


TRAIN = ("aug1", "aug2")
"""The variants training reads: two augmented copies of every image (each costs ~8 min of encoding)."""

CANDIDATES = (
    Config((11,), ("global",), 0.05),
    Config((5, 7, 9, 11), ("global",), 0.01),
    Config((4, 5, 6, 7, 8, 9, 10, 11), ("global",), 0.01),
    Config((7,), ("global",), 0.05),
    Config((6, 7, 8), ("global",), 0.02),
    Config((5, 6, 7, 8, 9), ("global",), 0.01),
    Ensemble(
        (
            Config((5, 7, 9, 11), ("global",), 0.01),
            Config((7,), ("global",), 0.05),
            Config((11,), ("global",), 0.05),
        )
    ),
)


def main(argv: list[str] | None = None) -> int:
    """Evaluate the candidate configurations out of origin, then fit and write the chosen one."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--choose", type=int, default=None, help="index into CANDIDATES (default: best)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    images = load_images()
    names = (*TRAIN, "clean", *ROBUSTNESS)
    needed = "all" if any(v != "global" for cfg in CANDIDATES for v in cfg.views) else "global"
    variants = {n: load_variant(n, images, args.cache, views=needed) for n in names}
    results = []
    for i, cfg in enumerate(CANDIDATES):
        t0 = time.time()
        z = loso(cfg, images, variants)
        y_aug = np.array([im.label for im in images])
        a, b = platt(z["aug1"], y_aug)
        scores = {n: 1 / (1 + np.exp(-(a * v + b))) for n, v in z.items()}
        rep = report(images, variants, scores)
        fam = rep["families"]
        key = float(
            np.mean([fam[v][f] for v in ("clean", "aug1") for f in ("gan", "diffusion", "ai-unknown")])
        )
        results.append({"index": i, "config": repr(cfg), "score": key, "platt": [a, b], **rep})
        print(f"[{i}] {cfg}: mean family AUC {key:.3f} ({time.time() - t0:.0f} s)", flush=True)
        for v in ("clean", "aug1"):
            print("    " + v + " " + "  ".join(f"{k} {fam[v][k]:.3f}" for k in fam[v]), flush=True)
    best = results[args.choose] if args.choose is not None else max(results, key=lambda r: r["score"])
    print(json.dumps(best, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    if not args.no_write:
        cfg = CANDIDATES[best["index"]]
        heads = fit(cfg, [variants[v] for v in TRAIN], images)
        digest = write(
            cfg, heads, *best["platt"], {k: best[k] for k in ("families", "robustness", "origins")}
        )
        print(f"wrote {WEIGHTS.relative_to(REPO)} sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
