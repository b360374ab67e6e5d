from __future__ import annotations

import pytest

from detectors.disinfo.checkworthy import CheckworthyDetector
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
    # In the domain of the training tweets (COVID-19, 2020-21); off-domain scores are weak (model card).
    claim = "Studies show that 5G towers spread the coronavirus"
    chat = "Good morning everyone, have a lovely day!"
    [[a], [b]] = detector.detect([_item(claim), _item(chat)])
    assert a.score > b.score
    assert a.label == "check-worthy" and b.label == "not-check-worthy"


@pytest.mark.parametrize("text", ["", "   ", "https://t.co/x"])
def test_items_without_text_get_no_signal(detector: CheckworthyDetector, text: str) -> None:
    assert detector.detect([_item(text)]) == [[]]


def test_long_and_mixed_script_texts_are_scored(detector: CheckworthyDetector) -> None:
    out = detector.detect([_item("x" * 100_000), _item("选举 ditangguhkan வாக்கு 50%")])
    assert all(0.0 <= s[0].score <= 1.0 for s in out)


def test_missing_weights_fail_at_load_naming_the_fix(tmp_path) -> None:  # noqa: ANN001
    d = CheckworthyDetector({"weights": str(tmp_path / "none.npz")})
    with pytest.raises(DetectorUnavailable, match="eval_checkworthy.py --train"):
        d.ensure_loaded()
