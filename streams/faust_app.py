"""The Kafka backend's entry point: produce the sources and run the Faust workers.

The workers are :class:`streams.faust_agents.PantauStreams` (topology, delivery and faults are
described there): raw-items are enriched, detected and judged into incidents and alerts.

Entry point for ``pantau run --backend kafka``::

    from streams.faust_app import run_kafka
    run_kafka(settings, once=False)   # ingest + workers until SIGINT/SIGTERM
    run_kafka(settings, once=True)    # produce the sources once, process until all items are done

``python -m streams.faust_app worker`` runs workers only (docker-compose scales that service);
``python -m streams.kafka_producer`` runs ingest only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pantau import metrics
from streams.faust_agents import PantauStreams
from streams.kafka_metrics import KafkaRunReport

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = ["run_kafka"]

log = logging.getLogger(__name__)


def run_kafka(
    settings: Settings,
    once: bool = False,
    *,
    ingest: bool = True,
    work: bool = True,
    interval_s: float = 30.0,
    timeout_s: float | None = None,
) -> KafkaRunReport:
    """Run Pantau on Kafka: produce the configured sources to raw-items and run the Faust workers.

    :param settings: Pantau settings (``kafka`` for the broker, ``store.url`` for the index).
    :param once: produce the sources once and return when every produced item was processed
        (judged or dead-lettered), instead of running until SIGINT/SIGTERM.
    :param ingest: produce the sources (off for worker-only processes).
    :param work: run the workers (off for ingest-only processes).
    :param interval_s: seconds between passes over the sources when not ``once``.
    :param timeout_s: with ``once``, give up after this many seconds (default: no limit).
    """
    from streams.kafka_producer import ensure_topics, produce_sources

    ensure_topics(settings.kafka)
    streams = PantauStreams(settings)
    server = None
    if settings.metrics.port is not None:  # /healthz answers while the models load; /readyz after
        server = metrics.serve(settings.metrics.port, settings.metrics.address, ready=streams.readiness)
    if work:
        streams.open_store()  # load detectors and open the store before the first batch, not inside it
    report = streams.report
    produced: list[str] = []
    produced_done = threading.Event()
    stopping = threading.Event()

    def produce() -> None:
        while True:
            result = produce_sources(settings)
            produced.extend(result.item_ids)
            report.produced += result.items
            report.dead_letters += result.dead_letters
            produced_done.set()
            if once or stopping.wait(interval_s):
                return

    if not work:
        try:
            produce()
        finally:
            if server is not None:
                server.close()
        return report
    started = time.monotonic()

    def finished() -> bool:
        if not produced_done.is_set():
            return False
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            log.error("run_kafka: gave up after %.0fs", timeout_s)
            return True
        pending = set(produced) - streams.pipeline.store.processed(produced)
        return not pending

    if ingest and not once:
        threading.Thread(target=produce, name="pantau-kafka-ingest", daemon=True).start()
    try:
        streams.run(until=finished if once else None, on_start=produce if (ingest and once) else None)
    finally:
        stopping.set()
        if streams._pipeline is not None:  # noqa: SLF001 - close only what was opened
            streams._pipeline.store.close()  # noqa: SLF001
        if server is not None:
            server.close()
    return report


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m streams.faust_app worker|run [--once]`` with settings from the environment."""
    import argparse

    from pantau.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m streams.faust_app")
    parser.add_argument("mode", choices=["worker", "run"], help="worker: consume only; run: ingest + consume")
    parser.add_argument("--once", action="store_true", help="with run: stop when the sources are processed")
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="serve /metrics, /healthz, /readyz on this port (default: metrics.port)")
    parser.add_argument("--log-format", choices=["text", "json"], default=None,
                        help="text lines or JSON objects (default: log_format)")
    args = parser.parse_args(argv)
    from pantau.logs import configure_logging

    settings = Settings.load()
    if args.metrics_port is not None:
        port = settings.metrics.model_copy(update={"port": args.metrics_port})
        settings = settings.model_copy(update={"metrics": port})
    configure_logging(logging.INFO, args.log_format or settings.log_format)
    report = run_kafka(settings, once=args.once, ingest=args.mode == "run")
    print(report.summary())


if __name__ == "__main__":
    main()
