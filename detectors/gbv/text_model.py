"""The trained gendered-abuse text model behind ``gbv.text`` and ``gbv.threat``.

Three heads read two feature sets (hashed character n-grams, :mod:`detectors.gbv.features`;
multilingual-e5-small vectors, :mod:`detectors.gbv.encoder`):

- ``sexism``: sexist or misogynist abuse (EDOS, Reddit misogyny);
- ``abuse``: generic hate or offensive language (Filipino 2016 election tweets, ViHSD);
- ``category``: EDOS Task B category of a sexist text (threats, derogation, animosity, prejudiced).

Each binary head's two logits are blended by weights fitted on out-of-fold predictions, with
the F1-optimal threshold folded into the bias, so **0.5 is the decision threshold** of every
probability here. ``bench/train_gbv.py`` writes the weights (``weights/gbv_text.npz``).

Routing (:func:`route`, ``details.route``):

- ``en``: the sexism head (character n-grams + encoder); the abuse head counts only when very
  sure (:data:`ENGLISH_ABUSE_OFFSET`), since EDOS labels generic insults "not sexist".
- ``tl-vi`` (Tagalog, Taglish, Vietnamese: abuse labels only): the abuse head, and the sexism
  head (encoder alone) only when very sure.
- ``other`` (Malay, Indonesian, Thai, ...: no labels): the sexism head through the encoder
  alone (multilingual transfer), the abuse head only when very sure.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from detectors.gbv.features import char_features
from detectors.gbv.normalise import clean_text
from pantau.errors import DetectorUnavailable

__all__ = [
    "DEFAULT_WEIGHTS", "GbvTextModel", "TextScores", "is_english", "model_for", "route", "shared_model",
]

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "gbv_text.npz"
SCORE_CACHE_ENTRIES = 4096
"""Scores remembered per text by the shared model (repeats of a post are scored once)."""
CATEGORIES = ("threats", "derogation", "animosity", "prejudiced")
ENGLISH_ABUSE_OFFSET = 3.0
"""A head outside its language counts only when very sure: its logit minus this (P >= 0.95).

