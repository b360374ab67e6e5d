from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from detectors.disinfo.election_process import ElectionProcessDetector, find_process_claims, stated_dates
from pantau.schemas import EnrichedItem, MediaItem
from pantau.settings import Settings

POLLING = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("text", "label", "min_score"),
    [
        ("Anda juga boleh mengundi melalui SMS ke 3388. Kongsikan!", "vote-by-sms", 0.9),
        ("Pemilih bisa mencoblos lewat SMS ke 3388", "vote-by-sms", 0.9),
        ("Text VOTE to 3388 to cast your vote", "vote-by-sms", 0.9),
        ("You can vote via WhatsApp this year", "vote-by-sms", 0.9),
        ("Voting will also be possible online this year", "vote-online", 0.9),
        ("Undi secara dalam talian sekarang", "vote-online", 0.9),
        ("Pemungutan suara bisa dilakukan secara daring", "vote-online", 0.9),
        ("The election has been postponed", "postponement", 0.9),
        ("Hari mengundi ditangguhkan!", "postponement", 0.9),
        ("Pemilu ditunda karena banjir", "postponement", 0.9),
        ("Vote on 1 December for change!", "wrong-date", 0.8),
        ("Pilih nomor 2 tanggal 30 November!", "wrong-date", 0.8),
        ("Polling day is 2026-12-06", "wrong-date", 0.8),
    ],
)
def test_false_process_statements_are_found(text: str, label: str, min_score: float) -> None:
    findings = find_process_claims(text, POLLING)
    assert findings and findings[0].label == label and findings[0].score >= min_score


@pytest.mark.parametrize(
    "text",
    [
        "Pilih nomor 2 tanggal 29 November!",
        "Vote on 29 November 2026, polls open at 8 am",
        "Nomination day is 7 November and we will vote on 29 November",
        "I love voting with my family at the school",
        "Harga beras turun, internet desa untuk semua",
        "Call 3388 for information about our rally",
        "",
    ],
)
def test_correct_or_unrelated_statements_are_not_flagged(text: str) -> None:
    assert find_process_claims(text, POLLING, other_dates=[date(2026, 11, 7)]) == []


@pytest.mark.parametrize(
    "text",
    [
        "You cannot vote by SMS. That message is a hoax.",
        "HOAKS: pemilu tidak ditunda",
        "Polling day is not postponed",
    ],
)
def test_denials_and_corrections_score_low(text: str) -> None:
    findings = find_process_claims(text, POLLING)
    assert findings and max(f.score for f in findings) < 0.5


def test_a_lawful_method_in_the_calendar_is_not_flagged() -> None:
    assert find_process_claims("You can vote online", POLLING, voting_methods=["in person", "online"]) == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("on 6 Disember", [date(2026, 12, 6)]),
        ("on December 6, 2027", [date(2027, 12, 6)]),
        ("tanggal 6 Desember", [date(2026, 12, 6)]),
        ("pada 6hb Disember", [date(2026, 12, 6)]),
        ("on 31 February", []),
        ("on 6/12", [date(2026, 12, 6)]),
    ],
)
def test_dates_are_read_in_three_languages(sentence: str, expected: list[date]) -> None:
    assert stated_dates(sentence, POLLING) == expected


def _item(text: str) -> EnrichedItem:
    return EnrichedItem(item=MediaItem(id="i", source="t", native_id="i", text=text))


def test_detector_reads_the_calendar_and_signals_per_item(settings: Settings) -> None:
    detector = ElectionProcessDetector()
    detector.settings = settings
    detector.ensure_loaded()
    out = detector.detect(
        [_item("Hari mengundi ditangguhkan ke 6 Disember."), _item(""), _item("Selamat pagi")]
    )
    assert out[0][0].detector == "disinfo.election_process" and out[0][0].score >= 0.85
    assert out[0][0].details["polling_day"] == "2026-11-29"
    assert out[1] == []
    assert out[2][0].score == 0.0 and out[2][0].label == "no-process-claim"


def test_detector_without_a_readable_calendar_still_runs(tmp_path: Path) -> None:
    bad = tmp_path / "cal.yaml"
    bad.write_text("elections: [{id: x}]")
    detector = ElectionProcessDetector({"calendar_file": str(bad)})
    detector.ensure_loaded()
    [[signal]] = detector.detect([_item("You can vote by SMS")])
    assert signal.label == "vote-by-sms"
