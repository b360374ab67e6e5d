"""A rule that is cheap at load but slow on one item: that item is dead-lettered, the run goes on (issue 19, row 7)."""

from __future__ import annotations

from pathlib import Path

from codes.calendar import Calendar
from codes.cost import MAX_RULE_COST, RuleClock, rule_cost
from codes.engine import CodeEngine
from pantau.registry import Registry
from pantau.schemas import EnrichedItem, Family, MediaItem, Signal
from streams.stages import judge

HEADER = 'id: t\ntitle: T\nversion: "1"\nclauses:\n'
# Two nested loops over the item's mentions: 10,100 steps at load (a list of the item is guessed 100
# long), 36 million on an item with 6,000 mentions (about 30 s of CEL on the 2-core build machine). The
# limit in the test is 1 s: 30 times under that item, over 1,000 times over what the other items take,
# so a slower or busier machine changes neither outcome.
SLOW = 'signals["gbv.text"].score > 0.5 && item.mentions.all(a, item.mentions.all(b, a + b != "xyz"))'
FAST = 'signals["gbv.text"].score > 0.5'


def _engine(tmp_path: Path) -> CodeEngine:
    path = tmp_path / "code.yaml"
    clauses = "".join(
        f"  - id: {cid}\n    title: t\n    text: t\n    family: gbv\n    severity: high\n"
        f"    applies_to: anyone\n    rule: '{rule}'\n"
        for cid, rule in (("FAST1", FAST), ("SLOW2", SLOW))
    )
    path.write_text(HEADER + clauses)
    return CodeEngine.from_files([path], signal_names={"gbv.text"})


def _item(item_id: str, mentions: int) -> EnrichedItem:
    item = MediaItem(id=item_id, source="s", native_id=item_id, text="t",
                     mentions=[f"m{n}" for n in range(mentions)])
    return EnrichedItem(item=item)


def _signal(item_id: str) -> Signal:
    return Signal(item_id=item_id, detector="gbv.text", version="1", family=Family.GBV, score=0.9, label="x")


def test_an_item_over_the_time_limit_is_dead_lettered_naming_the_clause_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    assert rule_cost(SLOW) < MAX_RULE_COST  # accepted at load: only the run-time limit can stop it
    engine.time_limit_s = 1.0
    batch = [_item("before", 3), _item("slow", 6000), _item("after", 3)]
    signals = {e.item.id: [_signal(e.item.id)] for e in batch}
    incidents, dead = judge(batch, signals, engine, Registry(), Calendar())
    assert sorted((i.item.id, i.breach.clause_id) for i in incidents) == [
        ("after", "FAST1"), ("after", "SLOW2"), ("before", "FAST1"), ("before", "SLOW2"),
    ]
    assert [d.item_id for d in dead] == ["slow"]
    assert "clause SLOW2 of code t ran past the time limit of 1 s" in dead[0].reason
    assert dead[0].stage == "judge"


def test_within_the_limit_the_clock_changes_no_verdict(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    engine.time_limit_s = 60.0
    breaches = engine.judge(_item("i", 200), [_signal("i")], Registry(), Calendar())
    assert sorted(b.clause_id for b in breaches) == ["FAST1", "SLOW2"]


def test_the_clock_answers_nothing_before_its_deadline_and_an_empty_map_after() -> None:
    clock = RuleClock(3600.0)
    assert clock("item") is None and not clock.late
    spent = RuleClock(0.0)
    assert spent("signals") == {} and spent.late
    assert spent("item") == {}  # stays late
