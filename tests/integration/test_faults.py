"""Faults on the real servers: a worker killed mid-stream, the Kafka broker killed and restarted,
the search engine gone and back. After each, every ingested item must have ended as exactly one of:
an item with incidents, a dead letter, or processed without breach; no incident twice in the index;
the same incidents as the in-process runner finds in the same feed.

Each test prints one ``FAULT-FIGURES {...}`` line (items, incidents, dead letters, duplicates,
seconds to recover) that docs/reliability.md reports; run with ``-s`` to see them.
"""

# ruff: noqa: F811 - fixtures imported from test_kafka_pipeline are redefined as parameters
from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pantau.alerting import COMMISSION
from pantau.schemas import MediaItem
from pantau.settings import Settings
from pantau.stores.base import IncidentQuery, Scope
from pantau.stores.search import SearchStore
from streams.kafka_producer import ProduceReport, ensure_topics, produce_sources
from streams.runner import Pipeline
from tests.integration.conftest import Servers
from tests.integration.faults import Outcome, RecordingWebhook, RestartableBroker, account, replicated_feed
from tests.integration.tcp_proxy import TcpProxy
from tests.integration.test_kafka_pipeline import (  # noqa: F401 - fixtures used by name
    _output,
    _start_worker,
    _stop_worker,
    _wait_for,
    env,
    search_store,
    settings_of,
)

pytestmark = pytest.mark.integration

COPIES = 6
"""Copies of the sample feed's text items (13 each, plus one broken-media item per copy)."""

SOURCE = "faults"


def _feed_sources(path: Path) -> str:
    return json.dumps([{"kind": "jsonl", "name": SOURCE, "path": str(path)}])


@pytest.fixture
def feed(tmp_path: Path) -> tuple[Path, list[str]]:
    """The replicated feed and the ids its items get."""
    path = tmp_path / "faults.jsonl"
    native = replicated_feed(path, COPIES)
    return path, [MediaItem.make_id(f"jsonl:{SOURCE}", n) for n in native]


@pytest.fixture
def expected(settings_of: Callable[..., Settings], feed: tuple[Path, list[str]], tmp_path: Path) -> Outcome:
    """What the in-process runner makes of the feed, with no fault."""
    path, ids = feed
    baseline = settings_of(
        PANTAU_STORE__URL=f"sqlite:///{tmp_path / 'baseline.db'}",
        PANTAU_DATA_DIR=str(tmp_path / "baseline"),
        PANTAU_SOURCES=_feed_sources(path),
    )
    pipeline = Pipeline.from_settings(baseline)
    try:
        pipeline.run_once()
        outcome = account(pipeline.store, ids)
    finally:
        pipeline.store.close()
    assert outcome.incidents and outcome.dead_letters == COPIES and outcome.clean and not outcome.lost
    return outcome


def _produce(settings_of: Callable[..., Settings], path: Path) -> ProduceReport:
    return produce_sources(settings_of(PANTAU_SOURCES=_feed_sources(path)))


