"""Train the ``gbv.text`` heads and write ``detectors/gbv/weights/gbv_text.npz``.

Usage (from the repository root; reads ``../shared/data/gbv``)::

    nice .venv/bin/python bench/train_gbv.py embed --budget 550   # fill the encoder cache (repeatable)
    nice .venv/bin/python bench/train_gbv.py fit                   # fit the heads, write the weights

What is fitted (see ``detectors/gbv/MODEL_CARD.md``):

- ``sexism``: EDOS train + Reddit misogyny train, sexist / misogynistic vs not.
- ``abuse``: Filipino 2016 election train (hate 0/1) + ViHSD train (offensive or hate vs clean):
  a generic abuse head, because those sets carry no sexism label.
- ``category``: EDOS Task B (threats, derogation, animosity, prejudiced) on EDOS train sexist posts.

Each binary head is a logistic regression on hashed character n-grams (all training rows)
plus one on encoder vectors (the rows whose vectors are cached), blended by a two-input
logistic regression fitted on 3-fold out-of-fold logits. The decision threshold is chosen on
the out-of-fold predictions (never on dev) and folded into the bias, so 0.5 is the threshold.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gbv_data import CATEGORIES, EmbeddingCache, Split, load_splits  # noqa: E402

from detectors.gbv.encoder import ENCODER_DIM  # noqa: E402
from detectors.gbv.features import N_FEATURES, char_features  # noqa: E402

FOLDS = 3
MIN_ENCODER_ROWS = 150
"""Below this many cached vectors a head is fitted on character n-grams alone."""
WEIGHTS = Path(__file__).resolve().parents[1] / "detectors" / "gbv" / "weights" / "gbv_text.npz"
EMBED_ORDER = [  # rounds of (split, rows): each round adds a slice of every split, most useful first
    {
        "edos_dev": 700,
        "edos_train": 1000,
        "fil_train": 400,
        "vi_train": 400,
        "reddit_train": 200,
        "fil_valid": 300,
        "vi_dev": 300,
    },
    {
        "edos_dev": 2000,
        "edos_train": 2500,
        "fil_valid": 700,
        "vi_dev": 700,
        "fil_train": 1000,
        "vi_train": 1000,
        "reddit_train": 500,
    },
    {
        "edos_dev": 2000,
        "edos_train": 5000,
        "fil_valid": 1000,
        "vi_dev": 1000,
        "fil_train": 2000,
        "vi_train": 2000,
        "reddit_train": 1000,
    },
    {
        "edos_dev": 2000,
        "edos_train": 14000,
        "fil_valid": 4300,
        "vi_dev": 2700,
        "fil_train": 10100,
        "vi_train": 24100,
        "reddit_train": 5300,
    },
]


def embed_order(splits: dict[str, Split]) -> list[str]:
    """Return the texts to embed, in the order the cache fills them."""
    order: list[str] = []
    for quota in EMBED_ORDER:
        for name, n in quota.items():
            order += splits[name].sample(n, seed=0).texts
    return order


def _concat(*parts: Split) -> Split:
    return Split(
        "+".join(p.name for p in parts),
        [t for p in parts for t in p.texts],
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.categories for p in parts]),
    )


def best_threshold(y: np.ndarray, p: np.ndarray, macro: bool = True) -> float:
    """Return the probability threshold that maximises (macro-)F1 of ``p`` against ``y``."""
    from sklearn.metrics import f1_score

    grid = np.linspace(0.05, 0.95, 91)
    scores = [f1_score(y, p >= t, average="macro" if macro else "binary") for t in grid]
    return float(grid[int(np.argmax(scores))])


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def fit_binary(
    name: str, train: Split, idf: np.ndarray, cache: EmbeddingCache, c_char: float, c_e5: float
) -> dict:
    """Fit one binary head (char model, encoder model, blend, threshold); return its arrays."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    t0 = time.monotonic()
    x_char = char_features(train.texts, idf)
    y = train.labels
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    char_lr = LogisticRegression(C=c_char, max_iter=2000)
    z_char = cross_val_predict(char_lr, x_char, y, cv=folds, method="decision_function")
    char_lr.fit(x_char, y)
    print(f"[{name}] char model on {len(y)} rows ({time.monotonic() - t0:.0f}s)", flush=True)

    solo = LogisticRegression(C=10.0).fit(z_char[:, None], y)
    t_solo = best_threshold(y, solo.predict_proba(z_char[:, None])[:, 1])
    solo_row = np.array([solo.coef_[0][0], solo.intercept_[0] - _logit(t_solo)], dtype=np.float32)

    has = cache.has(train.texts)
    y_e5 = y[has]
    if len(y_e5) < MIN_ENCODER_ROWS or len(set(y_e5.tolist())) < 2:
        print(f"[{name}] only {len(y_e5)} cached vectors: character n-grams alone", flush=True)
        e5_w, e5_b = np.zeros(ENCODER_DIM, dtype=np.float32), np.float32(0.0)
        blend_row, t_blend = np.array([solo_row[0], 0.0, solo_row[1]], dtype=np.float32), t_solo
        e5solo_row = np.zeros(2, dtype=np.float32)
    else:
        x_e5 = cache.get([t for t, h in zip(train.texts, has, strict=True) if h])
        e5_lr = LogisticRegression(C=c_e5, max_iter=3000)
        z_e5 = cross_val_predict(e5_lr, x_e5, y_e5, cv=folds, method="decision_function")
        e5_lr.fit(x_e5, y_e5)
        e5_w, e5_b = e5_lr.coef_[0].astype(np.float32), np.float32(e5_lr.intercept_[0])
        blend = LogisticRegression(C=10.0).fit(np.c_[z_char[has], z_e5], y_e5)
        t_blend = best_threshold(y_e5, blend.predict_proba(np.c_[z_char[has], z_e5])[:, 1])
        blend_row = np.array(
            [blend.coef_[0][0], blend.coef_[0][1], blend.intercept_[0] - _logit(t_blend)], dtype=np.float32
        )
        e5solo = LogisticRegression(C=10.0).fit(z_e5[:, None], y_e5)
        t_e5 = best_threshold(y_e5, e5solo.predict_proba(z_e5[:, None])[:, 1])
        e5solo_row = np.array([e5solo.coef_[0][0], e5solo.intercept_[0] - _logit(t_e5)], dtype=np.float32)
        weights = blend.coef_[0].round(3)
        print(f"[{name}] encoder on {len(y_e5)} rows; blend {weights} thr {t_blend:.2f}, alone {t_e5:.2f}")
    print(f"[{name}] char-only thr {t_solo:.2f}", flush=True)
    return {
        f"{name}_char_w": char_lr.coef_[0].astype(np.float16),
        f"{name}_char_b": np.float32(char_lr.intercept_[0]),
        f"{name}_e5_w": e5_w,
        f"{name}_e5_b": e5_b,
        # final logit = a * z_char + b * z_e5 + c, with the threshold folded into c
        f"{name}_blend": blend_row,
        f"{name}_solo": solo_row,
        # encoder alone, for languages the character n-grams were not trained on
        f"{name}_e5solo": e5solo_row,
        f"{name}_thresholds": np.array([t_blend, t_solo], dtype=np.float32),
    }


