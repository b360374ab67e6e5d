"""The Faust app and its agents, which call the same stage functions as the in-process runner.

Topology (topic names in :mod:`streams.topics`, every key the item id)::

    raw-items --[enrich agent: localise_media + enrich]--> enriched-items
    enriched-items --[detect agent: detect]--> signals
    signals --[judge agent: judge, index, alert]--> incidents, alerts
    any stage --> dead-letters   (error, stage and original payload)

Each agent takes batches (``stream.take(batch_size, within)``) so detectors infer on many items
at once, and runs the stage in a worker thread so the event loop keeps heartbeating while models
compute. Delivery is at-least-once with idempotent sinks: an agent sends its outputs and waits
for Kafka to acknowledge them, the judge agent writes incidents to the store and flushes before
the batch ends, and only then does Faust ack the batch's offsets (``take`` acks after the loop
body). A crash in between replays the batch; ids are digests, so the replay overwrites.

Faults: a message that is not valid JSON for its topic, or an item a stage fails on, becomes a
dead letter (kept in the store and sent to the dead-letter topic) and the agent carries on. If
the store is unavailable, the agent retries with backoff and does not move on, so the offsets
of items that were not indexed are never committed.

The app's options and credentials are :mod:`streams.faust_config`; the run report and consumer
lag :mod:`streams.kafka_metrics`; running it (``pantau run --backend kafka``) :mod:`streams.faust_app`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from detectors.disinfo.queue import claims_to_check
from pantau import metrics
from pantau.crypto_at_rest import seal_incidents
from pantau.deadletters import dead_letter
from pantau.retry import store_retrying, store_retrying_async
from pantau.schemas import DeadLetter, EnrichedItem, MediaItem, Signal, utcnow
from streams.faust_config import faust_module, make_app, make_topic
from streams.kafka_metrics import KafkaRunReport, track_lag
from streams.stages import StageTimer, detect, distinct_items, enrich, judge, localise_media, to_enriched
from streams.topics import Topics

if TYPE_CHECKING:
    from pantau.settings import Settings
    from streams.runner import Pipeline

__all__ = ["PantauStreams", "SignalsMessage"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class SignalsMessage(BaseModel):
    """Value of the signals topic: an enriched item with its detectors' signals."""

    model_config = ConfigDict(extra="forbid")

    item: EnrichedItem
    signals: list[Signal]



