from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.folder import FolderSource
from ingest.jsonl import JsonlSource
from ingest.rss import RssSource
from pantau.errors import BadFeed
from pantau.schemas import DeadLetter, MediaItem

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Berita</title>
<item><guid>g1</guid><title>Pemilu</title><description>&lt;p&gt;Hari &lt;b&gt;pemungutan&lt;/b&gt; suara&lt;/p&gt;</description>
<pubDate>Sun, 22 Nov 2026 10:00:00 +0700</pubDate><enclosure url="https://cdn.example/a.jpg" type="image/jpeg"/></item>
<item><title>No guid</title><link>https://news.example/2</link></item>
</channel></rss>"""


def _split(records: list[object]) -> tuple[list[MediaItem], list[DeadLetter]]:
    return [r for r in records if isinstance(r, MediaItem)], [r for r in records if isinstance(r, DeadLetter)]


def test_jsonl_reads_items_with_stable_ids_and_resolves_media(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "p1", "text": "hello", "media": ["img/a.png"], "party": "pbn"}) + "\n")
    first, _ = _split(list(JsonlSource("demo", feed).read()))
    again, _ = _split(list(JsonlSource("demo", feed).read()))
    assert first[0].id == again[0].id
    assert first[0].media[0].path == str(tmp_path / "img" / "a.png")
    assert first[0].party == "pbn"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"id": "x", "text": 5}', "'text' must be a string"),
        (b'{"id": "x", "text": "caf\xe9"}', "not UTF-8"),
        (b'{"id": "x", "media": [{"nothing": 1}]}', "needs a 'path' or a 'url'"),
        (b'{"id": "x", "published_at": "yesterday"}', "published_at"),
        (b"[" * 100_000, "JSON"),
    ],
)
def test_jsonl_dead_letters_bad_lines_and_keeps_reading(tmp_path: Path, line: bytes, reason: str) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(line + b"\n" + b'{"id": "ok", "text": "fine"}\n')
    items, dead = _split(list(JsonlSource("demo", feed).read()))
    assert [i.native_id for i in items] == ["ok"]
    assert len(dead) == 1 and reason in dead[0].reason
    assert dead[0].payload


def test_jsonl_missing_file_is_a_feed_error(tmp_path: Path) -> None:
    with pytest.raises(BadFeed, match="cannot open"):
        list(JsonlSource("demo", tmp_path / "nope.jsonl").read())


def test_rss_entries_become_items_with_text_media_and_dates(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS)
    items, dead = _split(list(RssSource("berita", path=feed).read()))
    assert not dead
    assert items[0].text == "Hari pemungutan suara"
    assert items[0].media[0].url == "https://cdn.example/a.jpg"
    assert items[0].published_at is not None and items[0].published_at.utcoffset() is not None
    assert items[1].native_id == "https://news.example/2"


def test_rss_that_is_not_a_feed_is_refused(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"\x00\x01 not xml at all")
    with pytest.raises(BadFeed):
        list(RssSource("x", path=feed).read())


def test_folder_source_reads_media_with_sidecars_and_skips_symlinks(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8\xff" + b"0" * 10)
    (tmp_path / "a.txt").write_text("caption of a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.png").write_bytes(b"\x89PNG")
    (tmp_path / "sub" / "b.json").write_text('{"party": "pbn", "evil": 1}')
    (tmp_path / "link.jpg").symlink_to("/etc/passwd")
    items, dead = _split(list(FolderSource("media", tmp_path).read()))
    assert not dead
    assert sorted(i.native_id for i in items) == ["a.jpg", "sub/b.png"]
    by_id = {i.native_id: i for i in items}
    assert by_id["a.jpg"].text == "caption of a"
    assert by_id["sub/b.png"].party == "pbn"
