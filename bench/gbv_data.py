"""Datasets, label mapping and the embedding cache of ``bench/train_gbv.py`` and ``bench/eval_gbv.py``.

The data stay in ``../shared/data/gbv`` (never copied into the repository). Every source is
read into one table (:func:`load_corpus`) with one column per ``gbv.text`` head, mapped
explicitly per source (:data:`SOURCES`; ``-1`` = the source says nothing about that head):

- ``sexism``: sexist, misogynist or gender-targeted abuse (the ``gbv.text`` score);
- ``abuse``: abusive, hateful, offensive or toxic language, any target (``details.abuse``);
- ``threat``: threats, plans to harm, incitement or wishes of violence (``gbv.threat``).

Dev rows: the source's own dev / test split where it has one, else a seeded 20% of its rows
(:func:`_holdout`, by a digest of the text, so it never moves). Embeddings come from the
ONNX int8 engine the detectors use at inference (:mod:`detectors.e5_onnx`), computed in one
deterministic pass over every text (sorted by digest, fixed batches, one thread) and cached
outside the repository (``$PANTAU_GBV_CACHE`` or ``/tmp/pantau-gbv-onnx``) under a digest of
the text set: no time budget decides which rows have vectors.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from detectors.gbv.encoder import ENCODER_DIM, encoder_input

__all__ = [
    "CATEGORIES", "DATA_DIR", "EmbeddingCache", "SOURCES", "Source", "corpus_vectors", "load_corpus", "text_key",
]

DATA_DIR = Path(os.environ.get("PANTAU_GBV_DATA", Path(__file__).resolve().parents[1] / "../shared/data/gbv"))
ASEAN = "asean"
CACHE_DIR = Path(os.environ.get("PANTAU_GBV_CACHE", "/tmp/pantau-gbv-onnx"))  # noqa: S108 - rebuildable
CATEGORIES = ("threats", "derogation", "animosity", "prejudiced")
"""EDOS Task B categories, in EDOS order (1. threats ... 4. prejudiced discussions)."""
THREAT_SENTENCES = Path(__file__).resolve().parent / "gbv_threats.csv"
"""Hand-written threats and benign near-misses (en, id, ms, tl), the project's own."""
HOLDOUT = 0.2
HATECHECK_THREAT = ("threat_dir_h", "threat_norm_h")
NATURAL_NEGATIVES = ("reddit", "fil2016", "vihsd", "mlthsc", "netifier", "idnews", "idig", "thai", "myning")


@dataclass(frozen=True)
class Source:
    """One training source and how its labels map onto the heads (documented in docs/gbv.md)."""

    name: str
    lang: str
    mapping: str
    weight: float = 1.0
    train: bool = True


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("edos", "en", "sexism = label_sexist; threat = category 1 (threats, plans to harm, incitement)"),
    Source("reddit", "en", "sexism = level_1 Misogynistic; threat = 0"),
    Source("fil2016", "tl", "abuse = hate label; sexism = 0 where not hate; threat = 0"),
    Source("vihsd", "vi", "abuse = offensive or hate (label_id > 0); threat = 0"),
    Source("mlthsc", "tl", "abuse = 1 (hate-only set); sexism = Gender target; threat = 0"),
    Source("netifier", "id", "abuse = any of porn, SARA, radicalism, defamation; threat = 0"),
    Source("idnews", "id", "abuse = abusive (offensive is a subset); threat = 0"),
    Source("idig", "id", "abuse = negative (cyberbullying); threat = 0"),
    Source("thai", "th", "abuse = toxic; threat = 0"),
    Source("myning", "ms", "abuse = cyberbully (noisy labels: half weight); threat = 0", weight=0.5),
    Source("hatecheck", "id/ms/th/tl", "threat = threat_dir_h or threat_norm_h, else 0 (threat head only)"),
    Source("threats_own", "en/id/ms/tl", "threat = hand label (bench/gbv_threats.csv; threat head only)"),
    Source("sghatecheck", "ms", "diagnostics only (Singapore Malay HateCheck): never trained", train=False),
)}


