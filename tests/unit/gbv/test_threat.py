"""``gbv.threat`` patterns catch explicit threats in six languages and leave ordinary speech alone."""

from __future__ import annotations

import pytest

from detectors.gbv.threat import GbvThreatDetector, find_threats
from tests.unit.gbv.conftest import make_item


@pytest.mark.parametrize(
    ("text", "pattern", "sexual"),
    [
        ("I will kill you bitch", "en.first-person", False),
        ("im gonna rape her", "en.sexual", True),
        ("she deserves to be shot", "en.should-die", False),
        ("I know where you live", "en.know-where", False),
        ("We know where Aminah Yusof lives", "en.know-where", False),
        ("I will k1ll her", "en.first-person", False),  # leetspeak
        ("aku bunuh kau", "ms-id.kill", False),
        ("gue tau rumah lo", "ms-id.know-where", False),
        ("papatayin kita", "tl.kill", False),
        ("gagahasain kita", "tl.sexual", True),
        ("tao sẽ giết mày", "vi.kill", False),
        ("tao se giet may", "vi.kill", False),  # typed without tone marks
        ("จะฆ่ามันให้ได้", "th.kill", False),
    ],
)
def test_threat_pattern_matches(text: str, pattern: str, sexual: bool) -> None:
    found = find_threats(text)
    assert pattern in {p.id for p in found}
    assert any(p.sexual for p in found) == sexual


@pytest.mark.parametrize(
    "text",
    ["I will vote for her", "Kill the bill", "This policy will hurt farmers", "Saya akan undi dia", "😀", ""],
)
def test_ordinary_speech_is_no_threat(text: str) -> None:
    assert find_threats(text) == []


def test_detector_without_model_scores_patterns() -> None:
    detector = GbvThreatDetector({"use_model": False})
    [[threat], [calm]] = detector.detect([make_item("I will kill you"), make_item("I will vote for you")])
    assert (threat.label, calm.label) == ("threat", "no-threat")
    assert threat.score >= 0.8 > calm.score
    assert threat.details["patterns"] == ["en.first-person"]
