"""Put items from the configured sources onto Kafka (``<prefix>.raw-items``), with kafka-python.

The producer is idempotent (``enable_idempotence``, ``acks=all``): a retried send never
writes a message twice within a producer session, and every message is on all in-sync
replicas before it counts as sent. Values are JSON, compressed as ``kafka.compression`` says
(none, or gzip: no native library); the key is the item id, so one item's stages stay
ordered (see :mod:`streams.topics`).
Delivery is confirmed per message by callbacks; :meth:`KafkaItemProducer.flush` waits for all
of them and raises if any failed, so a caller knows that what it produced is durable.

Example Snippet::

    with KafkaItemProducer(settings.kafka) as producer:
        producer.send_items(items)
        producer.flush()

Run as ``python -m streams.kafka_producer`` to read the configured sources once onto Kafka.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pantau.deadletters import dead_letter
from pantau.errors import ConfigError, PantauError
from pantau.schemas import DeadLetter, MediaItem
from streams.topics import Topics

if TYPE_CHECKING:
    from ingest.base import Source
    from pantau.settings import KafkaSettings, Settings

__all__ = [
    "KafkaDeliveryError",
    "KafkaItemProducer",
    "ProduceReport",
    "ensure_topics",
    "kafka_client_options",
    "produce_sources",
]

log = logging.getLogger(__name__)


class KafkaDeliveryError(PantauError):
    """Kafka could not be reached, or did not acknowledge one or more messages."""


def kafka_client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Return the connection and security options shared by kafka-python clients."""
    options: dict[str, Any] = {
        "bootstrap_servers": [s.strip() for s in settings.bootstrap_servers.split(",") if s.strip()],
        "security_protocol": settings.security_protocol,
        "client_id": f"{settings.topic_prefix}-pantau",
    }
    if settings.sasl_mechanism:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        if settings.sasl_password is not None:
            options["sasl_plain_password"] = settings.sasl_password.get_secret_value()
    if settings.ssl_cafile:
        options["ssl_cafile"] = settings.ssl_cafile
    return options


def _kafka() -> Any:
    try:
        import kafka
    except ImportError as exc:
        raise ConfigError("the Kafka backend needs kafka-python: pip install 'pantau[scale]'") from exc
    return kafka


def ensure_topics(settings: KafkaSettings, timeout_s: float = 30.0) -> list[str]:
    """Create Pantau's topics if missing (``settings.partitions`` each); return those created."""
    kafka = _kafka()
    from kafka.admin import NewTopic
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    topics = Topics(settings.topic_prefix)
    try:
        admin = kafka.KafkaAdminClient(
            request_timeout_ms=int(timeout_s * 1000), **kafka_client_options(settings)
        )
    except KafkaError as exc:
        raise KafkaDeliveryError(f"cannot reach Kafka at {settings.bootstrap_servers}: {exc}") from exc
    try:
        missing = [t for t in topics.all() if t not in set(admin.list_topics())]
        if not missing:
            return []
        # Replication 1 suits a single broker; on a cluster set the topics up with your own tooling
        # or raise replication afterwards (kafka-reassign-partitions).
        replication = 1 if len(admin.describe_cluster().get("brokers", [])) < 3 else 3
        new = [
            NewTopic(name=t, num_partitions=settings.partitions, replication_factor=replication)
            for t in missing
        ]
        try:
            admin.create_topics(new, timeout_ms=int(timeout_s * 1000))
        except TopicAlreadyExistsError:
            pass
        return missing
    finally:
        admin.close()


@dataclass
class ProduceReport:
    """What one pass over the sources produced."""

    items: int = 0
    dead_letters: int = 0
    item_ids: list[str] = field(default_factory=list)


