"""One deadline for every outside call: platform connectors and alert channels (issue 19).

A socket timeout bounds each read, not their sum, so a server that drips one byte at a time held
a call for as long as it liked. Here a loopback server drips its answer (or a TLS handshake) for
30 s; each call has a 1 s deadline. Nothing is timed: the server counts the bytes it had sent when
the client went away, and the outcome is checked (an error for the source, an alert left pending).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.connectors.youtube import YouTubeSource
from pantau.alerting import Alerter, AppriseNotifier, DeliveryFailed, WebhookNotifier
from pantau.deadline import DeadlinePassed, call_with_deadline
from pantau.registry import Account, Registry
from pantau.stores.sqlite import SQLiteStore
from tests.mocks.incidents import make_incident

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"p" * 400 + b"\r\n\r\n{}"
TLS_RECORD = b"\x16\x03\x03\x40\x00" + b"\x00" * 400  # a handshake record that never completes
DRIP_BYTES = 300  # one every 0.1 s: the server drips for 30 s


class DripServer:
    """Accepts connections on loopback and drips ``data`` one byte every 0.1 s to each."""

    def __init__(self, data: bytes) -> None:
        self.data = data[:DRIP_BYTES]
        self.sent = 0
        self.connections = 0
        self.gone = threading.Event()
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, scheme: str = "http") -> str:
        """The server's root URL."""
        return f"{scheme}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                for byte in self.data:
                    conn.sendall(bytes([byte]))
                    self.sent += 1
                    if self._stop.wait(0.1):
                        return
            except OSError:
                self.gone.set()

    def close(self) -> None:
        """Stop accepting and dripping."""
        self._stop.set()
        self._sock.close()


@pytest.fixture
def drip() -> Iterator[DripServer]:
    """A server dripping slow HTTP headers."""
    server = DripServer(HEAD)
    yield server
    server.close()


@pytest.fixture
def tls_drip() -> Iterator[DripServer]:
    """A server dripping a TLS handshake record that never completes."""
    server = DripServer(TLS_RECORD)
    yield server
    server.close()


def _youtube(tmp_path: Path, api_base: str) -> YouTubeSource:
    registry = Registry(accounts=[Account(platform="youtube", handle="@pbnofficial", party="pbn")])
    return YouTubeSource(
        "parties",
        {"channels": ["@pbnofficial"], "api_base": api_base, "poll_interval_s": 0, "timeout_s": 1, "max_retries": 0},
        data_dir=tmp_path,
        credentials={"api_key": "k-secret"},
        registry=registry,
        sleep=lambda _s: None,
    )


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_dripping_platform_is_an_error_for_its_source_and_the_run_goes_on(
    tmp_path: Path, drip: DripServer, tls_drip: DripServer, scheme: str
) -> None:
    server = drip if scheme == "http" else tls_drip  # https: the TLS handshake itself drips
    source = _youtube(tmp_path, server.url(scheme))
    out = list(source.read())  # returns: the pass ends with an error record, no exception
    sent = server.sent
    assert out and out[0].error_type == "ConnectorError" and "deadline" in out[0].reason
    assert source.status["state"] == "failing"
    assert sent < DRIP_BYTES, "the client waited for the whole drip"
    assert server.gone.wait(30) and server.connections == 1


def test_a_dripping_webhook_leaves_the_alert_pending_for_redelivery(tmp_path: Path, drip: DripServer) -> None:
    webhook = WebhookNotifier(drip.url() + "/hook", "secret", timeout_s=1)
    with pytest.raises(DeliveryFailed, match="timed out"):
        webhook.deliver(Alerter(None, None, []).prepare([make_incident("0")])[0])  # type: ignore[arg-type]
    assert drip.sent < DRIP_BYTES and drip.gone.wait(30)

    with SQLiteStore(tmp_path / "pantau.db") as store:
        sent = Alerter(store, None, [webhook], attempts=1, sleep=lambda _s: None).send([make_incident("1")])
        pending = {a.id for a in store.pending_alerts(100)}
    assert sent and {a.id for a in sent} <= pending, "a timed-out alert must stay pending"
    assert drip.sent < 2 * DRIP_BYTES


def test_a_dripping_apprise_channel_fails_the_delivery_within_the_deadline(drip: DripServer) -> None:
    pytest.importorskip("apprise")
    channel = AppriseNotifier([f"json://127.0.0.1:{drip.port}/hook"], timeout_s=1)
    with pytest.raises(DeliveryFailed, match="timed out"):
        channel.deliver(Alerter(None, None, []).prepare([make_incident("2")])[0])  # type: ignore[arg-type]
    assert drip.connections == 1 and drip.sent < DRIP_BYTES


def test_call_with_deadline_returns_raises_and_gives_up() -> None:
    assert call_with_deadline(lambda: 7, 5) == 7
    with pytest.raises(ValueError, match="bad"):
        call_with_deadline(lambda: (_ for _ in ()).throw(ValueError("bad")), 5)
    never = threading.Event()
    with pytest.raises(DeadlinePassed, match="slow"):
        call_with_deadline(lambda: never.wait(60), 0.2, name="slow")
    never.set()
