"""``gbv.lexicon`` finds gendered slurs in six languages through evasions, and not in ordinary words."""

from __future__ import annotations

import pytest

from detectors.gbv.lexicon import GbvLexiconDetector, load_lexicon
from tests.unit.gbv.conftest import make_item

LEXICON = load_lexicon()


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("she is such a slut", "slut"),
        ("5lut", "slut"),
        ("s l u t", "slut"),
        ("s\u200blut", "slut"),
        ("sluuuuts everywhere", "slut"),
        ("dasar perempuan jalang", "perempuan jalang"),  # ms / id
        ("memang lonte dia", "lonte"),  # id
        ("pokpok ka talaga", "pokpok"),  # tl
        ("bumalik ka sa kusina", "bumalik ka sa kusina"),  # tl
        ("con đĩ này", "con đĩ"),  # vi
        ("อีตัวนี่มันร่าน", "อีตัว"),  # th, no spaces
        ("go back to the kitchen", "back to the kitchen"),
    ],
)
def test_finds_term(text: str, term: str) -> None:
    assert term in {m.entry.term for m in LEXICON.find(text)}


@pytest.mark.parametrize(
    "text",
    [
        "con đi học",  # vi "child goes to school": đi is not đĩ
        "Scunthorpe United won",  # no match inside words
        "we explored a cave",  # vi slang 'cave' counts only in Vietnamese text
        "the candidate presented her manifesto",
        "😀😀😀",
        "",
    ],
)
def test_ordinary_text_matches_nothing(text: str) -> None:
    assert LEXICON.find(text) == []


def test_language_restricted_term_counts_in_its_language() -> None:
    assert [m.entry.term for m in LEXICON.find("cave", ["vi"])] == ["cave"]


def test_signal_masks_terms_in_evidence_and_explains_in_details() -> None:
    detector = GbvLexiconDetector()
    [[signal]] = detector.detect([make_item("you sl*t, you whore")])
    assert signal.detector == "gbv.lexicon"
    assert signal.score >= 0.8
    assert signal.label == "slur"
    assert "whore" not in signal.evidence and "w***e" in signal.evidence
    assert {m["term"] for m in signal.details["matches"]} == {"whore"}


@pytest.mark.parametrize("text", ["😀🔥💯", "x" * 50_000 + " slut", "Bà ấy là ứng viên. อีตัว. Dia calon."])
def test_bad_input_gives_a_signal_not_a_crash(text: str) -> None:
    [[signal]] = GbvLexiconDetector().detect([make_item(text)])
    assert 0.0 <= signal.score <= 1.0


def test_item_without_text_gets_no_signal() -> None:
    assert GbvLexiconDetector().detect([make_item("   ")]) == [[]]
