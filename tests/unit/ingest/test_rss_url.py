"""RSS feeds by URL go through the SSRF-safe fetcher."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.fetch import fetch_bytes
from pantau.errors import MediaTooLarge, UnsafeURL
from pantau.schemas import MediaItem
from pantau.settings import Settings
from streams.runner import build_sources

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>a</guid><title>Pemilu</title><description>Hari pemungutan suara</description></item></channel></rss>"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server API
        body = FEED if self.path == "/feed.xml" else b"x" * 5000
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _settings(tmp_path: Path, url: str, allow_private: bool) -> Settings:
    return Settings.load(overrides={
        "data_dir": tmp_path, "sources": [{"kind": "rss", "name": "news", "url": url}],
        "media": {"allow_private_addresses": allow_private},
    }, environ={})


def test_rss_by_url_is_read_through_the_safe_fetcher(tmp_path: Path, server: str) -> None:
    settings = _settings(tmp_path, f"{server}/feed.xml", allow_private=True)
    items = [r for r in build_sources(settings)[0].read() if isinstance(r, MediaItem)]
    assert [i.title for i in items] == ["Pemilu"]


def test_rss_url_on_a_private_address_is_refused(tmp_path: Path, server: str) -> None:
    settings = _settings(tmp_path, f"{server}/feed.xml", allow_private=False)
    with pytest.raises(UnsafeURL):
        list(build_sources(settings)[0].read())


def test_documents_over_the_size_cap_are_refused(tmp_path: Path, server: str) -> None:
    settings = _settings(tmp_path, f"{server}/big", allow_private=True)
    with pytest.raises(MediaTooLarge):
        fetch_bytes(f"{server}/big", settings, max_bytes=1000)