def fit_category(train: Split, idf: np.ndarray, cache: EmbeddingCache) -> dict:
    """Fit the EDOS Task B head (multinomial) on sexist training posts."""
    from sklearn.linear_model import LogisticRegression

    keep = train.categories >= 0
    texts = [t for t, k in zip(train.texts, keep, strict=True) if k]
    y = train.categories[keep]
    char_lr = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced").fit(
        char_features(texts, idf), y
    )
    has = cache.has(texts)
    e5_w = np.zeros((len(CATEGORIES), ENCODER_DIM), dtype=np.float32)
    e5_b = np.zeros(len(CATEGORIES), dtype=np.float32)
    if has.sum() >= MIN_ENCODER_ROWS and len(set(y[has].tolist())) == len(CATEGORIES):
        e5_lr = LogisticRegression(C=2.0, max_iter=3000, class_weight="balanced").fit(
            cache.get([t for t, h in zip(texts, has, strict=True) if h]), y[has]
        )
        e5_w, e5_b = e5_lr.coef_.astype(np.float32), e5_lr.intercept_.astype(np.float32)
    print(f"[category] char on {len(y)} rows, encoder on {int(has.sum())}")
    return {
        "category_char_w": char_lr.coef_.astype(np.float16),
        "category_char_b": char_lr.intercept_.astype(np.float32),
        "category_e5_w": e5_w,
        "category_e5_b": e5_b,
        "category_e5_used": np.bool_(bool(e5_w.any())),
        "category_names": np.array(CATEGORIES),
    }


def fit_idf(texts: list[str]) -> np.ndarray:
    """Return smoothed IDF weights per hash bucket."""
    counts = char_features(texts)
    df = np.bincount(counts.indices, minlength=N_FEATURES)
    return (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)


def fit(out: Path = WEIGHTS) -> None:
    """Fit every head on the training splits and write the weights file."""
    splits = load_splits()
    cache = EmbeddingCache()
    sexism = _concat(splits["edos_train"], splits["reddit_train"])
    abuse = _concat(splits["fil_train"], splits["vi_train"])
    idf = fit_idf(sexism.texts + abuse.texts)
    arrays: dict = {"idf": idf.astype(np.float16)}
    arrays |= fit_binary("sexism", sexism, idf, cache, c_char=4.0, c_e5=4.0)
    arrays |= fit_binary("abuse", abuse, idf, cache, c_char=4.0, c_e5=4.0)
    arrays |= fit_category(splits["edos_train"], idf, cache)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")


def main() -> None:
    """Command line: ``embed`` or ``fit``."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    emb = sub.add_parser("embed", help="embed training/dev texts into the cache, most useful first")
    emb.add_argument("--budget", type=float, default=550.0, help="seconds to spend")
    sub.add_parser("fit", help="fit the heads and write the weights")
    args = parser.parse_args()
    if args.command == "embed":
        cache = EmbeddingCache()
        print(f"{len(cache.vectors)} vectors cached")
        cache.fill(embed_order(load_splits()), budget_s=args.budget)
    else:
        fit()


if __name__ == "__main__":
    main()
