"""Topic names are defined once, by stage, under one prefix."""

from __future__ import annotations

from streams.topics import Stage, Topics


def test_every_stage_has_a_prefixed_topic() -> None:
    topics = Topics("campaign1")
    assert topics.all() == [
        "campaign1.raw-items",
        "campaign1.enriched-items",
        "campaign1.signals",
        "campaign1.incidents",
        "campaign1.alerts",
        "campaign1.dead-letters",
    ]
    assert topics.name(Stage.DEAD_LETTERS) == topics.dead_letters


def test_default_prefix_is_pantau() -> None:
    assert Topics().raw_items == "pantau.raw-items"
