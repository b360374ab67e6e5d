"""Explain one item: run the pipeline's detectors on it and show which rules fired and why."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from codes.calendar import load_calendar
from codes.engine import CodeEngine
from detectors.registry import DetectorRegistry
from ingest.records import item_from_record
from pantau.errors import PantauError
from pantau.registry import load_registry
from streams.scoring import _ScoreSource
from streams.stages import detect, enrich, localise_media, to_enriched

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = ["explain_record"]


def explain_record(record: dict[str, Any], settings: Settings, base_dir: Path) -> dict[str, Any]:
    """Return the item's signals and, for every clause, whether its rule fired and on what."""
    registry = DetectorRegistry.from_settings(settings)
    engine = CodeEngine.from_files(settings.codes, signal_names=registry.signal_names())
    people = load_registry(settings.registry_file)
    calendar = load_calendar(settings.calendar_file)
    registry.load()
    item = item_from_record(_ScoreSource("explain"), record, base_dir=base_dir, line=1)
    items, dead = localise_media([item], settings)
    if dead:
        raise PantauError(dead[0].reason)
    batch, dead = enrich(to_enriched(items), registry)
    if dead:
        raise PantauError(dead[0].reason)
    batch, signals, dead = detect(batch, registry)
    if dead:
        raise PantauError(dead[0].reason)
    enriched = batch[0]
    sigs = signals.get(enriched.item.id, [])
    rows = engine.explain(enriched, sigs, people, calendar)
    party = enriched.item.party
    if party is None and enriched.item.account:
        acc = people.account(enriched.item.platform, enriched.item.account)
        party = acc.party if acc else None
    return {
        "item_id": enriched.item.id,
        "party": party,
        "by_signatory": bool(rows and rows[0]["by_signatory"]),
        "signals": [s.model_dump(mode="json") for s in sigs],
        "rules": rows,
    }
