"""Prometheus metrics and health endpoints: counters move when items flow, readiness follows the store.

Every check compares two scrapes over a real socket (the registry is process-wide, so other tests
may have counted before): only differences are asserted, never times.
"""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from ingest.tipline.app import create_app
from ingest.tipline.intake import TiplineOptions
from pantau import metrics
from pantau.alerting import Alerter, DeliveryFailed, Notifier
from pantau.deadletters import dead_letter
from pantau.errors import StoreUnavailable
from pantau.logs import configure_logging, json_formatter
from pantau.settings import Settings
from streams.runner import Pipeline
from tests.mocks.incidents import make_incident

LIGHT = Path(__file__).resolve().parents[2] / "fixtures" / "detectors_light.yaml"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback test server
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _scrape(server: metrics.MetricsServer) -> Samples:
    status, body = _get(f"http://127.0.0.1:{server.port}/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode("utf-8"))
        for s in family.samples
    }


def _grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.fixture
def feed_settings(tmp_path: Path) -> Settings:
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join([
        json.dumps({"id": "1", "text": "Aminah Yusof is a stupid bitch"}),
        json.dumps({"id": "2", "text": "Polling stations open at eight."}),
        "{broken",
        json.dumps({"id": "3", "text": "missing media", "media": ["nope.jpg"]}),
    ]) + "\n")
    return Settings.load(
        overrides={"data_dir": tmp_path / "data", "detectors_file": LIGHT,
                   "sources": [{"kind": "jsonl", "name": "t", "path": str(feed)}]},
        environ={},
    )


@pytest.fixture
def pipeline(feed_settings: Settings) -> Pipeline:
    return Pipeline.from_settings(feed_settings)


@pytest.fixture
def server(pipeline: Pipeline) -> Iterator[metrics.MetricsServer]:
    running = metrics.serve(0, ready=pipeline.readiness)
    yield running
    running.close()


def test_metrics_endpoint_counts_items_per_stage_when_the_runner_processes_a_feed(
    pipeline: Pipeline, server: metrics.MetricsServer
) -> None:
    before = _scrape(server)
    report = pipeline.run_once()
    after = _scrape(server)
    assert report.items == 3 and report.dead_letters == 2

    def grew_in(stage: str) -> float:
        return _grew(before, after, "pantau_stage_items_in_total", stage=stage)

    def grew_out(stage: str) -> float:
        return _grew(before, after, "pantau_stage_items_out_total", stage=stage)

    assert grew_in("ingest") == 3 and grew_out("ingest") == 3
    assert grew_in("media") == 3 and grew_out("media") == 2  # item 3's media is missing
    for stage in ("enrich", "detect", "judge"):
        assert grew_in(stage) == 2 and grew_out(stage) == 2, stage
    assert grew_in("store") == 3  # every item reaches a terminal state, dead letters included
    assert _grew(before, after, "pantau_dead_letters_total", stage="ingest", reason="BadFeed") == 1
    assert _grew(before, after, "pantau_dead_letters_total", stage="media", reason="BadMedia") == 1
    assert _grew(before, after, "pantau_incidents_total", family="gbv") == report.by_family["gbv"]
    assert _grew(before, after, "pantau_ingest_to_searchable_seconds_count") == 1  # one item with incidents
    assert _grew(before, after, "pantau_stage_seconds_total", stage="detect:text.offensive") > 0
    assert _grew(before, after, "pantau_alert_deliveries_total", channel="outbox", outcome="delivered") >= 1
    assert ("pantau_model_load_seconds", (("plugin", "text.offensive"),)) in after

    # A second pass over the same feed skips every item: ingest counts them in, nothing goes out.
    again = _scrape(server)
    Pipeline.from_settings(pipeline.settings).run_once()
    last = _scrape(server)
    assert _grew(again, last, "pantau_stage_items_in_total", stage="ingest") == 3
    assert _grew(again, last, "pantau_stage_items_out_total", stage="ingest") == 0
    assert _grew(again, last, "pantau_stage_items_in_total", stage="detect") == 0


def test_healthz_is_alive_and_readyz_waits_for_the_models(
    pipeline: Pipeline, server: metrics.MetricsServer
) -> None:
    status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
    assert status == 200 and json.loads(body) == {"status": "alive"}
    status, body = _get(f"http://127.0.0.1:{server.port}/readyz")
    assert status == 503 and json.loads(body)["models"] == "loading"
    pipeline.registry.load()
    status, body = _get(f"http://127.0.0.1:{server.port}/readyz")
    assert status == 200 and json.loads(body) == {"ready": True, "models": "loaded", "store": "reachable"}
    assert _get(f"http://127.0.0.1:{server.port}/nothing")[0] == 404


class _UnreachableStore:
    def count_dead_letters(self) -> int:
        raise StoreUnavailable("opensearch at http://127.0.0.1:1 unavailable: connection refused")


