"""Content-addressed media files: where the file with a given SHA-256 lives in the data folder.

:mod:`ingest.fetch` stores every fetched or local media file there; readers (detectors, the
dashboard, encryption at rest) find it again from the digest alone.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["content_path"]


def content_path(media_dir: Path, sha256: str) -> Path:
    """Return where content with this SHA-256 lives: ``media_dir/ab/cd/<sha256>``."""
    return Path(media_dir) / sha256[:2] / sha256[2:4] / sha256
