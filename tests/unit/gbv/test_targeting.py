"""``gbv.targeting`` says which registered women in politics a post addresses, and how."""

from __future__ import annotations

import pytest

from detectors.gbv.targeting import GbvTargetingDetector, find_targets
from pantau.registry import Registry
from pantau.settings import Settings
from tests.unit.gbv.conftest import SAMPLE_REGISTRY, make_item


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("so corrupt", {"reply_to": "@aminahyusof", "platform": "x"}, {"aminah-yusof": "reply"}),
        ("@aminahyusof go home", {}, {"aminah-yusof": "handle"}),
        (
            "so corrupt",
            {"mentions": ["ratna.wulandari"], "platform": "facebook"},
            {"ratna-wulandari": "handle"},
        ),
        ("Ratna Sari Wulandari is a liar", {}, {"ratna-wulandari": "name"}),
        ("bu ratna pembohong", {}, {"ratna-wulandari": "honorific"}),
        ("Commissioner Santos is biased", {}, {"maria-santos": "honorific"}),
        ("AMINAH YUSOF out!", {}, {"aminah-yusof": "name"}),
        ("Datuk Hafiz is a liar", {}, {"hafiz-rahim": "honorific"}),
        ("nobody registered here", {}, {}),
    ],
)
def test_find_targets(registry: Registry, text: str, fields: dict, expected: dict) -> None:
    targets = find_targets(
        registry, text, fields.get("mentions", ()), fields.get("reply_to"), fields.get("platform")
    )
    assert {t.person.id: t.how for t in targets} == expected


def test_author_is_not_her_own_target(registry: Registry) -> None:
    assert find_targets(registry, "Aminah Yusof thanks you", platform="x", author="@aminahyusof") == []


@pytest.mark.parametrize(
    ("text", "label", "score", "targets"),
    [
        ("Aminah Yusof should resign", "targets-woman", 0.9, ["aminah-yusof"]),
        ("Datuk Hafiz should resign", "targets-person", 0.0, []),
        ("nice weather", "no-target", 0.0, []),
    ],
)
def test_signal(text: str, label: str, score: float, targets: list[str]) -> None:
    detector = GbvTargetingDetector()
    detector.settings = Settings(registry_file=SAMPLE_REGISTRY)
    [[signal]] = detector.detect([make_item(text)])
    assert (signal.label, signal.score, signal.details["targets"]) == (label, score, targets)


@pytest.mark.parametrize(
    ("text", "person", "how", "matched"),
    [
        ("Aminah should go back to the kitchen", "aminah-yusof", "first-name", "Aminah"),
        ("AMINAH PEREMPUAN MURAHAN", "aminah-yusof", "first-name", "AMINAH"),  # OCR of a meme
        ("Ibu Wulandari tidak layak", "ratna-wulandari", "honorific", "ibu wulandari"),
        ("Datuk Seri Aminah lagi", "aminah-yusof", "honorific", "datuk seri aminah"),
        ("Ate Maria ang bobo mo", "maria-santos", "honorific", "ate maria"),
        ("aminah y. lagi", "aminah-yusof", "variant", "aminah y."),  # registered nickname
    ],
)
def test_first_name_honorific_and_nickname(
    registry: Registry, text: str, person: str, how: str, matched: str
) -> None:
    [target] = find_targets(registry, text)
    assert (target.person.id, target.how, target.matched) == (person, how, matched)
    assert target.is_woman_in_politics


def test_a_first_name_in_lower_case_is_a_word_not_a_name(registry: Registry) -> None:
    # "maria" written in lower case is not taken for a first name (it could be any word).
    assert find_targets(registry, "ave maria gratia plena") == []


def test_a_shared_first_name_scores_lower_and_lists_everyone() -> None:
    reg = Registry.model_validate({"people": [
        {"id": "siti-a", "name": "Siti Aisyah", "gender": "female"},
        {"id": "siti-b", "name": "Siti Balqis", "gender": "female"},
    ]})
    targets = find_targets(reg, "Siti memang bodoh")
    assert {t.person.id: (t.how, t.score) for t in targets} == {
        "siti-a": ("first-name-shared", 0.5), "siti-b": ("first-name-shared", 0.5)}


def test_pronoun_referring_to_a_named_woman(registry: Registry) -> None:
    [target] = find_targets(registry, "Aminah again. She should shut up")
    assert target.pronoun is True
    [other] = find_targets(registry, "Aminah launched a manifesto")
    assert other.pronoun is False


def test_signal_says_who_and_how_for_ocr_text() -> None:
    from pantau.schemas import Enrichment, TextPart

    detector = GbvTargetingDetector()
    detector.settings = Settings(registry_file=SAMPLE_REGISTRY)
    enrichment = Enrichment(text_parts=[TextPart(origin="ocr", text="AMINAH BALIK DAPUR")])
    [[signal]] = detector.detect([make_item("lol", enrichment=enrichment)])
    assert (signal.label, signal.score) == ("targets-woman", 0.7)
    assert signal.details["people"][0]["how"] == "first-name"
    assert "Aminah Yusof (first-name: 'AMINAH')" in signal.evidence