class KafkaItemProducer:
    """Sends items and dead letters to Pantau's topics; idempotent, acks=all, compression per settings.

    :param settings: the Kafka connection settings.
    :param linger_ms: how long the producer waits to fill a batch.
    """

    def __init__(self, settings: KafkaSettings, linger_ms: int = 20) -> None:
        self.settings = settings
        self.topics = Topics(settings.topic_prefix)
        self.linger_ms = linger_ms
        self._producer: Any = None
        self._lock = threading.Lock()
        self._errors: list[str] = []
        self.delivered = 0

    def open(self) -> None:
        """Connect the producer."""
        if self._producer is not None:
            return
        kafka = _kafka()
        from kafka.errors import KafkaError

        try:
            self._producer = kafka.KafkaProducer(
                enable_idempotence=True,
                acks="all",
                compression_type=self.settings.compression_type,
                linger_ms=self.linger_ms,
                max_in_flight_requests_per_connection=5,
                delivery_timeout_ms=120_000,
                **kafka_client_options(self.settings),
            )
        except KafkaError as exc:
            raise KafkaDeliveryError(
                f"cannot reach Kafka at {self.settings.bootstrap_servers}: {exc}"
            ) from exc

    def close(self) -> None:
        """Flush and close the producer."""
        if self._producer is not None:
            self._producer.close(timeout=30)
            self._producer = None

    def __enter__(self) -> KafkaItemProducer:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _on_delivered(self, _metadata: Any) -> None:
        with self._lock:
            self.delivered += 1

    def _on_failed(self, topic: str, key: str, exc: BaseException) -> None:
        log.error("delivery to %s failed for key %s: %s", topic, key, exc)
        with self._lock:
            self._errors.append(f"{topic}/{key}: {exc}")

    def send(self, topic: str, key: str, value: bytes) -> None:
        """Send one message (asynchronously; :meth:`flush` confirms delivery)."""
        self.open()
        future = self._producer.send(topic, key=key.encode("utf-8"), value=value)
        future.add_callback(self._on_delivered)
        future.add_errback(lambda exc, t=topic, k=key: self._on_failed(t, k, exc))

    def send_items(self, items: Iterable[MediaItem]) -> list[str]:
        """Send items to the raw-items topic keyed by item id; return their ids."""
        ids: list[str] = []
        for item in items:
            self.send(self.topics.raw_items, item.id, item.model_dump_json().encode("utf-8"))
            ids.append(item.id)
        return ids

    def send_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Send dead letters to the dead-letter topic keyed by item id (or payload digest)."""
        for letter in letters:
            key = letter.item_id or letter.payload_digest or letter.id
            self.send(self.topics.dead_letters, key, letter.model_dump_json().encode("utf-8"))

    def flush(self, timeout_s: float = 60.0) -> None:
        """Wait until every message sent so far is acknowledged.

        :raises KafkaDeliveryError: a message was not acknowledged.
        """
        if self._producer is None:
            return
        self._producer.flush(timeout=timeout_s)
        with self._lock:
            errors, self._errors = self._errors, []
        if errors:
            raise KafkaDeliveryError(f"{len(errors)} messages were not delivered, first: {errors[0]}")


def produce_sources(
    settings: Settings, sources: Sequence[Source] | None = None, producer: KafkaItemProducer | None = None
) -> ProduceReport:
    """Read every source once onto Kafka; a broken source or record becomes a dead letter on Kafka.

    :param sources: default: the sources the settings configure.
    :param producer: an open producer to reuse; default: one made (and closed) here.
    """
    if sources is None:
        from streams.runner import build_sources

        sources = build_sources(settings)
    report = ProduceReport()
    own = producer is None
    producer = producer or KafkaItemProducer(settings.kafka)
    producer.open()
    try:
        for source in sources:
            try:
                for record in source.read():
                    if isinstance(record, DeadLetter):
                        producer.send_dead_letters([record])
                        report.dead_letters += 1
                    else:
                        report.item_ids += producer.send_items([record])
                        report.items += 1
            except Exception as exc:  # noqa: BLE001 - a broken source is a dead letter, not a crash
                producer.send_dead_letters([dead_letter(exc, "ingest", source.name, source=source.name)])
                report.dead_letters += 1
        producer.flush()
    finally:
        if own:
            producer.close()
    return report


def main(argv: Sequence[str] | None = None) -> None:
    """Read the configured sources onto Kafka: ``python -m streams.kafka_producer [--every SECONDS]``."""
    import argparse
    import time

    from pantau.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m streams.kafka_producer")
    parser.add_argument(
        "--every",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="read the sources again every SECONDS (default: once)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("kafka", "aiokafka", "opensearch", "elastic_transport"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    settings = Settings.load()
    ensure_topics(settings.kafka)
    while True:
        report = produce_sources(settings)
        log.info(
            "%d items and %d dead letters sent to %s",
            report.items,
            report.dead_letters,
            settings.kafka.bootstrap_servers,
        )
        if args.every <= 0:
            return
        time.sleep(args.every)


if __name__ == "__main__":
    main()
