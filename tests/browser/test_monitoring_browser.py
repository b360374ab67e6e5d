"""The commission's Monitoring page in a real browser (issue 18, item 5): connector health and tipline inbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import WAIT_MS, go_to_page, shot
from tests.unit.dashboard.conftest import Seeded

pytestmark = pytest.mark.browser


def _more(seeded: Seeded) -> None:
    folder = seeded.data_dir / "checkpoints"
    folder.mkdir()
    status = {
        "source": "telegram:channels",
        "platform": "telegram",
        "state": "failing",
        "last_error": "updates: ConnectorUnavailable: 502 from the API",
        "last_error_at": "2026-11-20T10:00:00+00:00",
        "last_success_at": "2026-11-20T09:00:00+00:00",
        "counts": {"items": 12, "dead_letters": 0},
    }
    (folder / "telegram_channels.json").write_text(json.dumps({"streams": {}, "status": status}))
    (seeded.data_dir / "tipline").mkdir()
    tip = {
        "id": "TIP-7Q",
        "platform": "tip",
        "is_tip": True,
        "text": "Poster palsu di pasar Kuala Seri",
        "published_at": "2026-11-21T08:00:00+00:00",
        "channel": "whatsapp",
        "media": [],
    }
    (seeded.data_dir / "tipline" / "spool.jsonl").write_text(json.dumps(tip) + "\n")


@pytest.fixture(scope="module")
def seed_more() -> Callable[[Seeded], None]:
    return _more


def test_commission_sees_connector_health_and_tips(open_page: Callable[..., Any]) -> None:
    page = open_page(user="ana")
    go_to_page(page, "Monitoring")
    page.get_by_text("Connector health · 1 source(s)").wait_for(timeout=WAIT_MS)
    page.get_by_text("Tipline inbox · 1 newest tip(s)").wait_for(timeout=WAIT_MS)
    grids = page.locator('[data-testid="stDataFrame"]')
    grids.filter(has_text="telegram:channels").filter(has_text="502 from the API").first.wait_for(
        state="attached", timeout=WAIT_MS
    )
    grids.filter(has_text="Poster palsu di pasar Kuala Seri").first.wait_for(
        state="attached", timeout=WAIT_MS
    )
    assert "not listed" in page.get_by_text("item(s) processed").inner_text()
    shot(page, "monitoring")


def test_monitoring_is_for_the_commission_only(open_page: Callable[..., Any]) -> None:
    for user in ("siti", "jo"):
        page = open_page(user=user)
        assert page.locator('[data-testid="stSidebar"]').get_by_text("Monitoring", exact=True).count() == 0
