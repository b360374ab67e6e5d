"""Content-addressed media files: where the file with a given SHA-256 lives in the data folder.

:mod:`ingest.fetch` stores every fetched or local media file there; readers (detectors, the
dashboard, encryption at rest) find it again from the digest alone.
"""

from __future__ import annotations

from pathlib import Path

from pantau.errors import BadMedia, MediaTooLarge

__all__ = ["checked_media_file", "content_path"]


def content_path(media_dir: Path, sha256: str) -> Path:
    """Return where content with this SHA-256 lives: ``media_dir/ab/cd/<sha256>``."""
    return Path(media_dir) / sha256[:2] / sha256[2:4] / sha256


def checked_media_file(path: str | Path, max_bytes: int) -> tuple[Path, int]:
    """A local media file as a reader may take it: its path and size.

    :raises BadMedia: missing, not a regular file, or empty.
    :raises MediaTooLarge: larger than ``max_bytes``.
    """
    p = Path(path)
    if not p.is_file():
        raise BadMedia(f"media file not found: {p}")
    size = p.stat().st_size
    if size == 0:
        raise BadMedia(f"media file is empty: {p.name}")
    if size > max_bytes:
        raise MediaTooLarge(f"media file {p.name} is {size} bytes, over the limit of {max_bytes}")
    return p, size
