"""Prometheus metrics of Pantau, defined once, and the small HTTP server that exposes them.

Every metric the runner, the Faust worker, the tipline and the alerter record is declared in this
module and nowhere else; ``infra/prometheus/alerts.yml`` and ``infra/grafana/pantau.json`` read
these names (a unit test checks that every name they use is declared here). Call sites stay one
line: the helpers below take what the stages already return (lists of items, dead letters,
:class:`~streams.stages.StageTimer` seconds).

Stage names are those of :mod:`streams.stages` and of dead letters: ``ingest``, ``media``,
``enrich``, ``detect``, ``judge``, ``store``, ``alert``; stage seconds and dead letters also name
the plug-in (``enrich:ocr``, ``detect:gbv.text``). Reasons are exception class names, so every
label has a bounded number of values: no item id, URL or message ever becomes a label.

The server (:func:`serve`) answers ``/metrics`` (Prometheus text format), ``/healthz`` (the
process is alive) and ``/readyz`` (models loaded and store reachable, from a callback).

Example Snippet::

    server = serve(9108, ready=lambda: (True, {"models": "loaded"}))
    passed("media", len(items), len(localised))
    dead_letters(letters)
    server.close()
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

if TYPE_CHECKING:
    from pantau.schemas import DeadLetter

__all__ = [
    "ALERT_DELIVERIES",
    "CAMPAIGN_ACTIVE",
    "CHANNEL_ERRORS",
    "CONSUMER_LAG",
    "DEAD_LETTERS",
    "INCIDENTS",
    "INGEST_TO_ALERT",
    "INGEST_TO_SEARCHABLE",
    "ITEMS_IN",
    "ITEMS_OUT",
    "METRIC_NAMES",
    "MODEL_LOAD_SECONDS",
    "QUEUE_ITEMS",
    "STAGE_SECONDS",
    "STORE_ERRORS",
    "TIPS",
    "TIPS_REFUSED",
    "MetricsServer",
    "Readiness",
    "dead_letters",
    "observe",
    "passed",
    "serve",
    "stage_seconds",
    "store_reachable",
    "watch_campaign",
]

log = logging.getLogger(__name__)

# Ingest to searchable is seconds on the embedded path and can reach minutes behind a Kafka
# backlog; alerts add channel time. Buckets span both, so the histogram quantiles stay meaningful.
_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

ITEMS_IN = Counter("pantau_stage_items_in", "Items that entered a stage.", ["stage"])
ITEMS_OUT = Counter(
    "pantau_stage_items_out", "Items a stage passed on (entered minus dead letters and skips).", ["stage"]
)
STAGE_SECONDS = Counter(
    "pantau_stage_seconds", "Seconds spent in a stage; plug-ins as enrich:<name>, detect:<name>.", ["stage"]
)
DEAD_LETTERS = Counter(
    "pantau_dead_letters", "Dead letters by stage and reason (exception class).", ["stage", "reason"]
)
INCIDENTS = Counter("pantau_incidents", "Incidents found (replays included), by family.", ["family"])
INGEST_TO_SEARCHABLE = Histogram(
    "pantau_ingest_to_searchable_seconds",
    "Seconds from an item's ingest to its incidents being searchable (items with incidents).",
    buckets=_LATENCY_BUCKETS,
)
INGEST_TO_ALERT = Histogram(
    "pantau_ingest_to_alert_seconds",
    "Seconds from an item's ingest to the alerts about it being delivered.",
    buckets=_LATENCY_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "pantau_consumer_lag_messages",
    "Messages not yet committed by the worker group, per partition this worker holds (Kafka backend).",
    ["topic", "partition"],
)
QUEUE_ITEMS = Gauge("pantau_queue_items", "Items waiting in the in-process runner's bounded queue.")
STORE_ERRORS = Counter(
    "pantau_store_errors", "Store calls that failed (unavailable ones are retried).", ["error"]
)
ALERT_DELIVERIES = Counter(
    "pantau_alert_deliveries",
    "Alert deliveries per channel and outcome (delivered, failed, rate_limited).",
    ["channel", "outcome"],
)
CHANNEL_ERRORS = Counter(
    "pantau_channel_errors", "Failed tries of an alert channel (each retry counts).", ["channel"]
)
MODEL_LOAD_SECONDS = Gauge(
    "pantau_model_load_seconds", "Seconds the load of a detector or enricher took.", ["plugin"]
)
CAMPAIGN_ACTIVE = Gauge(
    "pantau_campaign_active",
    "1 while an election of the calendar is under way (nomination to polls close), else 0.",
)
TIPS = Counter("pantau_tips", "Tips the tipline accepted, by channel.", ["channel"])
TIPS_REFUSED = Counter("pantau_tips_refused", "Tips the tipline refused, by HTTP status.", ["status"])

_SUFFIXES = {
    "counter": ("_total", "_created"), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum", "_created"),
}

METRIC_NAMES: frozenset[str] = frozenset(
    family.name + suffix
    for metric in (
        ITEMS_IN, ITEMS_OUT, STAGE_SECONDS, DEAD_LETTERS, INCIDENTS, INGEST_TO_SEARCHABLE, INGEST_TO_ALERT,
        CONSUMER_LAG, QUEUE_ITEMS, STORE_ERRORS, ALERT_DELIVERIES, CHANNEL_ERRORS, MODEL_LOAD_SECONDS,
        CAMPAIGN_ACTIVE, TIPS, TIPS_REFUSED,
    )
    for family in metric.describe()
    for suffix in _SUFFIXES[family.type]
)
"""Every series name these metrics expose (``_total``, ``_bucket``, ``_count``, ``_sum``... included)."""


# -- recording -----------------------------------------------------------------------------------
def passed(stage: str, entered: int, left: int) -> None:
    """Count ``entered`` items into ``stage`` and ``left`` items out of it."""
    if entered:
        ITEMS_IN.labels(stage).inc(entered)
    if left:
        ITEMS_OUT.labels(stage).inc(left)


def stage_seconds(seconds: Mapping[str, float]) -> None:
    """Add a :class:`~streams.stages.StageTimer`'s seconds per stage."""
    for stage, secs in seconds.items():
        STAGE_SECONDS.labels(stage).inc(max(0.0, secs))


