"""The shipped ``gbv.text`` weights still separate the dev sets (a regression guard, not a benchmark)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detectors.gbv.text_model import DEFAULT_WEIGHTS, GbvTextModel

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / ".." / "shared" / "data" / "gbv"

pytestmark = [
    pytest.mark.skipif(not DATA.exists(), reason=f"GBV data not found at {DATA} (../shared/data/gbv)"),
    pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="gbv.text weights not built"),
]


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    sys.path.insert(0, str(REPO / "bench"))
    from gbv_data import load_corpus

    return load_corpus(DATA)


@pytest.mark.parametrize(
    ("source", "head", "floor"),
    [("edos", "sexism", 0.65), ("vihsd", "abuse", 0.65), ("netifier", "abuse", 0.65)],
)
def test_macro_f1_above_floor(corpus: pd.DataFrame, source: str, head: str, floor: float) -> None:
    from sklearn.metrics import f1_score

    dev = corpus[corpus.dev & (corpus.source == source)].sample(300, random_state=3)
    scores = GbvTextModel.load(use_encoder=False).predict(dev.text.tolist())
    predicted = np.array([getattr(s, head) >= 0.5 for s in scores])
    assert f1_score(dev[head].to_numpy(), predicted, average="macro") >= floor
