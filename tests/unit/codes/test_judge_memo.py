"""The judge remembers verdicts by exactly the facts the rules read, and never shares one it should not."""

from __future__ import annotations

from pathlib import Path

import pytest

from codes.calendar import Calendar
from codes.engine import CodeEngine, reads_by_name_only
from pantau.registry import load_registry
from pantau.schemas import EnrichedItem, Family, MediaItem, Signal
from pantau.settings import DEFAULT_CODE, DEFAULT_REGISTRY


def _enriched(item_id: str, text: str, account: str | None = None) -> EnrichedItem:
    return EnrichedItem(item=MediaItem(id=item_id, source="s", native_id=item_id, text=text, account=account,
                                       platform="x"))


def _signal(item_id: str, name: str, score: float, family: Family = Family.GBV, **details: object) -> Signal:
    return Signal(item_id=item_id, detector=name, version="1", family=family, score=score, label="x",
                  details=dict(details))


def _verdicts(engine: CodeEngine, cases: list[tuple[EnrichedItem, list[Signal]]]) -> list[list[tuple[str, str | None]]]:
    registry = load_registry(DEFAULT_REGISTRY)
    return [[(b.clause_id, b.attributed_party) for b in engine.judge(e, s, registry, Calendar())] for e, s in cases]


def _cases() -> list[tuple[EnrichedItem, list[Signal]]]:
    """A share cascade (same content, other accounts) mixed with items that differ in what rules read."""
    cases = []
    for n in range(4):
        cases.append((_enriched(f"a{n}", "Aminah Yusof tak layak, perempuan bodoh", account=f"@user{n}"), [_signal(f"a{n}", "gbv.text", 0.95)]))
        cases.append((_enriched(f"b{n}", "Aminah Yusof tak layak, perempuan bodoh", account=f"@user{n}"), [_signal(f"b{n}", "gbv.text", 0.10)]))
        cases.append((_enriched(f"c{n}", "AI poster", account="@pbn_official"),
                      [_signal(f"c{n}", "synthetic.provenance", 1.0, Family.SYNTHETIC)]))
        cases.append((_enriched(f"d{n}", "AI poster", account="@someone"),
                      [_signal(f"d{n}", "synthetic.provenance", 1.0, Family.SYNTHETIC)]))
        cases.append((_enriched(f"e{n}", "AI poster, made with AI", account="@pbn_official"),
                      [_signal(f"e{n}", "synthetic.provenance", 1.0, Family.SYNTHETIC),
                       _signal(f"e{n}", "synthetic.disclosure", 1.0, Family.SYNTHETIC, visible=True)]))
    return cases


def test_memo_gives_the_same_breaches_as_judging_every_item_afresh() -> None:
    remembered = CodeEngine.from_files([DEFAULT_CODE], signal_names=None)
    afresh = CodeEngine.from_files([DEFAULT_CODE], signal_names=None)
    afresh.memo_entries = 0
    cases = _cases()
    expected = _verdicts(afresh, cases)
    assert _verdicts(remembered, cases) == expected
    assert afresh.memo_hits == 0
    assert remembered.memo_hits == len(cases) - 5  # five distinct (content, author) groups, each judged once
    # The groups really differ: a breach by a signatory is attributed, the same post by anyone else is not,
    # a visible AI disclosure clears AID-1, and a low score is no breach.
    assert expected[0] == [("GBV-1", None)] and expected[1] == []
    assert ("AID-1", "pbn") in expected[2] and all(c != "AID-1" for c, _ in expected[3])
    assert all(c != "AID-1" for c, _ in expected[4])


def test_memo_is_bounded() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE], signal_names=None)
    engine.memo_entries = 2
    _verdicts(engine, [(_enriched(f"i{n}", "x"), [_signal(f"i{n}", "gbv.text", n / 10)]) for n in range(6)])
    assert len(engine._memo) == 2


@pytest.mark.parametrize(
    ("rule", "safe"),
    [
        ('signals["gbv.text"].score > 0.5 && item.paid', True),
        ("item.targets.exists(t, t.gender == \"female\") && calendar.in_silence", True),
        ('"item" == "signals"', True),  # words inside strings are not reads
        ('signals.exists(k, signals[k].score > 0.9)', False),
        ('item["text"] == ""', False),
        ("size(item) > 0", False),
    ],
)
def test_only_rules_that_read_named_paths_are_remembered(rule: str, safe: bool) -> None:
    assert reads_by_name_only(rule) is safe


def test_a_code_with_a_whole_root_rule_is_judged_afresh(tmp_path: Path) -> None:
    code = tmp_path / "code.yaml"
    code.write_text(
        'id: t\ntitle: T\nversion: "1"\nclauses:\n'
        "  - id: C1\n    title: t\n    text: t\n    family: gbv\n    severity: high\n    applies_to: anyone\n"
        "    rule: 'item[\"text\"] != \"\" && signals[\"gbv.text\"].score > 0.9'\n"
    )
    engine = CodeEngine.from_files([code], signal_names={"gbv.text"})
    cases = [(_enriched(f"i{n}", "x"), [_signal(f"i{n}", "gbv.text", 0.95)]) for n in range(3)]
    assert _verdicts(engine, cases) == [[("C1", None)]] * 3
    assert engine.memo_hits == 0
