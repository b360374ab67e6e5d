"""Where a connector resumes and how it fares: checkpoints and statuses under ``<data_dir>/checkpoints``.

:class:`Checkpoint` is JSON under ``settings.data_dir/checkpoints/<source>.json``, written atomically
after each page, so a restart resumes at the page where it stopped and the next pass asks only for
what is newer than the high-water mark; the dashboard's monitoring page reads the statuses.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "Checkpoint",
    "JsonDict",
    "read_statuses",
    "restore_counts",
]

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:120] or "source"


class Checkpoint:
    """Per-source progress, kept as JSON at ``<data_dir>/checkpoints/<source>.json``.

    ``streams[stream]`` holds what a connector needs to resume: usually ``cursor`` (the page in
    progress) and ``since`` (the high-water mark of the last complete pass). ``status`` holds the
    source's health, so that the dashboard, in another process, can show it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.streams: dict[str, JsonDict] = {}
        self.status: JsonDict = {}

    @classmethod
    def for_source(cls, data_dir: Path, source: str) -> Checkpoint:
        """Open (or start) the checkpoint of a source."""
        cp = cls(Path(data_dir) / "checkpoints" / f"{_safe_name(source)}.json")
        cp.load()
        return cp

    def load(self) -> None:
        """Read the file; a missing file starts empty, a corrupt one is set aside and starts empty."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("checkpoint %s unreadable (%s); starting over", self.path, type(exc).__name__)
            try:
                self.path.replace(self.path.with_suffix(".corrupt"))
            except OSError:
                pass
            return
        if isinstance(raw, dict):
            streams, status = raw.get("streams"), raw.get("status")
            self.streams = streams if isinstance(streams, dict) else {}
            self.status = status if isinstance(status, dict) else {}

    def stream(self, key: str) -> JsonDict:
        """Return the mutable state of one stream (created empty)."""
        return self.streams.setdefault(key, {})

    def save(self) -> None:
        """Write the file atomically (temporary file then rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"streams": self.streams, "status": self.status}, default=str, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".cp-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def restore_counts(status: JsonDict, checkpoint: Checkpoint) -> None:
    """Add the counts saved before a restart to ``status``, so that health shows totals."""
    saved = checkpoint.status.get("counts")
    if isinstance(saved, dict):
        for key, value in saved.items():
            if isinstance(value, int) and not isinstance(value, bool):
                status["counts"][key] = status["counts"].get(key, 0) + value


def read_statuses(data_dir: Path) -> dict[str, JsonDict]:
    """Return the last saved status of every connector source, by source, for the dashboard.

    >>> read_statuses(Path("/nonexistent"))
    {}
    """
    folder = Path(data_dir) / "checkpoints"
    found: dict[str, JsonDict] = {}
    if not folder.is_dir():
        return found
    for file in sorted(folder.glob("*.json")):
        try:
            raw = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        status = raw.get("status") if isinstance(raw, dict) else None
        if isinstance(status, dict) and status:
            found[str(status.get("source") or file.stem)] = status
    return found
