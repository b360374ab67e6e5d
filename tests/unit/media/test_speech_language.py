"""``media.audio`` takes the speech language from the post before Whisper hears it (Malay, Indonesian)."""

from __future__ import annotations

import pytest

from detectors.media.audio import speech_language_hint
from pantau.schemas import EnrichedItem, MediaItem

pytest.importorskip("faster_whisper")


def _item(text: str = "", language: str | None = None, title: str | None = None) -> EnrichedItem:
    item = MediaItem(id="a", source="s", native_id="1", text=text, language=language, title=title)
    return EnrichedItem(item=item)


def test_the_feed_language_wins() -> None:
    assert speech_language_hint(_item("Pilihan raya akan diadakan pada hari Ahad ini", "id")) == "id"


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Pilihan raya akan diadakan pada hari Ahad ini di seluruh negara", "ms"),
        ("Pemilihan umum akan dilaksanakan serentak di seluruh Indonesia tahun depan", "id"),
    ],
)
def test_the_caption_sets_malay_or_indonesian(caption: str, expected: str) -> None:
    assert speech_language_hint(_item(caption)) == expected


def test_a_caption_outside_the_election_languages_is_ignored() -> None:
    caption = "Pemilihan umum akan dilaksanakan serentak di seluruh Indonesia tahun depan"
    assert speech_language_hint(_item(caption), ["ms"]) == "ms"  # the only configured language
    assert speech_language_hint(_item(caption), ["ms", "en"]) is None  # detected from the audio


def test_a_short_caption_says_nothing() -> None:
    assert speech_language_hint(_item("wow 😂")) is None
    assert speech_language_hint(_item("wow 😂"), ["ms", "id"]) is None
