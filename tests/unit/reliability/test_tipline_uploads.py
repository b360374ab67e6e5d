"""Tipline uploads: streamed to disk (memory does not grow with the file) and bounded in number
(issue 19, row 15)."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ingest.tipline.app import create_app
from ingest.tipline.intake import TiplineOptions
from pantau.settings import Settings

BOUNDARY = "pantau-test-boundary"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
BLOCK = bytes(64 * 1024)


def _app(tmp_path: Path, **options: Any) -> Any:
    settings = Settings(data_dir=tmp_path, registry_file=None)
    return create_app(settings, TiplineOptions(**options), clock=lambda: 0.0)


def _multipart(file_bytes: int) -> Iterator[bytes]:
    """A multipart body with a text field and a PNG-looking file of ``file_bytes``, made as it is sent."""
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nrally video\r\n"
           f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
           "Content-Type: image/png\r\n\r\n").encode()
    yield PNG_HEAD
    left = file_bytes - len(PNG_HEAD)
    while left > 0:
        yield BLOCK[: min(left, len(BLOCK))]
        left -= len(BLOCK)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _post_streamed(app: Any, chunks: Iterator[bytes]) -> tuple[int, dict[str, Any]]:
    """Call the ASGI app directly, the body arriving in 64 KiB messages (no Content-Length)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/tips", "raw_path": b"/tips", "root_path": "", "query_string": b"",
        "headers": [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())],
        "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8780),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        chunk = next(chunks, None)
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


def test_a_16_mb_upload_is_streamed_to_disk_not_held_in_memory(tmp_path: Path) -> None:
    app = _app(tmp_path)
    tracemalloc.start()
    try:
        status, answer = _post_streamed(app, _multipart(16 * 1024 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 202, answer
    [stored] = list((tmp_path / "tipline" / "files").iterdir())
    assert stored.stat().st_size == 16 * 1024 * 1024
    assert peak < 6 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB while a 16 MiB upload went through"


def test_uploads_over_the_limit_stop_as_they_stream_and_leave_no_file(tmp_path: Path) -> None:
    app = _app(tmp_path, max_file_bytes=1024 * 1024)
    status, answer = _post_streamed(app, _multipart(5 * 1024 * 1024))  # past the request limit
    assert status == 413 and "request over" in answer["error"]
    status, answer = _post_streamed(app, _multipart(1024 * 1024 + 1))  # within framing, over the file limit
    assert status == 413 and "file over" in answer["error"]
    files = tmp_path / "tipline" / "files"
    assert not files.exists() or not list(files.iterdir())  # no .part left behind
    assert not (tmp_path / "tipline" / "spool.jsonl").exists()


def test_uploads_at_once_are_bounded_and_a_busy_tipline_answers_503(tmp_path: Path) -> None:
    app = _app(tmp_path, max_concurrent_uploads=2)
    client = TestClient(app)
    png = PNG_HEAD + bytes(100)
    slots = app.state.upload_slots
    assert slots.acquire(blocking=False) and slots.acquire(blocking=False)  # two uploads in progress
    busy = client.post("/tips", files={"file": ("a.png", png, "image/png")})
    assert busy.status_code == 503 and busy.headers["Retry-After"]
    assert client.post("/tips", json={"text": "a text tip needs no upload slot"}).status_code == 202
    slots.release()
    assert client.post("/tips", files={"file": ("a.png", png, "image/png")}).status_code == 202
    slots.release()
    assert slots.acquire(blocking=False) and slots.acquire(blocking=False)  # every slot came back
