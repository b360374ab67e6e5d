"""Build alerts from incidents, de-duplicate them through the store, and deliver them.

Recipients of an incident:

- ``commission``, always (the commission sees every incident);
- each compliance officer of the attributed party (``Breach.attributed_party``: a signatory
  party's own or affiliated account posted it) when the clause notifies ``party_officer``;
  a party with no officer in the registry gets ``party:<id>`` so the alert is still kept.

An alert's id is a digest of incident id and recipient, and :meth:`IncidentStore.add_alerts`
keeps only new ids, so a replayed incident never alerts twice. Alerts are kept before they are
delivered (the pipeline writes them with the incidents, :meth:`IncidentStore.commit_batch`), and an
alert not yet delivered (a crash, a channel down) stays pending: :meth:`Alerter.redeliver` sends the
pending ones again on start and on a timer. Delivery is at least once; receivers de-duplicate by alert
id (it is in every payload), which the local outbox does by file name. Delivery goes to every channel
of the recipient: the local outbox (always), the global apprise URLs, the officer's own apprise
URLs from the registry, and the signed webhook. Each channel is retried with exponential
backoff; the outcome is written back with :meth:`IncidentStore.mark_alert`.

Alert bodies travel over third-party services, so their excerpt is redacted like a
journalist's view (:func:`pantau.access.redact_text`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from pantau import metrics
from pantau.access import redact_incident
from pantau.alerting.base import DeliveryFailed, Notifier
from pantau.ratelimit import RateLimiter
from pantau.retry import delivery_retrying
from pantau.schemas import Alert, Incident

if TYPE_CHECKING:
    from tenacity import RetryCallState

    from pantau.registry import Registry
    from pantau.stores.base import IncidentStore

__all__ = ["COMMISSION", "Alerter"]

log = logging.getLogger(__name__)

COMMISSION = "commission"
"""The recipient name of the commission's alerts."""


