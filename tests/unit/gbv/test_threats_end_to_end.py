"""Threats against named women and first-name targeting, through the detectors and the judge.

The threat head (trained on threat-labelled data, not pronoun patterns) must read a threat
aimed at a name ("Someone should shoot Aminah Yusof", "Ratna akan kami perkosa"), leave near
misses alone, and the model code must raise an incident when the woman is named by her first
name only, as in the OCR of a meme.
"""

from __future__ import annotations

import pytest

from codes.calendar import Calendar
from codes.engine import CodeEngine
from detectors.gbv.lexicon import GbvLexiconDetector
from detectors.gbv.targeting import GbvTargetingDetector
from detectors.gbv.text_model import DEFAULT_WEIGHTS
from detectors.gbv.threat import GbvThreatDetector
from pantau.registry import load_registry
from pantau.schemas import EnrichedItem, Enrichment, TextPart
from pantau.settings import DEFAULT_CODE, Settings
from streams.stages import judge
from tests.unit.gbv.conftest import SAMPLE_REGISTRY, make_item

pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="gbv.text weights not built")

THREATS = ["Someone should shoot Aminah Yusof", "Ratna akan kami perkosa"]
NEAR_MISSES = [
    "Someone should call Aminah Yusof about the flood relief",
    "Ratna akan kami undang ke debat minggu depan",
    "Aminah Yusof will shoot a new campaign video in Bukit Mawar",
    "Kami akan memilih Ratna dalam pemilu nanti",
]


@pytest.fixture(scope="module")
def threat() -> GbvThreatDetector:
    """``gbv.threat`` with its trained head (encoder on, as shipped)."""
    detector = GbvThreatDetector()
    detector.ensure_loaded()
    return detector


@pytest.mark.parametrize("text", THREATS)
def test_threat_at_a_named_woman_scores_above_half(threat: GbvThreatDetector, text: str) -> None:
    [[signal]] = threat.detect([make_item(text)])
    assert signal.label == "threat" and signal.score >= 0.5
    assert signal.details["model_threat"] >= 0.5  # the trained head, not a pattern


def test_sexual_threat_is_marked_sexual(threat: GbvThreatDetector) -> None:
    [[signal]] = threat.detect([make_item("Ratna akan kami perkosa")])
    assert signal.details["sexual"] is True


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_benign_near_misses_are_no_threat(threat: GbvThreatDetector, text: str) -> None:
    [[signal]] = threat.detect([make_item(text)])
    assert signal.score < 0.5 and signal.label == "no-threat"


def _incidents(enriched: EnrichedItem) -> list[str]:
    settings = Settings(registry_file=SAMPLE_REGISTRY)
    detectors = [GbvTargetingDetector(), GbvThreatDetector(), GbvLexiconDetector()]
    for detector in detectors:
        detector.settings = settings
    signals = [s for d in detectors for s in d.detect([enriched])[0]]
    engine = CodeEngine.from_files([DEFAULT_CODE], signal_names=None)
    incidents, dead = judge([enriched], {enriched.item.id: signals}, engine, load_registry(SAMPLE_REGISTRY),
                            Calendar())
    assert dead == []
    return [i.breach.clause_id for i in incidents]


def _meme(ocr: str) -> EnrichedItem:
    return make_item("lihat ni", enrichment=Enrichment(text_parts=[TextPart(origin="ocr", text=ocr)]))


def test_slur_on_a_meme_naming_her_by_first_name_raises_an_incident() -> None:
    # The caption says nothing; the OCR of the image names Aminah by her first name alone,
    # which the registry's name match (item.targets) misses and gbv.targeting finds (0.7).
    assert "GBV-1" in _incidents(_meme("AMINAH LONTE MURAHAN"))


def test_the_same_slur_at_an_unregistered_first_name_raises_nothing() -> None:
    assert "GBV-1" not in _incidents(_meme("ZAINAB LONTE MURAHAN"))


def test_threat_at_her_first_name_raises_the_threat_clause() -> None:
    assert "GBV-2" in _incidents(_meme("Aminah akan kami perkosa"))


@pytest.mark.parametrize("text", THREATS)
def test_the_issue_sentences_raise_the_threat_clause(text: str) -> None:
    assert "GBV-2" in _incidents(make_item(text))


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_raise_no_threat_clause(text: str) -> None:
    assert "GBV-2" not in _incidents(make_item(text))