def dead_letters(letters: Iterable[DeadLetter]) -> None:
    """Count dead letters by stage and reason, and log each with its item id (JSON logs carry it)."""
    for letter in letters:
        DEAD_LETTERS.labels(letter.stage, letter.error_type or "unknown").inc()
        log.warning(
            "dead letter at %s: %s", letter.stage, letter.reason[:300],
            extra={"item_id": letter.item_id, "stage": letter.stage, "dead_letter_id": letter.id,
                   "source": letter.source},
        )


def observe(histogram: Histogram, seconds: Iterable[float]) -> None:
    """Observe each latency (negative ones, from a clock skew between hosts, count as 0)."""
    for value in seconds:
        histogram.observe(max(0.0, value))


def watch_campaign(calendar: Any, clock: Callable[[], datetime] | None = None) -> None:
    """Make :data:`CAMPAIGN_ACTIVE` read ``calendar`` at each scrape (1 from nomination to polls close)."""
    from pantau.schemas import utcnow

    now = clock or utcnow

    def active() -> float:
        try:
            phase = calendar.context(now()).get("phase")
        except Exception:  # noqa: BLE001 - a scrape must not fail on a calendar problem
            return 0.0
        return 1.0 if phase in ("nomination", "campaign", "closed", "silence", "polling") else 0.0

    CAMPAIGN_ACTIVE.set_function(active)


# -- serving -------------------------------------------------------------------------------------
Readiness = Callable[[], tuple[bool, dict[str, Any]]]
"""Returns (ready, details): details are shown in the ``/readyz`` answer (no secrets)."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Scrapes every 15 s would fill the log; requests are not logged."""


def _wsgi(ready: Readiness | None, registry: CollectorRegistry) -> Callable[..., Sequence[bytes]]:
    metrics_app = make_wsgi_app(registry)

    def answer(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
        data = json.dumps(body).encode("utf-8")
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Sequence[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path == "/healthz":
            return answer(start_response, "200 OK", {"status": "alive"})
        if path == "/readyz":
            try:
                ok, details = ready() if ready is not None else (True, {})
            except Exception as exc:  # noqa: BLE001 - a failing check means not ready, never a 500
                ok, details = False, {"error": type(exc).__name__}
            status = "200 OK" if ok else "503 Service Unavailable"
            return answer(start_response, status, {"ready": ok, **details})
        if path in ("/metrics", "/"):
            return metrics_app(environ, start_response)  # type: ignore[no-any-return]
        return answer(start_response, "404 Not Found", {"error": "not found"})

    return app


class MetricsServer:
    """A running metrics server; :attr:`port` is the bound port (useful with port 0)."""

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.address: str = server.server_address[0]  # type: ignore[assignment]
        self.port: int = server.server_address[1]

    def close(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve(
    port: int,
    address: str = "127.0.0.1",
    ready: Readiness | None = None,
    registry: CollectorRegistry = REGISTRY,
) -> MetricsServer:
    """Serve ``/metrics``, ``/healthz`` and ``/readyz`` in a daemon thread; return the server.

    :param port: TCP port (0: any free port, read it from :attr:`MetricsServer.port`).
    :param address: address to bind; ``0.0.0.0`` in a container, loopback elsewhere.
    :param ready: readiness check; None: ready as soon as the process answers.
    """
    server = make_server(address, port, _wsgi(ready, registry), _ThreadingServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="pantau-metrics", daemon=True)
    thread.start()
    log.info("metrics on http://%s:%d/metrics", address, server.server_address[1])
    return MetricsServer(server, thread)


def store_reachable(store: Any) -> tuple[bool, str]:
    """Whether ``store`` answers a cheap query (its dead-letter count); the error class when not."""
    try:
        store.count_dead_letters()
    except Exception as exc:  # noqa: BLE001 - any failure to answer is 'unreachable'
        return False, type(exc).__name__
    return True, "reachable"
