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
import urllib.error
import urllib.request

from pantau.alerting.base import DeliveryFailed, Notifier
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
        req = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: str(ts),
                SIGNATURE_HEADER: sign_payload(self.secret, body, ts),
                "User-Agent": "pantau-alerts",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310
                status = resp.status
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"webhook answered HTTP {exc.code}") from exc
        except OSError as exc:
            raise DeliveryFailed(f"webhook unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryFailed(f"webhook answered HTTP {status}")
