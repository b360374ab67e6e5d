"""Kafka topic names and partitioning, defined once.

Every topic is ``<prefix>.<stage>`` (``KafkaSettings.topic_prefix``, default ``pantau``):

============================  ==================================================================
topic                         value (JSON)
============================  ==================================================================
``pantau.raw-items``          :class:`~pantau.schemas.MediaItem`, as a source produced it
``pantau.enriched-items``     :class:`~pantau.schemas.EnrichedItem` (media fetched, enrichers run)
``pantau.signals``            ``{"item": EnrichedItem, "signals": [Signal, ...]}``
``pantau.incidents``          :class:`~pantau.schemas.Incident` (indexed before it is published)
``pantau.alerts``             :class:`~pantau.schemas.Alert` (new alerts only)
``pantau.dead-letters``       :class:`~pantau.schemas.DeadLetter`: error, stage, original payload
============================  ==================================================================

Keys: the item id on every topic (an incident's and an alert's key is the id of the item that
raised it). Kafka keeps order per partition and the default partitioner maps a key to one
partition, so all stages of one item are processed in order and a replayed item lands where
its first copy did. Dead letters without an item id (a message that is not JSON) are keyed
by the digest of their payload.

Partitions: ``KafkaSettings.partitions`` (default 6) for every topic. A topic's partition count
is the most workers that can share its stage; a consumer group spreads partitions over the
workers. Increase it before a campaign (partitions can be added but never removed, and adding
them moves keys to other partitions).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Stage", "Topics"]


class Stage(StrEnum):
    """The pipeline's topics, by stage."""

    RAW_ITEMS = "raw-items"
    ENRICHED_ITEMS = "enriched-items"
    SIGNALS = "signals"
    INCIDENTS = "incidents"
    ALERTS = "alerts"
    DEAD_LETTERS = "dead-letters"


@dataclass(frozen=True)
class Topics:
    """Topic names for one prefix.

    >>> Topics("pantau").raw_items
    'pantau.raw-items'
    """

    prefix: str = "pantau"

    def name(self, stage: Stage) -> str:
        """Return the topic name of a stage."""
        return f"{self.prefix}.{stage.value}"

    @property
    def raw_items(self) -> str:
        """Items as sources produce them."""
        return self.name(Stage.RAW_ITEMS)

    @property
    def enriched_items(self) -> str:
        """Items with their enrichment."""
        return self.name(Stage.ENRICHED_ITEMS)

    @property
    def signals(self) -> str:
        """Enriched items with their detector signals."""
        return self.name(Stage.SIGNALS)

    @property
    def incidents(self) -> str:
        """Incidents, after they were indexed."""
        return self.name(Stage.INCIDENTS)

    @property
    def alerts(self) -> str:
        """New alerts."""
        return self.name(Stage.ALERTS)

    @property
    def dead_letters(self) -> str:
        """Everything that could not be processed."""
        return self.name(Stage.DEAD_LETTERS)

    def all(self) -> list[str]:
        """Every topic name, in pipeline order."""
        return [self.name(stage) for stage in Stage]
