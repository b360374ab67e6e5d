"""Replay one dead letter: rebuild its item from the kept payload and run it through the pipeline.

There is no CLI replay (``pantau deadletters`` only lists), so the dashboard does what ``pantau run``
does, for one item: :meth:`streams.runner.Pipeline.process` with ``reprocess=True`` (the item was
marked processed when it was dead-lettered). The payload is read as

- a :class:`~pantau.schemas.MediaItem` in JSON (what the media, enrich, detect and judge stages keep), or
- a feed record, a JSON object (what the JSON Lines, tipline and connector sources keep at ingest),
  turned into an item by :func:`ingest.records.item_from_record` under the letter's source id
  (``jsonl:feed``), so the item gets the id it would have had. Relative media paths of a folder or
  JSON Lines record are read from the working folder (the feed's folder is not kept).

A payload that is neither (a whole source that could not be read, a payload cut at
:data:`pantau.deadletters.MAX_PAYLOAD_CHARS`) cannot be replayed, and :class:`ReplayError` says why.
Ids are digests, so a replay converges on the same incidents; the dashboard also refuses to
replay one letter twice (it looks for its ``dead_replay`` audit event).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from pydantic import ValidationError

from ingest.base import Source
from ingest.records import item_from_record
from pantau.errors import PantauError
from pantau.schemas import DeadLetter, Incident, MediaItem
from pantau.settings import Settings
from pantau.stores.base import IncidentStore

__all__ = ["REPLAY_EVENT", "ReplayError", "ReplayOutcome", "item_of", "replay", "replayed_by"]

REPLAY_EVENT = "dead_replay"
"""The audit event of a replay; its target is the dead letter's id."""


class ReplayError(PantauError):
    """The dead letter cannot be replayed (the reason is meant for the reviewer)."""


class _ReplaySource(Source):
    """A source that reads nothing: it only names the item rebuilt from a record."""

    def read(self) -> Iterator[MediaItem]:  # pragma: no cover - never read
        return iter(())


@dataclass
class ReplayOutcome:
    """What one replay did."""

    item_id: str
    incidents: list[Incident] = field(default_factory=list)
    failed: list[DeadLetter] = field(default_factory=list)
    """Dead letters the replay raised (the item failed again)."""


def item_of(letter: DeadLetter) -> MediaItem:
    """The item the dead letter kept, rebuilt from its payload; :class:`ReplayError` if there is none."""
    text = letter.payload.strip()
    if not text:
        raise ReplayError("the dead letter kept no payload")
    try:
        return MediaItem.model_validate_json(text)
    except ValidationError:
        pass
    try:
        record = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ReplayError(
            f"the payload is not a feed record or an item (stage {letter.stage}: it may be a whole source "
            f"or a payload cut at its size limit): {type(exc).__name__}"
        ) from None
    if not isinstance(record, dict):
        raise ReplayError(f"the payload is a JSON {type(record).__name__}, not a feed record")
    try:
        item = item_from_record(_ReplaySource(letter.source or "replay"), record)
    except (PantauError, ValueError, TypeError) as exc:
        raise ReplayError(f"the payload is not a usable feed record: {exc}") from None
    if letter.source and ":" in letter.source:  # the source's full id ("jsonl:feed"): the item's own id
        item = item.model_copy(
            update={"source": letter.source, "id": MediaItem.make_id(letter.source, item.native_id)}
        )
    return item


def replayed_by(store: IncidentStore, letter_id: str) -> str | None:
    """``'<actor> at <time>'`` of an earlier replay of this letter, or None."""
    for event in store.audit_log(5000):
        if event.event == REPLAY_EVENT and event.target == letter_id:
            return f"{event.actor} at {event.at:%Y-%m-%d %H:%M} UTC"
    return None


def replay(settings: Settings, store: IncidentStore, letter: DeadLetter) -> ReplayOutcome:
    """Run the dead letter's item through the pipeline once, writing to ``store``."""
    from streams.runner import Pipeline, RunReport

    item = item_of(letter)
    pipeline = Pipeline.from_settings(settings, store)
    pipeline.sources = []
    before = {d.id for d in store.dead_letters(5000)}
    report = RunReport()
    incidents = pipeline.process([item], report, reprocess=True)
    failed = [d for d in store.dead_letters(5000) if d.id not in before and d.item_id == item.id]
    if report.dead_letters and not failed:  # the same failure again: same id, kept once
        failed = [letter]
    return ReplayOutcome(item.id, incidents, failed)
