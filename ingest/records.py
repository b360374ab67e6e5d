"""Turn one feed record (a JSON object) into a :class:`~pantau.schemas.MediaItem`.

Shared by every file-based source (JSON Lines, the tipline spool, replays of dead letters).
Known fields map onto the item; anything else is kept in ``item.extra``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ingest.base import Source
from pantau.errors import BadFeed
from pantau.schemas import MediaFile, MediaItem, digest

__all__ = ["MAX_RECORD_BYTES", "item_from_record"]

MAX_RECORD_BYTES = 2 * 1024 * 1024
"""Longest accepted record (one JSON line); longer ones are dead-lettered."""

_ITEM_FIELDS = {
    "platform", "account", "account_name", "party", "url", "title", "text", "language", "mentions",
    "reply_to", "labels", "sponsor", "paid", "is_tip", "published_at",
}
_MEDIA_KEYS = ("media", "images", "image", "video", "audio", "attachments")


def _media_files(record: dict[str, Any], base_dir: Path | None) -> list[MediaFile]:
    raw: list[Any] = []
    for key in _MEDIA_KEYS:
        value = record.get(key)
        if value is None:
            continue
        raw.extend(value if isinstance(value, list) else [value])
    files = []
    for entry in raw:
        if isinstance(entry, str):
            entry = {"url": entry} if "://" in entry else {"path": entry}
        if not isinstance(entry, dict):
            raise BadFeed(f"media entry must be a string or an object, got {type(entry).__name__}")
        path = entry.get("path")
        if path is not None:
            if not isinstance(path, str):
                raise BadFeed("media path must be a string")
            p = Path(path)
            if not p.is_absolute() and base_dir is not None:
                p = base_dir / p
            path = str(p)
        url = entry.get("url")
        if url is not None and not isinstance(url, str):
            raise BadFeed("media url must be a string")
        if path is None and url is None:
            raise BadFeed("media entry needs a 'path' or a 'url'")
        mime = entry.get("mime") if isinstance(entry.get("mime"), str) else None
        files.append(MediaFile(path=path, url=url, mime=mime))
    return files


def _problem(error: Any) -> str:
    """One validation error as ``field: message`` (no field for a whole-record check)."""
    where = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def item_from_record(
    source: Source, record: Any, base_dir: Path | None = None, line: int | None = None
) -> MediaItem:
    """Build an item from a decoded JSON record; raise :class:`BadFeed` with the reason when it is not one.

    :param source: the source the record came from (its name goes into the item id).
    :param record: the decoded JSON value.
    :param base_dir: folder that relative media paths resolve from.
    :param line: line number, used as native id when the record has no ``id``.
    """
    if not isinstance(record, dict):
        raise BadFeed(f"record must be a JSON object, got {type(record).__name__}")
    native = record.get("id", record.get("native_id"))
    if native is None:
        native = digest("record", str(record.get("url", "")), str(record.get("text", "")), str(line))
    if not isinstance(native, str | int) or isinstance(native, bool):
        raise BadFeed("record 'id' must be a string or an integer")
    fields = {k: v for k, v in record.items() if k in _ITEM_FIELDS and v is not None}
    if "text" in fields and not isinstance(fields["text"], str):
        raise BadFeed("record 'text' must be a string")
    for key in ("mentions", "labels"):
        if key in fields and isinstance(fields[key], str):
            fields[key] = [fields[key]]
    extra = {k: v for k, v in record.items() if k not in _ITEM_FIELDS and k not in _MEDIA_KEYS
             and k not in ("id", "native_id")}
    try:
        return source.make_item(str(native), media=_media_files(record, base_dir), extra=extra, **fields)
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors()[:5])
        raise BadFeed(f"invalid record: {problems}") from exc
