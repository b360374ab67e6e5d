"""Alerter: recipients, de-duplication, outbox, rate limits and retries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pantau.alerting import (
    COMMISSION,
    Alerter,
    AppriseNotifier,
    DeliveryFailed,
    Notifier,
    OutboxNotifier,
    RateLimiter,
    WebhookNotifier,
    build_alerter,
)
from pantau.registry import Officer, Party, Registry
from pantau.schemas import Alert, Family
from pantau.settings import Settings
from pantau.stores.base import Scope
from pantau.stores.sqlite import SQLiteStore
from tests.mocks.incidents import make_incident

REGISTRY = Registry(
    parties=[
        Party(
            id="pbn",
            name="Parti Bersatu Nusantara",
            officers=[Officer(id="officer-pbn", name="Siti", channels=["json://127.0.0.1:1/never"])],
        ),
        Party(id="pkr2", name="Partai Kemajuan Rakyat", officers=[]),
    ]
)


class FlakyNotifier(Notifier):
    """Fails ``failures`` times, then delivers; records what it delivered."""

    name = "flaky"

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls = 0
        self.delivered: list[tuple[str, list[str]]] = []

    def deliver(self, alert: Alert, urls: list[str] | None = None) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryFailed("temporarily down")
        self.delivered.append((alert.recipient, list(urls or [])))


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    with SQLiteStore(tmp_path / "pantau.db") as s:
        yield s


def test_commission_and_attributed_party_officers_are_recipients(store: SQLiteStore) -> None:
    alerter = Alerter(store, REGISTRY, [])
    recipients = alerter.recipients(make_incident("1", party="pbn"))
    assert recipients == [(COMMISSION, None, []), ("officer-pbn", "pbn", ["json://127.0.0.1:1/never"])]


@pytest.mark.parametrize(
    ("party", "attributed", "expected"),
    [
        ("pbn", False, [COMMISSION]),  # not posted by the party: the commission only
        ("pkr2", True, [COMMISSION, "party:pkr2"]),  # no officer in the registry: kept for the party
        (None, False, [COMMISSION]),
    ],
)
def test_recipients_depend_on_attribution(
    store: SQLiteStore, party: str | None, attributed: bool, expected: list[str]
) -> None:
    alerter = Alerter(store, REGISTRY, [])
    incident = make_incident("1", party=party, attributed=attributed)
    assert [r for r, _, _ in alerter.recipients(incident)] == expected


def test_send_twice_delivers_once(store: SQLiteStore) -> None:
    channel = FlakyNotifier()
    alerter = Alerter(store, REGISTRY, [channel], sleep=lambda _: None)
    incidents = [make_incident("1"), make_incident("2", family=Family.DISINFO)]
    first = alerter.send(incidents)
    second = alerter.send(incidents)
    assert len(first) == 4 and second == []
    assert len(channel.delivered) == 4
    assert ("officer-pbn", ["json://127.0.0.1:1/never"]) in channel.delivered


def test_officer_alert_carries_party_deadline_and_redacted_excerpt(store: SQLiteStore) -> None:
    incident = make_incident(
        "1", text="Rina tinggal di Jalan Mawar 12, telefon +60 12-345 6789", deadline_hours=6
    )
    alerter = Alerter(store, REGISTRY, [], dashboard_url="https://pantau.example")
    alert = next(a for a, _ in alerter.build(incident) if a.recipient == "officer-pbn")
    assert alert.party == "pbn"
    assert (alert.due_at - incident.created_at).total_seconds() == 6 * 3600
    assert "6789" not in alert.body and "Jalan Mawar" not in alert.body
    assert f"?incident={incident.id}" in alert.body


def test_party_scope_sees_only_its_officers_alerts(store: SQLiteStore) -> None:
    Alerter(store, REGISTRY, []).send([make_incident("1", party="pbn"), make_incident("2", party="pkr2")])
    pbn = store.alerts(Scope(parties=frozenset({"pbn"})))
    assert {a.alert.recipient for a in pbn} == {"officer-pbn"}
    assert len(store.alerts(Scope.everything())) == 4


def test_outbox_writes_one_json_file_per_alert(store: SQLiteStore, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    sent = Alerter(store, REGISTRY, [OutboxNotifier(outbox)]).send([make_incident("1")])
    files = sorted(outbox.glob("*.json"))
    assert [f.stem for f in files] == sorted(a.id for a in sent)
    assert json.loads(files[0].read_text())["incident_id"] == sent[0].incident_id
    assert all(s.delivered_at is not None for s in store.alerts(Scope.everything()))


def test_retries_with_backoff_then_delivers(store: SQLiteStore) -> None:
    waits: list[float] = []
    channel = FlakyNotifier(failures=2)
    alerter = Alerter(store, None, [channel], attempts=3, backoff_s=0.5, sleep=waits.append)
    alerter.send([make_incident("1", attributed=False)])
    assert waits == [0.5, 1.0]
    state = store.alerts(Scope.everything())[0]
    assert state.delivered_at is not None and state.delivery_error is None


def test_gives_up_after_attempts_and_records_error(store: SQLiteStore) -> None:
    channel = FlakyNotifier(failures=99)
    Alerter(store, None, [channel], attempts=2, sleep=lambda _: None).send(
        [make_incident("1", attributed=False)]
    )
    state = store.alerts(Scope.everything())[0]
    assert channel.calls == 2
    assert state.delivered_at is None and "temporarily down" in (state.delivery_error or "")


def test_rate_limit_per_recipient_skips_channels_but_not_outbox(store: SQLiteStore, tmp_path: Path) -> None:
    channel = FlakyNotifier()
    limiter = RateLimiter(limit=2, window_s=3600, clock=lambda: 0.0)
    alerter = Alerter(store, None, [OutboxNotifier(tmp_path / "out"), channel], limiter=limiter)
    alerter.send([make_incident(str(i), attributed=False) for i in range(3)])
    assert len(channel.delivered) == 2
    assert len(list((tmp_path / "out").glob("*.json"))) == 3
    errors = [s.delivery_error for s in store.alerts(Scope.everything()) if s.delivery_error]
    assert len(errors) == 1 and "rate limit" in errors[0]


def test_rate_limit_window_slides() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=1, window_s=10, clock=lambda: now[0])
    assert limiter.allow("a") and not limiter.allow("a")
    now[0] = 10.0
    assert limiter.allow("a")


def test_build_alerter_channels_follow_settings(tmp_path: Path, store: SQLiteStore) -> None:
    settings = Settings.load(
        overrides={
            "data_dir": tmp_path,
            "alerts": {"webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": "s3cret"},
        }
    )
    alerter = build_alerter(settings, store, REGISTRY)
    kinds = [type(n) for n in alerter.notifiers]
    assert kinds == [OutboxNotifier, AppriseNotifier, WebhookNotifier]
    plain = build_alerter(Settings.load(overrides={"data_dir": tmp_path}), store, None)
    assert [type(n) for n in plain.notifiers] == [OutboxNotifier]
