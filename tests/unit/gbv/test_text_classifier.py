"""``gbv.text`` with the shipped weights: sexist abuse scores above neutral text, bad input is handled."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.gbv.text_classifier import GbvTextDetector, text_label
from detectors.gbv.text_model import (
    DEFAULT_WEIGHTS,
    GbvTextModel,
    TextScores,
    is_english,
    language_group,
    route,
    shared_model,
    verify_weights,
)
from pantau.errors import DetectorUnavailable
from tests.unit.gbv.conftest import make_item

pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="gbv.text weights not built")

SEXIST = "Women are too stupid and emotional to be in politics, she should go back to the kitchen"
NEUTRAL = "The candidate presented her plan for public transport at the town hall on Monday"


@pytest.fixture(scope="module")
def char_only() -> GbvTextDetector:
    """The detector without the encoder (fast)."""
    detector = GbvTextDetector({"use_encoder": False})
    detector.ensure_loaded()
    return detector


def test_sexist_text_scores_above_neutral(char_only: GbvTextDetector) -> None:
    [[sexist], [neutral]] = char_only.detect([make_item(SEXIST), make_item(NEUTRAL)])
    assert sexist.detector == "gbv.text"
    assert sexist.score > 0.5 > neutral.score
    assert sexist.label.startswith("sexist/")
    assert neutral.label == "not-sexist"
    assert set(sexist.details["categories"]) == {"threats", "derogation", "animosity", "prejudiced"}


def test_zero_width_evasion_scores_like_the_plain_text(char_only: GbvTextDetector) -> None:
    evasive = "\u200b".join(SEXIST)
    [[plain], [hidden]] = char_only.detect([make_item(SEXIST), make_item(evasive)])
    assert hidden.score == pytest.approx(plain.score, abs=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "😀😂🔥💯",
        "x" * 50_000,
        "Bà ấy là ứng viên อีตัว dia calon 她是候选人 " * 10,
        "\u200b\u200c\u200d\ufeff",
        "\ud800 lone surrogate",
    ],
)
def test_bad_input_gives_a_bounded_score(char_only: GbvTextDetector, text: str) -> None:
    results = char_only.detect([make_item(text)])
    assert len(results) == 1
    for signal in results[0]:
        assert 0.0 <= signal.score <= 1.0


def test_items_without_text_get_no_signal(char_only: GbvTextDetector) -> None:
    assert char_only.detect([make_item(""), make_item("  ")]) == [[], []]


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("She is a disgrace to this country", True),
        ("Ang bobo naman ng babaeng yan", False),  # Tagalog
        ("Mar Roxas TANG INA TUWID NA DAAN DAW", False),  # Taglish CLD2 may call English
        ("Dia memang tak layak jadi wakil rakyat", False),  # Malay
        ("Con mụ này ngu quá", False),  # Vietnamese
        ("😀😀", False),
    ],
)
def test_routing(text: str, english: bool) -> None:
    assert is_english(text) == english


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ang bobo naman ng babaeng yan", "asean"),
        ("Con mụ này ngu quá", "asean"),
        ("Dia memang tak layak jadi wakil rakyat", "asean"),
        ("ผู้หญิงไม่ควรเป็นนายก", "asean"),
        ("She is a disgrace", "en"),
        ("Она позор страны", "other"),
    ],
)
def test_route(text: str, expected: str) -> None:
    assert route(text) == expected


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("Tangina. Bat si mar roxas pumapangalawa", "tl"),  # Taglish CLD2 calls English
        ("Kalau korupsi ganti pengeluaran drmna yaÔøΩ", "ms-id"),  # mojibake is not Vietnamese
        ("Con mụ này ngu quá", "vi"),
        ("ผู้หญิงไม่ควรเป็นนายก", "th"),
        ("She is a disgrace to this country", "en"),
    ],
)
def test_language_group(text: str, group: str) -> None:
    assert language_group(text) == group


def test_weights_with_a_wrong_sha256_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "gbv_text.npz"
    copy.write_bytes(DEFAULT_WEIGHTS.read_bytes() + b"tampered")
    (tmp_path / "SHA256SUMS").write_text(f"{'0' * 64}  gbv_text.npz\n")
    with pytest.raises(DetectorUnavailable, match="sha256"):
        GbvTextModel.load(copy, use_encoder=False)


def test_shipped_weights_match_their_pin() -> None:
    verify_weights(DEFAULT_WEIGHTS)  # raises on a mismatch
    assert (DEFAULT_WEIGHTS.parent / "SHA256SUMS").read_text().split()[1] == DEFAULT_WEIGHTS.name


@pytest.mark.parametrize(
    ("scores", "label"),
    [
        (
            TextScores(0.9, 0.1, {"threats": 0.7, "derogation": 0.1, "animosity": 0.1, "prejudiced": 0.1}),
            "sexist/threats",
        ),
        (TextScores(0.2, 0.9, {}, route="asean"), "abusive"),
        (TextScores(0.2, 0.9, {}, route="en"), "not-sexist"),
    ],
)
def test_text_label(scores: TextScores, label: str) -> None:
    assert text_label(scores) == label


def test_encoder_blend_runs_and_caches() -> None:
    model = shared_model(DEFAULT_WEIGHTS, True)
    first = model.predict([SEXIST, NEUTRAL])
    again = model.predict([NEUTRAL, SEXIST])
    assert first[0].score > first[1].score
    assert (again[1].sexism, again[0].sexism) == (first[0].sexism, first[1].sexism)
