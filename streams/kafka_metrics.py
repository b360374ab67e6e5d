"""What a Kafka run reports: its counts and latencies, and the worker group's consumer lag.

:class:`KafkaRunReport` is what :func:`streams.faust_app.run_kafka` returns (this process's
counts, stage seconds and ingest-to-searchable/alerted/processed latencies). :func:`track_lag`
sets the ``pantau_consumer_lag_messages`` gauge of the partitions a worker holds, measured with
kafka-python's admin client (:class:`LagMeter`, :func:`consumer_lag`), while metrics are served.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pantau import metrics

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = ["KafkaRunReport", "LagMeter", "consumer_lag", "track_lag"]

log = logging.getLogger(__name__)


@dataclass
class KafkaRunReport:
    """What a Kafka run did (from this process's point of view)."""

    produced: int = 0
    processed: int = 0
    incidents: int = 0
    alerts: int = 0
    dead_letters: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    latency_searchable: list[float] = field(default_factory=list)
    """Seconds from ingest to searchable incident, per item with incidents (judge stage of this process)."""
    latency_alerted: list[float] = field(default_factory=list)
    """Seconds from ingest to alerts sent, per item with incidents."""
    latency_processed: list[float] = field(default_factory=list)
    """Seconds from ingest to processed (judged and durable), per item."""

    def summary(self) -> str:
        """One line for the console."""
        return (
            f"kafka: {self.produced} items produced, {self.processed} processed, {self.incidents} incidents, "
            f"{self.alerts} alerts, {self.dead_letters} dead letters in {self.seconds:.1f}s"
        )


def consumer_lag(
    ends: dict[tuple[str, int], int],
    committed: dict[tuple[str, int], int | None],
    beginnings: dict[tuple[str, int], int],
) -> dict[tuple[str, int], int]:
    """Messages not yet committed per (topic, partition): end offset minus the group's committed offset.

    A partition the group never committed counts from its first offset still kept (everything is
    backlog); a committed offset past the end (a topic recreated) counts as no lag.

    >>> consumer_lag({("t", 0): 10, ("t", 1): 5}, {("t", 0): 7, ("t", 1): None}, {("t", 0): 0, ("t", 1): 2})
    {('t', 0): 3, ('t', 1): 3}
    """
    lag: dict[tuple[str, int], int] = {}
    for tp, end in ends.items():
        done = committed.get(tp)
        if done is None or done < 0:
            done = beginnings.get(tp, 0)
        lag[tp] = max(0, end - done)
    return lag


class LagMeter:
    """Reads end offsets and the worker group's committed offsets with kafka-python's admin client."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._admin: Any = None

    def measure(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Lag of ``partitions`` (the ones this worker holds); blocking, so call it in a thread."""
        import kafka
        from kafka.admin import OffsetSpec

        from streams.kafka_producer import kafka_client_options

        if self._admin is None:
            self._admin = kafka.KafkaAdminClient(**kafka_client_options(self.settings.kafka))
        tps = [kafka.TopicPartition(t, p) for t, p in partitions]

        def offsets(spec: Any) -> dict[tuple[str, int], int]:
            found = self._admin.list_partition_offsets({tp: spec for tp in tps})
            return {(tp.topic, tp.partition): found[tp].offset for tp in found}

        group = self.settings.kafka.consumer_group
        committed = self._admin.list_group_offsets({group: tps}).get(group, {})
        return consumer_lag(
            offsets(OffsetSpec.LATEST),
            {(tp.topic, tp.partition): meta.offset for tp, meta in committed.items()},
            offsets(OffsetSpec.EARLIEST),
        )

    def close(self) -> None:
        """Close the admin client."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None



async def track_lag(settings: Settings, assignment: Callable[[], Any], every_s: float) -> None:
    """Every ``every_s``, set the consumer lag of the partitions this worker holds (``assignment()``).

    Partitions handed to another worker lose their gauge; a failed measurement is logged and the
    next one tried. Runs until cancelled.
    """
    meter = LagMeter(settings)
    shown: set[tuple[str, int]] = set()
    try:
        while True:
            await asyncio.sleep(every_s)
            try:
                held = sorted((tp.topic, tp.partition) for tp in assignment())
                lag = await asyncio.to_thread(meter.measure, held) if held else {}
            except Exception as exc:  # noqa: BLE001 - a missed measurement; the next one may work
                log.warning("consumer lag not measured: %s", exc)
                continue
            for topic, partition in shown - set(lag):  # partitions handed to another worker
                metrics.CONSUMER_LAG.remove(topic, str(partition))
            for (topic, partition), value in lag.items():
                metrics.CONSUMER_LAG.labels(topic, str(partition)).set(value)
            shown = set(lag)
    finally:
        meter.close()