Chosen on dev (character model) for the abuse head in English: EDOS Task A macro-F1 -0.008,
Filipino valid F1 +0.04 (English-language abuse of politicians)."""

# Function words of Tagalog, Malay/Indonesian and Vietnamese (unaccented): CLD2 calls much
# Taglish "English", and these words almost never occur in English text.
_ASEAN_MARKERS = frozenset(
    "ang ng mga yung nang naman talaga hindi wala kayo siya ako ikaw niya natin namin kasi sana lang daw "
    "raw nga po ba pala kay sila tayo dito diyan iyan ito iyon mo ko yan"
    " yang dan tidak tak ini itu dia aku kau saya kamu nak je lah dengan untuk atau juga sudah udah "
    "belum aja saja gak nggak dong sih kok mau boleh kita mereka orang"
    " khong cua nhung nguoi duoc cho mot voi nay thi roi minh ban".split()
)
_TAGALOG_MARKERS = frozenset(
    "ang ng mga yung nang naman talaga hindi wala kayo siya ako ikaw niya natin namin kasi sana daw "
    "raw nga po pala kay sila tayo dito diyan iyan ito iyon yan"
    # Vietnamese typed without tone marks
    " khong nguoi duoc nhung roi thi cai vcl ko chu nhieu lam qua gi sao".split()
)
_TL_VI_CODES = frozenset(
    {"tl", "vi", "ceb", "war", "hil", "ilo", "pam", "bik"}
)  # CLD2 codes, Philippine languages
# Letters only Vietnamese uses among the region's Latin-script languages.
_VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĂÂĐÊÔƠƯ]")
_WORD = re.compile(r"[^\W\d_]+")


def route(text: str, languages: Sequence[str] = ()) -> str:
    """Return which heads read ``text``: ``en``, ``tl-vi`` (abuse head trained) or ``other``.

    :param languages: languages already detected for the item (main first); detected here
        with CLD2 when empty.
    """
    sample = text[:2000]
    words = [w.lower() for w in _WORD.findall(sample)]
    if not words:
        return "other"
    if _VIETNAMESE.search(sample) or sum(w in _TAGALOG_MARKERS for w in words) >= max(1, len(words) // 20):
        return "tl-vi"
    lang = languages[0] if languages else _detect(text)
    if lang in _TL_VI_CODES:
        return "tl-vi"
    if any(not w.isascii() for w in words[:200]):
        return "other"
    if sum(w in _ASEAN_MARKERS for w in words) >= max(1, len(words) // 20):
        return "other"
    return "en" if lang in (None, "en", "sco") else "other"  # CLD2 calls short English "Scots"


def is_english(text: str, languages: Sequence[str] = ()) -> bool:
    """Return whether ``text`` reads as English (scored by the sexism head, abuse discounted)."""
    return route(text, languages) == "en"


def _detect(text: str) -> str | None:
    try:
        from detectors.enrichers.language import detect_language
    except ImportError:  # pragma: no cover - pycld2 is a core dependency
        return None
    return detect_language(text)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def _discount(p: float) -> float:
    """Return ``p`` with :data:`ENGLISH_ABUSE_OFFSET` taken off its logit (0.95 becomes 0.5)."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) - ENGLISH_ABUSE_OFFSET))))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class TextScores:
    """What the model says about one text (every probability has its threshold at 0.5)."""

    sexism: float
    abuse: float
    categories: dict[str, float] = field(default_factory=dict)
    route: str = "en"

    @property
    def english(self) -> bool:
        """Whether the text was read as English."""
        return self.route == "en"

    @property
    def score(self) -> float:
        """The ``gbv.text`` score: the trained head of the text's language, the other one discounted.

        English and untrained languages: max(sexism, discounted abuse); Tagalog and Vietnamese,
        where only abuse labels exist: max(discounted sexism, abuse).
        """
        if self.route == "tl-vi":
            return max(_discount(self.sexism), self.abuse)
        return max(self.sexism, _discount(self.abuse))

    @property
    def category(self) -> str:
        """The most likely EDOS category (meaningful when the text is sexist)."""
        return max(self.categories, key=self.categories.__getitem__) if self.categories else "none"

    @property
    def threat(self) -> float:
        """Probability of a sexist threat: P(sexist) x P(threats | sexist)."""
        return self.sexism * self.categories.get("threats", 0.0)


