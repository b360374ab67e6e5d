"""Search page in a real browser: the published-date filter and saved searches (issue 18, item 3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from dashboard.saved import SavedSearches
from pantau.schemas import utcnow
from tests.browser.conftest import WAIT_MS, go_to_page, shot, wait_idle
from tests.mocks.incidents import make_incident
from tests.unit.dashboard.conftest import Seeded

pytestmark = pytest.mark.browser


def _more(seeded: Seeded) -> None:
    old = make_incident("old-post", text="Kempen lama dijumpai semula", created_at=utcnow())
    old.item.published_at = utcnow() - timedelta(days=60)
    seeded.store.upsert_incidents([old])


@pytest.fixture(scope="module")
def seed_more() -> Callable[[Seeded], None]:
    return _more


def _search(page: Any, text: str) -> None:
    box = page.get_by_label("Search text, OCR and transcripts", exact=True)
    box.fill(text)
    box.press("Enter")
    wait_idle(page)


def _count(page: Any) -> str:
    heading = page.get_by_text(re.compile(r"^\d+ incidents?")).first
    heading.wait_for(timeout=WAIT_MS)
    return heading.inner_text()


def _pick(page: Any, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def test_dates_can_bound_publication_time(open_page: Callable[..., Any]) -> None:
    page = open_page("/?page=Search", user="ana")
    _search(page, "Kempen lama")
    assert _count(page).startswith("1 incident")
    _pick(page, "Dates", "Published")
    page.get_by_text("Published between").wait_for(timeout=WAIT_MS)
    assert _count(page).startswith("0 incidents"), "published 60 days ago: outside the last 30 days"
    assert "dates=published" in page.url


def test_a_saved_search_is_saved_once_and_reopens_after_a_reload(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    url, seeded = served
    page = open_page("/?page=Search", user="ana")
    _search(page, "pilihan raya")
    _pick(page, "Sort", "severity")
    shown = _count(page)
    page.get_by_text(re.compile(r"^Saved searches \(0\)")).click()
    page.get_by_label("Name", exact=True).fill("Pilihan raya by severity")
    page.get_by_role("button", name="Save this search").click()
    wait_idle(page)
    assert 'Search "Pilihan raya by severity" saved.' in page.inner_text("body")
    page.get_by_text(re.compile(r"^Saved searches \(1\)")).click()
    page.get_by_role("button", name="Save this search").click()
    wait_idle(page)
    assert "already saved with this search; nothing changed" in page.inner_text("body")
    assert len(SavedSearches(seeded.data_dir).list("ana")) == 1
    # A fresh page (reload: same session cookie), then the saved search.
    page.goto(f"{url}/")
    page.locator('[data-testid="stSidebar"]').get_by_text("Sign out", exact=True).wait_for(timeout=WAIT_MS)
    go_to_page(page, "Search")
    assert page.get_by_label("Search text, OCR and transcripts", exact=True).input_value() == ""
    page.get_by_text(re.compile(r"^Saved searches \(1\)")).click()
    page.get_by_role("button", name="Pilihan raya by severity").click()
    wait_idle(page)
    assert page.get_by_label("Search text, OCR and transcripts", exact=True).input_value() == "pilihan raya"
    assert _count(page) == shown
    assert "sort=severity" in page.url
    shot(page, "saved-search-reopened")
