"""Sign-in survives a reload and an opened permalink; signing out (here or everywhere) ends it (issue 18)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import WAIT_MS, go_to_page, sign_in_page, wait_idle
from tests.unit.dashboard.conftest import Seeded

pytestmark = pytest.mark.browser


def _signed_in(page: Any) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text("Sign out", exact=True).wait_for(timeout=WAIT_MS)
    wait_idle(page)
    assert page.get_by_label("User name").count() == 0


def _signed_out(page: Any) -> None:
    page.get_by_label("User name").wait_for(timeout=WAIT_MS)


def test_a_reload_and_an_opened_permalink_keep_the_user_signed_in(
    served: tuple[str, Seeded], browser: Any
) -> None:
    url, seeded = served
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    sign_in_page(page, "ana")
    _signed_in(page)
    page.reload()
    _signed_in(page)
    permalink = context.new_page()
    permalink.goto(f"{url}/?incident={seeded.pbn_new.id}")
    permalink.get_by_text("Clause breached").wait_for(timeout=WAIT_MS)
    assert permalink.get_by_label("User name").count() == 0
    # Signing out ends the session for every tab of this browser, at once for this one.
    permalink.locator('[data-testid="stSidebar"]').get_by_text("Sign out", exact=True).click()
    _signed_out(permalink)
    page.reload()
    _signed_out(page)
    events = [(e.event, e.actor) for e in seeded.store.audit_log()]
    assert ("session_resume", "ana") in events and ("sign_out", "ana") in events
    context.close()


def test_sign_out_everywhere_ends_the_other_browsers_session(served: tuple[str, Seeded], browser: Any) -> None:
    url, _ = served
    first, second = (browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2))
    a, b = first.new_page(), second.new_page()
    for page in (a, b):
        page.goto(url)
        sign_in_page(page, "siti")
        _signed_in(page)
    b.get_by_role("button", name="Sign out everywhere").click()
    _signed_out(b)
    go_to_page(a, "Our incidents")  # the other browser's next click
    _signed_out(a)
    assert a.get_by_text(re.compile("session ended")).count() == 1
    a.reload()
    _signed_out(a)
    first.close()
    second.close()


def test_a_forged_cookie_opens_nothing(served: tuple[str, Seeded], browser: Any) -> None:
    url, _ = served
    context = browser.new_context()
    host = re.sub(r"^http://|:\d+$", "", url)
    context.add_cookies([{"name": "pantau_session", "value": "ana.forged.signature", "domain": host, "path": "/"}])
    page = context.new_page()
    page.goto(url)
    _signed_out(page)
    context.close()


def test_page_filters_and_search_live_in_the_url(served: tuple[str, Seeded], browser: Any) -> None:
    url, _ = served
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    sign_in_page(page, "ana")
    _signed_in(page)
    go_to_page(page, "Search")
    box = page.get_by_label("Search text, OCR and transcripts", exact=True)
    box.fill("pilihan raya")
    box.press("Enter")
    page.get_by_text("3 incidents").wait_for(timeout=WAIT_MS)
    wait_idle(page)
    assert "page=Search" in page.url and "q=pilihan+raya" in page.url
    shared = page.url
    page.reload()  # the reload keeps the page and the query
    page.get_by_text("3 incidents").wait_for(timeout=WAIT_MS)
    other = context.new_page()  # and so does the link, opened in another tab
    other.goto(shared)
    other.get_by_text("3 incidents").wait_for(timeout=WAIT_MS)
    wait_idle(other)
    assert other.get_by_label("Search text, OCR and transcripts", exact=True).input_value() == "pilihan raya"
    context.close()
