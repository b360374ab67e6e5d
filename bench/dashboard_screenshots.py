"""Screenshots of each role's views on the demo data, for docs/dashboard.md (issue 18).

    .venv/bin/python bench/dashboard_screenshots.py              # docs/img/dashboard-*.png + demo-figures.json
    .venv/bin/python bench/dashboard_screenshots.py --out /tmp/shots --keep /tmp/demo-data

What ``make demo`` does, in a temporary data folder: ``pantau run --once`` on the sample feed
(the configured detectors, whatever weights this checkout has) and ``pantau users demo``; then
the dashboard is served (``streamlit run``, as ``pantau dashboard`` does) and Debian's Chromium
(``/usr/bin/chromium``, through playwright) signs in as each demo user and takes the pictures.
As the commission it confirms two incidents on their incident pages (the synthetic image with
its C2PA manifest, AID-1 on @pbn.official, and the doxxing post, GBV-3) so that the journalist
has confirmed incidents to search; nothing else is changed.

Pictures are 1600 px wide (the wall-screen width the browser tests check), palette PNGs (256
colours) to stay small. The figures of the run
(items, incidents by family and severity, alerts, dead letters, decisions recorded here) go to
``demo-figures.json`` next to them; ``tests/unit/dashboard/test_docs_figures.py`` checks that
docs/dashboard.md quotes them and that every picture it shows exists and is under 300 KB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, go_to_page, stop, wait_idle  # noqa: E402

PANTAU = [sys.executable, "-m", "cli"]
WIDTH, HEIGHT = 1600, 900
CONFIRM = [("AID-1", "pbn.official"), ("GBV-3", "@watcher_kl")]
"""(clause, account) of the incidents the commission confirms before the journalist's pictures."""


def _run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _passwords(listing: str) -> dict[str, str]:
    """User name -> password from ``pantau users demo``'s output."""
    return dict(re.findall(r"^(\S+)\t.*password: (\S+)$", listing, flags=re.MULTILINE))


def _save(page: Any, out: Path, name: str, height: int = HEIGHT, top: Any = None) -> Path:
    """Screenshot ``height`` pixels tall, then re-save as a 256-colour PNG (a dark UI loses nothing visible).

    Streamlit scrolls inside its own container, so a taller window, not ``full_page``, shows more;
    ``top`` (a locator) is scrolled to the top of the window first.
    """
    from PIL import Image

    if height != HEIGHT:
        page.set_viewport_size({"width": WIDTH, "height": height})
    if top is not None:
        top.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1500)  # plotly finishes drawing
    path = out / f"dashboard-{name}.png"
    page.screenshot(path=str(path))
    if height != HEIGHT:
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: {path.stat().st_size // 1024} KB")
    return path


def _sign_in(browser: Any, url: str, user: str, password: str, path: str = "/") -> Any:
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    page.goto(url + path)
    page.get_by_label("User name").wait_for(timeout=WAIT_MS)
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator('[data-testid="stSidebar"]').get_by_text("Sign out", exact=True).wait_for(timeout=WAIT_MS)
    wait_idle(page)
    return page


def _serve(data: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    from dashboard.serve import streamlit_command
    from pantau.settings import Settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    cmd = streamlit_command(Settings.load(overrides={"data_dir": data}), port=port, address="127.0.0.1")
    log = (data / "streamlit.log").open("w")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):  # noqa: S310 - loopback
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"streamlit did not start: {(data / 'streamlit.log').read_text()[-2000:]}")


def _figures(data: Path) -> dict[str, Any]:
    from pantau.stores.base import IncidentQuery, Scope
    from pantau.stores.sqlite import SQLiteStore

    store = SQLiteStore(data / "pantau.db")
    store.open()
    try:
        stats = store.stats()
        incidents = store.search(IncidentQuery(limit=10_000), Scope.everything()).incidents
    finally:
        store.close()
    return {
        "items": stats["items"],
        "incidents": stats["incidents"],
        "alerts": stats["alerts"],
        "dead_letters": stats["dead_letters"],
        "by_family": dict(sorted(Counter(i.family.value for i in incidents).items())),
        "by_severity": dict(sorted(Counter(i.breach.severity.value for i in incidents).items())),
        "by_status": dict(sorted(Counter(i.status.value for i in incidents).items())),
        "ids": {f"{i.breach.clause_id} {i.item.account}": i.id for i in incidents},
    }


