"""Delivery channels against real local servers: a signed webhook and SMTP through apprise."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from pantau.alerting import AppriseNotifier, DeliveryFailed, WebhookNotifier, sign_payload, verify_signature
from pantau.alerting.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from pantau.schemas import Alert

SECRET = "webhook-test-secret"


def _alert() -> Alert:
    return Alert(
        id=Alert.make_id("inc-1", "officer-pbn"),
        incident_id="inc-1",
        recipient="officer-pbn",
        party="pbn",
        subject="[HIGH] GBV-1 No sexist attacks",
        body="Clause GBV-1 ...",
    )


class _Receiver(BaseHTTPRequestHandler):
    """A webhook consumer that checks the signature the way the docs tell consumers to."""

    received: list[dict[str, Any]] = []
    status = 204

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = verify_signature(SECRET, body, self.headers[TIMESTAMP_HEADER], self.headers[SIGNATURE_HEADER])
        type(self).received.append({"ok": ok, "body": json.loads(body)})
        self.send_response(type(self).status if ok else 401)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"received": [], "status": 204})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


def test_webhook_signature_is_verified_by_the_receiver(receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    alert = _alert()
    WebhookNotifier(url, SECRET).deliver(alert)
    assert handler.received == [{"ok": True, "body": json.loads(alert.model_dump_json())}]


def test_webhook_with_wrong_secret_is_refused_and_reported(receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    with pytest.raises(DeliveryFailed, match="401"):
        WebhookNotifier(url, "not-the-secret").deliver(_alert())
    assert handler.received[0]["ok"] is False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_webhook_unreachable_is_a_delivery_failure() -> None:
    port = _free_port()
    with pytest.raises(DeliveryFailed, match="unreachable"):
        WebhookNotifier(f"http://127.0.0.1:{port}/", SECRET, timeout_s=2).deliver(_alert())


@pytest.mark.parametrize(
    ("body", "timestamp", "signature_of", "age", "expected"),
    [
        (b'{"a":1}', 1000, b'{"a":1}', 0, True),
        (b'{"a":2}', 1000, b'{"a":1}', 0, False),  # body changed after signing
        (b'{"a":1}', 1000, b'{"a":1}', 301, False),  # replayed too late
        (b'{"a":1}', "x", b'{"a":1}', 0, False),  # garbage timestamp
    ],
)
def test_verify_signature_table(
    body: bytes, timestamp: Any, signature_of: bytes, age: int, expected: bool
) -> None:
    sig = sign_payload(SECRET, signature_of, 1000)
    assert verify_signature(SECRET, body, str(timestamp), sig, now=1000 + age) is expected


def test_apprise_mailto_reaches_a_local_smtp_server() -> None:
    pytest.importorskip("aiosmtpd")
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self) -> None:
            self.messages: list[tuple[str, list[str], bytes]] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = (
            f"mailto://127.0.0.1:{port}?mode=insecure&from=alerts@pantau.example"
            f"&to=compliance@pbn.example&smtp=127.0.0.1"
        )
        AppriseNotifier().deliver(_alert(), [url])
        for _ in range(50):
            if sink.messages:
                break
            time.sleep(0.05)
    finally:
        controller.stop()
    assert len(sink.messages) == 1
    mail_from, rcpt, content = sink.messages[0]
    assert rcpt == ["compliance@pbn.example"]
    assert b"GBV-1" in content


def test_apprise_refused_url_is_a_delivery_failure_without_leaking_secrets() -> None:
    with pytest.raises(DeliveryFailed) as info:
        AppriseNotifier().deliver(_alert(), ["nosuchscheme://token-123@host"])
    assert "token-123" not in str(info.value)
