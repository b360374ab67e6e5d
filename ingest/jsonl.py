"""JSON Lines files: one post per line (the format of the sample feed and of exports)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.base import Source, SourceRecord
from ingest.records import MAX_RECORD_BYTES, item_from_record
from pantau.deadletters import dead_letter
from pantau.errors import BadFeed

__all__ = ["JsonlSource"]


class JsonlSource(Source):
    """Read a JSON Lines file; each bad line becomes a dead letter naming the line and the reason.

    Relative media paths resolve from the file's folder. The file must be UTF-8 (a BOM is
    accepted); a line that is not valid UTF-8 is dead-lettered, the rest is read.
    """

    def __init__(self, name: str, path: Path | str, **defaults: Any) -> None:
        super().__init__(name, **defaults)
        self.path = Path(path)

    def read(self) -> Iterator[SourceRecord]:
        """Yield an item or a dead letter per non-blank line."""
        try:
            fh = self.path.open("rb")
        except OSError as exc:
            raise BadFeed(f"cannot open feed {self.path}: {exc.strerror or exc}") from exc
        source = f"jsonl:{self.name}"
        with fh:
            for number, raw in enumerate(fh, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                where = f"{self.path.name}:{number}"
                try:
                    if len(raw) > MAX_RECORD_BYTES:
                        raise BadFeed(f"{where}: record of {len(raw)} bytes exceeds {MAX_RECORD_BYTES}")
                    try:
                        text = raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        raise BadFeed(
                            f"{where}: not UTF-8 (byte {exc.start}): re-encode the feed as UTF-8"
                        ) from exc
                    try:
                        record = json.loads(text)
                    except json.JSONDecodeError as exc:
                        raise BadFeed(f"{where}: invalid JSON: {exc.msg} at column {exc.colno}") from exc
                    except RecursionError as exc:
                        raise BadFeed(f"{where}: JSON nested too deeply") from exc
                    yield item_from_record(self, record, base_dir=self.path.parent, line=number)
                except BadFeed as exc:
                    yield dead_letter(exc, "ingest", raw[:MAX_RECORD_BYTES], source=source)