def _split(path: Path, parts: int) -> list[Path]:
    lines = path.read_text().splitlines(keepends=True)
    size = -(-len(lines) // parts)
    out = []
    for n in range(parts):
        part = path.with_name(f"{path.stem}-{n}.jsonl")
        part.write_text("".join(lines[n * size : (n + 1) * size]))
        out.append(part)
    return out


def _check(
    name: str, store: SearchStore, ids: list[str], expected: Outcome, recover_s: float, **notes: Any
) -> Outcome:
    """Account for every item, compare with the fault-free run, print the figures."""
    outcome = account(store, ids)
    figures = {"test": name, **outcome.as_row(), "recover_s": round(recover_s, 1), **notes}
    print("FAULT-FIGURES", json.dumps(figures))
    assert outcome.lost == [], f"{len(outcome.lost)} items lost"
    assert outcome.both == [], "an item is both an incident and a dead letter"
    assert outcome.duplicates == 0
    assert outcome.incident_ids == expected.incident_ids
    assert (outcome.incidents, outcome.dead_letters, outcome.clean) == (
        expected.incidents,
        expected.dead_letters,
        expected.clean,
    )
    assert outcome.incidents + outcome.dead_letters + outcome.clean == len(set(ids))
    return outcome


def test_worker_killed_mid_stream_and_a_new_worker_finishes_without_loss_or_duplicates(
    env: dict[str, str],
    settings_of: Callable[..., Settings],
    search_store: SearchStore,
    feed: tuple[Path, list[str]],
    expected: Outcome,
) -> None:
    path, ids = feed
    ensure_topics(settings_of().kafka)
    search_store.open()
    worker = _start_worker({**env, "PANTAU_BATCH_SIZE": "4", "PANTAU_KAFKA__BATCH_SIZE": "4"})
    try:
        report = _produce(settings_of, path)
        assert set(report.item_ids) == set(ids)
        _wait_for("the first items", lambda: len(search_store.processed(ids)) >= 4, 180, worker)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        _output(worker)
        done_before = len(search_store.processed(ids))
        assert done_before < len(ids), "the worker finished before it was killed; the test proved nothing"

        began = time.monotonic()
        worker = _start_worker(env)
        _wait_for("every item after the kill", lambda: search_store.processed(ids) == set(ids), 180, worker)
        recover_s = time.monotonic() - began
    finally:
        _stop_worker(worker)
    _check("worker kill -9", search_store, ids, expected, recover_s)


def test_worker_killed_mid_stream_with_a_slow_webhook_loses_no_alert(
    env: dict[str, str],
    settings_of: Callable[..., Settings],
    search_store: SearchStore,
    feed: tuple[Path, list[str]],
    expected: Outcome,
) -> None:
    """kill -9 of a worker while its first alert delivery is held open by a slow webhook, then a
    new worker: every alert kept (outbox, written before the item counts as processed) reaches the
    webhook, the one in flight again by the Faust redelivery task (at least once, never zero
    times); the commission gets one alert per incident of the fault-free run."""
    path, ids = feed
    hook = RecordingWebhook(delay_s=0.2)
    alert_env = {
        **env,
        "PANTAU_ALERTS__WEBHOOK_URL": hook.url,
        "PANTAU_ALERTS__WEBHOOK_SECRET": "faults-secret",
        "PANTAU_ALERTS__REDELIVER_EVERY_S": "1",
    }
    ensure_topics(settings_of().kafka)
    search_store.open()
    worker = _start_worker({**alert_env, "PANTAU_BATCH_SIZE": "4", "PANTAU_KAFKA__BATCH_SIZE": "4"})
    try:
        report = _produce(settings_of, path)
        assert set(report.item_ids) == set(ids)
        _wait_for("the first alert", hook.first.is_set, 180, worker)
        worker.send_signal(signal.SIGKILL)  # while the first delivery is held open
        worker.wait(timeout=30)
        hook.release.set()
        _output(worker)
        assert len(search_store.processed(ids)) < len(ids), "the worker finished before it was killed"

        began = time.monotonic()
        worker = _start_worker(alert_env)
        _wait_for(
            "every item processed and every alert delivered",
            lambda: search_store.processed(ids) == set(ids) and not search_store.pending_alerts(1000),
            180,
            worker,
        )
        recover_s = time.monotonic() - began
    finally:
        _stop_worker(worker)
        hook.close()
    stored = {state.alert.id for state in search_store.alerts(Scope.everything(), limit=10_000)}
    received = {alert_id for alert_id, _, _ in hook.received}
    commission = {incident for _, incident, recipient in hook.received if recipient == COMMISSION}
    outcome = _check(
        "worker kill -9, slow webhook",
        search_store,
        ids,
        expected,
        recover_s,
        alerts=len(stored),
        deliveries=len(hook.received),
        alerts_lost=len(stored - received),
    )
    assert stored and stored <= received, f"{len(stored - received)} alerts never reached the webhook"
    in_flight = hook.received[0][0]
    assert [a for a, _, _ in hook.received].count(in_flight) >= 2, "the alert in flight was not sent again"
    assert commission == outcome.incident_ids == expected.incident_ids, "an incident's commission alert is missing"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RestartableBroker]:
    """A Kafka broker of this test's own, which it may kill and restart."""
    own = RestartableBroker(tmp_path / "broker")
    own.start()
    yield own
    own.stop()


