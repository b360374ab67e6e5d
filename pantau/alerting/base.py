"""The notifier interface: one delivery channel for alerts."""

from __future__ import annotations

from abc import ABC, abstractmethod

from pantau.errors import PantauError
from pantau.schemas import Alert

__all__ = ["DeliveryFailed", "Notifier"]


class DeliveryFailed(PantauError):
    """A channel could not deliver an alert (the alerter retries, then records the error)."""


class Notifier(ABC):
    """Delivers alerts over one channel (outbox folder, apprise URLs, signed webhook).

    ``deliver`` raises :class:`DeliveryFailed` on failure; retries, rate limits and
    de-duplication are the :class:`~pantau.alerting.alerter.Alerter`'s job, not the channel's.
    """

    name: str = "notifier"
    #: Whether the rate limit per recipient applies (the local outbox is a record, not a message).
    rate_limited: bool = True

    @abstractmethod
    def deliver(self, alert: Alert, urls: list[str] | None = None) -> None:
        """Deliver one alert; ``urls`` are the recipient's own channel URLs, where the channel uses them."""
