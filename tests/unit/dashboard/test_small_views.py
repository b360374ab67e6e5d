"""Smaller dashboard fixes of issue 18: overdue heading, the first-run hint, timeline by publication."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dashboard.charts import incidents_frame, timeline
from tests.mocks.incidents import make_incident
from tests.unit.dashboard.conftest import APP, Seeded


def _texts(at: Any) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "warning", "error") for e in at.get(kind))


def test_overdue_heading_counts_overdue_and_due_soon_apart(app: Callable[..., Any], seeded: Seeded) -> None:
    from pantau.alerting import Alerter
    from pantau.registry import load_registry
    from pantau.schemas import utcnow
    from pantau.settings import DEFAULT_REGISTRY

    soon = make_incident("pbn-soon", created_at=utcnow() - timedelta(hours=1), deadline_hours=3)
    seeded.store.upsert_incidents([soon])
    Alerter(seeded.store, load_registry(DEFAULT_REGISTRY), []).send([soon])
    at = app("ana", page="Overdue answers")
    assert "Party answers overdue · 2 · due in the next 6 h · 1" in _texts(at)


def test_the_sign_in_page_says_how_to_create_the_first_user(tmp_path: Path, monkeypatch: Any) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PANTAU_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "pantau users demo" in _texts(at)


def test_the_timeline_counts_incidents_when_they_were_published() -> None:
    detected = datetime(2026, 3, 2, 9, tzinfo=UTC)
    early, late = (make_incident(n, created_at=detected) for n in ("a", "b"))
    early.item.published_at = detected - timedelta(days=1)  # found a day late
    frame = incidents_frame([early, late])
    figure = timeline(frame, freq="D")
    buckets = sorted(str(x)[:10] for trace in figure.data for x in trace.x)
    assert buckets == ["2026-03-01", "2026-03-02"]
