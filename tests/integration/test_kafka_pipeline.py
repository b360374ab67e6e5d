"""End to end on the real Kafka broker and OpenSearch node: feed in, incidents searchable, alerts out.

The Faust worker runs as its own process (``python -m streams.faust_app worker``), as it does in
production; the test produces the sample feed with :mod:`streams.kafka_producer` and reads the
results back from the search index and the output topics. The in-process runner judges the
same feed into SQLite first: both transports call the same stage functions, so they must find
the same incidents.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pantau.settings import DEFAULT_DETECTORS, SAMPLE_FEED, Settings
from pantau.stores import by_url
from pantau.stores.base import IncidentQuery, Scope
from pantau.stores.search import SearchStore
from streams.kafka_producer import KafkaItemProducer, ensure_topics, produce_sources
from streams.runner import Pipeline
from streams.topics import Topics
from tests.integration.conftest import REPO, Servers
from tests.integration.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

LIGHT_PLUGINS = frozenset({"text.language", "text.offensive"})
"""Light, deterministic plug-ins only: the test is about transport, not model accuracy."""


def _light_detectors_file(path: Path) -> Path:
    """Write the project's detector list with only :data:`LIGHT_PLUGINS` enabled (the others stay
    listed, so the code's rules still know their signal names)."""
    data = yaml.safe_load(DEFAULT_DETECTORS.read_text())
    for plugin in data["plugins"]:
        plugin["enabled"] = plugin["name"] in LIGHT_PLUGINS
    path.write_text(yaml.safe_dump(data))
    return path


