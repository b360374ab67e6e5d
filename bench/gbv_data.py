"""Datasets and the embedding cache shared by ``bench/train_gbv.py`` and ``bench/eval_gbv.py``.

The data stay in ``../shared/data/gbv`` (never copied into the repository); embeddings are
cached outside the repository (``$PANTAU_GBV_CACHE`` or ``/tmp/pantau-gbv-e5``), keyed by a
digest of the encoder input, because embedding is the slow step (~5-8 texts/s on 2 cores).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from detectors.gbv.encoder import ENCODER_DIM, encode, encoder_input, load_encoder

__all__ = ["DATA_DIR", "CATEGORIES", "Split", "EmbeddingCache", "load_splits"]

DATA_DIR = Path(os.environ.get("PANTAU_GBV_DATA", Path(__file__).resolve().parents[1] / "../shared/data/gbv"))
CACHE_DIR = Path(os.environ.get("PANTAU_GBV_CACHE", "/tmp/pantau-gbv-e5"))  # noqa: S108 - a rebuildable cache
CATEGORIES = ("threats", "derogation", "animosity", "prejudiced")
"""EDOS Task B categories, in EDOS order (1. threats ... 4. prejudiced discussions)."""


@dataclass
class Split:
    """One labelled split: texts, binary labels, and EDOS categories (-1 where none)."""

    name: str
    texts: list[str]
    labels: np.ndarray
    categories: np.ndarray

    def sample(self, n: int | None, seed: int = 0) -> Split:
        """Return a seeded random subset of at most ``n`` rows (all rows when ``n`` is None)."""
        if n is None or n >= len(self.texts):
            return self
        idx = np.random.default_rng(seed).permutation(len(self.texts))[:n]
        return Split(self.name, [self.texts[i] for i in idx], self.labels[idx], self.categories[idx])


def _split(
    name: str, texts: Iterable[object], labels: Iterable[int], cats: Iterable[int] | None = None
) -> Split:
    t = ["" if not isinstance(x, str) else x for x in texts]
    y = np.asarray(list(labels), dtype=np.int64)
    c = np.asarray(list(cats), dtype=np.int64) if cats is not None else np.full(len(t), -1)
    return Split(name, t, y, c)


def load_splits(data_dir: Path = DATA_DIR) -> dict[str, Split]:
    """Load every split: ``edos_train|dev``, ``reddit_train|test``, ``fil_train|valid``, ``vi_train|dev``."""
    if not data_dir.exists():
        raise FileNotFoundError(f"{data_dir}: GBV data folder not found (set PANTAU_GBV_DATA)")
    out: dict[str, Split] = {}
    edos = pd.read_csv(data_dir / "edos_train_dev.csv")
    cat_index = {c: i for i, c in enumerate(sorted(x for x in edos.label_category.unique() if x != "none"))}
    for split in ("train", "dev"):
        part = edos[edos.split == split]
        out[f"edos_{split}"] = _split(
            f"edos_{split}",
            part.text,
            (part.label_sexist == "sexist").astype(int),
            part.label_category.map(lambda c: cat_index.get(c, -1)),
        )
    reddit = pd.read_csv(data_dir / "reddit_misogyny_eacl21.csv")
    for split in ("train", "test"):
        part = reddit[reddit.split == split]
        out[f"reddit_{split}"] = _split(
            f"reddit_{split}", part.body, (part.level_1 == "Misogynistic").astype(int)
        )
    for split in ("train", "valid"):
        part = pd.read_csv(data_dir / "filipino_election_2016" / f"{split}.csv").dropna(subset=["label"])
        out[f"fil_{split}"] = _split(f"fil_{split}", part.text, part.label.astype(int))
    for split in ("train", "dev"):
        part = pd.read_csv(data_dir / "vihsd" / f"{split}.csv")
        # ViHSD: 0 clean, 1 offensive, 2 hate; both 1 and 2 count as abusive here.
        out[f"vi_{split}"] = _split(f"vi_{split}", part.free_text, (part.label_id > 0).astype(int))
    return out


def _key(text: str) -> str:
    return hashlib.sha1(
        encoder_input(text).encode("utf-8", "surrogatepass"), usedforsecurity=False
    ).hexdigest()


class EmbeddingCache:
    """Encoder vectors of texts, kept in ``.npz`` shards under a cache folder."""

    def __init__(self, folder: Path = CACHE_DIR) -> None:
        self.folder = folder
        self.vectors: dict[str, np.ndarray] = {}
        if folder.exists():
            for shard in sorted(folder.glob("shard-*.npz")):
                with np.load(shard) as data:
                    for k, v in zip(data["keys"], data["vectors"], strict=True):
                        self.vectors[str(k)] = v

    def has(self, texts: list[str]) -> np.ndarray:
        """Return a boolean mask of the texts whose vector is cached."""
        return np.array([_key(t) in self.vectors for t in texts], dtype=bool)

    def get(self, texts: list[str]) -> np.ndarray:
        """Return the cached vectors of ``texts`` (all must be cached)."""
        if not texts:
            return np.zeros((0, ENCODER_DIM), dtype=np.float32)
        return np.stack([self.vectors[_key(t)] for t in texts])

    def fill(self, texts: list[str], budget_s: float, batch: int = 64) -> int:
        """Embed the uncached ``texts`` in order until ``budget_s`` seconds are spent; return how many."""
        model = load_encoder()
        todo: list[str] = []
        seen: set[str] = set()
        for t in texts:
            k = _key(t)
            if k not in self.vectors and k not in seen:
                seen.add(k)
                todo.append(t)
        self.folder.mkdir(parents=True, exist_ok=True)
        start, done = time.monotonic(), 0
        while done < len(todo) and time.monotonic() - start < budget_s:
            chunk = todo[done : done + batch]
            vecs = encode(chunk, model=model, batch_size=batch)
            keys = [_key(t) for t in chunk]
            shard = self.folder / f"shard-{time.time_ns()}.npz"
            np.savez(shard, keys=np.array(keys), vectors=vecs.astype(np.float32))
            self.vectors.update(zip(keys, vecs, strict=True))
            done += len(chunk)
            rate = done / (time.monotonic() - start)
            print(f"embedded {done}/{len(todo)} ({rate:.1f} texts/s)", flush=True)
        return done
