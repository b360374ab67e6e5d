"""The pipeline's stages, written once: pure functions over batches.

Both transports call these: the in-process runner (:mod:`streams.runner`) and the Faust
agents (:mod:`streams.faust_app`); tests call them directly. A stage never sees Kafka,
SQLite or Streamlit. Each returns what succeeded and a dead letter for each item that
failed, so one bad item never stops a batch:

    media  -> localise_media(items, settings)           fetch/copy media into the media folder
    enrich -> enrich(batch, registry)                    OCR, transcripts, languages, faces, hashes
    detect -> detect(batch, registry)                    signals per item
    judge  -> judge(batch, signals, engine, ...)         breaches -> incidents

When a plug-in raises on a whole batch, the stage retries item by item, so that only the
items that fail on their own are dead-lettered (stage name ``enrich:<plug-in>``).

Example Snippet::

    ok, dead = enrich(batch, registry)
    ok, signals, dead2 = detect(ok, registry)
    incidents, dead3 = judge(ok, signals, engine, registry_people, calendar)
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pantau.deadletters import dead_letter
from pantau.errors import BadFeed, BadMedia
from pantau.lru import LRU
from pantau.schemas import DeadLetter, EnrichedItem, Incident, MediaFile, MediaItem, Signal

if TYPE_CHECKING:
    from codes.calendar import Calendar
    from codes.engine import CodeEngine
    from detectors.registry import DetectorRegistry
    from pantau.registry import Registry
    from pantau.settings import Settings

__all__ = [
    "SignalCache",
    "StageTimer",
    "detect",
    "distinct_items",
    "enrich",
    "judge",
    "localise_media",
    "to_enriched",
]

log = logging.getLogger(__name__)

T = TypeVar("T")


def distinct_items(items: Sequence[MediaItem]) -> tuple[list[MediaItem], list[DeadLetter]]:
    """One item per id: a repeat with the same content is dropped, one with other content is a dead letter.

    Two records with one id in a batch used to collapse to the last, so an abusive post followed
    by a benign one under the same id was judged benign and nothing said so. The first is judged;
    a later one that differs (anything but ``ingested_at``) goes to the dead letters as a
    conflicting duplicate, with its content, for someone to look at.
    """
    first: dict[str, tuple[MediaItem, str]] = {}
    dead: list[DeadLetter] = []
    for item in items:
        content = item.model_dump_json(exclude={"ingested_at"})
        kept = first.get(item.id)
        if kept is None:
            first[item.id] = (item, content)
        elif kept[1] != content:
            problem = BadFeed(
                f"conflicting duplicate: id {item.id} came twice in one batch with different content; "
                "the first was judged, this one was not (give each version its own id)"
            )
            dead.append(dead_letter(problem, "ingest", item, item_id=item.id, source=item.source))
    return [item for item, _ in first.values()], dead


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and its finished children (Tesseract, ffmpeg) so far."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class StageTimer:
    """Accumulates seconds per stage (for pipeline health and benchmarks).

    ``cpu_seconds`` holds the process's CPU seconds spent while each plug-in stage ran (the stages
    run one after another, so the process's CPU in that window is the stage's): on a machine shared
    with other jobs it moves far less than the wall time.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}

    def add(self, stage: str, seconds: float, cpu: float | None = None) -> None:
        """Add time spent in a stage (and the CPU seconds, when measured)."""
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        if cpu is not None:
            self.cpu_seconds[stage] = self.cpu_seconds.get(stage, 0.0) + cpu

    def run(self, stage: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` and add its duration to ``stage``."""
        start, cpu = time.perf_counter(), cpu_seconds()
        try:
            return fn()
        finally:
            self.add(stage, time.perf_counter() - start, cpu_seconds() - cpu)


class SignalCache:
    """A bounded LRU cache of signals by detector cache key (de-duplication of repeated content).

    The cache itself is :class:`pantau.lru.LRU`; this counts hits and misses for the run report.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._lru: LRU[str, list[Signal]] = LRU(max_entries)
        self.hits = 0
        self.misses = 0

    @property
    def max_entries(self) -> int:
        return self._lru.max_entries

    def get(self, key: str) -> list[Signal] | None:
        """Return cached signals for a key, or None."""
        found = self._lru.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        return found

    def put(self, key: str, signals: list[Signal]) -> None:
        """Remember the signals of a key, evicting the least recently used beyond the bound."""
        self._lru.put(key, signals)


def _restamp(signals: list[Signal], item_id: str) -> list[Signal]:
    return [s.model_copy(update={"item_id": item_id}) for s in signals]


def to_enriched(items: Sequence[MediaItem]) -> list[EnrichedItem]:
    """Wrap items for enrichment."""
    return [EnrichedItem(item=i) for i in items]


def _local_media(media: MediaFile, settings: Settings) -> MediaFile:
    """Hash, sniff and store a local file (the safe fetcher's local-file path)."""
    from ingest.fetch import store_local_file

    return store_local_file(Path(str(media.path)), settings)  # type: ignore[no-any-return]


def _remote_media(media: MediaFile, settings: Settings) -> MediaFile:
    from ingest.fetch import fetch_media

    return fetch_media(str(media.url), settings)  # type: ignore[no-any-return]


def localise_media(
    items: Sequence[MediaItem], settings: Settings
) -> tuple[list[MediaItem], list[DeadLetter]]:
    """Bring every item's media into the content-addressed media folder (hash, MIME, size, modality).

    Remote media are fetched with the SSRF-safe fetcher (:mod:`ingest.fetch`). An item whose
    media cannot be had is dead-lettered with the reason.
    """
    ok: list[MediaItem] = []
    dead: list[DeadLetter] = []
    for item in items:
        if not item.media:
            ok.append(item)
            continue
        try:
            files = []
            for media in item.media:
                if media.sha256 and media.path and media.modality:
                    files.append(media)
                elif media.path:
                    files.append(_local_media(media, settings))
                elif media.url:
                    files.append(_remote_media(media, settings))
                else:
                    raise BadMedia("media entry has neither path nor url")
            ok.append(item.model_copy(update={"media": files}))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a dead letter
            dead.append(dead_letter(exc, "media", item, item_id=item.id, source=item.source))
    return ok, dead


def _per_item(
    stage: str,
    batch: list[EnrichedItem],
    call: Callable[[list[EnrichedItem]], None],
) -> tuple[list[EnrichedItem], list[DeadLetter]]:
    """Run ``call`` on the batch; on failure retry item by item and dead-letter the failures."""
    try:
        call(batch)
        return batch, []
    except Exception as batch_exc:  # noqa: BLE001
        if len(batch) == 1:
            item = batch[0].item
            return [], [dead_letter(batch_exc, stage, item, item_id=item.id, source=item.source)]
    ok: list[EnrichedItem] = []
    dead: list[DeadLetter] = []
    for enriched in batch:
        try:
            snapshot = enriched.model_copy(deep=True)  # inside: a pathological item fails alone
            call([snapshot])
            ok.append(snapshot)
        except Exception as exc:  # noqa: BLE001
            item = enriched.item
            dead.append(dead_letter(exc, stage, item, item_id=item.id, source=item.source))
    return ok, dead


def enrich(
    batch: Sequence[EnrichedItem], registry: DetectorRegistry, timer: StageTimer | None = None
) -> tuple[list[EnrichedItem], list[DeadLetter]]:
    """Run every enricher of the registry, in order, on the items it applies to."""
    current = list(batch)
    dead: list[DeadLetter] = []
    for enricher in registry.enrichers:
        enricher.ensure_loaded()
        targets = [e for e in current if enricher.applies_to(e)]
        if not targets:
            continue
        start, cpu = time.perf_counter(), cpu_seconds()
        ok, failed = _per_item(f"enrich:{enricher.name}", targets, lambda b, en=enricher: en.enrich(b))
        if timer:
            timer.add(f"enrich:{enricher.name}", time.perf_counter() - start, cpu_seconds() - cpu)
        if failed:
            dead += failed
            failed_ids = {d.item_id for d in failed}
            replaced = {e.item.id: e for e in ok}
            current = [replaced.get(e.item.id, e) for e in current if e.item.id not in failed_ids]
        else:
            replaced = {e.item.id: e for e in ok}
            current = [replaced.get(e.item.id, e) for e in current]
    return current, dead


def detect(
    batch: Sequence[EnrichedItem],
    registry: DetectorRegistry,
    timer: StageTimer | None = None,
    cache: SignalCache | None = None,
) -> tuple[list[EnrichedItem], dict[str, list[Signal]], list[DeadLetter]]:
    """Run every detector on the items it applies to; return items, signals by item id, dead letters.

    With a ``cache``, each detector scores one item per distinct content (its ``cache_key``),
    within the batch and across batches, and the others get copies of its signals.
    """
    current = list(batch)
    signals: dict[str, list[Signal]] = {e.item.id: [] for e in current}
    dead: list[DeadLetter] = []
    for detector in registry.detectors:
        detector.ensure_loaded()
        targets = [e for e in current if detector.applies_to(e)]
        if not targets:
            continue
        followers: dict[str, list[str]] = {}
        keys: dict[str, str] = {}
        if cache is not None:
            unique: list[EnrichedItem] = []
            first_by_key: dict[str, str] = {}
            for e in targets:
                key = detector.cache_key(e)
                if key is None:
                    unique.append(e)
                    continue
                hit = cache.get(key)
                if hit is not None:
                    signals[e.item.id].extend(_restamp(hit, e.item.id))
                elif key in first_by_key:
                    followers.setdefault(first_by_key[key], []).append(e.item.id)
                else:
                    first_by_key[key] = e.item.id
                    unique.append(e)
            keys = {v: k for k, v in first_by_key.items()}
            targets = unique
            if not targets:
                continue
        start, cpu = time.perf_counter(), cpu_seconds()
        produced: dict[str, list[Signal]] = {}

        def call(
            b: list[EnrichedItem], det: object = detector, out: dict[str, list[Signal]] = produced
        ) -> None:
            results = det.detect(b)  # type: ignore[attr-defined]
            if len(results) != len(b):
                raise RuntimeError(f"{det.name} returned {len(results)} results for {len(b)} items")  # type: ignore[attr-defined]
            for e, sigs in zip(b, results, strict=True):
                out[e.item.id] = list(sigs)

        _, failed = _per_item(f"detect:{detector.name}", targets, call)
        if timer:
            timer.add(f"detect:{detector.name}", time.perf_counter() - start, cpu_seconds() - cpu)
        for item_id, sigs in produced.items():
            signals.setdefault(item_id, []).extend(sigs)
            for follower in followers.get(item_id, []):
                signals[follower].extend(_restamp(sigs, follower))
            if cache is not None and item_id in keys:
                cache.put(keys[item_id], sigs)
        if failed:
            by_id = {e.item.id: e for e in current}
            for letter in list(failed):
                for follower in followers.get(str(letter.item_id), []):
                    item = by_id[follower].item
                    failed.append(letter.model_copy(update={
                        "id": letter.id + "-" + follower[:8], "item_id": follower, "source": item.source,
                        "payload": item.model_dump_json()[:64_000],
                    }))
            dead += failed
            failed_ids = {d.item_id for d in failed}
            current = [e for e in current if e.item.id not in failed_ids]
            for item_id in failed_ids:
                signals.pop(str(item_id), None)
    return current, signals, dead


def judge(
    batch: Sequence[EnrichedItem],
    signals: dict[str, list[Signal]],
    engine: CodeEngine,
    people: Registry,
    calendar: Calendar,
) -> tuple[list[Incident], list[DeadLetter]]:
    """Check each item's signals against the codes; one incident per breached clause."""
    incidents: list[Incident] = []
    dead: list[DeadLetter] = []
    for enriched in batch:
        item_signals = signals.get(enriched.item.id, [])
        try:
            breaches = engine.judge(enriched, item_signals, people, calendar)
        except Exception as exc:  # noqa: BLE001
            dead.append(dead_letter(exc, "judge", enriched.item, item_id=enriched.item.id,
                                    source=enriched.item.source))
            continue
        if not breaches:
            continue
        targets = [p.id for p in people.people_mentioned(enriched.text, enriched.item.mentions)]
        for breach in breaches:
            used = set(breach.signals)
            cited = [s for s in item_signals if s.detector in used] or item_signals
            incidents.append(Incident(
                id=Incident.make_id(enriched.item.id, breach.code_id, breach.clause_id, breach.code_version),
                item=enriched.item,
                breach=breach,
                signals=cited,
                text_parts=enriched.enrichment.text_parts,
                faces=enriched.enrichment.faces,
                targets=targets,
            ))
    return incidents, dead
