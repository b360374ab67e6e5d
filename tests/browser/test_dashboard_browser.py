"""The dashboard in a real browser: Streamlit served headless, driven by Debian's Chromium via playwright.

The fixtures (``served``, ``browser``) live in ``tests/browser/conftest.py``. Screenshots go to
``test-artifacts/``. Skips (with the reason) only when ``/usr/bin/chromium`` or the playwright
package is absent; ``make setup`` installs both.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dashboard.evidence import verify_pack
from tests.browser.conftest import ARTIFACTS
from tests.browser.conftest import shot as _shot
from tests.browser.conftest import sign_in_page as _sign_in
from tests.unit.dashboard.conftest import Seeded

pytestmark = pytest.mark.browser


def test_commission_signs_in_and_sees_the_wall_screen(served: tuple[str, Seeded], browser: object) -> None:
    url, _ = served
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(url)
    page.get_by_label("User name").wait_for(timeout=60_000)
    _shot(page, "signin")
    _sign_in(page, "ana")
    page.get_by_text("Awaiting review").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    assert page.locator(".js-plotly-plot").count() >= 5
    truncated = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stMetricLabel"] *')]
                 .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""
    )
    assert truncated == [], f"KPI labels cut off: {truncated}"
    _shot(page, "commission-overview")
    page.close()


def test_permalink_needs_sign_in_and_respects_the_party(served: tuple[str, Seeded], browser: object) -> None:
    url, seeded = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/?incident={seeded.pbn_new.id}")
    page.get_by_text("Sign in to open the incident").wait_for(timeout=60_000)
    _sign_in(page, "siti")
    page.get_by_text("Clause breached").wait_for(timeout=60_000)
    page.get_by_text("Download evidence pack").wait_for(timeout=60_000)
    _shot(page, "officer-incident")
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_text("Download evidence pack").click()
    pack = ARTIFACTS / "evidence-pack.json"
    download_info.value.save_as(str(pack))
    assert verify_pack(pack.read_bytes())
    assert json.loads(pack.read_bytes())["incident_id"] == seeded.pbn_new.id
    page.goto(f"{url}/?incident={seeded.pkr2_new.id}")  # still signed in: the session cookie
    page.get_by_text("No incident with this id is available to you.").wait_for(timeout=60_000)
    assert page.get_by_text("Video rahsia").count() == 0
    page.close()


def test_journalist_search_shows_redacted_confirmed_incidents(
    served: tuple[str, Seeded], browser: object
) -> None:
    url, _ = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(url)
    _sign_in(page, "jo")
    box = page.get_by_label("Search text, OCR and transcripts", exact=True)
    box.wait_for(timeout=60_000)
    box.fill("pilihan raya")
    box.press("Enter")
    page.get_by_text("2 incidents").wait_for(timeout=60_000)
    page.get_by_text("Export 2 as CSV (redacted)").wait_for(timeout=60_000)  # the last element drawn
    body = page.inner_text("body")
    assert "3456789" not in body and "[redacted]" in body
    _shot(page, "journalist-search")
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_text("Export 2 as CSV (redacted)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert {r["url"] for r in rows} == {""}  # the page hides the original post: so does the export
    assert all(r["permalink"].startswith(f"{url}/?incident=") for r in rows)  # absolute
    # The search runs on the redacted text: a hidden phone number or name finds nothing.
    for hidden in ("3456789", "Rina"):
        box.fill(hidden)
        box.press("Enter")
        page.get_by_text("0 incidents").wait_for(timeout=60_000)
    page.close()


def test_sign_ins_and_views_reach_the_audit_log(served: tuple[str, Seeded], browser: object) -> None:
    _, seeded = served
    events = {(e.event, e.actor) for e in seeded.store.audit_log()}
    assert {
        ("sign_in", "ana"),
        ("sign_in", "siti"),
        ("sign_in", "jo"),
        ("view_incident", "siti"),
        ("view_incident_denied", "siti"),
    } <= events
