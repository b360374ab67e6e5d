"""A rule whose nested comprehensions could run for minutes is refused at load (issue 19, row 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codes.cost import MAX_RULE_COST, UNKNOWN_LIST, rule_cost
from codes.engine import CodeEngine
from pantau.errors import RuleError
from pantau.settings import DEFAULT_CODE

HEADER = 'id: t\ntitle: T\nversion: "1"\nclauses:\n'
SIGNALS = {"gbv.text"}
NESTED = ('signals["gbv.text"].score > 0.5 && lists.range(1000).all(a, lists.range(1000).all(b, '
          'lists.range(1000).all(c, a + b + c >= 0)))')


def _code(tmp_path: Path, rule: str) -> Path:
    path = tmp_path / "code.yaml"
    path.write_text(HEADER + "  - id: C1\n    title: t\n    text: t\n    family: gbv\n    severity: high\n"
                    f"    applies_to: anyone\n    rule: '{rule}'\n")
    return path


def test_three_nested_loops_over_ranges_are_refused_at_load_naming_the_clause(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"code.yaml:\d+: clause C1: rule may take 1,001,001,000 comprehension"):
        CodeEngine.from_files([_code(tmp_path, NESTED)], signal_names=SIGNALS)


def test_three_nested_loops_over_the_item_text_are_refused(tmp_path: Path) -> None:
    rule = ('signals["gbv.text"].score > 0.5 && item.text.split("").all(a, item.text.split("").all(b, '
            'item.text.split("").all(c, a + b + c != "xyz")))')
    assert rule_cost(rule) > MAX_RULE_COST
    with pytest.raises(RuleError, match="over the limit"):
        CodeEngine.from_files([_code(tmp_path, rule)], signal_names=SIGNALS)


@pytest.mark.parametrize(
    ("rule", "cost"),
    [
        ('item.text.size() > 3 && item.text.contains("(all)")', 0),
        ("[1, 2, [3, 4]].exists(x, x == 1)", 3),
        ("[].all(x, x > 1)", 0),
        ("item.targets.exists(p, p.gender == \"female\")", UNKNOWN_LIST),
        ("item.targets.exists(p, item.mentions.exists(m, m == p.name))", UNKNOWN_LIST * (1 + UNKNOWN_LIST)),
        ("lists.range(10).map(x, x * 2).all(y, y >= 0)", 10 + UNKNOWN_LIST),
        ("lists.range(3).all(a, true) && lists.range(4).all(b, true)", 7),
    ],
)
def test_rule_cost_counts_steps(rule: str, cost: int) -> None:
    assert rule_cost(rule) == cost


def test_the_model_code_is_far_under_the_limit() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE], signal_names=None)
    assert max(rule_cost(c.clause.rule) for c in engine.clauses) * 100 < MAX_RULE_COST