class GbvTextModel:
    """Loads the heads once and scores batches of texts.

    Example Snippet::

        model = GbvTextModel.load()
        scores = model.predict(["Women are too emotional to lead"])[0]
        scores.score, scores.category
    """

    def __init__(
        self, arrays: dict[str, np.ndarray], encoder: Any | None, cache_size: int = SCORE_CACHE_ENTRIES
    ) -> None:
        self.arrays = arrays
        self.encoder = encoder
        self._cache: OrderedDict[str, TextScores] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def set_cache_size(self, entries: int) -> None:
        """Bound the per-text score LRU (``0``: remember nothing across calls; the naive benchmark)."""
        with self._lock:
            self._cache_size = entries
            while len(self._cache) > entries:
                self._cache.popitem(last=False)

    @classmethod
    def load(cls, path: Path = DEFAULT_WEIGHTS, use_encoder: bool = True) -> GbvTextModel:
        """Read the weights file and (when ``use_encoder``) load the encoder."""
        if not path.exists():
            raise DetectorUnavailable(f"gbv.text weights {path} missing: run `python bench/train_gbv.py fit`")
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        encoder = None
        if use_encoder:
            from detectors.gbv.encoder import load_encoder

            encoder = load_encoder()
        return cls(arrays, encoder)

    def predict(
        self, texts: Sequence[str], languages: Sequence[Sequence[str]] | None = None
    ) -> list[TextScores]:
        """Score ``texts`` (raw); ``languages`` gives each text's detected languages, if known."""
        routes = [route(t, languages[i] if languages else ()) for i, t in enumerate(texts)]
        keys = [f"{r}:{_digest(clean_text(t))}" for r, t in zip(routes, texts, strict=True)]
        with self._lock:
            cached = {k: self._cache[k] for k in keys if k in self._cache}
        first: dict[str, int] = {}  # one row per distinct uncached text
        for i, k in enumerate(keys):
            if k not in cached:
                first.setdefault(k, i)
        fresh_idx = list(first.values())
        if fresh_idx:
            fresh = self._score([texts[i] for i in fresh_idx], [routes[i] for i in fresh_idx])
            with self._lock:
                for i, s in zip(fresh_idx, fresh, strict=True):
                    cached[keys[i]] = s
                    self._cache[keys[i]] = s
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return [cached[k] for k in keys]

    def _score(self, texts: list[str], routes: list[str]) -> list[TextScores]:
        a = self.arrays
        x_char = char_features(texts, a["idf"].astype(np.float32))
        x_e5 = None
        if self.encoder is not None:
            from detectors.gbv.encoder import encode

            x_e5 = encode(texts, model=self.encoder)
        # Character n-grams only know the languages they were trained on (English for the
        # sexism head), so elsewhere the sexism head reads the encoder alone (when it is used).
        # The abuse head reads character n-grams alone: its encoder half lowered dev F1 (ViHSD
        # 0.70 -> 0.63) and transferred badly (neutral Malay scored high); it is discounted
        # outside Tagalog and Vietnamese.
        sexism = self._binary("sexism", x_char, x_e5, [r != "en" for r in routes])
        abuse = self._binary("abuse", x_char, None, [False] * len(routes))
        z_cat = x_char @ a["category_char_w"].astype(np.float32).T + a["category_char_b"]
        probs = _softmax(np.asarray(z_cat))
        if x_e5 is not None and bool(a.get("category_e5_used", False)):
            probs = 0.5 * probs + 0.5 * _softmax(x_e5 @ a["category_e5_w"].T + a["category_e5_b"])
        names = [str(n) for n in a["category_names"]]
        return [
            TextScores(
                float(sexism[i]),
                float(abuse[i]),
                {n: round(float(p), 4) for n, p in zip(names, probs[i], strict=True)},
                routes[i],
            )
            for i in range(len(texts))
        ]

    def _binary(
        self, name: str, x_char: Any, x_e5: np.ndarray | None, encoder_only: list[bool]
    ) -> np.ndarray:
        a = self.arrays
        z_char = np.asarray(x_char @ a[f"{name}_char_w"].astype(np.float32)).ravel() + a[f"{name}_char_b"]
        if x_e5 is None:
            w, c = a[f"{name}_solo"]
            return _sigmoid(w * z_char + c)
        z_e5 = x_e5 @ a[f"{name}_e5_w"] + a[f"{name}_e5_b"]
        wc, we, c = a[f"{name}_blend"]
        blended = _sigmoid(wc * z_char + we * z_e5 + c)
        key = f"{name}_e5solo"
        if key not in a or not np.any(a[key]):
            return blended
        w5, c5 = a[key]
        return np.where(np.array(encoder_only, dtype=bool), _sigmoid(w5 * z_e5 + c5), blended)


def model_for(settings: Any, path: Path, use_encoder: bool) -> GbvTextModel:
    """The shared model, its score cache off when the settings turn ``dedupe`` off (the naive benchmark)."""
    model = shared_model(path, use_encoder)
    model.set_cache_size(SCORE_CACHE_ENTRIES if getattr(settings, "dedupe", True) else 0)
    return model


@lru_cache(maxsize=4)
def shared_model(path: Path = DEFAULT_WEIGHTS, use_encoder: bool = True) -> GbvTextModel:
    """Return one model per (weights, encoder) for the process, shared by ``gbv.text`` and ``gbv.threat``."""
    return GbvTextModel.load(path, use_encoder)
