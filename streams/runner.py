"""The in-process runner: the embedded default's pipeline, with bounded queues and batching.

One reader thread pulls items from the configured sources into a bounded queue (so a fast
source waits for slow detectors: back-pressure); the main thread takes batches from it and
runs the stages of :mod:`streams.stages`, writes incidents and dead letters to the store,
marks items processed and sends alerts. Items already processed (same stable id) are
skipped, so re-reading a feed, or restarting after ``kill -9``, never duplicates anything.

Example Snippet::

    pipeline = Pipeline.from_settings(settings)
    report = pipeline.run_once(progress=print)
    report.items, report.incidents, report.dead_letters
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codes.calendar import Calendar, load_calendar
from codes.engine import CodeEngine
from detectors.disinfo.queue import claims_to_check
from detectors.registry import DetectorRegistry
from ingest.base import Source
from pantau import metrics
from pantau.crypto_at_rest import check_startup, seal_incidents
from pantau.deadletters import dead_letter
from pantau.errors import ConfigError
from pantau.registry import Registry, load_registry
from pantau.retry import store_retrying
from pantau.schemas import DeadLetter, Incident, MediaItem, utcnow
from streams.stages import (
    SignalCache,
    StageTimer,
    detect,
    distinct_items,
    enrich,
    judge,
    localise_media,
    to_enriched,
)

if TYPE_CHECKING:
    from pantau.settings import Settings, SourceConfig
    from pantau.stores.base import IncidentStore

__all__ = ["Pipeline", "RunReport", "build_sources"]

log = logging.getLogger(__name__)

_END = object()
STORE_RETRY_CAP_S = 30.0
"""Longest wait between two tries of a store write."""


@dataclass
class RunReport:
    """What one run did."""

    items: int = 0
    skipped: int = 0
    incidents: int = 0
    new_incidents: int = 0
    dead_letters: int = 0
    alerts: int = 0
    redelivered: int = 0
    """Alerts kept by an earlier run or batch but not delivered then, delivered by this run."""
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_cpu_seconds: dict[str, float] = field(default_factory=dict)
    """CPU seconds of the process (and its finished children) while each stage ran."""
    by_family: dict[str, int] = field(default_factory=dict)
    latency_searchable: list[float] = field(default_factory=list)
    """Seconds from ingest to the item's incidents being searchable (items with incidents)."""
    latency_alerted: list[float] = field(default_factory=list)
    """Seconds from ingest to the alerts about the item being sent."""

    def summary(self) -> str:
        """One line for the console."""
        rate = self.items / self.seconds if self.seconds else 0.0
        return (
            f"{self.items} items processed ({self.skipped} already seen), {self.incidents} incidents "
            f"({self.new_incidents} new), {self.alerts} alerts, {self.dead_letters} dead letters "
            f"in {self.seconds:.1f}s ({rate:.1f} items/s)"
        )


def build_sources(settings: Settings) -> list[Source]:
    """Build the configured sources (file kinds here; platform connectors from :mod:`ingest.connectors`)."""
    sources: list[Source] = []
    for cfg in settings.sources:
        sources.append(_build_source(cfg, settings))
    return sources


def _build_source(cfg: SourceConfig, settings: Settings) -> Source:
    defaults: dict[str, Any] = {
        "platform": cfg.platform, "party": cfg.party, "account": cfg.account, "language": cfg.language,
    }
    if cfg.kind == "jsonl":
        from ingest.jsonl import JsonlSource

        if not cfg.path:
            raise ConfigError(f"source {cfg.name!r}: jsonl needs 'path'")
        return JsonlSource(cfg.name, cfg.path, **defaults)
    if cfg.kind == "folder":
        from ingest.folder import FolderSource

        if not cfg.path:
            raise ConfigError(f"source {cfg.name!r}: folder needs 'path'")
        return FolderSource(cfg.name, cfg.path, **defaults)
    if cfg.kind == "rss":
        from ingest.rss import RssSource

        fetcher = None
        if cfg.url:
            fetcher = _feed_fetcher(settings)
        return RssSource(cfg.name, path=cfg.path, url=cfg.url, fetcher=fetcher, **defaults)
    try:
        from ingest.connectors import build_source
    except ImportError as exc:
        raise ConfigError(f"source {cfg.name!r}: unknown kind {cfg.kind!r}") from exc
    return build_source(cfg, settings)  # type: ignore[no-any-return]