class PantauStreams:
    """The Faust app, its topics and its three agents, built from settings.

    :param settings: Pantau settings (``kafka``, ``store``, ``batch_size``...).
    :param pipeline: the stage context (registry, code engine, store, alerter); default
        :meth:`Pipeline.from_settings`, built when the worker starts.
    :param within_s: longest wait to fill a batch (default ``kafka.batch_wait_s``).
    :param retry_cap_s: longest pause between retries while the store is unavailable.
    :param lag_every_s: seconds between consumer-lag measurements (only while metrics are served).
    """

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline | None = None,
        within_s: float | None = None,
        retry_cap_s: float = 30.0,
        lag_every_s: float = 15.0,
    ) -> None:
        faust_module()  # a clear error before anything else when faust-streaming is missing
        from detectors.text_embedding import configure

        # The three stages run side by side in threads: the text encoder's threads must not spin.
        configure(settings.text_engine, settings.threads, spin=False)
        self.settings = settings
        self.topics = Topics(settings.kafka.topic_prefix)
        self.batch_size = settings.kafka.batch_size
        self.within_s = within_s if within_s is not None else settings.kafka.batch_wait_s
        self.retry_cap_s = retry_cap_s
        self.lag_every_s = lag_every_s
        self._pipeline = pipeline
        self._pipeline_lock = threading.Lock()
        self.report = KafkaRunReport()
        group = settings.kafka.consumer_group
        self.app = make_app(settings)
        self.raw_topic = self._topic(self.topics.raw_items)
        self.enriched_topic = self._topic(self.topics.enriched_items)
        self.signals_topic = self._topic(self.topics.signals)
        self.incidents_topic = self._topic(self.topics.incidents)
        self.alerts_topic = self._topic(self.topics.alerts)
        self.dead_topic = self._topic(self.topics.dead_letters)
        for topic, stage, batch in (
            (self.raw_topic, "enrich", self._enrich_batch),
            (self.enriched_topic, "detect", self._detect_batch),
            (self.signals_topic, "judge", self._judge_batch),
        ):
            self.app.agent(topic, name=f"{group}.{stage}")(self._agent(stage, batch))
        self.app.task(self._redeliver_loop)
        if settings.metrics.port is not None:
            self.app.task(self._lag_loop)

    def _topic(self, name: str) -> Any:
        return make_topic(self.app, name, self.settings.kafka.partitions)

    @property
    def pipeline(self) -> Pipeline:
        """The stage context: registry, code engine, people registry, calendar, store, alerter."""
        with self._pipeline_lock:
            if self._pipeline is None:
                from streams.runner import Pipeline

                pipeline = Pipeline.from_settings(self.settings)
                pipeline.registry.load()
                metrics.watch_campaign(pipeline.calendar)
                self._pipeline = pipeline
            return self._pipeline

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready when the detectors are loaded and the store answers (``/readyz``)."""
        pipeline = self._pipeline
        if pipeline is None:
            return False, {"models": "loading", "store": "unknown"}
        reachable, store = metrics.store_reachable(pipeline.store)
        return reachable, {"models": "loaded", "store": store}

    def open_store(self) -> None:
        """Open the store, waiting with backoff while it is unavailable (workers start before the index)."""
        store_retrying("opening the store", self.retry_cap_s, logger=log)(lambda: self.pipeline.store.open())

    # -- helpers ---------------------------------------------------------------------------------
    async def _in_thread(self, fn: Callable[[], T]) -> T:
        return await asyncio.to_thread(fn)

    async def _retry(self, what: str, fn: Callable[[], T]) -> T:
        """Run a store call in a thread until it succeeds, backing off while the store is unavailable.

        The agent does not move on meanwhile, so the batch's offsets stay uncommitted.
        """
        return await store_retrying_async(what, self.retry_cap_s, logger=log)(self._in_thread, fn)

    async def _send(self, topic: Any, messages: Sequence[tuple[str, BaseModel]]) -> None:
        """Send messages and wait until Kafka acknowledged every one."""
        futures: list[Awaitable[Any]] = []
        for key, value in messages:
            futures.append(
                await topic.send(key=key.encode("utf-8"), value=value.model_dump_json().encode("utf-8"))
            )
        if futures:
            await asyncio.gather(*futures)

    async def _dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Keep dead letters in the store, mark their items done, and publish them."""
        if not letters:
            return
        pipeline = self.pipeline
        await self._retry("dead letters", lambda: pipeline.store.add_dead_letters(letters))
        item_ids = [d.item_id for d in letters if d.item_id]
        if item_ids:
            await self._retry("mark processed", lambda: pipeline.store.mark_processed(item_ids))
        await self._send(self.dead_topic, [(d.item_id or d.payload_digest or d.id, d) for d in letters])
        self.report.dead_letters += len(letters)
        metrics.dead_letters(letters)

    def _decode(
        self, values: Sequence[bytes], model: type[T], stage: str
    ) -> tuple[list[T], list[DeadLetter]]:
        """Parse message values; a value that does not parse becomes a dead letter (poison message)."""
        ok: list[T] = []
        dead: list[DeadLetter] = []
        for raw in values:
            try:
                ok.append(model.model_validate_json(raw))  # type: ignore[attr-defined]
            except (ValidationError, ValueError, TypeError) as exc:
                dead.append(dead_letter(exc, stage, raw))
        return ok, dead

    def _add_seconds(self, timer: StageTimer) -> None:
        for stage, secs in timer.seconds.items():
            self.report.stage_seconds[stage] = self.report.stage_seconds.get(stage, 0.0) + secs
        metrics.stage_seconds(timer.seconds)

    async def _guard(self, stage: str, values: Sequence[bytes], body: Callable[[], Awaitable[None]]) -> None:
        """Run an agent's batch body until it completes.

        ``StoreUnavailable`` escaping the body (store calls normally retry on their own) reruns the
        whole batch after a pause: every write is idempotent. Any other error dead-letters the
        batch's messages and the agent carries on, since a Faust agent that raises stops consuming.
        """
        try:
            await store_retrying_async(stage, self.retry_cap_s, "rerunning the batch", log)(body)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            log.exception("%s failed on a batch of %d; dead-lettering it", stage, len(values))
            await self._dead_letter([dead_letter(exc, stage, raw) for raw in values])

    # -- agents ----------------------------------------------------------------------------------
    def _agent(
        self, stage: str, batch: Callable[[Sequence[bytes]], Awaitable[None]]
    ) -> Callable[[Any], Awaitable[None]]:
        """The Faust agent of a stage: ``batch`` on each batch of messages taken, under :meth:`_guard`."""

        async def agent(stream: Any) -> None:
            async for values in stream.take(self.batch_size, within=self.within_s):
                await self._guard(stage, values, lambda v=values: batch(v))

        agent.__name__ = agent.__qualname__ = f"{stage}_agent"
        return agent

    async def _enrich_batch(self, values: Sequence[bytes]) -> None:
        pipeline = self.pipeline
        items, dead = self._decode(values, MediaItem, "decode:raw-items")
        items, conflicting = distinct_items(items)
        dead += conflicting
        seen = await self._retry("processed", lambda: pipeline.store.processed([i.id for i in items]))
        items = [i for i in items if i.id not in seen]
        metrics.passed("ingest", len(values), len(items))
        timer = StageTimer()

        def run() -> tuple[list[EnrichedItem], list[DeadLetter]]:
            localised, failed = timer.run("media", lambda: localise_media(items, self.settings))
            metrics.passed("media", len(items), len(localised))
            batch, failed2 = enrich(to_enriched(localised), pipeline.registry, timer)
            metrics.passed("enrich", len(localised), len(batch))
            return batch, failed + failed2

        batch, failed = await self._in_thread(run) if items else ([], [])
        self._add_seconds(timer)
        await self._send(self.enriched_topic, [(e.item.id, e) for e in batch])
        await self._dead_letter(dead + failed)

    async def _detect_batch(self, values: Sequence[bytes]) -> None:
        pipeline = self.pipeline
        batch, dead = self._decode(values, EnrichedItem, "decode:enriched-items")
        timer = StageTimer()
        ok, signals, failed = (
            await self._in_thread(lambda: detect(batch, pipeline.registry, timer, pipeline.cache))
            if batch
            else ([], {}, [])
        )
        metrics.passed("detect", len(batch), len(ok))
        self._add_seconds(timer)
        await self._send(
            self.signals_topic,
            [(e.item.id, SignalsMessage(item=e, signals=signals.get(e.item.id, []))) for e in ok],
        )
        await self._dead_letter(dead + failed)

    async def _judge_batch(self, values: Sequence[bytes]) -> None:
        pipeline = self.pipeline
        messages, dead = self._decode(values, SignalsMessage, "decode:signals")
        batch = [m.item for m in messages]
        signals = {m.item.item.id: m.signals for m in messages}
        timer = StageTimer()
        incidents, failed = await self._in_thread(
            lambda: timer.run(
                "judge", lambda: judge(batch, signals, pipeline.engine, pipeline.people, pipeline.calendar)
            )
        )
        metrics.passed("judge", len(batch), len(batch) - len({d.item_id for d in failed}))
        store = pipeline.store
        checks = claims_to_check(batch, signals, pipeline.people)  # the fact-check queue (not incidents)
        if checks:
            await self._retry("queue claims", lambda: store.add_claim_checks(checks))
        if incidents:
            await self._retry("index incidents", lambda: store.upsert_incidents(incidents))
            await self._in_thread(lambda: seal_incidents(incidents, pipeline.settings))  # encrypted at rest
        await self._dead_letter(dead + failed)
        # Searchable before anyone is told, and before the offsets are committed.
        await self._retry("flush", store.flush)
        ingested = {i.item.id: i.item.ingested_at for i in incidents}
        written = utcnow()
        searchable = [(written - at).total_seconds() for at in ingested.values()]
        self.report.latency_searchable += searchable
        metrics.observe(metrics.INGEST_TO_SEARCHABLE, searchable)
        await self._send(self.incidents_topic, [(i.item.id, i) for i in incidents])
        if incidents and pipeline.alerter is not None:
            alerter = pipeline.alerter
            sent = await self._retry("alerts", lambda: alerter.send(incidents))
            await self._retry("flush", store.flush)
            by_incident = {i.id: i.item.id for i in incidents}
            await self._send(
                self.alerts_topic, [(by_incident.get(a.incident_id, a.incident_id), a) for a in sent]
            )
            self.report.alerts += len(sent)
            alerted = utcnow()
            latencies = [(alerted - at).total_seconds() for at in ingested.values()]
            self.report.latency_alerted += latencies
            metrics.observe(metrics.INGEST_TO_ALERT, latencies)
        # Last: an item marked processed has all its results durable and visible.
        ids = [m.item.item.id for m in messages]
        await self._retry("mark processed", lambda: store.mark_processed(ids))
        metrics.passed("store", len(ids), len(ids))
        for incident in incidents:
            metrics.INCIDENTS.labels(incident.family.value).inc()
            log.info("incident %s on clause %s", incident.id, incident.breach.clause_id,
                     extra={"item_id": incident.item.id, "incident_id": incident.id})
        done = utcnow()
        self.report.latency_processed += [(done - m.item.item.ingested_at).total_seconds() for m in messages]
        self._add_seconds(timer)
        self.report.incidents += len(incidents)
        self.report.processed += len(ids)

    async def _redeliver_loop(self) -> None:
        """Deliver alerts kept but not delivered (a worker killed mid-batch, a channel down): on
        start, then every ``alerts.redeliver_every_s``. The alerter serialises this with its sends."""
        while True:
            try:
                pipeline = await self._in_thread(lambda: self.pipeline)
                if pipeline.alerter is not None:
                    await self._in_thread(pipeline.alerter.redeliver)
            except Exception as exc:  # noqa: BLE001 - pending alerts wait for the next pass
                log.warning("redelivering pending alerts failed: %s", exc)
            await asyncio.sleep(self.settings.alerts.redeliver_every_s)

    async def _lag_loop(self) -> None:
        """Every ``lag_every_s``, set the consumer lag of the partitions this worker holds."""
        await track_lag(self.settings, lambda: self.app.consumer.assignment(), self.lag_every_s)

    # -- running ---------------------------------------------------------------------------------
    def worker(self, loglevel: str = "warning") -> Any:
        """Return a Faust worker for this app (run it with ``execute_from_commandline()``)."""
        faust = faust_module()
        # Faust makes its datadir without parents: <data_dir>/faust must exist on a fresh data folder.
        Path(self.app.conf.datadir).parent.mkdir(parents=True, exist_ok=True)
        worker = faust.Worker(self.app, loglevel=loglevel, quiet=True)
        # Faust's terminal spinner sets the root logger to DEBUG so that every record turns it: each
        # library's debug message would then be built and handled (~12 per item at 200 items/s).
        worker.spinner = None
        return worker

    def run(
        self,
        until: Callable[[], bool] | None = None,
        poll_s: float = 1.0,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        """Run the worker in this (main) thread until SIGINT/SIGTERM, or until ``until()`` is true.

        :param until: checked every ``poll_s`` seconds (in a thread); when true, the worker stops.
        :param on_start: called in a thread once the worker started (e.g. to produce the sources).
        """
        worker = self.worker()

        async def supervise() -> None:
            if on_start is not None:
                await asyncio.to_thread(on_start)
            if until is None:
                return
            while not await asyncio.to_thread(until):
                await asyncio.sleep(poll_s)
            asyncio.ensure_future(worker.stop())

        self.app.task(supervise)
        start = time.perf_counter()
        try:
            worker.execute_from_commandline()
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
        finally:
            self.report.seconds = time.perf_counter() - start
