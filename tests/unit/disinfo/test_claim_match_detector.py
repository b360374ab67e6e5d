"""The registered detector on the shipped demo fact-checks, with the real multilingual encoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detectors.disinfo.claim_match import ClaimMatchDetector
from pantau.errors import DetectorUnavailable
from pantau.schemas import EnrichedItem, MediaItem
from pantau.settings import Settings


def _item(text: str) -> EnrichedItem:
    return EnrichedItem(item=MediaItem(id="i", source="t", native_id="i", text=text))


@pytest.mark.parametrize(
    ("post", "language", "expected_claim", "claim_language"),
    [
        ("PENTING: hari mengundi pilihan raya umum ditangguhkan ke 6 Disember!", "ms", "nfc-2026-0141", "en"),
        ("Pengundi boleh mengundi melalui SMS ke nombor 3388, sebarkan!", "ms", "cekfakta-2026-310", "id"),
        (
            "The commission says you can vote online by sending your IC number to a bot",
            "en",
            "semak-2026-077",
            "ms",
        ),
    ],
)
def test_a_post_finds_a_fact_check_in_another_language(
    claim_match: ClaimMatchDetector, post: str, language: str, expected_claim: str, claim_language: str
) -> None:
    [[signal]] = claim_match.detect([_item(post)])
    assert signal.detector == "disinfo.claim_match"
    assert signal.details["claim_id"] == expected_claim
    assert signal.details["language"] == claim_language != language
    assert signal.details["url"].startswith("https://")


def test_a_repeat_scores_above_an_unrelated_post_and_empty_text_gets_nothing(
    claim_match: ClaimMatchDetector,
) -> None:
    repeat = (
        "Ballot boxes in Tanjung Kenari were already filled with votes before polling day. Stolen election!"
    )
    unrelated = "Our rally in Kuala Seri had great food and music tonight"
    [[a], [b], empty] = claim_match.detect([_item(repeat), _item(unrelated), _item("  ")])
    assert a.details["claim_id"] == "nfc-2026-0152" and a.label == "repeats-false-claim"
    assert a.score > b.score
    assert empty == []


def test_repeating_a_true_claim_scores_zero_even_beside_a_false_one(claim_match: ClaimMatchDetector) -> None:
    post = "Reminder: polling day is Sunday 29 November, polls open 8am to 6pm. Bring your identity card."
    [[signal]] = claim_match.detect([_item(post)])
    assert signal.details["claim_id"] == "nfc-2026-0120"
    assert signal.label == "repeats-true-claim" and signal.score == 0.0


def test_a_configured_claims_file_that_cannot_be_read_fails_at_load(tmp_path: Path) -> None:
    d = ClaimMatchDetector({"claims": str(tmp_path / "missing.jsonl"), "include_samples": False})
    with pytest.raises(DetectorUnavailable, match="cannot read claims"):
        d.ensure_loaded()


def test_no_claims_at_all_fails_at_load_naming_the_fix(tmp_path: Path) -> None:
    d = ClaimMatchDetector({"include_samples": False})
    d.settings = Settings.load(overrides={"data_dir": tmp_path})
    with pytest.raises(DetectorUnavailable, match="pantau claims import"):
        d.ensure_loaded()


def test_claims_from_the_database_folder_are_matched(tmp_path: Path) -> None:
    folder = tmp_path / "claims"
    folder.mkdir()
    (folder / "claims.jsonl").write_text(
        json.dumps({"id": "db-1", "claim": "Voters must show a vaccination card to vote", "rating": "False"})
        + "\n"
    )
    d = ClaimMatchDetector({"include_samples": False})
    d.settings = Settings.load(overrides={"data_dir": tmp_path})
    d.ensure_loaded()
    [[signal]] = d.detect([_item("you need a vaccination card to vote!")])
    assert signal.details["claim_id"] == "db-1"


def test_a_post_that_repeats_nothing_lists_no_match(claim_match: ClaimMatchDetector) -> None:
    [[signal]] = claim_match.detect([_item("the weather is nice today")])
    assert signal.label == "no-match" and signal.score == 0.0
    assert "matches" not in signal.details  # before the minimum, three demo claims were listed


def test_min_score_zero_lists_the_nearest_claims_again(claim_match: ClaimMatchDetector) -> None:
    loose = ClaimMatchDetector({"min_score": 0.0})
    loose.settings = claim_match.settings
    loose.matcher = claim_match.matcher  # same index, other options
    loose._loaded = True  # noqa: SLF001
    [[signal]] = loose.detect([_item("the weather is nice today")])
    assert signal.label == "no-match" and len(signal.details["matches"]) == 3
