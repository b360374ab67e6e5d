"""A folder of media files: each file is an item; an optional sidecar gives its caption."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.base import Source, SourceRecord
from pantau.deadletters import dead_letter
from pantau.errors import BadFeed
from pantau.schemas import MediaFile

__all__ = ["FolderSource"]

_SIDECARS = (".txt", ".json")


class FolderSource(Source):
    """Read every media file under a folder (recursively, symlinks not followed).

    A sidecar ``NAME.txt`` holds the caption; ``NAME.json`` may hold item fields (text,
    account, party, platform, labels...). The native id is the path relative to the folder,
    so re-reading the folder never duplicates.
    """

    def __init__(self, name: str, path: Path | str, max_files: int = 100_000, **defaults: Any) -> None:
        super().__init__(name, **defaults)
        self.path = Path(path)
        self.max_files = max_files

    def read(self) -> Iterator[SourceRecord]:
        """Yield one item per media file."""
        if not self.path.is_dir():
            raise BadFeed(f"media folder not found: {self.path}")
        root = self.path.resolve()
        count = 0
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for filename in sorted(filenames):
                file = Path(dirpath) / filename
                if filename.startswith(".") or file.suffix.lower() in _SIDECARS or file.is_symlink():
                    continue
                count += 1
                if count > self.max_files:
                    yield dead_letter(BadFeed(f"more than {self.max_files} files in {root}; rest skipped"),
                                      "ingest", str(file), source=f"folder:{self.name}")
                    return
                rel = file.relative_to(root).as_posix()
                try:
                    fields = self._sidecar(file)
                    yield self.make_item(rel, media=[MediaFile(path=str(file))], **fields)
                except (BadFeed, ValueError, TypeError, OSError) as exc:
                    yield dead_letter(exc, "ingest", rel, source=f"folder:{self.name}")

    @staticmethod
    def _sidecar(file: Path) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        caption = file.with_suffix(".txt")
        if caption.is_file():
            fields["text"] = caption.read_text(encoding="utf-8", errors="replace")[:100_000]
        meta = file.with_suffix(".json")
        if meta.is_file():
            try:
                data = json.loads(meta.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise BadFeed(f"sidecar {meta.name} is not valid UTF-8 JSON: {exc}") from exc
            except RecursionError:  # [[[[... thousands deep: the parser's own limit
                raise BadFeed(f"sidecar {meta.name}: JSON nested too deeply") from None
            if not isinstance(data, dict):
                raise BadFeed(f"sidecar {meta.name} must hold a JSON object")
            allowed = {"text", "title", "account", "account_name", "party", "platform", "labels", "language",
                       "url", "mentions", "sponsor", "paid"}
            fields.update({k: v for k, v in data.items() if k in allowed})
        return fields