class Alerter:
    """Turns incidents into alerts and delivers the new ones.

    Example Snippet::

        alerter = Alerter(store, registry, [OutboxNotifier(settings.outbox_dir)])
        sent = alerter.send(incidents)

    :param store: where alerts are de-duplicated and their state kept.
    :param registry: parties and their officers (``None``: only the commission is alerted).
    :param notifiers: channels, in order; the first is usually the outbox.
    :param limiter: rate limit per recipient (channels with ``rate_limited`` only).
    :param attempts: tries per channel before the error is recorded.
    :param backoff_s: first wait between tries; doubles each time.
    :param dashboard_url: base URL of the dashboard, for permalinks in alert bodies.
    """

    def __init__(
        self,
        store: IncidentStore,
        registry: Registry | None,
        notifiers: Sequence[Notifier],
        limiter: RateLimiter | None = None,
        attempts: int = 3,
        backoff_s: float = 0.5,
        dashboard_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.registry = registry
        self.notifiers = list(notifiers)
        self.limiter = limiter
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.dashboard_url = dashboard_url
        self.sleep = sleep
        # One delivery at a time per process: a redelivery pass never sends an alert that a send
        # in another thread (the Kafka judge agent) has just kept and is about to deliver.
        self._lock = threading.RLock()

    # -- building -------------------------------------------------------------------------------
    def recipients(
        self, incident: Incident, registry: Registry | None = None
    ) -> list[tuple[str, str | None, list[str]]]:
        """Return ``(recipient, party, apprise URLs)`` for each recipient of an incident."""
        registry = registry or self.registry
        found: list[tuple[str, str | None, list[str]]] = [(COMMISSION, None, [])]
        party_id = incident.breach.attributed_party
        notify = incident.breach.notify or ["party_officer", COMMISSION]
        if party_id and "party_officer" in notify:
            party = registry.party(party_id) if registry is not None else None
            officers = party.officers if party is not None else []
            if officers:
                found += [(officer.id, party_id, list(officer.channels)) for officer in officers]
            else:
                found.append((f"party:{party_id}", party_id, []))
        return found

    def build(self, incident: Incident, registry: Registry | None = None) -> list[tuple[Alert, list[str]]]:
        """Return the alerts of one incident with each recipient's own channel URLs."""
        breach = incident.breach
        due = incident.created_at + timedelta(hours=breach.deadline_hours) if breach.deadline_hours else None
        where = " ".join(
            x
            for x in [
                incident.item.account or "",
                f"on {incident.item.platform}" if incident.item.platform else "",
            ]
            if x
        )
        subject = (
            f"[{breach.severity.value.upper()}] {breach.clause_id} {breach.clause_title} - {where}".strip()
        )
        excerpt = redact_incident(incident, registry or self.registry).item.text[:280]
        lines = [
            f"Clause {breach.clause_id} ({breach.code_id} {breach.code_version}): {breach.clause_title}",
            f"Family: {breach.family.value}; severity: {breach.severity.value}",
            f"Posted by: {incident.item.account or 'unknown'} on {incident.item.platform or 'unknown'}",
        ]
        if incident.item.url:
            lines.append(f"Original: {incident.item.url}")
        if excerpt:
            lines.append(f"Excerpt: {excerpt}")
        if due:
            lines.append(f"Answer by: {due.isoformat(timespec='minutes')}")
        if self.dashboard_url:
            lines.append(f"Incident: {self.dashboard_url.rstrip('/')}/?incident={incident.id}")
        body = "\n".join(lines)
        return [
            (
                Alert(
                    id=Alert.make_id(incident.id, recipient),
                    incident_id=incident.id,
                    recipient=recipient,
                    party=party,
                    subject=subject,
                    body=body,
                    severity=breach.severity,
                    due_at=due,
                    channel=",".join(n.name for n in self.notifiers) or "outbox",
                ),
                urls,
            )
            for recipient, party, urls in self.recipients(incident, registry)
        ]

    def prepare(self, incidents: Sequence[Incident]) -> list[Alert]:
        """Return the alerts of these incidents, to be kept with them (:meth:`IncidentStore.commit_batch`)."""
        return [alert for incident in incidents for alert, _ in self.build(incident)]

    def officer_urls(self, alert: Alert) -> list[str]:
        """The recipient's own apprise URLs from the registry (an officer of the alert's party)."""
        if self.registry is None or alert.party is None:
            return []
        party = self.registry.party(alert.party)
        for officer in party.officers if party is not None else []:
            if officer.id == alert.recipient:
                return list(officer.channels)
        return []

    # -- sending --------------------------------------------------------------------------------
    def send(self, incidents: Sequence[Incident], registry: Registry | None = None) -> list[Alert]:
        """Build, de-duplicate and deliver alerts; return the new alerts (delivered or not)."""
        built = [pair for incident in incidents for pair in self.build(incident, registry)]
        urls_by_id = {alert.id: urls for alert, urls in built}
        with self._lock:
            fresh = self.store.add_alerts([alert for alert, _ in built])
            for alert in fresh:
                self._deliver(alert, urls_by_id.get(alert.id, []))
        return fresh

    def deliver(self, alerts: Sequence[Alert]) -> int:
        """Deliver alerts already kept (see :meth:`prepare`); return how many reached every channel."""
        with self._lock:
            return sum(self._deliver(alert, self.officer_urls(alert)) for alert in alerts)

    def redeliver(self, limit: int = 100, budget_s: float = 30.0) -> int:
        """Deliver pending alerts (kept, never delivered), oldest first; return how many got through.

        Bounded: at most ``limit`` alerts and about ``budget_s`` seconds per call, so a channel that
        is down delays the pipeline by that much at most; the rest waits for the next call.
        """
        deadline = time.monotonic() + budget_s
        done = 0
        with self._lock:
            for alert in self.store.pending_alerts(limit):
                if time.monotonic() > deadline:
                    break
                done += self._deliver(alert, self.officer_urls(alert))
        if done:
            log.info("redelivered %d pending alert(s)", done)
        return done

    def _deliver(self, alert: Alert, urls: list[str]) -> bool:
        errors: list[str] = []
        allowed = self.limiter.allow(alert.recipient) if self.limiter is not None else True
        for notifier in self.notifiers:
            if notifier.rate_limited and not allowed:
                errors.append(f"{notifier.name}: rate limit for {alert.recipient} reached")
                metrics.ALERT_DELIVERIES.labels(notifier.name, "rate_limited").inc()
                continue
            error = self._try(notifier, alert, urls)
            metrics.ALERT_DELIVERIES.labels(notifier.name, "failed" if error else "delivered").inc()
            if error:
                errors.append(f"{notifier.name}: {error}")
        # The alert stage: every delivery try of an alert in, each that reached every channel out.
        metrics.passed("alert", 1, 0 if errors else 1)
        if errors:
            log.warning("alert %s to %s: %s", alert.id, alert.recipient, "; ".join(errors),
                        extra={"alert_id": alert.id, "incident_id": alert.incident_id})
            self.store.mark_alert(alert.id, delivered=False, error="; ".join(errors)[:1000])
            return False
        self.store.mark_alert(alert.id, delivered=True)
        return True

    def _try(self, notifier: Notifier, alert: Alert, urls: list[str]) -> str | None:
        """Deliver through one channel with retries; return the last error, or ``None`` once delivered."""

        def failed(state: RetryCallState) -> None:
            metrics.CHANNEL_ERRORS.labels(notifier.name).inc()

        def again(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            tries = state.attempt_number
            log.info("alert %s via %s failed (try %d): %s", alert.id, notifier.name, tries, exc)

        try:
            delivery_retrying(
                self.attempts, self.backoff_s, DeliveryFailed, self.sleep, after=failed, before_sleep=again
            )(notifier.deliver, alert, urls)
        except DeliveryFailed as exc:
            return str(exc)
        return None
