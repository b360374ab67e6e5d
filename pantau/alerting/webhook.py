"""A signed JSON webhook for machine consumers (HMAC-SHA256 over timestamp and body).

Headers sent with each POST::

    X-Pantau-Timestamp: 1732300000
    X-Pantau-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the shared secret>

A receiver checks it with :func:`verify_signature` (or the same three lines in any language),
refusing timestamps older than five minutes so that a captured request cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from pantau.alerting.base import DeliveryFailed, Notifier
from pantau.deadline import Deadline
from pantau.errors import ConfigError
from pantau.schemas import Alert

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookNotifier", "sign_payload", "verify_signature"]

SIGNATURE_HEADER = "X-Pantau-Signature"
TIMESTAMP_HEADER = "X-Pantau-Timestamp"


def sign_payload(secret: str, body: bytes, timestamp: int) -> str:
    """Return the signature header value for a body sent at ``timestamp``.

    >>> sign_payload("k", b"{}", 1)[:7]
    'sha256='
    """
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str, body: bytes, timestamp: str, signature: str, tolerance_s: int = 300, now: float | None = None
) -> bool:
    """Return whether a webhook request is authentic and fresh."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign_payload(secret, body, ts), signature or "")


class WebhookNotifier(Notifier):
    """POSTs each alert as JSON to one URL, signed with a shared secret."""

    name = "webhook"

    def __init__(self, url: str, secret: str, timeout_s: float = 10.0) -> None:
        """:param timeout_s: deadline of one delivery (connect, TLS, headers and body together)."""
        if not url.startswith(("https://", "http://")):
            raise ConfigError(f"webhook URL must be http(s), got {url!r}")
        if not secret:
            raise ConfigError("the webhook needs a secret (alerts.webhook_secret)")
        self.url = url
        self.secret = secret
        self.timeout_s = timeout_s

    def deliver(self, alert: Alert, urls: list[str] | None = None) -> None:
        """POST the alert; any non-2xx answer or network error is a failed delivery."""
        body = alert.model_dump_json().encode("utf-8")
        ts = int(time.time())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign_payload(self.secret, body, ts),
            "User-Agent": "pantau-alerts",
        }
        import httpx

        # One deadline for connect, TLS, headers and body: a receiver that drips its answer
        # cannot hold the alerter (the alert stays pending and is sent again later).
        with Deadline(self.timeout_s) as deadline:
            try:
                with httpx.Client(timeout=max(deadline.remaining(), 0.001), follow_redirects=False) as client:
                    resp = client.post(
                        self.url, content=body, headers=headers, extensions={"trace": deadline.httpx_trace}
                    )
                status = resp.status_code
            except httpx.HTTPError as exc:
                if deadline.expired or isinstance(exc, httpx.TimeoutException):
                    raise DeliveryFailed(f"webhook timed out ({self.timeout_s:g} s deadline)") from exc
                raise DeliveryFailed(f"webhook unreachable: {type(exc).__name__}: {exc}") from exc
        if deadline.expired:
            raise DeliveryFailed(f"webhook timed out ({self.timeout_s:g} s deadline)")
        if not 200 <= status < 300:
            raise DeliveryFailed(f"webhook answered HTTP {status}")
