"""The Faust app's configuration: broker URL and credentials, app options, raw-bytes topics.

:func:`make_app` builds the ``faust.App`` of a consumer group from Pantau's settings (SASL and
TLS from ``kafka.*``, local data under ``<data_dir>/faust/<group>``, in-memory tables, no web
server); :func:`make_topic` declares one of Pantau's topics on it with raw keys and values
(the agents parse the JSON themselves, so a poison message becomes a dead letter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pantau.errors import ConfigError

if TYPE_CHECKING:
    from pantau.settings import KafkaSettings, Settings

__all__ = ["broker_credentials", "faust_module", "make_app", "make_topic"]


def faust_module() -> Any:
    """The ``faust`` package (faust-streaming), or a ConfigError that names the extra to install."""
    try:
        import faust
    except ImportError as exc:
        raise ConfigError("the Kafka backend needs faust-streaming: pip install 'pantau[scale]'") from exc
    return faust


def broker_credentials(kafka: KafkaSettings) -> Any:
    """What ``faust.App(broker_credentials=...)`` gets: SASL credentials, a TLS context, or ``None``."""
    if not kafka.sasl_mechanism:
        if kafka.security_protocol == "SSL":
            import ssl

            return ssl.create_default_context(cafile=kafka.ssl_cafile)
        return None
    faust = faust_module()
    password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else ""
    ssl_context = None
    if kafka.security_protocol == "SASL_SSL":
        import ssl

        ssl_context = ssl.create_default_context(cafile=kafka.ssl_cafile)
    return faust.SASLCredentials(
        username=kafka.sasl_username,
        password=password,
        mechanism=kafka.sasl_mechanism,
        ssl_context=ssl_context,
    )


def make_app(settings: Settings) -> Any:
    """The ``faust.App`` of ``settings.kafka.consumer_group``, with at-least-once delivery settings."""
    faust = faust_module()
    kafka = settings.kafka
    broker = ";".join(f"kafka://{s.strip()}" for s in kafka.bootstrap_servers.split(",") if s.strip())
    return faust.App(
        kafka.consumer_group,
        broker=broker,
        broker_credentials=broker_credentials(kafka),
        store="memory://",
        datadir=str(settings.data_dir / "faust" / kafka.consumer_group),  # not ./<group>-data in the cwd
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=kafka.partitions,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=6.0,
        broker_heartbeat_interval=1.5,
        broker_commit_interval=1.0,
        producer_acks=-1,
        producer_compression_type=kafka.compression_type,
        web_enabled=False,
    )


def make_topic(app: Any, name: str, partitions: int) -> Any:
    """A topic of ``app`` with raw byte keys and values."""
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )
