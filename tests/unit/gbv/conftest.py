"""Shared helpers of the gendered-abuse detector tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau.registry import Registry, load_registry
from pantau.schemas import EnrichedItem, Enrichment, MediaItem

REPO = Path(__file__).resolve().parents[3]
SAMPLE_REGISTRY = REPO / "codes" / "samples" / "registry.yaml"


def make_item(text: str = "", **fields: object) -> EnrichedItem:
    """Return an enriched item with ``text`` and any other MediaItem fields."""
    enrichment = fields.pop("enrichment", None) or Enrichment()
    item = MediaItem(id=str(abs(hash(text)) % 10**9), source="test", native_id="1", text=text, **fields)
    return EnrichedItem(item=item, enrichment=enrichment)


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The demo registry (Aminah Yusof, Ratna Wulandari, Maria Santos are women; Hafiz Rahim is a man)."""
    return load_registry(SAMPLE_REGISTRY)
