"""The tipline's side of the pipeline: read the tip spool from where the last pass stopped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.base import Source, SourceRecord
from ingest.connectors.base import Checkpoint, restore_counts
from ingest.records import MAX_RECORD_BYTES, item_from_record
from pantau.deadletters import dead_letter
from pantau.errors import BadFeed, ConfigError
from pantau.schemas import utcnow

__all__ = ["TiplineSource"]

_SAVE_EVERY = 100
"""Tips read between two checkpoint writes: a crash re-reads at most this many (same ids)."""


class TiplineSource(Source):
    """Tips from the spool that the tipline's front ends append to; each becomes an item.

    Items have ``platform="tip"``, ``is_tip=True`` and the acknowledgement id as native id; the
    reporter's contact is not in the spool, so it cannot reach an item. The byte offset of the
    next unread line is checkpointed, so a restart reads each tip once; a line still being
    written (no newline yet) waits for the next pass.
    """

    def __init__(self, name: str, spool: Path | str, data_dir: Path | str, **defaults: Any) -> None:
        defaults.setdefault("platform", "tip")
        super().__init__(name, **defaults)
        self.spool = Path(spool)
        self.data_dir = Path(data_dir)
        self._checkpoint: Checkpoint | None = None
        self.status.update(
            {
                "source": f"tipline:{name}",
                "platform": "tip",
                "last_error": None,
                "last_success_at": None,
                "counts": {"items": 0, "dead_letters": 0},
            }
        )

    @property
    def checkpoint(self) -> Checkpoint:
        """The spool offset and health, loaded on first use (no I/O in ``__init__``)."""
        if self._checkpoint is None:
            self._checkpoint = Checkpoint.for_source(self.data_dir, f"tipline:{self.name}")
            restore_counts(self.status, self._checkpoint)
        return self._checkpoint

    @classmethod
    def from_config(cls, config: Any, settings: Any, registry: Any = None) -> TiplineSource:
        """Build from the ``kind = "tipline"`` source config (what ``build_source`` calls)."""
        from ingest.tipline.intake import TiplineOptions

        try:
            options = TiplineOptions.model_validate(config.options)
        except ValueError as exc:
            raise ConfigError(f"tipline source {config.name!r}: invalid options: {exc}") from exc
        spool = Path(options.spool) if options.spool else Path(settings.data_dir) / "tipline" / "spool.jsonl"
        return cls(config.name, spool, settings.data_dir, language=config.language)

    def read(self) -> Iterator[SourceRecord]:
        """Yield the tips appended since the last pass."""
        state = self.checkpoint.stream("spool")
        offset = int(state.get("offset") or 0)
        if not self.spool.exists():  # no tip yet
            self._done()
            return
        size = self.spool.stat().st_size
        if size < offset:
            offset = 0  # the spool was rotated: start from its beginning
        self.status["state"] = "running"
        source = f"tipline:{self.name}"
        unsaved = 0
        with self.spool.open("rb") as fh:
            fh.seek(offset)
            while True:
                line = fh.readline(MAX_RECORD_BYTES + 1)
                if not line:
                    break
                if not line.endswith(b"\n"):
                    if len(line) > MAX_RECORD_BYTES:
                        yield dead_letter(
                            BadFeed("tip record over the size limit"), "ingest", line[:1000], source=source
                        )
                        fh.readline()  # skip the rest of it
                        offset = fh.tell()
                        continue
                    break  # still being written
                offset += len(line)
                if line.strip():
                    yield self._record(line, source)
                state["offset"] = offset
                unsaved += 1
                if unsaved >= _SAVE_EVERY:
                    self.checkpoint.save()
                    unsaved = 0
        self._done()

    def _done(self) -> None:
        self.status["state"] = "ok"
        self.status["last_success_at"] = utcnow().isoformat()
        self.checkpoint.status = dict(self.status)
        self.checkpoint.save()

    def _record(self, line: bytes, source: str) -> SourceRecord:
        try:
            record = json.loads(line)
            item = item_from_record(self, record)
        except (ValueError, BadFeed) as exc:
            self.status["counts"]["dead_letters"] += 1
            return dead_letter(exc, "ingest", line, source=source)
        self.status["counts"]["items"] += 1
        return item.model_copy(update={"is_tip": True, "platform": "tip", "party": None})
