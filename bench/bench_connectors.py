"""Throughput of the connectors and the tipline, on this machine, against loopback servers only.

Run: ``.venv/bin/python -m bench.bench_connectors [--pages 50] [--tips 2000]``

1. X connector: ``--pages`` timeline pages of 100 posts (with media and users expanded) served by a
   loopback HTTP server; measures posts/s through HTTP, JSON decoding, mapping to items and a
   checkpoint write per page.
2. Tipline endpoint: ``--tips`` form submissions through FastAPI's in-process client (text only).
3. Tipline spool: the same tips read back by ``TiplineSource``.

Prints a Markdown table; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["main"]


def _page(index: int, pages: int) -> bytes:
    posts = [
        {
            "id": str(10_000_000 - index * 100 - i),
            "text": f"post {index}-{i} @aminahyusof https://t.co/x",
            "created_at": "2024-05-01T10:00:00.000Z",
            "author_id": "111",
            "lang": "ms",
            "attachments": {"media_keys": [f"3_{i}"]},
            "entities": {"mentions": [{"start": 10, "end": 22, "username": "aminahyusof"}]},
        }
        for i in range(100)
    ]
    media = [
        {"media_key": f"3_{i}", "type": "photo", "url": f"https://pbs.twimg.com/media/{i}.jpg"}
        for i in range(100)
    ]
    meta: dict[str, Any] = {"result_count": 100, "newest_id": posts[0]["id"]}
    if index + 1 < pages:
        meta["next_token"] = f"T{index + 1}"
    body = {
        "data": posts,
        "includes": {"users": [{"id": "111", "username": "pbn_official", "name": "PBN"}], "media": media},
        "meta": meta,
    }
    return json.dumps(body).encode()


def _serve(pages: int) -> ThreadingHTTPServer:
    bodies = [_page(i, pages) for i in range(pages)]
    user = json.dumps({"data": {"id": "111", "username": "pbn_official", "name": "PBN"}}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            parts = urlsplit(self.path)
            token = parse_qs(parts.query).get("pagination_token", ["T0"])[0]
            data = user if "/by/username/" in parts.path else bodies[int(token[1:])]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bench_x(pages: int, data_dir: Path) -> tuple[int, float]:
    """Read ``pages`` pages through the X connector; return (items, seconds)."""
    from ingest.connectors.x import XSource

    server = _serve(pages)
    host, port = server.server_address[:2]
    source = XSource(
        "bench",
        {
            "accounts": ["@pbn_official"],
            "api_base": f"http://{host}:{port}",
            "max_pages": pages,
            "poll_interval_s": 0,
        },
        data_dir=data_dir,
        credentials={"bearer_token": "bench"},
    )
    start = time.perf_counter()
    items = sum(1 for _ in source.read())
    seconds = time.perf_counter() - start
    server.shutdown()
    return items, seconds


def bench_tipline(tips: int, data_dir: Path) -> tuple[float, float]:
    """Submit ``tips`` tips and read them back; return (submit seconds, read seconds)."""
    from fastapi.testclient import TestClient

    from ingest.tipline.app import create_app
    from ingest.tipline.intake import TiplineOptions
    from ingest.tipline.source import TiplineSource
    from pantau.settings import Settings

    settings = Settings(data_dir=data_dir, registry_file=None)
    client = TestClient(create_app(settings, TiplineOptions(ip_limit=tips + 1), credentials={}))
    start = time.perf_counter()
    for i in range(tips):
        answer = client.post(
            "/tips", data={"text": f"tip {i} video palsu", "url": f"https://x.com/a/status/{i}"}
        )
        if answer.status_code != 202:
            raise SystemExit(f"tip {i} refused: {answer.status_code} {answer.text}")
    submit = time.perf_counter() - start
    start = time.perf_counter()
    read = sum(1 for _ in TiplineSource("bench", data_dir / "tipline" / "spool.jsonl", data_dir).read())
    if read != tips:
        raise SystemExit(f"read {read} tips of {tips}")
    return submit, time.perf_counter() - start


def main() -> None:
    """Run the three measurements and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--tips", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pantau-bench-") as tmp:
        items, x_seconds = bench_x(args.pages, Path(tmp) / "x")
        submit, read = bench_tipline(args.tips, Path(tmp) / "tips")
    rows = [
        (
            "X timeline over loopback HTTP",
            f"{items} posts, {args.pages} pages",
            x_seconds,
            f"{items / x_seconds:,.0f} posts/s",
        ),
        ("tipline POST /tips (in-process)", f"{args.tips} tips", submit, f"{args.tips / submit:,.0f} tips/s"),
        ("TiplineSource reading the spool", f"{args.tips} tips", read, f"{args.tips / read:,.0f} tips/s"),
    ]
    lines = [
        f"Connectors on {platform.node()} ({os.cpu_count()} CPUs, Python {platform.python_version()})",
        "",
        "| measurement | volume | seconds | rate |",
        "|---|---|---|---|",
        *(f"| {name} | {volume} | {seconds:.2f} | {rate} |" for name, volume, seconds, rate in rows),
    ]
    print("\n".join(lines))  # noqa: T201


if __name__ == "__main__":
    main()