def _wait_for(
    what: str, condition: Callable[[], bool], timeout_s: float, worker: subprocess.Popen[str]
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            pytest.fail(f"worker exited ({worker.returncode}) while waiting for {what}:\n{_output(worker)}")
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")


def _output(worker: subprocess.Popen[str]) -> str:
    """Return the end of a worker's output (killing it first if it still runs)."""
    if worker.poll() is None:
        worker.kill()
    worker.wait(timeout=30)
    log: Any = worker.log  # type: ignore[attr-defined]
    log.seek(0)
    return str(log.read())[-6000:]


def _read_topic(bootstrap: str, topic: str, at_least: int, timeout_s: float = 30.0) -> list[tuple[str, Any]]:
    """Read a topic from the beginning until ``at_least`` messages came or the time is up."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=1000)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        found: list[tuple[str, Any]] = []
        deadline = time.monotonic() + timeout_s
        while len(found) < at_least and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                found += [(m.key.decode(), json.loads(m.value)) for m in batch]
        return found
    finally:
        consumer.close()


@pytest.fixture
def env(servers: Servers, unique_name: str, tmp_path: Path) -> dict[str, str]:
    """Environment of one isolated run: its own topics, consumer group, indices and data folder."""
    detectors = _light_detectors_file(tmp_path / "detectors.yaml")
    return {
        "PANTAU_KAFKA__BOOTSTRAP_SERVERS": servers.kafka,
        "PANTAU_KAFKA__TOPIC_PREFIX": unique_name,
        "PANTAU_KAFKA__CONSUMER_GROUP": unique_name,
        "PANTAU_KAFKA__PARTITIONS": "2",
        "PANTAU_STORE__URL": "opensearch://" + servers.opensearch_url.split("://", 1)[1],
        "PANTAU_SEARCH__INDEX_PREFIX": unique_name,
        "PANTAU_DATA_DIR": str(tmp_path / "data"),
        "PANTAU_DETECTORS_FILE": str(detectors),
        "PANTAU_BATCH_SIZE": "8",
        "PANTAU_KAFKA__BATCH_SIZE": "8",
    }


@pytest.fixture
def settings_of(env: dict[str, str]) -> Callable[..., Settings]:
    """Build settings from the run's environment plus overrides (as the CLI would)."""

    def build(**extra: str) -> Settings:
        return Settings.load(environ={**env, **extra})

    return build


@pytest.fixture
def expected_incidents(settings_of: Callable[..., Settings], tmp_path: Path) -> set[str]:
    """Incident ids the in-process runner finds in the sample feed."""
    baseline = settings_of(
        PANTAU_STORE__URL=f"sqlite:///{tmp_path / 'baseline.db'}", PANTAU_DATA_DIR=str(tmp_path / "baseline")
    )
    pipeline = Pipeline.from_settings(baseline)
    pipeline.run_once()
    found = pipeline.store.search(IncidentQuery(limit=1000), Scope.everything())
    pipeline.store.close()
    assert found.total >= 1, "the sample feed should raise incidents; the e2e test would prove nothing"
    return {i.id for i in found.incidents}


@pytest.fixture
def search_store(settings_of: Callable[..., Settings]) -> Iterator[SearchStore]:
    """The run's search store, dropped at the end."""
    store = by_url(settings_of().store_url, settings_of())
    assert isinstance(store, SearchStore)
    try:
        yield store
    finally:
        store.drop()
        store.close()


def _start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    # Output goes to a file, not a pipe: a pipe nobody reads would block a chatty worker.
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed with the process
    worker = subprocess.Popen(
        [sys.executable, "-m", "streams.faust_app", "worker"],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker.log = log  # type: ignore[attr-defined]
    return worker


def _stop_worker(worker: subprocess.Popen[str]) -> int:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
    _output(worker)
    return int(worker.returncode)


def test_feed_in_incidents_searchable_alerts_out_poison_dead_lettered(
    env: dict[str, str],
    settings_of: Callable[..., Settings],
    expected_incidents: set[str],
    search_store: SearchStore,
) -> None:
    settings = settings_of()
    topics = Topics(settings.kafka.topic_prefix)
    ensure_topics(settings.kafka)
    with KafkaItemProducer(settings.kafka) as producer:
        producer.send(topics.raw_items, "poison-1", b"this is not json {")
        producer.send(topics.raw_items, "poison-2", b'{"id": 42}')
        producer.flush()
    worker = _start_worker(env)
    try:
        report = produce_sources(settings)
        assert report.items == sum(1 for line in SAMPLE_FEED.read_text().splitlines() if line.strip())
        search_store.open()
        _wait_for(
            "every item to be processed",
            lambda: search_store.processed(report.item_ids) == set(report.item_ids),
            180,
            worker,
        )

        found = search_store.search(IncidentQuery(limit=1000), Scope.everything())
        assert {i.id for i in found.incidents} == expected_incidents
        assert found.total == len(expected_incidents)

        stored_alerts = {s.alert.id for s in search_store.alerts(Scope.everything())}
        assert stored_alerts, "the incidents should alert someone"
        alerts = _read_topic(settings.kafka.bootstrap_servers, topics.alerts, len(stored_alerts))
        assert {value["id"] for _, value in alerts} == stored_alerts
        assert {key for key, _ in alerts} <= set(report.item_ids)

        incidents = _read_topic(settings.kafka.bootstrap_servers, topics.incidents, len(expected_incidents))
        assert {value["id"] for _, value in incidents} == expected_incidents

        dead = _read_topic(settings.kafka.bootstrap_servers, topics.dead_letters, 2)
        poison = [value for _, value in dead if value["stage"] == "decode:raw-items"]
        assert {p["payload"] for p in poison} == {"this is not json {", '{"id": 42}'}
        assert all(p["reason"] and p["error_type"] == "ValidationError" for p in poison)
        assert search_store.count_dead_letters() >= 2
    finally:
        returncode = _stop_worker(worker)
    assert returncode == 0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(port: int, path: str = "/metrics") -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:  # noqa: S310
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")
    except OSError:
        return 0, ""


def _samples(port: int, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    from prometheus_client.parser import text_string_to_metric_families

    _, body = _scrape(port)
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
        if s.name == name
    }


def test_worker_metrics_endpoint_counts_the_feed_per_stage_and_its_lag_drains(
    env: dict[str, str], settings_of: Callable[..., Settings], search_store: SearchStore
) -> None:
    """The issue's 'done when': curl on the worker's metrics endpoint shows per-stage counters that
    grow while a feed runs (here read over HTTP from the worker process, as Prometheus does)."""
    port = _free_port()
    worker = _start_worker({**env, "PANTAU_METRICS__PORT": str(port)})
    try:
        _wait_for("/healthz", lambda: _scrape(port, "/healthz")[0] == 200, 120, worker)
        _wait_for("/readyz", lambda: _scrape(port, "/readyz")[0] == 200, 180, worker)
        before = _samples(port, "pantau_stage_items_out_total")
        assert not any(before.values()), "a fresh worker has counted nothing"
        report = produce_sources(settings_of())
        items = report.items

        def out(stage: str) -> float:
            return _samples(port, "pantau_stage_items_out_total").get((("stage", stage),), 0.0)

        _wait_for("the store stage to count every item", lambda: out("store") == items, 180, worker)
        for stage in ("ingest", "media", "enrich", "detect", "judge", "store"):
            assert out(stage) == items, stage
        entered = _samples(port, "pantau_stage_items_in_total")
        assert entered[(("stage", "ingest"),)] == items
        # Lag is measured every 15 s for the partitions this worker holds: it appears, then drains.
        _wait_for("a consumer-lag measurement of every partition held",
                  lambda: len(_samples(port, "pantau_consumer_lag_messages")) >= 3 * 2, 120, worker)
        _wait_for("the lag to drain to 0",
                  lambda: sum(_samples(port, "pantau_consumer_lag_messages").values()) == 0, 120, worker)
    finally:
        returncode = _stop_worker(worker)
    assert returncode == 0


def test_store_outage_commits_nothing_and_loses_nothing(
    env: dict[str, str],
    settings_of: Callable[..., Settings],
    expected_incidents: set[str],
    search_store: SearchStore,
    servers: Servers,
) -> None:
    host, port = servers.opensearch_url.split("://", 1)[1].split(":")
    proxy = TcpProxy(host, int(port))
    proxied = {**env, "PANTAU_STORE__URL": f"opensearch://127.0.0.1:{proxy.restore()}"}
    settings = settings_of()
    ensure_topics(settings.kafka)
    search_store.open()
    worker = _start_worker(proxied)
    try:
        # Warm up: one item through the whole pipeline proves the worker joined its group.
        warm_feed = Path(env["PANTAU_DATA_DIR"]).parent / "warm.jsonl"
        warm_feed.write_text(json.dumps({"id": "warm-1", "text": "Selamat pagi semua"}) + "\n")
        warm = produce_sources(
            settings_of(
                PANTAU_SOURCES=json.dumps([{"kind": "jsonl", "name": "warm", "path": str(warm_feed)}])
            )
        )
        _wait_for(
            "the warm-up item",
            lambda: search_store.processed(warm.item_ids) == set(warm.item_ids),
            120,
            worker,
        )

        proxy.cut()
        report = produce_sources(settings)
        time.sleep(8)  # the worker consumes, cannot reach the store, and retries
        assert search_store.processed(report.item_ids) == set()
        worker.send_signal(signal.SIGKILL)  # crash while offsets of unindexed items are pending
        worker.wait(timeout=30)
        output = _output(worker)
        assert "store unavailable" in output

        proxy.restore()
        worker = _start_worker(proxied)
        _wait_for(
            "every item after the outage",
            lambda: search_store.processed(report.item_ids) == set(report.item_ids),
            180,
            worker,
        )
        found = search_store.search(IncidentQuery(limit=1000), Scope.everything())
        assert {i.id for i in found.incidents} == expected_incidents
    finally:
        _stop_worker(worker)
        proxy.cut()


def test_run_once_produces_the_sources_and_returns_when_all_are_processed(
    env: dict[str, str], expected_incidents: set[str], search_store: SearchStore
) -> None:
    # What `pantau run --backend kafka --once` calls: streams.faust_app.run_kafka(settings, once=True).
    done = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "streams.faust_app", "run", "--once"],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    items = sum(1 for line in SAMPLE_FEED.read_text().splitlines() if line.strip())
    assert f"{items} items produced, {items} processed" in done.stdout
    search_store.open()
    found = search_store.search(IncidentQuery(limit=1000), Scope.everything())
    assert {i.id for i in found.incidents} == expected_incidents