def _confirm(page: Any, url: str, incident_id: str) -> None:
    """Confirm one incident on its page, as the commission does."""
    page.goto(f"{url}/?incident={incident_id}")
    page.get_by_role("button", name="Record decision").wait_for(timeout=WAIT_MS)
    page.get_by_text("Confirm breach", exact=True).click()
    page.get_by_role("button", name="Record decision").click()
    wait_idle(page)
    page.locator('[data-testid="stAlertContentSuccess"]').first.wait_for(timeout=WAIT_MS)


def shoot(data: Path, out: Path) -> dict[str, Any]:
    """Run the demo into ``data`` and write the pictures and figures into ``out``."""
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "PANTAU_DATA_DIR": str(data), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    env.pop("PANTAU_CONFIG", None)
    _run([*PANTAU, "run", "--once"], env)
    users = _passwords(_run([*PANTAU, "users", "demo"], env))
    figures = _figures(data)
    out.mkdir(parents=True, exist_ok=True)
    proc, url = _serve(data, env)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.goto(url)
            page.get_by_label("User name").wait_for(timeout=WAIT_MS)
            _save(page, out, "signin")
            page.close()

            page = _sign_in(browser, url, "commission", users["commission"])
            page.locator(".js-plotly-plot").first.wait_for(timeout=WAIT_MS)
            _save(page, out, "commission-overview", height=1750)
            go_to_page(page, "Review queue")
            page.get_by_role("button", name="Record decision").wait_for(timeout=WAIT_MS)
            _save(page, out, "commission-review")
            for clause, account in CONFIRM:
                _confirm(page, url, figures["ids"][f"{clause} {account}"])
            page.goto(f"{url}/?incident={figures['ids']['AID-1 pbn.official']}")
            panel = page.get_by_text("Verification", exact=True)
            page.locator('[data-testid="stJson"]').first.wait_for(timeout=WAIT_MS)
            _save(page, out, "commission-verification-media", height=1500, top=panel)
            page.get_by_role("tab", name="Scores", exact=True).click()
            wait_idle(page, 200)
            _save(page, out, "commission-verification-scores", top=panel)
            go_to_page(page, "Audit log")
            _save(page, out, "commission-audit")
            page.close()

            page = _sign_in(browser, url, "officer-pbn", users["officer-pbn"])
            _save(page, out, "officer-inbox", height=1200)
            page.goto(f"{url}/?incident={figures['ids']['DIS-2 pbn.official']}")
            page.get_by_role("button", name="Send answer").wait_for(timeout=WAIT_MS)
            page.get_by_role("button", name="Send answer").scroll_into_view_if_needed()
            _save(page, out, "officer-answer")
            page.close()

            page = _sign_in(browser, url, "journalist", users["journalist"])
            page.get_by_text(re.compile(r"\d+ incidents?")).first.wait_for(timeout=WAIT_MS)
            _save(page, out, "journalist-search", height=1300)
            page.close()
            browser.close()
    finally:
        stop(proc)
    after = _figures(data)
    result = {k: v for k, v in figures.items() if k != "ids"}
    result["confirmed_for_the_pictures"] = [f"{c} on {a}" for c, a in CONFIRM]
    result["by_status_after"] = after["by_status"]
    (out / "demo-figures.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def main() -> None:
    """Parse the arguments, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img", help="where the pictures go")
    parser.add_argument("--keep", type=Path, help="data folder to keep (default: a temporary one, removed)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} not found: install Debian's chromium (infra/apt-packages.txt)")
    data = args.keep or Path(tempfile.mkdtemp(prefix="pantau-demo-"))
    data.mkdir(parents=True, exist_ok=True)
    try:
        print(json.dumps(shoot(data, args.out), indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
