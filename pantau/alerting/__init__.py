"""Alerts to compliance officers and the commission: outbox, apprise channels, signed webhook.

:func:`build_alerter` assembles the :class:`Alerter` the settings describe; the pipeline calls
``alerter.send(incidents)`` after the incidents are stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pantau.alerting.alerter import COMMISSION, Alerter
from pantau.alerting.apprise_notifier import AppriseNotifier
from pantau.alerting.base import DeliveryFailed, Notifier
from pantau.alerting.outbox import OutboxNotifier
from pantau.alerting.webhook import WebhookNotifier, sign_payload, verify_signature
from pantau.ratelimit import RateLimiter

if TYPE_CHECKING:
    from pantau.registry import Registry
    from pantau.settings import Settings
    from pantau.stores.base import IncidentStore

__all__ = [
    "COMMISSION",
    "Alerter",
    "AppriseNotifier",
    "DeliveryFailed",
    "Notifier",
    "OutboxNotifier",
    "RateLimiter",
    "WebhookNotifier",
    "build_alerter",
    "sign_payload",
    "verify_signature",
]


def build_alerter(settings: Settings, store: IncidentStore, registry: Registry | None = None) -> Alerter:
    """Return the alerter the settings describe: outbox always, apprise when any URL is configured
    (globally or for an officer in the registry), the signed webhook when its URL is set."""
    notifiers: list[Notifier] = [OutboxNotifier(settings.outbox_dir)]
    officer_urls = registry is not None and any(o.channels for p in registry.parties for o in p.officers)
    if settings.alerts.channels or officer_urls:
        notifiers.append(AppriseNotifier(settings.alerts.channels, timeout_s=settings.alerts.timeout_s))
    if settings.alerts.webhook_url:
        secret = settings.alerts.webhook_secret.get_secret_value() if settings.alerts.webhook_secret else ""
        timeout_s = settings.alerts.timeout_s
        notifiers.append(WebhookNotifier(settings.alerts.webhook_url, secret, timeout_s=timeout_s))
    limiter = RateLimiter(settings.alerts.max_per_recipient_per_hour, 3600.0)
    return Alerter(store, registry, notifiers, limiter=limiter, dashboard_url=settings.dashboard.public_url)
