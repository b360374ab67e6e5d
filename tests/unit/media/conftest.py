"""Fixtures of the media tests: settings with small limits, generated media, a loopback HTTP server."""

from __future__ import annotations

import io
import shutil
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFilter

from pantau.schemas import EnrichedItem, MediaFile, MediaItem
from pantau.settings import Settings

Route = Callable[[BaseHTTPRequestHandler], None]


def make_settings(tmp_path: Path, **media: object) -> Settings:
    """Settings with a data folder under ``tmp_path`` and media limits overridden."""
    return Settings.load(overrides={"data_dir": tmp_path / "data", "media": media})


@pytest.fixture
def media_settings(tmp_path: Path) -> Settings:
    """Default media limits, loopback fetching allowed (the test server is on 127.0.0.1)."""
    return make_settings(tmp_path, allow_private_addresses=True, fetch_timeout_s=5.0)


def png_bytes(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small valid PNG."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def item_with(*paths: str | Path, language: str | None = None) -> EnrichedItem:
    """An enriched item whose media are the given local files."""
    media = [MediaFile(path=str(p)) for p in paths]
    return EnrichedItem(
        item=MediaItem(id="item-1", source="test", native_id="1", media=media, language=language)
    )


def textured_picture(seed: int, size: int = 256) -> Image.Image:
    """A textured picture (smoothed noise): distinct per seed, with structure that survives resizing."""
    rng = np.random.default_rng(seed)
    small = (rng.random((16, 16, 3)) * 255).astype(np.uint8)
    return (
        Image.fromarray(small)
        .resize((size, size), Image.Resampling.BICUBIC)
        .filter(ImageFilter.GaussianBlur(2))
    )


def run_plugins(enriched: EnrichedItem, settings: Settings, *plugins: Any) -> EnrichedItem:
    """Load each enricher with ``settings`` and run it on the item, in order."""
    for plugin in plugins:
        plugin.settings = settings
        plugin.ensure_loaded()
        plugin.enrich([enriched])
    return enriched


needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg not installed (infra/apt-packages.txt)"
)
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract not installed (infra/apt-packages.txt)"
)


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Route] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        return


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 with routes set per test."""

    def __init__(self) -> None:
        handler = type("Handler", (_Handler,), {"routes": {}})
        self.routes: dict[str, Route] = handler.routes
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """URL of a route on this server."""
        return f"http://{host}:{self.port}{path}"

    def serve_bytes(
        self, path: str, body: bytes, content_type: str = "application/octet-stream", length: bool = True
    ) -> None:
        """Serve fixed content at ``path`` (without Content-Length when ``length`` is false)."""

        def route(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", content_type)
            if length:
                h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        self.routes[path] = route

    def redirect(self, path: str, location: str) -> None:
        """Answer ``path`` with a 302 to ``location``."""

        def route(h: BaseHTTPRequestHandler) -> None:
            h.send_response(302)
            h.send_header("Location", location)
            h.send_header("Content-Length", "0")
            h.end_headers()

        self.routes[path] = route

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A loopback HTTP server, stopped after the test."""
    srv = LoopbackServer()
    yield srv
    srv.close()
