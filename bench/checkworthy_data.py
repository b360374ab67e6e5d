"""Data and encoder vectors for the check-worthiness head (``bench/eval_checkworthy.py``).

Three sources, read from ``../shared/data`` (never copied into the repo):

- **CheckThat! 2022 Task 1A English** (``disinfo/checkthat22_1a_en``): tweets labelled
  check-worthy or not (train 2,122, dev 195; the test split is held out elsewhere). The shipped
  weights are fitted on train and dev pooled; a fit on train alone gives the held-out dev figure,
  and nested cross-validation over both the honest estimate (``bench/eval_checkworthy.py``).
- **Election-domain positives, Indonesian** (``disinfo/turnbackhoax_id``): every hoax row
  (label 0) of the turnbackhoax.id dump, as :func:`detectors.disinfo.claim_files.read_turnbackhoax`
  reads it (the hoax headline, plus the circulated ``NARASI`` when the body has one). Rationale:
  Mafindo's fact-checkers chose to check each of these claims, which is what check-worthy means.
- **Indonesian negatives** (``gbv/asean/id_newscomments_abusive``): readers' comments under news
  of the 2019 election period. Rationale: they are mostly opinion, questions, jokes and insults,
  so they stand for the non-claims of Indonesian political talk; without them every Indonesian
  text would be "like a hoax" to the head (a language shortcut). A minority do state facts:
  label noise we accept and say so in the docs.

Both Indonesian sets are split 80/20 by a fixed seed; the 20 % is the Indonesian dev set.

Vectors are the ones the detector reads at inference: ``multilingual-e5-small`` through the
ONNX int8 engine (:class:`detectors.e5_onnx.OnnxE5`), ``query:`` prefix, on
:func:`detectors.disinfo.checkworthy.encoder_input` of the text. Training encodes each text
alone on one thread, so a vector depends on its text only (the int8 engine's activation scale
is per batch) and the fitted weights are reproducible. Vectors are cached by text digest under
``CACHE`` (outside the repo).
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from detectors.disinfo.checkworthy import encoder_input  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CT1A = SHARED / "disinfo" / "checkthat22_1a_en"
TURNBACKHOAX = SHARED / "disinfo" / "turnbackhoax_id" / "turnbackhoax_2021.csv"
ID_COMMENTS = SHARED / "gbv" / "asean" / "id_newscomments_abusive" / "data.csv"
CACHE = Path(os.environ.get("PANTAU_DATA_DIR", Path.home() / ".local/share/pantau")) / "checkworthy" / "vectors"
SEED = 20261122
ID_NEGATIVES = 700
"""Indonesian negatives drawn (about as many as the hoax positives)."""

__all__ = ["CACHE", "CT1A", "Domain", "embed_texts", "load_domains", "read_ct1a"]


@dataclass
class Domain:
    """Texts and 0/1 labels of one domain, split into a fit part and a dev part."""

    name: str
    train_x: list[str] = field(default_factory=list)
    train_y: list[int] = field(default_factory=list)
    dev_x: list[str] = field(default_factory=list)
    dev_y: list[int] = field(default_factory=list)


def read_ct1a(path: Path) -> tuple[list[str], list[int]]:
    """Tweets and 0/1 labels of one CheckThat! 1A split (TSV with ``tweet_text``, ``class_label``)."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["tweet_text"] for r in rows], [int(r["class_label"]) for r in rows]


def _indonesian(seed: int = SEED) -> Domain:
    from detectors.disinfo.claim_files import read_turnbackhoax

    claims, _ = read_turnbackhoax(TURNBACKHOAX)
    positives = sorted({c.claim for c in claims if c.verdict == "false"})
    with ID_COMMENTS.open(encoding="utf-8") as fh:
        comments = sorted({r["text"].strip() for r in csv.DictReader(fh) if len(r["text"].strip()) >= 15})
    rng = random.Random(seed)
    negatives = rng.sample(comments, min(ID_NEGATIVES, len(comments)))
    rows = [(t, 1) for t in positives] + [(t, 0) for t in negatives]
    rng.shuffle(rows)
    domain = Domain("id (turnbackhoax hoaxes vs news comments)")
    for n, (text, label) in enumerate(rows):
        if n % 5 == 0:
            domain.dev_x.append(text)
            domain.dev_y.append(label)
        else:
            domain.train_x.append(text)
            domain.train_y.append(label)
    return domain


def load_domains(indonesian: bool = True) -> list[Domain]:
    """The English CheckThat! domain, then (optionally) the derived Indonesian one."""
    if not CT1A.is_dir():
        sys.exit(f"CheckThat! 1A data not found at {CT1A}")
    english = Domain("en (CheckThat! 2022 1A)")
    english.train_x, english.train_y = read_ct1a(CT1A / "CT22_english_1A_checkworthy_train.tsv")
    english.dev_x, english.dev_y = read_ct1a(CT1A / "CT22_english_1A_checkworthy_dev.tsv")
    domains = [english]
    if indonesian:
        if not (TURNBACKHOAX.is_file() and ID_COMMENTS.is_file()):
            sys.exit(f"Indonesian data not found ({TURNBACKHOAX}, {ID_COMMENTS})")
        domains.append(_indonesian())
    return domains


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


def embed_texts(texts: list[str], cache: Path = CACHE, progress: bool = True) -> np.ndarray:
    """Vectors of ``encoder_input(text)`` (one text per engine call, one thread), cached by digest."""
    inputs = [encoder_input(t) for t in texts]
    keys = [_digest(t) for t in inputs]
    cache.mkdir(parents=True, exist_ok=True)
    store: dict[str, np.ndarray] = {}
    for shard in sorted(cache.glob("*.npz")):
        with np.load(shard, allow_pickle=False) as data:
            store.update(zip(data["keys"].astype(str).tolist(), data["vectors"], strict=True))
    todo = sorted({k: t for k, t in zip(keys, inputs, strict=True) if k not in store}.items())
    if todo:
        from detectors.e5_onnx import OnnxE5

        model = OnnxE5(threads=1, batch_size=1)
        new_keys, new_vectors = [], []
        for n, (key, text) in enumerate(todo, 1):
            new_keys.append(key)
            new_vectors.append(model.encode([text], is_query=True)[0])
            if progress and n % 250 == 0:
                print(f"encoded {n}/{len(todo)}", file=sys.stderr, flush=True)
        vectors = np.asarray(new_vectors, dtype=np.float32)
        name = hashlib.sha256("".join(new_keys).encode()).hexdigest()[:16]
        tmp = cache / f"{name}.tmp.npz"
        np.savez(tmp, keys=np.array(new_keys, dtype="S32"), vectors=vectors)
        tmp.replace(cache / f"{name}.npz")
        store.update(zip(new_keys, vectors, strict=True))
    return np.stack([store[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, 384), np.float32)


if __name__ == "__main__":
    # Warm the cache: encode every text of every domain once.
    for d in load_domains():
        for part in (d.train_x, d.dev_x):
            print(d.name, embed_texts(part).shape, file=sys.stderr)
