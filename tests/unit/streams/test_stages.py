from __future__ import annotations

from codes.calendar import Calendar
from codes.engine import CodeEngine
from detectors.registry import DetectorRegistry
from pantau.registry import Registry
from pantau.schemas import EnrichedItem, MediaItem
from streams.stages import detect, enrich, judge
from tests.mocks.detectors import ExplodingDetector, KeywordDetector, UpperEnricher


def _batch(*texts: str) -> list[EnrichedItem]:
    return [EnrichedItem(item=MediaItem(id=f"i{n}", source="s", native_id=str(n), text=t)) for n, t in enumerate(texts)]


def test_enrichers_fill_the_enrichment_in_place() -> None:
    registry = DetectorRegistry([UpperEnricher()])
    ok, dead = enrich(_batch("abc"), registry)
    assert not dead and ok[0].enrichment.text_parts[0].text == "ABC"
    assert ok[0].enrichment.done == ["test.upper"]


def test_a_detector_failing_on_one_item_dead_letters_only_that_item() -> None:
    registry = DetectorRegistry([KeywordDetector(), ExplodingDetector()])
    ok, signals, dead = detect(_batch("bad one", "boom", "fine"), registry)
    assert [e.item.id for e in ok] == ["i0", "i2"]
    assert [d.item_id for d in dead] == ["i1"]
    assert dead[0].stage == "detect:test.exploding" and "exploded" in dead[0].reason
    assert signals["i0"][0].score == 1.0 and signals["i2"][0].score == 0.0


def test_judge_turns_breaches_into_incidents_with_stable_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = tmp_path / "c.yaml"
    code.write_text('id: c\ntitle: t\nversion: "2"\nclauses:\n  - id: K\n    title: kw\n    text: no kw\n'
                    '    family: gbv\n    severity: low\n    applies_to: anyone\n'
                    '    rule: signals["test.keyword"].score > 0.5\n')
    engine = CodeEngine.from_files([code], signal_names={"test.keyword"})
    registry = DetectorRegistry([KeywordDetector()])
    ok, signals, _ = detect(_batch("bad", "good"), registry)
    incidents, dead = judge(ok, signals, engine, Registry(), Calendar())
    assert not dead
    assert [i.item.id for i in incidents] == ["i0"]
    assert incidents[0].breach.code_version == "2"
    again, _ = judge(ok, signals, engine, Registry(), Calendar())
    assert again[0].id == incidents[0].id


class _CountingDetector(KeywordDetector):
    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def detect(self, batch):  # type: ignore[no-untyped-def]
        self.seen += len(batch)
        return super().detect(batch)


def test_repeated_content_is_scored_once_and_every_copy_gets_its_own_signal() -> None:
    from streams.stages import SignalCache

    detector = _CountingDetector()
    registry = DetectorRegistry([detector])
    cache = SignalCache()
    _, signals, _ = detect(_batch("bad", "bad", "good", "bad"), registry, cache=cache)
    assert detector.seen == 2
    assert [signals[f"i{n}"][0].item_id for n in range(4)] == ["i0", "i1", "i2", "i3"]
    assert signals["i3"][0].score == 1.0 and signals["i2"][0].score == 0.0
    _, again, _ = detect(_batch("bad"), registry, cache=cache)
    assert detector.seen == 2 and again["i0"][0].score == 1.0


def test_copies_of_content_that_fails_are_dead_lettered_too() -> None:
    from streams.stages import SignalCache

    registry = DetectorRegistry([ExplodingDetector()])
    ok, _, dead = detect(_batch("boom", "boom", "fine"), registry, cache=SignalCache())
    assert [e.item.id for e in ok] == ["i2"]
    assert sorted(d.item_id for d in dead) == ["i0", "i1"]