def test_readyz_is_not_ready_when_the_store_is_unreachable(pipeline: Pipeline) -> None:
    pipeline.registry.load()
    pipeline.store = _UnreachableStore()  # type: ignore[assignment]
    server = metrics.serve(0, ready=pipeline.readiness)
    try:
        status, body = _get(f"http://127.0.0.1:{server.port}/readyz")
    finally:
        server.close()
    assert status == 503
    assert json.loads(body) == {"ready": False, "models": "loaded", "store": "StoreUnavailable"}


def test_readyz_is_not_ready_for_a_search_store_on_a_closed_port(pipeline: Pipeline) -> None:
    pytest.importorskip("opensearchpy")
    from pantau.stores import by_url

    pipeline.registry.load()
    pipeline.store = by_url("opensearch://127.0.0.1:1", pipeline.settings)
    ok, details = pipeline.readiness()
    assert not ok and details["store"] == "StoreUnavailable"


def test_a_readiness_check_that_raises_answers_503_not_500() -> None:
    def broken() -> tuple[bool, dict[str, Any]]:
        raise RuntimeError("boom")

    server = metrics.serve(0, ready=broken)
    try:
        status, body = _get(f"http://127.0.0.1:{server.port}/readyz")
    finally:
        server.close()
    assert status == 503 and json.loads(body) == {"ready": False, "error": "RuntimeError"}


def test_json_logs_carry_the_item_id_of_a_dead_letter() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("pantau.metrics")
    saved = logger.disabled, logger.level
    logger.disabled, logger.level = False, logging.WARNING  # other tests may have quietened it
    logger.addHandler(handler)
    try:
        metrics.dead_letters([dead_letter(ValueError("bad"), "judge", {"x": 1}, item_id="item-42")])
    finally:
        logger.removeHandler(handler)
        logger.disabled, logger.level = saved
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["item_id"] == "item-42" and line["stage"] == "judge" and line["level"] == "WARNING"
    assert line["logger"] == "pantau.metrics" and "ValueError: bad" in line["message"]


def test_configure_logging_json_writes_one_object_per_line() -> None:
    stream = io.StringIO()
    configure_logging(logging.INFO, "json", stream=stream)
    try:
        logging.getLogger("pantau.test").warning("hello %s", "there", extra={"item_id": "x1"})
    finally:
        configure_logging(logging.WARNING, "text")
    assert json.loads(stream.getvalue().splitlines()[-1])["item_id"] == "x1"


class _DownChannel(Notifier):
    name = "webhook"

    def deliver(self, alert: Any, urls: list[str]) -> None:
        raise DeliveryFailed("connection refused")


def test_a_failing_channel_counts_each_try_and_the_failed_delivery(tmp_path: Path) -> None:
    from pantau.stores.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "p.db")
    store.open()
    alerter = Alerter(store, None, [_DownChannel()], attempts=3, sleep=lambda _s: None)
    server = metrics.serve(0)
    try:
        before = _scrape(server)
        sent = alerter.send([make_incident("m1")])  # to the commission and to the party
        after = _scrape(server)
    finally:
        server.close()
    assert len(sent) == 2
    assert _grew(before, after, "pantau_channel_errors_total", channel="webhook") == 3 * 2  # 3 tries each
    assert _grew(before, after, "pantau_alert_deliveries_total", channel="webhook", outcome="failed") == 2
    assert _grew(before, after, "pantau_alert_deliveries_total", channel="webhook", outcome="delivered") == 0
    assert _grew(before, after, "pantau_stage_items_in_total", stage="alert") == 2
    assert _grew(before, after, "pantau_stage_items_out_total", stage="alert") == 0


def test_tipline_readyz_is_503_when_the_spool_cannot_be_written(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, registry_file=None)
    client = TestClient(create_app(settings, TiplineOptions()))
    assert client.get("/healthz").json() == {"status": "alive"}
    assert client.get("/readyz").status_code == 200
    before = REGISTRY.get_sample_value("pantau_tips_total", {"channel": "web"}) or 0.0
    assert client.post("/tips", data={"text": "a deepfake of a candidate"}).status_code == 202
    assert REGISTRY.get_sample_value("pantau_tips_total", {"channel": "web"}) == before + 1

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the spool's folder should be")
    options = TiplineOptions(spool=str(blocked / "spool.jsonl"))
    client = TestClient(create_app(Settings(data_dir=tmp_path, registry_file=None), options))
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["ready"] is False


def test_campaign_gauge_reads_the_calendar_at_scrape_time(pipeline: Pipeline) -> None:
    from datetime import UTC, datetime

    election = pipeline.calendar.elections[0]
    during = datetime.combine(election.polling_day, election.polls_open, tzinfo=election.zone)
    metrics.watch_campaign(pipeline.calendar, clock=lambda: during.astimezone(UTC))
    assert REGISTRY.get_sample_value("pantau_campaign_active") == 1.0
    metrics.watch_campaign(pipeline.calendar, clock=lambda: datetime(1990, 1, 1, tzinfo=UTC))
    assert REGISTRY.get_sample_value("pantau_campaign_active") == 0.0
