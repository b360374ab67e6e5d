"""Alerts through apprise: e-mail, Slack, Telegram, Matrix, Teams and the other services it knows."""

from __future__ import annotations

from pantau.alerting.base import DeliveryFailed, Notifier
from pantau.deadline import DeadlinePassed, call_with_deadline
from pantau.errors import ConfigError
from pantau.schemas import Alert

__all__ = ["AppriseNotifier"]


class AppriseNotifier(Notifier):
    """Sends to apprise URLs: the recipient's own (officer ``channels`` in the registry) plus global ones.

    Example Snippet::

        AppriseNotifier(["tgram://BOT_TOKEN/CHAT_ID"]).deliver(alert, ["mailto://user:pw@pbn.example"])
    """

    name = "apprise"

    def __init__(self, global_urls: list[str] | None = None, timeout_s: float = 10.0) -> None:
        """:param timeout_s: deadline of one delivery to one URL (e-mail, chat or HTTP), whole."""
        self.global_urls = list(global_urls or [])
        self.timeout_s = timeout_s

    def deliver(self, alert: Alert, urls: list[str] | None = None) -> None:
        """Notify every URL; raise when any of them failed."""
        targets = [*self.global_urls, *(urls or [])]
        if not targets:
            return
        try:
            import apprise
        except ImportError as exc:
            raise ConfigError(
                "apprise channels need the dashboard extra: pip install 'pantau[dashboard]'"
            ) from exc
        bad: list[str] = []
        late: list[str] = []
        sent_ok = True
        for url in targets:
            client = apprise.Apprise()
            if not client.add(url):
                bad.append(_masked(url))
                continue
            try:
                # apprise keeps its sockets (SMTP, HTTP) to itself: stop waiting at the deadline.
                notified = call_with_deadline(
                    lambda c=client: c.notify(title=alert.subject, body=alert.body),
                    self.timeout_s,
                    name=f"apprise {_masked(url)}",
                )
            except DeadlinePassed:
                late.append(_masked(url))
                continue
            sent_ok = bool(notified) and sent_ok
        if late:
            raise DeliveryFailed(f"apprise timed out ({self.timeout_s:g} s deadline): {', '.join(late)}")
        if bad:
            raise DeliveryFailed(f"apprise refused URL(s): {', '.join(bad)}")
        if not sent_ok:
            raise DeliveryFailed("apprise could not deliver to every channel")


def _masked(url: str) -> str:
    """The URL's scheme only: apprise URLs carry tokens and passwords."""
    return url.split("://", 1)[0] + "://..."
