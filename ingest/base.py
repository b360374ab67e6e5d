"""The source contract: one class per feed kind, yielding items or dead letters.

Shaped like quix-streams' ``Source``: no I/O in ``__init__``; :meth:`Source.read` does the
work and yields, for each record of the feed, either a :class:`~pantau.schemas.MediaItem`
or a :class:`~pantau.schemas.DeadLetter` (a record that could not be parsed). A source never
raises for one bad record; it raises :class:`~pantau.errors.BadFeed` only when the feed as a
whole cannot be read (file missing, URL refused), and the runner dead-letters that too.

Example Snippet::

    class ListSource(Source):
        def __init__(self, name, records):
            super().__init__(name)
            self.records = records

        def read(self):
            for rec in self.records:
                yield self.make_item(native_id=rec["id"], text=rec["text"])
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from pantau.schemas import DeadLetter, MediaItem

__all__ = ["Source", "SourceRecord"]

SourceRecord = MediaItem | DeadLetter
"""What a source yields for each record."""


class Source(ABC):
    """A feed of items: a file, a folder, an RSS feed, a platform API, a tipline."""

    def __init__(
        self,
        name: str,
        *,
        platform: str | None = None,
        party: str | None = None,
        account: str | None = None,
        language: str | None = None,
    ) -> None:
        self.name = name
        self.platform = platform
        self.party = party
        self.account = account
        self.language = language
        self.status: dict[str, Any] = {"state": "idle"}
        """Health of the source, shown on the dashboard: state, last error, last success, counts."""

    @abstractmethod
    def read(self) -> Iterator[SourceRecord]:
        """Yield what the source holds now (one pass)."""

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Stop a long-running read (streaming sources)."""

    def make_item(self, native_id: str, **fields: Any) -> MediaItem:
        """Build an item of this source with its stable id and the source's defaults filled in."""
        source = f"{type(self).__name__.removesuffix('Source').lower()}:{self.name}"
        fields.setdefault("platform", self.platform)
        if fields.get("party") is None:
            fields["party"] = self.party
        if fields.get("account") is None:
            fields["account"] = self.account
        if fields.get("language") is None:
            fields["language"] = self.language
        return MediaItem(
            id=MediaItem.make_id(source, str(native_id)),
            source=source,
            native_id=str(native_id),
            **fields,
        )
