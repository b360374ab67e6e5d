"""Shared browser fixtures: Streamlit served headless over a seeded store, Debian's Chromium via playwright.

Each test module gets its own server and store (``served`` is module-scoped), so a module that
records decisions does not change what another module sees. Screenshots go to ``test-artifacts/``.
Skips (with the reason) only when ``/usr/bin/chromium`` or the playwright package is absent.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit.dashboard.conftest import PASSWORD, Seeded, seed

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
WAIT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def extra_seed(seeded: Seeded) -> None:  # noqa: ARG001 - a module may override it through `seed_more`
    """Nothing more by default."""


@pytest.fixture(scope="module")
def seed_more() -> Callable[[Seeded], None]:
    """What a module adds to the seeded store before the server starts (override in the module)."""
    return extra_seed


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, seed_more: Callable[[Seeded], None]
) -> Iterator[tuple[str, Seeded]]:
    """``(url, seeded)`` of a Streamlit server over a freshly seeded data folder."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} not found: install Debian's chromium (make setup does, from infra/apt-packages.txt)"
        )
    pytest.importorskip("playwright", reason="playwright missing: pip install 'pantau[dashboard]'")
    data = tmp_path_factory.mktemp("browser-data")
    seeded = seed(data)
    seed_more(seeded)
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
        stop(proc)
        log.close()
        seeded.store.close()


@pytest.fixture(scope="module")
def browser(served: tuple[str, Seeded]) -> Iterator[Any]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def sign_in_page(page: Any, username: str, password: str = PASSWORD) -> None:
    """Fill and submit the sign-in form shown on ``page``."""
    page.get_by_label("User name").wait_for(timeout=WAIT_MS)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot as ``test-artifacts/dashboard-<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(1200)  # let plotly finish drawing before the screenshot
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def wait_idle(page: Any, settle_ms: int = 400) -> None:
    """Wait until the script run triggered by the last action has finished drawing."""
    page.wait_for_timeout(settle_ms)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=WAIT_MS)
    page.wait_for_timeout(settle_ms)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started for the tests: SIGTERM, then SIGKILL after 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def alert_text(page: Any, expect: str) -> str:
    """Wait for an alert that says ``expect`` and return its whole text."""
    page.locator('[data-testid="stAlert"]').filter(has_text=expect).first.wait_for(timeout=WAIT_MS)
    wait_idle(page)
    return str(page.locator('[data-testid="stAlert"]').filter(has_text=expect).first.inner_text())


def choose(page: Any, picker: Any, option: str, name: str) -> None:
    """Pick ``option`` in a selectbox; the list is opened again if a rerun closed it (``name``: the
    screenshot's, when it cannot be picked)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(4):
        wait_idle(page)
        picker.locator("input").click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(timeout=5000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        choice.click()
        wait_idle(page)
        if picker.locator("input").input_value() == option:
            return
    shot(page, name)
    raise AssertionError(f"could not choose {option!r}")


def go_to_page(page: Any, name: str) -> None:
    """Pick ``name`` in the sidebar navigation."""
    page.locator('[data-testid="stSidebar"]').get_by_text(re.compile(f"^{re.escape(name)}$")).click()
    wait_idle(page)


@pytest.fixture
def open_page(served: tuple[str, Seeded], browser: Any) -> Iterator[Callable[..., Any]]:
    """Return ``open(path="/", user=None)``: a new browser page at ``path``, signed in as ``user``."""
    url, _ = served
    pages: list[Any] = []

    def make(path: str = "/", user: str | None = None, width: int = 1400) -> Any:
        page = browser.new_page(viewport={"width": width, "height": 1000})
        pages.append(page)
        page.goto(url + path)
        if user is not None:
            sign_in_page(page, user)
            page.locator('[data-testid="stSidebar"]').get_by_text("Sign out", exact=True).wait_for(timeout=WAIT_MS)
            wait_idle(page)
        return page

    yield make
    for page in pages:
        page.close()
