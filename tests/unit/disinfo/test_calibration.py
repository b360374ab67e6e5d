"""Per-language calibration of match probabilities (detectors.disinfo.matcher.LanguageCalibration)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from detectors.disinfo.embedding import EmbeddingCache
from detectors.disinfo.factcheck import FactCheck
from detectors.disinfo.matcher import (
    ABSOLUTE_FEATURES,
    DEFAULT_CALIBRATION,
    FEATURES,
    ClaimMatcher,
    LanguageCalibration,
)
from pantau.errors import DetectorUnavailable
from tests.unit.disinfo.fakes import HashingEncoder

CLAIMS = [
    FactCheck(id="id-1", claim="Pemilih bisa mencoblos lewat SMS ke nomor 3388", language="id"),
    FactCheck(id="en-1", claim="Voters can vote by SMS to number 3388", language="en"),
    FactCheck(id="id-2", claim="Kotak suara di Tanjung Kenari sudah diisi sebelum hari pemungutan", language="id"),
]


def _calibration(intercept: float) -> LanguageCalibration:
    """A calibration for Indonesian that answers ``sigmoid(intercept)`` whatever the features."""
    names = [FEATURES[i] for i in ABSOLUTE_FEATURES]
    model = {
        "features": names, "mean": [0.0] * 4, "scale": [1.0] * 4, "coef": [0.0] * 4, "intercept": intercept,
        "dense_coef": 0.0, "dense_intercept": -40.0,
    }
    return LanguageCalibration({"languages": {"id": model}})


def _matcher(calibration: LanguageCalibration) -> ClaimMatcher:
    encoder = HashingEncoder()
    matcher = ClaimMatcher(encoder, EmbeddingCache(None, encoder.key), calibration=calibration)
    matcher.index(CLAIMS)
    return matcher


def test_same_language_pairs_get_the_language_calibration_and_the_ranking_stays() -> None:
    matcher = _matcher(_calibration(-5.0))
    post = ["pemilih bisa mencoblos lewat SMS ke nomor 3388 katanya"]
    english_fit = matcher.search(post, top=3)[0]
    calibrated = matcher.search(post, top=3, languages=["id"])[0]
    assert [m.claim.id for m in calibrated] == [m.claim.id for m in english_fit]  # ranking unchanged
    for before, after in zip(english_fit, calibrated, strict=True):
        if before.claim.language == "id":
            assert after.probability == pytest.approx(1 / (1 + np.exp(5.0)))
        else:  # the cross-lingual pair keeps the English fit
            assert after.probability == before.probability
    # Another language, or none, changes nothing; a minimum reads the calibrated probability.
    assert [m.probability for m in matcher.search(post, top=3, languages=["ms"])[0]] == [
        m.probability for m in english_fit
    ]
    kept = matcher.search(post, top=3, min_score=0.01, languages=["id"])[0]
    assert all(m.claim.language != "id" for m in kept)


def test_the_shipped_calibration_loads_and_names_its_data() -> None:
    calibration = LanguageCalibration.load()
    assert calibration.languages == frozenset({"id"})
    meta = json.loads(DEFAULT_CALIBRATION.read_text(encoding="utf-8"))["languages"]["id"]["meta"]
    assert "turnbackhoax" in meta["data"] and meta["command"].startswith("bench/eval_claims_id.py")


def test_unreadable_or_mismatched_calibration_is_loud(tmp_path: Path) -> None:
    bad = tmp_path / "c.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DetectorUnavailable, match="eval_claims_id.py --fit"):
        LanguageCalibration.load(bad)
    model = {"features": ["cosine", "colour"], "mean": [0, 0], "scale": [1, 1], "coef": [1, 1], "intercept": 0}
    with pytest.raises(DetectorUnavailable, match="other features"):
        LanguageCalibration({"languages": {"id": model}})


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # Unrelated Indonesian talk: the English fit gave such comments a median 0.66 against
        # Indonesian fact-checks; the Indonesian calibration lists nothing.
        ("Cuaca hari ini cerah sekali, enak buat jalan-jalan ke taman bersama keluarga", "no-match"),
        ("Pemerintah harus lebih memperhatikan harga cabai di pasar, rakyat kecil menderita", "no-match"),
        # Repeats of the demo's Indonesian fact-checks still match.
        ("Katanya pemilih bisa mencoblos lewat SMS ke 3388, sebarkan ke grup!", "repeats-false-claim"),
        ("Beredar video kandidat Aminah Yusof menerima suap, ternyata buatan AI", "repeats-false-claim"),
    ],
)
def test_indonesian_posts_through_the_detector(claim_match: object, text: str, label: str) -> None:
    from pantau.schemas import EnrichedItem, MediaItem

    item = EnrichedItem(item=MediaItem(id="i", source="t", native_id="i", text=text, language="id"))
    signal = claim_match.detect([item])[0][0]  # type: ignore[attr-defined]
    assert signal.label == label
    if label == "no-match":
        assert "matches" not in signal.details


def test_the_shipped_calibration_is_the_pinned_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from detectors.disinfo import matcher

    assert hashlib.sha256(DEFAULT_CALIBRATION.read_bytes()).hexdigest() == matcher.CALIBRATION_SHA256
    monkeypatch.setattr(matcher, "CALIBRATION_SHA256", "0" * 64)
    with pytest.raises(DetectorUnavailable, match="not the pinned file"):
        LanguageCalibration.load()
