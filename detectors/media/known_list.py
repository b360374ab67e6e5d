"""The known-media list Pantau keeps itself (``<data_dir>/known_media.csv``), and how media gets on it.

Commission staff confirm an incident in the dashboard; ``pantau known add --incident ID`` then
puts that incident's media on a list (``known-fakes`` by default): the SHA-256 of every file
(exact copies) and the PDQ of every image or video keyframe (re-encoded, resized, cropped or
mirrored copies). ``media.hashes`` reads this file, when it exists, besides its configured
``options.lists``, and notices when it changes, so re-shares are flagged with no configuration
edit; clause DIS-3 of the model code reads the ``media.known_match`` signal that follows.

The file is the same CSV ``media.hashes`` reads (docs/media.md), with two more columns that say
where a row came from::

    kind,hash,list,label,source,added_at
    pdq,f8f8f0ce...,known-fakes,Confirmed incident 3f2a (GBV-1),incident:3f2a,2026-11-20T08:14:03+00:00
    sha256,9f86d081...,known-fakes,Confirmed incident 3f2a (GBV-1),incident:3f2a,2026-11-20T08:14:03+00:00

Writes are atomic (a temporary file renamed over the list) under a lock file, and a row whose
``kind``, ``hash`` and ``list`` are already there is not added again.

Example Snippet::

    rows, notes = incident_rows(store, "3f2a...", settings)
    added, already = add_rows(default_list_file(settings), rows)
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from detectors.media.hashes import FILE_NAME, default_list_file
from pantau.errors import BadMedia, DetectorUnavailable, PantauError
from pantau.schemas import IncidentStatus, Modality, utcnow

if TYPE_CHECKING:
    from pantau.settings import Settings
    from pantau.stores.base import IncidentStore

__all__ = [
    "COLUMNS",
    "CONFIRMED",
    "DEFAULT_LIST",
    "FILE_NAME",
    "KnownListError",
    "add_rows",
    "default_list_file",
    "file_rows",
    "hash_media",
    "incident_rows",
    "read_rows",
    "remove_rows",
]

"""Name of the list file in the data folder."""
DEFAULT_LIST = "known-fakes"
"""The list confirmed incidents go on unless another is named (clause DIS-3 reads it)."""
COLUMNS = ("kind", "hash", "list", "label", "source", "added_at")
CONFIRMED = frozenset({IncidentStatus.CONFIRMED, IncidentStatus.UPHELD})
"""Statuses in which the commission has confirmed an incident (``upheld``: confirmed again on appeal)."""
MIN_QUALITY = 50
"""PDQ hashes of lower quality (flat images) match too easily; only their SHA-256 is listed."""
_LIST_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_MAX_LABEL = 300


class KnownListError(PantauError):
    """A known-media list cannot be changed as asked (unknown or unconfirmed incident, no media...)."""


def check_list_name(name: str) -> str:
    """Return a list name (lower case letters, digits, ``-_.``), or raise :class:`KnownListError`."""
    if not _LIST_NAME.match(name):
        raise KnownListError(
            f"list name {name!r} is not allowed: use lower-case letters, digits, '-', '_' or '.' "
            "(at most 64), e.g. known-fakes or ncii"
        )
    return name


def clean_label(label: str) -> str:
    """One line of at most 300 characters (reviewers read it in the evidence)."""
    text = " ".join(label.split())
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def read_rows(path: Path) -> list[dict[str, str]]:
    """Return the rows of a list file (none when it does not exist); a malformed file raises."""
    from detectors.media.hashes import KnownMediaIndex

    if not path.is_file():
        return []
    try:
        rows = [dict(r) for r in csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines())]
        KnownMediaIndex(rows)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, AttributeError) as exc:
        raise KnownListError(f"{path}: invalid known-media list ({exc}); fix or move it aside") from exc
    return [{k: (v or "") for k, v in r.items() if k is not None} for r in rows]


def _key(row: dict[str, str]) -> tuple[str, str, str]:
    return row["kind"].strip().lower(), row["hash"].strip().lower(), row["list"].strip()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (two ``known add`` at once must not lose rows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: atomic writes only
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, rows: Sequence[dict[str, str]]) -> None:
    """Replace ``path`` by ``rows`` atomically (temporary file in the same folder, then rename)."""
    extra = sorted({k for r in rows for k in r} - set(COLUMNS))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, *extra], extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o640)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(out.getvalue())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_rows(path: Path, rows: Sequence[dict[str, str]]) -> tuple[int, int]:
    """Append the rows not yet listed (same kind, hash and list); return (added, already listed)."""
    with _locked(path):
        current = read_rows(path)
        seen = {_key(r) for r in current}
        new: list[dict[str, str]] = []
        for row in rows:
            if _key(row) not in seen:
                seen.add(_key(row))
                new.append(row)
        if new:
            _write(path, current + new)
    return len(new), len(rows) - len(new)


def remove_rows(path: Path, drop: Callable[[dict[str, str]], bool]) -> int:
    """Remove the rows for which ``drop`` is true; return how many went."""
    with _locked(path):
        current = read_rows(path)
        kept = [r for r in current if not drop(r)]
        if len(kept) != len(current):
            _write(path, kept)
    return len(current) - len(kept)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _image_pdq(path: Path, settings: Settings) -> tuple[str, int]:
    import numpy as np

    from detectors.media.decode import open_image
    from detectors.media.hashes import pdq_hex

    return pdq_hex(np.asarray(open_image(path, settings.media.max_pixels), dtype=np.uint8))


def _keyframe_pdqs(path: Path, settings: Settings) -> list[tuple[str, int]]:
    """PDQ of each keyframe ``media.video`` would pick (same options, so the same frames)."""
    from detectors.media.video import VideoOptions, extract_keyframes

    try:
        import cv2  # noqa: F401
    except ImportError as exc:
        raise DetectorUnavailable("OpenCV missing: pip install 'opencv-python-headless<5'") from exc
    with tempfile.TemporaryDirectory(prefix="pantau-known-") as tmp:
        frames, _ = extract_keyframes(path, Path(tmp), VideoOptions(), None, settings.media.max_duration_s)
        return [_image_pdq(Path(f["path"]), settings) for f in frames]


def hash_media(
    path: Path, settings: Settings, modality: Modality | None = None, sha256: str | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    """Return the ``(kind, hash)`` pairs that identify a file, and notes on what could not be hashed.

    Every file gets its SHA-256 (``sha256`` when already known); an image its PDQ, a video the PDQ
    of its keyframes; audio has no perceptual hash here (exact copies only). ``modality=None``
    tries image, then video.
    """
    pairs = [("sha256", (sha256 or _sha256(path)).lower())]
    notes: list[str] = []
    hashes: list[tuple[str, int]] = []
    if modality in (None, Modality.IMAGE):
        try:
            hashes = [_image_pdq(path, settings)]
        except BadMedia as exc:
            if modality is Modality.IMAGE:
                notes.append(f"{path.name}: {exc}; exact copies only")
            else:
                modality = Modality.VIDEO
    if modality is Modality.VIDEO:
        try:
            hashes = _keyframe_pdqs(path, settings)
        except (BadMedia, DetectorUnavailable) as exc:
            notes.append(f"{path.name}: no keyframes ({exc}); exact copies only")
    elif modality is Modality.AUDIO:
        notes.append(f"{path.name}: audio has no perceptual hash; exact copies only")
    flat = [value for value, quality in hashes if quality < MIN_QUALITY]
    if flat:
        notes.append(
            f"{path.name}: {len(flat)} flat picture(s) (PDQ quality < {MIN_QUALITY}) not listed by PDQ"
        )
    pairs += [("pdq", value) for value, quality in hashes if quality >= MIN_QUALITY]
    return list(dict.fromkeys(pairs)), notes


def _modality(path: Path) -> Modality:
    """What a local file is analysed as (sniffed from its bytes, as the fetcher does), or refuse it."""
    from ingest.fetch import modality_of_mime, sniff_mime

    with path.open("rb") as handle:
        mime = sniff_mime(handle.read(8192))
    modality = modality_of_mime(mime)
    if modality is None:
        what = mime or "unknown type"
        raise KnownListError(f"{path}: not an image, video or audio file Pantau reads ({what})")
    return modality


def _rows(pairs: Sequence[tuple[str, str]], list_name: str, label: str, source: str) -> list[dict[str, str]]:
    at = utcnow().isoformat(timespec="seconds")
    return [
        {"kind": kind, "hash": value, "list": list_name, "label": label, "source": source, "added_at": at}
        for kind, value in pairs
    ]


def file_rows(
    paths: Sequence[Path], settings: Settings, list_name: str = DEFAULT_LIST, label: str | None = None
) -> tuple[list[dict[str, str]], list[str]]:
    """Rows for local files (label: the given one, else the file name), and notes."""
    check_list_name(list_name)
    rows: list[dict[str, str]] = []
    notes: list[str] = []
    for path in paths:
        if not path.is_file():
            raise KnownListError(f"{path}: no such file")
        pairs, found = hash_media(path, settings, _modality(path))
        rows += _rows(pairs, list_name, clean_label(label or path.name), f"file:{path.name}")
        notes += found
    return rows, notes


def incident_rows(
    store: IncidentStore,
    incident_id: str,
    settings: Settings,
    list_name: str = DEFAULT_LIST,
    label: str | None = None,
) -> tuple[list[dict[str, str]], list[str]]:
    """Rows for the media of a confirmed incident, and notes; refuses unknown or unconfirmed incidents."""
    from pantau.stores.base import Scope

    check_list_name(list_name)
    incident = store.get_incident(incident_id, Scope.everything())
    if incident is None:
        raise KnownListError(f"no incident {incident_id!r} in the store ({settings.store_url.split('://')[0]})")
    if incident.status not in CONFIRMED:
        raise KnownListError(
            f"incident {incident_id} is {incident.status.value}, not confirmed: only media the commission "
            "has confirmed goes on a list (confirm it in the dashboard first)"
        )
    if not incident.item.media:
        raise KnownListError(f"incident {incident_id} has no media (its breach is in the text)")
    where = incident.item.url or (f"@{incident.item.account.lstrip('@')}" if incident.item.account else "")
    text = label or f"Confirmed incident {incident_id} ({incident.breach.clause_id}) {where}"
    rows: list[dict[str, str]] = []
    notes: list[str] = []
    for media in incident.item.media:
        path = Path(media.path) if media.path else None
        if path is not None and path.is_file():
            pairs, found = hash_media(path, settings, media.modality, media.sha256)
            notes += found
        elif media.sha256:
            pairs = [("sha256", media.sha256.lower())]
            notes.append(f"{media.path or media.url}: file not found here; exact copies only (SHA-256)")
        else:
            notes.append(f"{media.url or media.path}: never fetched, nothing to hash")
            continue
        rows += _rows(pairs, list_name, clean_label(text), f"incident:{incident_id}")
    if not rows:
        raise KnownListError(
            f"incident {incident_id}: none of its media could be hashed ({'; '.join(notes)})"
        )
    return rows, notes
