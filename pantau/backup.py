"""Back up and restore a data folder: SQLite through its online backup API, other files as they are.

A backup is a folder holding a copy of the data folder and ``pantau-backup.json``, a manifest of
every file with its size and SHA-256. SQLite databases (the store ``pantau.db``, the tipline's
``contacts.sqlite``...) are copied with :meth:`sqlite3.Connection.backup`, which gives a
consistent copy while the runner keeps writing (WAL and journal files are not copied: the copy
holds what they held). Everything else (media, outbox, tip spool, users, signing key) is copied
with its permissions. The search index is backed up with the engine's snapshot API instead
(docs/operations.md).

A restore checks the whole manifest before it writes anything (a damaged or partial backup is
refused), then copies into a new folder beside the data folder, runs ``PRAGMA quick_check`` on
each database, and only then swaps it in; a data folder that was there is kept aside as
``<name>.before-restore-<time>``, never deleted.

Example Snippet::

    report = backup(settings.data_dir, Path("/backups/pantau-2026-05-01"))
    restore(Path("/backups/pantau-2026-05-01"), settings.data_dir)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pantau.errors import PantauError
from pantau.schemas import utcnow

__all__ = ["MANIFEST", "BackupFailed", "BackupReport", "backup", "restore"]

MANIFEST = "pantau-backup.json"
"""Name of the manifest at the top of a backup folder."""

_SQLITE_HEADER = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupFailed(PantauError):
    """A backup could not be made, or a backup is damaged, partial or would overwrite data."""


@dataclass
class BackupReport:
    """What a backup or a restore copied."""

    databases: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    kept_aside: Path | None = None
    """On restore: where the data folder that was there now is."""

    def summary(self) -> str:
        """One line for the console."""
        aside = f"; the previous data folder is kept at {self.kept_aside}" if self.kept_aside else ""
        return (f"{len(self.databases)} database(s) ({', '.join(self.databases) or 'none'}) and "
                f"{self.files - len(self.databases)} other file(s), {self.bytes} bytes{aside}")


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == _SQLITE_HEADER
    except OSError:
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and not p.name.endswith(_SIDE_FILES) and p.name != MANIFEST
    )


def _copy_database(source: Path, target: Path) -> None:
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file in the backup
        finally:
            dst.close()
    finally:
        src.close()


def _quick_check(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()
    finally:
        conn.close()
    if not result or result[0] != "ok":
        raise BackupFailed(f"{path.name}: quick_check says {result[0] if result else 'nothing'}")


def backup(data_dir: Path, dest: Path) -> BackupReport:
    """Copy ``data_dir`` into the new folder ``dest``; return what was copied.

    :raises BackupFailed: ``data_dir`` is missing, ``dest`` exists and is not empty, or a copy failed.
    """
    data_dir, dest = Path(data_dir), Path(dest)
    if not data_dir.is_dir():
        raise BackupFailed(f"no data folder at {data_dir}")
    if dest.exists() and any(dest.iterdir()):
        raise BackupFailed(f"{dest} exists and is not empty: back up into a new folder")
    if dest.resolve().is_relative_to(data_dir.resolve()):
        raise BackupFailed(f"{dest} is inside the data folder {data_dir}")
    dest.mkdir(parents=True, exist_ok=True)
    os.chmod(dest, 0o700)  # contacts, intimate-image candidates, the signing key
    report = BackupReport()
    entries: dict[str, dict[str, Any]] = {}
    try:
        for source in _files(data_dir):
            rel = source.relative_to(data_dir)
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if _is_sqlite(source):
                _copy_database(source, target)
                shutil.copymode(source, target)
                report.databases.append(str(rel))
                kind = "sqlite"
            else:
                shutil.copy2(source, target)
                kind = "file"
            size = target.stat().st_size
            entries[str(rel)] = {"kind": kind, "bytes": size, "sha256": _sha256(target)}
            report.files += 1
            report.bytes += size
    except (OSError, sqlite3.Error) as exc:
        raise BackupFailed(f"backup of {data_dir} failed: {exc}") from exc
    manifest = {"format": 1, "created_at": utcnow().isoformat(), "source": str(data_dir), "files": entries}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return report


def _check_manifest(src: Path) -> dict[str, dict[str, Any]]:
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
        entries: dict[str, dict[str, Any]] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupFailed(f"{src} is not a Pantau backup (no readable {MANIFEST}: {exc})") from exc
    problems = []
    for rel, entry in entries.items():
        path = src / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            problems.append(f"{rel}: not a relative path")
        elif not path.is_file():
            problems.append(f"{rel}: missing")
        elif path.stat().st_size != entry.get("bytes") or _sha256(path) != entry.get("sha256"):
            problems.append(f"{rel}: changed since the backup")
    if problems:
        shown = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        raise BackupFailed(f"backup {src} is damaged, nothing was restored: {shown}")
    return entries


def restore(src: Path, data_dir: Path) -> BackupReport:
    """Restore the backup ``src`` as ``data_dir``; a data folder already there is kept aside.

    Stop the runner, workers and dashboard first: they hold the old files open.

    :raises BackupFailed: the backup is damaged or partial (nothing is written), or a database in it
        fails ``quick_check``.
    """
    src, data_dir = Path(src), Path(data_dir)
    entries = _check_manifest(src)
    staging = data_dir.with_name(f".{data_dir.name}.restoring")
    if staging.exists():
        shutil.rmtree(staging)
    report = BackupReport()
    try:
        staging.mkdir(parents=True)
        os.chmod(staging, 0o700)
        for rel, entry in sorted(entries.items()):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, target)
            if entry.get("kind") == "sqlite":
                _quick_check(target)
                report.databases.append(rel)
            report.files += 1
            report.bytes += int(entry.get("bytes", 0))
    except (OSError, sqlite3.Error) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupFailed(f"restore into {data_dir} failed, nothing changed: {exc}") from exc
    except BackupFailed:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if data_dir.exists():
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        report.kept_aside = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}")
        os.replace(data_dir, report.kept_aside)
    os.replace(staging, data_dir)
    return report
