"""Dead letters that can be replayed, in a real browser (issue 18, item 5).

The module seeds two dead letters: a doxxing post whose detector crashed at ingest (its feed
record kept, so it can be replayed) and, newer, a whole feed that could not be read (nothing to
replay). The commission picks the older one, ticks the box naming the item and replays it: the
item's incidents appear, the audit log records the replay once, and a second submission replays
nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from pantau.deadletters import dead_letter
from pantau.errors import BadFeed
from pantau.schemas import MediaItem, utcnow
from pantau.stores.base import IncidentQuery, Scope
from tests.browser.conftest import WAIT_MS, go_to_page, shot, wait_idle
from tests.unit.dashboard.conftest import Seeded
from tests.unit.dashboard.test_replay import DOXXING

pytestmark = pytest.mark.browser

ITEM_ID = MediaItem.make_id("jsonl:feed", DOXXING["id"])


def _more(seeded: Seeded) -> None:
    crashed = dead_letter(
        RuntimeError("detector crashed"), "ingest", json.dumps(DOXXING), item_id=ITEM_ID, source="jsonl:feed"
    ).model_copy(update={"created_at": utcnow() - timedelta(hours=2)})
    unreadable = dead_letter(BadFeed("feed.jsonl: no such file"), "ingest", "feed.jsonl", source="jsonl:feed")
    seeded.store.add_dead_letters([crashed, unreadable])


@pytest.fixture(scope="module")
def seed_more() -> Callable[[Seeded], None]:
    return _more


def _alert(page: Any) -> str:
    return str(page.locator('[data-testid="stAlert"]').first.inner_text())


def test_replay_runs_the_item_picked_once_and_audits_it(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    _, seeded = served
    page = open_page(user="ana")
    go_to_page(page, "Dead letters")
    page.get_by_text("Dead letters · 2 kept").wait_for(timeout=WAIT_MS)
    # The newest letter (a whole feed) has nothing to replay.
    assert "Cannot be replayed" in page.get_by_text(re.compile("Cannot be replayed")).inner_text()
    assert page.get_by_role("button", name="Replay").count() == 0
    picker = page.locator('[data-testid="stSelectbox"]').first
    picker.click()
    page.get_by_role("option", name=re.compile("RuntimeError")).click()
    wait_idle(page)
    label = f"Run item {ITEM_ID}"
    page.get_by_role("button", name="Replay").click()
    wait_idle(page)
    assert "Tick the box" in _alert(page)
    assert seeded.store.search(IncidentQuery(), Scope.everything()).total == 4, "nothing replayed unticked"

    def replay(expect: str) -> str:
        box = page.get_by_role("checkbox", name=re.compile(re.escape(label)))
        box.check(force=True)
        assert box.is_checked()
        page.get_by_role("button", name="Replay").click()
        page.locator('[data-testid="stAlert"]').filter(has_text=expect).first.wait_for(timeout=WAIT_MS)
        wait_idle(page)
        return _alert(page)

    first = replay(f"Replayed item {ITEM_ID}")
    assert f"Replayed item {ITEM_ID}" in first and "incident(s)" in first, first
    found = [
        i for i in seeded.store.search(IncidentQuery(), Scope.everything()).incidents if i.item.id == ITEM_ID
    ]
    assert found, "the replayed item's incidents are in the store"
    shot(page, "dead-letters-replay")
    second = replay("replayed already")
    assert "replayed already by ana" in second and ITEM_ID in second, second
    events = [e for e in seeded.store.audit_log() if e.event == "dead_replay"]
    assert len(events) == 1 and events[0].actor == "ana"
    assert ITEM_ID in events[0].detail


def test_dead_letters_are_for_the_commission_only(open_page: Callable[..., Any]) -> None:
    for user in ("siti", "jo"):
        page = open_page(user=user)
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text("Dead letters", exact=True).count() == 0
