"""No text, however hostile, crashes a text detector of the gbv family or leaves [0, 1]."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.gbv.doxxing import GbvDoxxingDetector
from detectors.gbv.lexicon import GbvLexiconDetector
from detectors.gbv.targeting import GbvTargetingDetector
from detectors.gbv.text_classifier import GbvTextDetector
from detectors.gbv.text_model import DEFAULT_WEIGHTS
from detectors.gbv.threat import GbvThreatDetector
from pantau.settings import Settings
from tests.unit.gbv.conftest import SAMPLE_REGISTRY, make_item

EVASIVE = st.sampled_from(
    ["\u200b", "\u200d", "\ufeff", "\u202e", "ѕ", "ＳＬＵＴ", "5", " ", ".", "😀", "อี", "đĩ"]
)
HOSTILE_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(EVASIVE, st.text(max_size=5)), max_size=80).map("".join),
)


@pytest.fixture(scope="module")
def detectors() -> list:
    """Every text detector, with the demo registry (the text model without its encoder, for speed)."""
    found = [
        GbvLexiconDetector(),
        GbvThreatDetector({"use_model": False}),
        GbvDoxxingDetector(),
        GbvTargetingDetector(),
    ]
    if DEFAULT_WEIGHTS.exists():
        found.append(GbvTextDetector({"use_encoder": False}))
    for detector in found:
        detector.settings = Settings(registry_file=SAMPLE_REGISTRY)
        detector.ensure_loaded()
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE_TEXT)
def test_hostile_text_gives_bounded_signals(detectors: list, text: str) -> None:
    item = make_item(text)
    for detector in detectors:
        results = detector.detect([item])
        assert len(results) == 1
        for signal in results[0]:
            assert 0.0 <= signal.score <= 1.0
            assert signal.detector == detector.name
