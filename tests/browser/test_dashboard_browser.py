"""The dashboard in a real browser: Streamlit served headless, driven by Debian's Chromium via playwright.

Screenshots go to ``test-artifacts/``. Skips (with the reason) only when ``/usr/bin/chromium``
or the playwright package is absent; ``make setup`` installs both.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.evidence import verify_pack
from tests.unit.dashboard.conftest import PASSWORD, Seeded, seed

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded]]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} not found: install Debian's chromium (make setup does, from infra/apt-packages.txt)"
        )
    pytest.importorskip("playwright", reason="playwright missing: pip install 'pantau[dashboard]'")
    data = tmp_path_factory.mktemp("browser-data")
    seeded = seed(data)
    port = _free_port()
    env = {**os.environ, "PANTAU_DATA_DIR": str(data)}
    env.pop("PANTAU_CONFIG", None)
    from dashboard.serve import streamlit_command
    from pantau.settings import Settings

    cmd = streamlit_command(Settings.load(overrides={"data_dir": data}), port=port, address="127.0.0.1")
    log = (data / "streamlit.log").open("w")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:  # noqa: S310 - loopback
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {(data / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url, seeded
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        seeded.store.close()


@pytest.fixture(scope="module")
def browser(served: tuple[str, Seeded]) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _sign_in(page: object, username: str) -> None:
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(1200)  # let plotly finish drawing before the screenshot
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


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
    page.goto(f"{url}/?incident={seeded.pkr2_new.id}")
    _sign_in(page, "siti")
    page.get_by_text("No incident with this id is available to you.").wait_for(timeout=60_000)
    assert page.get_by_text("Video rahsia").count() == 0
    page.close()


def test_journalist_search_shows_redacted_confirmed_incidents(
    served: tuple[str, Seeded], browser: object
) -> None:
    url, _ = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    _sign_in(page, "jo")
    box = page.get_by_label("Search text, OCR and transcripts")
    box.wait_for(timeout=60_000)
    box.fill("pilihan raya")
    box.press("Enter")
    page.get_by_text("2 incidents").wait_for(timeout=60_000)
    page.get_by_text("Export 2 as CSV (redacted)").wait_for(timeout=60_000)  # the last element drawn
    body = page.inner_text("body")
    assert "3456789" not in body and "[redacted]" in body
    _shot(page, "journalist-search")
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