def test_broker_killed_and_restarted_mid_stream_loses_nothing(
    env: dict[str, str],
    settings_of: Callable[..., Settings],
    search_store: SearchStore,
    feed: tuple[Path, list[str]],
    expected: Outcome,
    broker: RestartableBroker,
) -> None:
    path, ids = feed
    first, second = _split(path, 2)
    own_env = {**env, "PANTAU_KAFKA__BOOTSTRAP_SERVERS": broker.address}

    def own(**extra: str) -> Settings:
        return settings_of(PANTAU_KAFKA__BOOTSTRAP_SERVERS=broker.address, **extra)

    ensure_topics(own().kafka)
    search_store.open()
    worker = _start_worker(own_env)
    try:
        first_ids = _produce(own, first).item_ids
        _wait_for("the first half", lambda: search_store.processed(first_ids) == set(first_ids), 180, worker)

        broker.kill()
        time.sleep(5)  # the worker loses its broker mid-stream
        began = time.monotonic()
        broker_s = broker.start()
        second_ids = _produce(own, second).item_ids
        worker_survived = worker.poll() is None
        if not worker_survived:  # the worker gave up while the broker was gone: a new one takes over
            print("worker exited during the broker outage:", _output(worker)[-500:])
            worker = _start_worker(own_env)
        _wait_for("the second half", lambda: search_store.processed(ids) == set(ids), 240, worker)
        recover_s = time.monotonic() - began
    finally:
        _stop_worker(worker)
    assert set(first_ids) | set(second_ids) == set(ids)
    _check(
        "broker kill -9 and restart",
        search_store,
        ids,
        expected,
        recover_s,
        broker_start_s=round(broker_s, 1),
        worker_survived=worker_survived,
    )


def test_search_engine_gone_and_back_the_same_worker_catches_up(
    env: dict[str, str],
    settings_of: Callable[..., Settings],
    search_store: SearchStore,
    feed: tuple[Path, list[str]],
    expected: Outcome,
    servers: Servers,
) -> None:
    path, ids = feed
    first, second = _split(path, 2)
    host, port = servers.opensearch_url.split("://", 1)[1].split(":")
    proxy = TcpProxy(host, int(port))
    proxied = {**env, "PANTAU_STORE__URL": f"opensearch://127.0.0.1:{proxy.restore()}"}
    ensure_topics(settings_of().kafka)
    search_store.open()
    worker = _start_worker(proxied)
    try:
        first_ids = _produce(settings_of, first).item_ids
        _wait_for("the first half", lambda: search_store.processed(first_ids) == set(first_ids), 180, worker)

        proxy.cut()  # the search engine is unreachable: the worker must pause, not drop or dead-letter
        _produce(settings_of, second)
        time.sleep(8)
        assert worker.poll() is None, "the worker must wait for the store, not exit"
        assert search_store.processed(ids) == set(first_ids)

        began = time.monotonic()
        proxy.restore()
        _wait_for("every item after the outage", lambda: search_store.processed(ids) == set(ids), 180, worker)
        recover_s = time.monotonic() - began
    finally:
        returncode = _stop_worker(worker)
        proxy.cut()
    assert returncode == 0
    found = search_store.search(IncidentQuery(limit=10_000), Scope.everything())
    assert found.total == len(expected.incident_ids)
    _check("search engine unreachable 8s", search_store, ids, expected, recover_s)
