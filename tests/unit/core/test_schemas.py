from __future__ import annotations

import pytest

from pantau.deadletters import MAX_PAYLOAD_CHARS, dead_letter
from pantau.schemas import EnrichedItem, Incident, MediaItem, TextPart


def test_item_id_is_stable_and_depends_on_source_and_native_id() -> None:
    assert MediaItem.make_id("a", "1") == MediaItem.make_id("a", "1")
    assert MediaItem.make_id("a", "1") != MediaItem.make_id("b", "1")
    assert MediaItem.make_id("a", "1") != MediaItem.make_id("a", "2")


def test_incident_id_depends_on_item_code_and_clause() -> None:
    ids = {Incident.make_id("i", "c", "X"), Incident.make_id("i", "c", "Y"), Incident.make_id("j", "c", "X")}
    assert len(ids) == 3


def test_enriched_text_joins_caption_and_extracted_parts() -> None:
    item = MediaItem(id="1", source="s", native_id="1", text="caption", title="title")
    enriched = EnrichedItem(item=item)
    enriched.enrichment.text_parts.append(TextPart(origin="ocr", text="from image"))
    assert enriched.text.splitlines() == ["title", "caption", "from image"]


@pytest.mark.parametrize(
    ("payload", "expected_start"),
    [(b"\xff\xfe bytes", "\\xff"), ({"a": 1}, '{"a": 1}'), ("x" * (MAX_PAYLOAD_CHARS + 10), "xxx"), (None, "")],
)
def test_dead_letter_keeps_a_bounded_payload_and_reason(payload: object, expected_start: str) -> None:
    letter = dead_letter(ValueError("broken"), "ingest", payload)
    assert letter.reason == "ValueError: broken"
    assert letter.payload.startswith(expected_start)
    assert len(letter.payload) <= MAX_PAYLOAD_CHARS
    assert letter.id == dead_letter(ValueError("broken"), "ingest", payload).id
