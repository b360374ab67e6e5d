"""One deadline for connect, headers and body (issue 19, row 5).

A socket timeout bounds each read, not their sum: a server that drips its headers one byte at a
time held ``fetch_media`` for 60 s with ``fetch_timeout_s=15``. The checks here are not timings:
the slow server records how much it had sent when the client went away.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from ingest.fetch import fetch_bytes, fetch_media
from pantau.deadline import Deadline
from pantau.errors import BadMedia

from .conftest import LoopbackServer, make_settings, png_bytes


class Drip:
    """A route that sends ``data`` one byte every ``every_s`` seconds; records when the client left."""

    def __init__(self, data: bytes, every_s: float = 0.1) -> None:
        self.data = data
        self.every_s = every_s
        self.sent = 0
        self.gone = threading.Event()
        self.done = threading.Event()

    def __call__(self, h: BaseHTTPRequestHandler) -> None:
        stop = threading.Event()
        try:
            for byte in self.data:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                self.sent += 1
                stop.wait(self.every_s)
        except OSError:
            self.gone.set()
        finally:
            self.done.set()
            h.close_connection = True


def _slow_headers(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nX-Padding: {'p' * 40}\r\n"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def test_headers_dripped_one_byte_at_a_time_cannot_outlast_the_deadline(
    server: LoopbackServer, tmp_path: Path
) -> None:
    drip = Drip(_slow_headers(png_bytes()))  # ~110 header bytes at 10 per second: 11 s in all
    server.routes["/drip.png"] = drip
    settings = make_settings(tmp_path, allow_private_addresses=True, fetch_timeout_s=0.5)
    with pytest.raises(BadMedia, match="timed out"):
        fetch_media(server.url("/drip.png"), settings)
    assert drip.done.wait(30), "the server never noticed the client leave"
    assert drip.gone.is_set() and drip.sent < 100, f"the client read {drip.sent} bytes before giving up"


def test_a_body_dripped_past_the_deadline_is_refused_not_cut_short(server: LoopbackServer, tmp_path: Path) -> None:
    body = png_bytes()
    drip = Drip(_slow_headers(body)[:-len(body)] + body, every_s=0.0)
    server.routes["/fast-head.png"] = drip
    settings = make_settings(tmp_path, allow_private_addresses=True, fetch_timeout_s=5)
    assert fetch_media(server.url("/fast-head.png"), settings).size == len(body)  # control: no delay, fine

    slow = Drip(_slow_headers(b"x" * 400), every_s=0.02)  # 400-byte body at 50 bytes/s: 8 s
    server.routes["/feed.xml"] = slow
    settings = make_settings(tmp_path, allow_private_addresses=True, fetch_timeout_s=0.5)
    with pytest.raises(BadMedia, match="timed out"):
        fetch_bytes(server.url("/feed.xml"), settings)
    assert slow.done.wait(30) and slow.gone.is_set()


def test_the_watchdog_wakes_a_blocked_read() -> None:
    left, right = socket.socketpair()
    try:
        deadline = Deadline(0.2)
        deadline.watch(left)
        got = left.recv(10)  # nothing is ever sent: only the watchdog can end this read
        assert got == b"" and deadline.expired and deadline.passed()
    finally:
        left.close()
        right.close()


def test_a_connection_watched_after_expiry_is_shut_at_once() -> None:
    left, right = socket.socketpair()
    try:
        deadline = Deadline(0.0)
        deadline.watch(right)  # arms the timer, which fires at once
        assert right.recv(10) == b""
        deadline.watch(left)
        assert left.recv(10) == b""
    finally:
        deadline.close()
        left.close()
        right.close()
