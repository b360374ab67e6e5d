"""Monitoring page (dashboard.views.monitoring): connector health rows, the tipline inbox, the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dashboard.views import monitoring
from dashboard.views.monitoring import connector_rows, tip_rows
from tests.unit.dashboard.conftest import Seeded, go_to


def _tip(n: int) -> str:
    return json.dumps(
        {
            "id": f"T{n}",
            "platform": "tip",
            "text": f"tip {n}",
            "published_at": "2026-11-20T10:00:00",
            "channel": "whatsapp",
            "media": [{"sha256": "ab"}] if n % 2 else [],
        }
    )


def test_connector_rows_show_state_last_fetch_success_and_error() -> None:
    rows = connector_rows(
        {
            "x:main": {
                "platform": "x",
                "state": "failing",
                "last_pass_at": 0,
                "last_success_at": None,
                "last_error": "timeline: HTTPError: 503",
                "last_error_at": "2026-11-20T10:00:00+00:00",
                "counts": {"items": 7, "dead_letters": 1},
            },
            "odd": {"counts": "not a dict"},
        }
    )
    assert [r["source"] for r in rows] == ["odd", "x:main"]
    assert rows[1]["state"] == "failing" and rows[1]["last fetch"] == "1970-01-01 00:00:00"
    assert rows[1]["last error"] == "timeline: HTTPError: 503" and rows[1]["items"] == 7
    assert rows[0]["state"] == "?" and rows[0]["items"] == 0


def test_tip_rows_newest_first_skip_bad_lines_and_cut_first_line(tmp_path: Path, monkeypatch: Any) -> None:
    spool = tmp_path / "spool.jsonl"
    assert tip_rows(spool) == []
    spool.write_text("\n".join([_tip(1), "not json", "[1]", _tip(2), _tip(3)]) + "\n")
    rows = tip_rows(spool, limit=2)
    assert [r["ack id"] for r in rows] == ["T3", "T2"] and rows[0]["files"] == 1
    monkeypatch.setattr(monitoring, "_TAIL_BYTES", len(_tip(3)) + 5)  # only part of the line before
    assert [r["ack id"] for r in tip_rows(spool)] == ["T3"]


def test_monitoring_page_lists_connectors_and_tips(app: Any, seeded: Seeded) -> None:
    (seeded.data_dir / "checkpoints").mkdir()
    (seeded.data_dir / "checkpoints" / "x_main.json").write_text(
        json.dumps({"streams": {}, "status": {"source": "x:main", "state": "ok", "counts": {"items": 3}}})
    )
    (seeded.data_dir / "tipline").mkdir()
    (seeded.data_dir / "tipline" / "spool.jsonl").write_text(_tip(1) + "\n")
    at = app("ana")
    go_to(at, "Monitoring")
    assert not at.exception
    assert list(at.dataframe[0].value["source"]) == ["x:main"]
    assert list(at.dataframe[1].value["text"]) == ["tip 1"]
