"""``pantau bench embedded`` reports CPU seconds per stage beside the rates (issue 20)."""

from __future__ import annotations

from bench.embedded import markdown
from streams.stages import StageTimer


def _figures(items: int, stage_s: float, stage_cpu: float) -> dict[str, object]:
    base = {k: 0.0 for k in ("p50_searchable_s", "p95_searchable_s", "p99_searchable_s",
                              "p50_alert_s", "p95_alert_s", "p99_alert_s")}
    return {**base, "items": items, "incidents": 0, "dead_letters": 0, "items_per_s": items / 10,
            "items_per_cpu_s": items / 20, "load_avg": 1.0, "peak_rss_mib": 100.0, "model_load_s": 1.0,
            "stage_seconds": {"enrich:media.ocr": stage_s},
            "stage_cpu_seconds": {"enrich:media.ocr": stage_cpu, "judge": 0.001}}


def test_the_report_has_cpu_ms_per_item_per_stage() -> None:
    table = markdown("image", _figures(150, 3.0, 3.0), _figures(60, 12.0, 6.0))
    assert "| stage `enrich:media.ocr`, CPU ms per item (CPU s) | 20.0 (3.00) | 100.0 (6.00) | 5.0x |" in table
    assert "`judge`, CPU ms" not in table  # stages under 0.05 CPU s are left out


def test_the_stage_timer_keeps_cpu_seconds_of_what_it_runs() -> None:
    timer = StageTimer()
    timer.run("busy", lambda: sum(i * i for i in range(200_000)))
    timer.add("told", 1.0)
    assert timer.cpu_seconds["busy"] > 0 and "told" not in timer.cpu_seconds
    assert set(timer.seconds) == {"busy", "told"}