def text_key(text: str) -> str:
    """Digest of the encoder input of ``text`` (what the cache is keyed by)."""
    return hashlib.sha1(encoder_input(text).encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def _holdout(texts: pd.Series) -> np.ndarray:
    """Seeded, stable dev mask: the rows whose text digest falls in the first :data:`HOLDOUT`."""
    return np.array(
        [int(hashlib.sha1(str(t).encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:8], 16)
         < HOLDOUT * 2**32 for t in texts], dtype=bool)


def _frame(source: str, lang: str | pd.Series, texts: pd.Series, dev: np.ndarray, **heads: object) -> pd.DataFrame:
    n = len(texts)
    df = pd.DataFrame({"text": [t if isinstance(t, str) else "" for t in texts], "source": source})
    df["lang"] = lang if isinstance(lang, str) else lang.to_numpy()
    df["dev"] = np.asarray(dev, dtype=bool)
    for head in ("sexism", "abuse", "threat", "category"):
        value = heads.get(head, -1)
        df[head] = np.asarray(value, dtype=np.int64) if not np.isscalar(value) else np.full(n, value)
    return df


def _asean(folder: str, data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / ASEAN / folder / "data.csv").dropna(subset=["text"]).reset_index(drop=True)


def load_corpus(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Return every labelled row: ``text, source, lang, dev, sexism, abuse, threat, category``."""
    if not data_dir.exists():
        raise FileNotFoundError(f"{data_dir}: GBV data folder not found (set PANTAU_GBV_DATA)")
    parts: list[pd.DataFrame] = []
    edos = pd.read_csv(data_dir / "edos_train_dev.csv")
    cat_index = {c: i for i, c in enumerate(sorted(x for x in edos.label_category.unique() if x != "none"))}
    cats = edos.label_category.map(lambda c: cat_index.get(c, -1)).to_numpy()
    parts.append(_frame("edos", "en", edos.text, (edos.split == "dev").to_numpy(),
                        sexism=(edos.label_sexist == "sexist").astype(int), threat=(cats == 0).astype(int),
                        category=cats))
    reddit = pd.read_csv(data_dir / "reddit_misogyny_eacl21.csv")
    parts.append(_frame("reddit", "en", reddit.body, (reddit.split == "test").to_numpy(),
                        sexism=(reddit.level_1 == "Misogynistic").astype(int)))
    fil = pd.concat([pd.read_csv(data_dir / "filipino_election_2016" / f"{s}.csv").assign(dev=s == "valid")
                     for s in ("train", "valid")]).dropna(subset=["label"]).reset_index(drop=True)
    hate = fil.label.astype(int).to_numpy()
    parts.append(_frame("fil2016", "tl", fil.text, fil.dev.to_numpy(), abuse=hate, sexism=np.where(hate, -1, 0)))
    vi = pd.concat([pd.read_csv(data_dir / "vihsd" / f"{s}.csv").assign(dev=s == "dev") for s in ("train", "dev")])
    vi = vi.reset_index(drop=True)
    parts.append(_frame("vihsd", "vi", vi.free_text, vi.dev.to_numpy(), abuse=(vi.label_id > 0).astype(int)))
    ml = _asean("tl_mlthsc_trainval", data_dir)
    parts.append(_frame("mlthsc", "tl", ml.text, (ml.orig_split != "train").to_numpy(), abuse=1,
                        sexism=ml.Gender.astype(int)))
    net = _asean("id_netifier_toxicity", data_dir)
    parts.append(_frame("netifier", "id", net.text, (net.orig_split != "train").to_numpy(), abuse=net.label))
    for name, folder in (("idnews", "id_newscomments_abusive"), ("idig", "id_instagram_cyberbullying"),
                         ("thai", "th_thai_toxicity_tweet"), ("myning", "ms_myning_cyberbully_NOISY")):
        df = _asean(folder, data_dir)
        parts.append(_frame(name, SOURCES[name].lang, df.text, _holdout(df.text), abuse=df.label))
    hc = _asean("multi_seahatecheck_FUNCTEST", data_dir)
    is_threat = hc.t_function.isin(HATECHECK_THREAT).to_numpy()
    keep = is_threat | (np.random.default_rng(0).random(len(hc)) < 0.15)  # threats + a seeded 15% of the rest
    hc = hc[keep].reset_index(drop=True)
    parts.append(_frame("hatecheck", hc.lang, hc.text, _holdout(hc.text),
                        threat=hc.t_function.isin(HATECHECK_THREAT).astype(int),
                        abuse=hc.label, sexism=np.where(hc.target_women == 1, 1, np.where(hc.label == 0, 0, -1))))
    sg = _asean("ms_sghatecheck_FUNCTEST", data_dir)
    parts.append(_frame("sghatecheck", "ms", sg.text, np.ones(len(sg), dtype=bool),
                        threat=sg.t_function.isin(HATECHECK_THREAT).astype(int), abuse=sg.label,
                        sexism=np.where(sg.target_women == 1, 1, np.where(sg.label == 0, 0, -1))))
    own = pd.read_csv(THREAT_SENTENCES)
    parts.append(_frame("threats_own", own.lang, own.text, np.zeros(len(own), dtype=bool), threat=own.threat))
    corpus = pd.concat(parts, ignore_index=True)
    # No natural source labels threats: their rows count as "not a threat" for the threat head
    # (a noisy negative: a few are threats), so that ordinary first-person future statements
    # ("saya akan undi dia", "we will beat her") are not read as threats.
    natural = corpus.source.isin(NATURAL_NEGATIVES) & (corpus.threat < 0)
    corpus.loc[natural, "threat"] = 0
    corpus["weight"] = corpus.source.map(lambda s: SOURCES[s].weight)
    return corpus


class EmbeddingCache:
    """ONNX int8 encoder vectors of a fixed set of texts, computed in one deterministic pass.

    The file name is a digest of the sorted text keys, so a different text set gets a new file
    and the same set always gets the same vectors (texts sorted by key, batches of 256, one
    thread: the int8 engine's activation scale depends on the batch, so the order is fixed).
    """

    BATCH = 256

    def __init__(self, texts: list[str], name: str = "texts", folder: Path = CACHE_DIR) -> None:
        self.keys = sorted({text_key(t) for t in texts})
        self.inputs = {text_key(t): encoder_input(t) for t in texts}
        digest = hashlib.sha1("\n".join(self.keys).encode(), usedforsecurity=False).hexdigest()[:16]
        self.path = folder / f"{name}-onnx-int8-{digest}.npz"
        self.vectors: np.ndarray | None = None
        self.index = {k: i for i, k in enumerate(self.keys)}

    def load_or_build(self, threads: int = 1) -> None:
        """Read the vectors from disk, or embed every text (about 130 texts/s on one core here)."""
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as data:
                if list(data["keys"]) == self.keys:
                    self.vectors = data["vectors"]
                    return
        from detectors.e5_onnx import OnnxE5

        model = OnnxE5(threads=threads)
        out = np.zeros((len(self.keys), ENCODER_DIM), dtype=np.float32)
        start = time.monotonic()
        for i in range(0, len(self.keys), self.BATCH):
            chunk = self.keys[i : i + self.BATCH]
            out[i : i + len(chunk)] = model.query([self.inputs[k] for k in chunk])
            if (i // self.BATCH) % 20 == 0:
                rate = (i + len(chunk)) / (time.monotonic() - start)
                print(f"embedded {i + len(chunk)}/{len(self.keys)} ({rate:.0f} texts/s)", flush=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(self.path, keys=np.array(self.keys), vectors=out)
        self.vectors = out

    def get(self, texts: list[str]) -> np.ndarray:
        """Return the vectors of ``texts`` (all in the set this cache was built for)."""
        if self.vectors is None:
            raise RuntimeError("call load_or_build() first")
        return self.vectors[[self.index[text_key(t)] for t in texts]]


def corpus_vectors(corpus: pd.DataFrame, threads: int = 1) -> np.ndarray:
    """Return the encoder vector of every corpus row, one cache file per source (built when missing)."""
    out = np.zeros((len(corpus), ENCODER_DIM), dtype=np.float32)
    for source in corpus.source.unique():
        rows = np.flatnonzero((corpus.source == source).to_numpy())
        texts = corpus.text.iloc[rows].tolist()
        cache = EmbeddingCache(texts, name=str(source))
        cache.load_or_build(threads)
        out[rows] = cache.get(texts)
    return out
