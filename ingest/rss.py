"""RSS and Atom feeds (feedparser), from a file or from a URL fetched with the safe fetcher."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser

from ingest.base import Source, SourceRecord
from pantau.deadletters import dead_letter
from pantau.errors import BadFeed
from pantau.schemas import MediaFile

__all__ = ["MAX_FEED_BYTES", "RssSource"]

MAX_FEED_BYTES = 20 * 1024 * 1024
"""Largest feed document accepted."""

Fetcher = Callable[[str], bytes]


def _html_to_text(html: str) -> str:
    import re
    from html import unescape

    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    text = re.sub(r"(?s)<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", unescape(text)).strip()


class RssSource(Source):
    """Read an RSS 0.9x/1.0/2.0 or Atom feed; each entry becomes an item.

    :param path: a local feed file, or
    :param url: an http(s) URL, fetched through ``fetcher`` (the SSRF-safe fetcher by default).
    """

    def __init__(
        self,
        name: str,
        *,
        path: Path | str | None = None,
        url: str | None = None,
        fetcher: Fetcher | None = None,
        **defaults: Any,
    ) -> None:
        super().__init__(name, **defaults)
        if (path is None) == (url is None):
            raise BadFeed(f"RSS source {name!r} needs exactly one of 'path' or 'url'")
        self.path = Path(path) if path is not None else None
        self.url = url
        self.fetcher = fetcher

    def _document(self) -> bytes:
        if self.path is not None:
            try:
                size = self.path.stat().st_size
                if size > MAX_FEED_BYTES:
                    raise BadFeed(f"feed {self.path} is {size} bytes, over {MAX_FEED_BYTES}")
                return self.path.read_bytes()
            except OSError as exc:
                raise BadFeed(f"cannot read feed {self.path}: {exc.strerror or exc}") from exc
        assert self.url is not None  # noqa: S101 - checked in __init__
        if self.fetcher is None:
            raise BadFeed(f"RSS source {self.name!r}: no fetcher configured for {self.url}")
        return self.fetcher(self.url)

    def read(self) -> Iterator[SourceRecord]:
        """Yield one item per feed entry; a feed that does not parse at all raises BadFeed."""
        doc = self._document()
        parsed = feedparser.parse(doc)
        if parsed.bozo and not parsed.entries:
            reason = getattr(parsed, "bozo_exception", "not a feed")
            raise BadFeed(f"feed {self.path or self.url} does not parse: {reason}")
        feed_title = parsed.feed.get("title") if hasattr(parsed, "feed") else None
        for index, entry in enumerate(parsed.entries):
            try:
                yield self._item(entry, feed_title, index)
            except (BadFeed, ValueError, TypeError) as exc:
                yield dead_letter(exc, "ingest", dict(entry), source=f"rss:{self.name}")

    def _item(self, entry: Any, feed_title: str | None, index: int) -> Any:
        native = entry.get("id") or entry.get("link") or f"{entry.get('title', '')}#{index}"
        summary = entry.get("summary") or ""
        if entry.get("content"):
            summary = " ".join(c.get("value", "") for c in entry["content"]) or summary
        published = None
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if stamp:
            published = datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC)
        media = []
        for link in entry.get("links", []):
            if link.get("rel") == "enclosure" and link.get("href"):
                media.append(MediaFile(url=link["href"], mime=link.get("type")))
        for thumb in entry.get("media_content", []) or []:
            if thumb.get("url"):
                media.append(MediaFile(url=thumb["url"], mime=thumb.get("type")))
        return self.make_item(
            str(native),
            platform=self.platform or "rss",
            title=entry.get("title"),
            text=_html_to_text(summary),
            url=entry.get("link"),
            account_name=entry.get("author") or feed_title,
            published_at=published,
            media=media,
            labels=[t.get("term") for t in entry.get("tags", []) if t.get("term")],
        )
