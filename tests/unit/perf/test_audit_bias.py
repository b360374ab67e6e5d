"""bench/audit_bias.py counts false positives and negatives per slice as defined (toy input)."""

from __future__ import annotations

from pathlib import Path

from bench.audit_bias import rates, rates_by, svg_bars


def test_rates_count_errors_over_rows_with_a_truth() -> None:
    r = rates([1, 1, 1, 0, 0, None], [True, False, False, True, False, True])
    assert (r.positives, r.negatives, r.false_negatives, r.false_positives) == (3, 2, 2, 1)
    assert r.fnr == 2 / 3 and r.fpr == 1 / 2


def test_a_rate_without_rows_is_undefined_not_zero() -> None:
    r = rates([0, 0], [False, False])
    assert r.fpr == 0.0 and r.fnr is None


def test_rates_by_group_separates_the_groups() -> None:
    rows = [
        {"group": "women", "hateful": 0, "flag": True},
        {"group": "women", "hateful": 0, "flag": False},
        {"group": "women", "hateful": 1, "flag": True},
        {"group": "migrants", "hateful": 0, "flag": False},
        {"group": "migrants", "hateful": 1, "flag": False},
    ]
    by = rates_by(rows, "group", "hateful", "flag")
    assert list(by) == ["migrants", "women"]
    assert by["women"].fpr == 0.5 and by["women"].fnr == 0.0
    assert by["migrants"].fpr == 0.0 and by["migrants"].fnr == 1.0


def test_the_chart_is_an_svg_with_one_bar_per_defined_rate(tmp_path: Path) -> None:
    out = tmp_path / "chart.svg"
    svg_bars({"gbv.text": {"a": 0.5, "b": None}, "gbv.threat": {"a": 0.25, "b": 0.1}}, "t", out)
    text = out.read_text()
    assert text.startswith("<svg") and text.count("<rect") == 3 + 2  # three bars, two legend keys
