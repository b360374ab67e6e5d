"""Score records with one detector: the engine behind ``pantau score``.

Input records are ``{"id": ..., "text": ...}`` or ``{"id": ..., "path": ...}`` (a media file);
any other feed field (``platform``, ``account``, ``labels``...) is passed on to the item.
Output rows are ``{"id", "score", "label", "evidence", "detector", "version", "details"}``, one
per input record, in input order; a record that cannot be scored gets ``score`` 0.0, label
``"error"`` and the reason in ``error``, so the output always lines up with the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ingest.base import Source
from ingest.records import item_from_record
from pantau.errors import BadFeed
from pantau.schemas import MediaItem, Signal
from streams.stages import detect, enrich, localise_media, to_enriched

if TYPE_CHECKING:
    from detectors.registry import DetectorRegistry
    from pantau.settings import Settings

__all__ = ["score_records"]


class _ScoreSource(Source):
    def read(self) -> Iterator[Any]:  # pragma: no cover - never read; used to build items
        return iter(())


def _item(source: _ScoreSource, record: dict[str, Any], line: int) -> MediaItem:
    record = dict(record)
    if "path" in record and "media" not in record:
        record["media"] = [{"path": record.pop("path")}]
    if "id" not in record:
        raise BadFeed(f"line {line}: record has no 'id'")
    if "text" not in record and "media" not in record:
        raise BadFeed(f"line {line}: record needs 'text' or 'path'")
    item = item_from_record(source, record, line=line)
    # Keep the caller's id: output lines are matched to input lines by it.
    return item.model_copy(update={"id": str(record["id"])})


def _row(
    record_id: Any, detector: str, version: str, signals: list[Signal], error: str = ""
) -> dict[str, Any]:
    if error:
        return {"id": record_id, "score": 0.0, "label": "error", "evidence": "", "detector": detector,
                "version": version, "error": error}
    own = [s for s in signals if s.detector == detector] or signals
    if not own:
        return {"id": record_id, "score": 0.0, "label": "not-applicable", "evidence": "",
                "detector": detector, "version": version, "details": {}}
    best = max(own, key=lambda s: s.score)
    return {"id": record_id, "score": round(best.score, 6), "label": best.label, "evidence": best.evidence,
            "detector": detector, "version": version, "details": best.details}


def score_records(
    records: Iterable[tuple[int, dict[str, Any] | None, str]],
    registry: DetectorRegistry,
    detector: str,
    settings: Settings,
) -> Iterator[dict[str, Any]]:
    """Yield one output row per input record, in order, scoring in batches of ``settings.batch_size``."""
    version = registry.detector(detector).version
    source = _ScoreSource("score")
    pending: list[tuple[Any, MediaItem | None, str]] = []

    def flush() -> Iterator[dict[str, Any]]:
        items = [it for _, it, _ in pending if it is not None]
        results: dict[str, list[Signal]] = {}
        errors: dict[str, str] = {}
        localised, dead = localise_media(items, settings)
        errors.update({d.item_id or "": d.reason for d in dead})
        batch, dead = enrich(to_enriched(localised), registry)
        errors.update({d.item_id or "": d.reason for d in dead})
        _, signals, dead = detect(batch, registry)
        errors.update({d.item_id or "": d.reason for d in dead})
        results.update(signals)
        for record_id, item, error in pending:
            if item is None:
                yield _row(record_id, detector, version, [], error)
            elif item.id in errors:
                yield _row(record_id, detector, version, [], errors[item.id])
            else:
                yield _row(record_id, detector, version, results.get(item.id, []))
        pending.clear()

    for line, record, error in records:
        if record is None:
            pending.append((None, None, error))
        else:
            try:
                pending.append((record.get("id"), _item(source, record, line), ""))
            except (BadFeed, ValueError, TypeError) as exc:
                pending.append((record.get("id"), None, str(exc)))
        if len(pending) >= settings.batch_size:
            yield from flush()
    if pending:
        yield from flush()