def _feed_fetcher(settings: Settings) -> Callable[[str], bytes]:
    def fetch(url: str) -> bytes:
        from ingest.fetch import fetch_bytes

        return fetch_bytes(url, settings)  # type: ignore[no-any-return]

    return fetch


class Pipeline:
    """Sources -> media -> enrich -> detect -> judge -> store + alerts, in one process."""

    def __init__(
        self,
        settings: Settings,
        store: IncidentStore,
        registry: DetectorRegistry,
        engine: CodeEngine,
        people: Registry,
        calendar: Calendar,
        sources: Sequence[Source] = (),
        alerter: Any | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.engine = engine
        self.people = people
        self.calendar = calendar
        self.sources = list(sources)
        self.alerter = alerter
        self.cache = SignalCache() if settings.dedupe else None
        self._stop = threading.Event()
        self._last_redelivery = time.monotonic()

    @classmethod
    def from_settings(cls, settings: Settings, store: IncidentStore | None = None) -> Pipeline:
        """Build everything the settings describe; loud on any configuration error."""
        from detectors.devices import limit_blas_threads
        from pantau.stores import by_url

        limit_blas_threads(settings.blas_threads)
        check_startup(settings)  # sensitive media to encrypt and no key: stop here, not mid-stream
        registry = DetectorRegistry.from_settings(settings)
        engine = CodeEngine.from_files(settings.codes, signal_names=registry.signal_names())
        engine.time_limit_s = settings.rule_time_limit_s
        if not settings.dedupe:  # every item judged afresh (the naive benchmark)
            engine.memo_entries = 0
        people = load_registry(settings.registry_file)
        calendar = load_calendar(settings.calendar_file)
        store = store or by_url(settings.store_url, settings)
        from pantau.stores.sqlite import SQLiteStore

        if isinstance(store, SQLiteStore):
            store.open()  # a damaged file or a folder that cannot be written stops the start, in words
        alerter = None
        try:
            from pantau.alerting import build_alerter
        except ImportError:
            build_alerter = None
        if build_alerter is not None:
            alerter = build_alerter(settings, store, people)
        return cls(settings, store, registry, engine, people, calendar, build_sources(settings), alerter)

    def stop(self) -> None:
        """Ask a running pipeline to stop after the current batch."""
        self._stop.set()

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready when every detector is loaded and the store answers (``/readyz``)."""
        loaded = self.registry.loaded
        reachable, store = metrics.store_reachable(self.store)
        return loaded and reachable, {"models": "loaded" if loaded else "loading", "store": store}

    # -- reading ---------------------------------------------------------------------------
    def _read(self, out: queue.Queue[Any]) -> None:
        """Reader thread: put items and dead letters from every source on the bounded queue."""
        try:
            for source in self.sources:
                if self._stop.is_set():
                    break
                try:
                    for record in source.read():
                        out.put(record)
                        if self._stop.is_set():
                            break
                except Exception as exc:  # noqa: BLE001 - a broken source is a dead letter, not a crash
                    out.put(dead_letter(exc, "ingest", source.name, source=source.name))
        finally:
            out.put(_END)

    def _batches(self, q: queue.Queue[Any]) -> Iterator[tuple[list[MediaItem], list[DeadLetter]]]:
        size = self.settings.batch_size
        done = False
        while not done:
            items: list[MediaItem] = []
            dead: list[DeadLetter] = []
            first = q.get()
            deadline = time.monotonic() + 0.5
            record = first
            while True:
                if record is _END:
                    done = True
                    break
                if isinstance(record, DeadLetter):
                    dead.append(record)
                else:
                    items.append(record)
                if len(items) >= size:
                    break
                try:
                    record = q.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            if items or dead:
                yield items, dead

    # -- processing ------------------------------------------------------------------------
    def process(
        self, items: Sequence[MediaItem], report: RunReport, reprocess: bool = False
    ) -> list[Incident]:
        """Run the stages on one batch and write the results; return the incidents."""
        timer = StageTimer()
        entered = len(items)
        items, conflicting = distinct_items(items)
        if not reprocess:
            seen = self.store.processed([i.id for i in items])
            report.skipped += len(seen)
            items = [i for i in items if i.id not in seen]
        metrics.passed("ingest", entered, len(items))
        if not items:
            if conflicting:
                self._write([], conflicting, report)
            return []
        dead: list[DeadLetter] = list(conflicting)
        localised, failed = timer.run("media", lambda: localise_media(items, self.settings))
        dead += failed
        metrics.passed("media", len(items), len(localised))
        batch = to_enriched(localised)
        batch, failed = enrich(batch, self.registry, timer)
        dead += failed
        metrics.passed("enrich", len(localised), len(batch))
        entered = len(batch)
        batch, signals, failed = detect(batch, self.registry, timer, self.cache)
        dead += failed
        metrics.passed("detect", entered, len(batch))
        incidents, failed = timer.run(
            "judge", lambda: judge(batch, signals, self.engine, self.people, self.calendar)
        )
        dead += failed
        metrics.passed("judge", len(batch), len(batch) - len({d.item_id for d in failed}))
        # Check-worthy claims by party accounts that no fact-check covers: to the fact-check queue
        # (not incidents). Written before the items count as processed; ids are digests of the
        # item, so a batch judged again after a crash queues nothing twice.
        checks = timer.run("queue", lambda: claims_to_check(batch, signals, self.people))
        if checks:
            self._retry(lambda: self.store.add_claim_checks(checks))
        start = time.perf_counter()
        alerts = self.alerter.prepare(incidents) if self.alerter is not None and incidents else []
        per_item = {k: v / max(1, len(items)) for k, v in timer.seconds.items()}
        # Every item of the batch reached a terminal state: judged (with or without incidents) or
        # dead-lettered. Its results, its alerts (the outbox) and its processed mark are written
        # together (one transaction where the store has them): a crash before leaves the items to
        # judge again, a crash after leaves pending alerts, delivered on the next start.
        new, fresh = self._retry(lambda: self.store.commit_batch(
            incidents, dead, alerts, [i.id for i in items], per_item))
        self._count(incidents, new, dead, report)
        seal_incidents(incidents, self.settings)  # intimate candidates, doxxing evidence: encrypted at rest
        metrics.passed("store", len(items), len(items))
        written = utcnow()
        with_incidents = {i.item.id: i.item.ingested_at for i in incidents}
        searchable = [(written - at).total_seconds() for at in with_incidents.values()]
        report.latency_searchable += searchable
        metrics.observe(metrics.INGEST_TO_SEARCHABLE, searchable)
        timer.add("store", time.perf_counter() - start)
        if self.alerter is not None and fresh:
            start = time.perf_counter()
            report.alerts += len(fresh)
            try:
                self.alerter.deliver(fresh)
                alerted = utcnow()
                latencies = [(alerted - at).total_seconds() for at in with_incidents.values()]
                report.latency_alerted += latencies
                metrics.observe(metrics.INGEST_TO_ALERT, latencies)
            except Exception as exc:  # noqa: BLE001 - the alerts stay pending and are redelivered
                log.warning("alerting failed (alerts kept, redelivered later): %s", exc)
            timer.add("alert", time.perf_counter() - start)
        report.items += len(items)
        for stage, secs in timer.seconds.items():
            report.stage_seconds[stage] = report.stage_seconds.get(stage, 0.0) + secs
        for stage, secs in timer.cpu_seconds.items():
            report.stage_cpu_seconds[stage] = report.stage_cpu_seconds.get(stage, 0.0) + secs
        metrics.stage_seconds(timer.seconds)
        return incidents

    @staticmethod
    def _count(incidents: list[Incident], new: int, dead: list[DeadLetter], report: RunReport) -> None:
        report.new_incidents += new
        report.incidents += len(incidents)
        for inc in incidents:
            report.by_family[inc.family.value] = report.by_family.get(inc.family.value, 0) + 1
            metrics.INCIDENTS.labels(inc.family.value).inc()
            log.info("incident %s on clause %s", inc.id, inc.breach.clause_id,
                     extra={"item_id": inc.item.id, "incident_id": inc.id})
        report.dead_letters += len(dead)
        metrics.dead_letters(dead)

    def _write(self, incidents: list[Incident], dead: list[DeadLetter], report: RunReport) -> None:
        new = self._retry(lambda: self.store.upsert_incidents(incidents)) if incidents else 0
        if dead:
            self._retry(lambda: self.store.add_dead_letters(dead))
        self._count(incidents, new, dead, report)
        seal_incidents(incidents, self.settings)

    def redeliver_alerts(self) -> int:
        """Deliver alerts kept but never delivered (a crash, a channel down); never raises."""
        self._last_redelivery = time.monotonic()
        if self.alerter is None:
            return 0
        try:
            return int(self.alerter.redeliver())
        except Exception as exc:  # noqa: BLE001 - the alerts stay pending for the next try
            log.warning("redelivering pending alerts failed: %s", exc)
            return 0

    def _retry(self, fn: Callable[[], Any], attempts: int = 8) -> Any:
        """Retry a store write with backoff while the store is unavailable (nothing is dropped).

        After ``attempts`` tries the last StoreUnavailable is raised.
        """
        return store_retrying("store write", STORE_RETRY_CAP_S, logger=log, attempts=attempts)(fn)

    def run_once(
        self,
        progress: Callable[[int, int], None] | None = None,
        reprocess: bool = False,
    ) -> RunReport:
        """Process what the sources hold now, then return.

        :param progress: called with (items done, dead letters so far) after each batch.
        :param reprocess: judge again items already processed (e.g. after changing a code).
        """
        report = RunReport()
        start = time.perf_counter()
        self.store.open()
        report.redelivered += self.redeliver_alerts()  # what a crash or a channel down left pending
        self.registry.load()
        q: queue.Queue[Any] = queue.Queue(maxsize=self.settings.queue_size)
        reader = threading.Thread(target=self._read, args=(q,), name="pantau-reader", daemon=True)
        reader.start()
        for items, dead in self._batches(q):
            metrics.QUEUE_ITEMS.set(q.qsize())
            if dead:
                self._write([], dead, report)
            if items:
                self.process(items, report, reprocess=reprocess)
            if time.monotonic() - self._last_redelivery >= self.settings.alerts.redeliver_every_s:
                report.redelivered += self.redeliver_alerts()
            if progress:
                progress(report.items + report.skipped, report.dead_letters)
            if self._stop.is_set():
                break
        reader.join(timeout=5)
        self.store.flush()
        # Leave nothing pending that can be delivered: pass after bounded pass while they make progress.
        while not self._stop.is_set() and (sent := self.redeliver_alerts()):
            report.redelivered += sent
        report.seconds = time.perf_counter() - start
        return report

    def run_forever(
        self, interval_s: float = 30.0, progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Poll the sources every ``interval_s`` seconds until :meth:`stop`."""
        while not self._stop.is_set():
            report = self.run_once(progress=progress)
            log.info(report.summary())
            self._stop.wait(interval_s)
