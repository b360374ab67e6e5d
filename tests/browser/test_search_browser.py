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


def test_a_chart_bar_opens_search_filtered_by_it(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    _, seeded = served
    page = open_page("/", user="ana")
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="By severity")
    chart.locator("g.trace.bars path").first.wait_for(timeout=WAIT_MS)
    # Plotly draws one trace per severity (coloured): find the trace of "critical" and click its bar.
    index = chart.locator(".js-plotly-plot").evaluate(
        "gd => gd._fullData.findIndex(t => t.name === 'critical')"
    )
    assert index >= 0
    bar = chart.locator("g.trace.bars").nth(index).locator("path").first.bounding_box()
    # Plotly's drag layer lies over the bars and turns a click on it into the bar's selection, as for a user.
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    wait_idle(page)
    page.get_by_label("Search text, OCR and transcripts", exact=True).wait_for(timeout=WAIT_MS)
    assert "severity=critical" in page.url and "page=Search" in page.url
    critical = [
        i
        for i in (seeded.pbn_new, seeded.pbn_confirmed, seeded.pkr2_new, seeded.pkr2_confirmed)
        if i.breach.severity.value == "critical"
    ]
    assert _count(page).startswith(f"{len(critical)} incident")
    shot(page, "drill-from-chart")


def test_a_repeat_offender_row_opens_search_for_the_account(open_page: Callable[..., Any]) -> None:
    page = open_page("/", user="ana")
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=WAIT_MS)
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = table.bounding_box()
    # The row-selection column is the grid's first column; the first data row is under the header.
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    wait_idle(page)
    box = page.get_by_label("Search text, OCR and transcripts", exact=True)
    box.wait_for(timeout=WAIT_MS)
    account = box.input_value().strip('"')
    # pbn.official: two seeded incidents and this module's old post; pkr2.rasmi: two.
    expected = {"pbn.official": 3, "pkr2.rasmi": 2}
    assert account in expected
    assert "platform=facebook" in page.url
    assert _count(page).startswith(f"{expected[account]} incidents")
