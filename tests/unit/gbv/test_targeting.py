"""``gbv.targeting`` says which registered women in politics a post addresses, and how."""

from __future__ import annotations

import pytest

from codes.registry import Registry
from detectors.gbv.targeting import GbvTargetingDetector, find_targets
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
        ("bu ratna pembohong", {}, {"ratna-wulandari": "variant"}),
        ("Commissioner Santos is biased", {}, {"maria-santos": "variant"}),
        ("AMINAH YUSOF out!", {}, {"aminah-yusof": "name"}),
        ("Datuk Hafiz is a liar", {}, {"hafiz-rahim": "variant"}),
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
