"""pantau backup / restore: a consistent SQLite copy while a writer is busy, checked before it is restored."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from pantau.backup import MANIFEST, BackupFailed, backup, restore


def _data(root: Path) -> Path:
    data = root / "data"
    (data / "tipline").mkdir(parents=True)
    (data / "media").mkdir()
    conn = sqlite3.connect(data / "pantau.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE incidents (id TEXT PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO incidents VALUES (?, ?)", [(f"i{n}", "x" * 100) for n in range(50)])
    conn.commit()
    conn.close()
    contacts = data / "tipline" / "contacts.sqlite"
    sqlite3.connect(contacts).execute("CREATE TABLE contacts (ack_id TEXT)").connection.close()
    os.chmod(contacts, 0o600)
    (data / "media" / "abc.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return data


def _count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM incidents").fetchone()[0])
    finally:
        conn.close()


def test_backup_while_a_writer_holds_a_transaction_copies_what_was_committed(tmp_path: Path) -> None:
    data = _data(tmp_path)
    writer = sqlite3.connect(data / "pantau.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO incidents VALUES ('uncommitted', 'y')")
    try:
        report = backup(data, tmp_path / "b1")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert sorted(report.databases) == ["pantau.db", "tipline/contacts.sqlite"]
    assert _count(tmp_path / "b1" / "pantau.db") == 50
    assert not list((tmp_path / "b1").glob("pantau.db-*"))  # no WAL or shm beside the copy
    manifest = json.loads((tmp_path / "b1" / MANIFEST).read_text())
    assert set(manifest["files"]) == {"pantau.db", "tipline/contacts.sqlite", "media/abc.jpg"}
    assert stat.S_IMODE((tmp_path / "b1" / "tipline" / "contacts.sqlite").stat().st_mode) == 0o600


def test_restore_brings_the_data_back_and_keeps_the_folder_it_replaces(tmp_path: Path) -> None:
    data = _data(tmp_path)
    backup(data, tmp_path / "b1")
    conn = sqlite3.connect(data / "pantau.db")
    conn.execute("DELETE FROM incidents")
    conn.commit()
    conn.close()
    report = restore(tmp_path / "b1", data)
    assert _count(data / "pantau.db") == 50
    assert (data / "media" / "abc.jpg").read_bytes() == b"\xff\xd8 not really a jpeg"
    assert report.kept_aside is not None and _count(report.kept_aside / "pantau.db") == 0


def test_restore_into_a_missing_data_folder(tmp_path: Path) -> None:
    data = _data(tmp_path)
    backup(data, tmp_path / "b1")
    target = tmp_path / "new" / "data"
    target.parent.mkdir()
    report = restore(tmp_path / "b1", target)
    assert report.kept_aside is None and _count(target / "pantau.db") == 50


def test_a_damaged_backup_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    data = _data(tmp_path)
    backup(data, tmp_path / "b1")
    copy = tmp_path / "b1" / "pantau.db"
    raw = bytearray(copy.read_bytes())
    raw[-10] ^= 0xFF
    copy.write_bytes(bytes(raw))
    before = (data / "pantau.db").read_bytes()
    with pytest.raises(BackupFailed, match="pantau.db: changed since the backup"):
        restore(tmp_path / "b1", data)
    assert (data / "pantau.db").read_bytes() == before
    assert not list(tmp_path.glob("*before-restore*")) and not list(tmp_path.glob(".data.restoring"))


def test_a_backup_never_overwrites_and_never_goes_inside_the_data_folder(tmp_path: Path) -> None:
    data = _data(tmp_path)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(BackupFailed, match="not empty"):
        backup(data, tmp_path / "full")
    with pytest.raises(BackupFailed, match="inside the data folder"):
        backup(data, data / "backups")
    with pytest.raises(BackupFailed, match="not a Pantau backup"):
        restore(tmp_path / "full", data)


def test_pantau_backup_and_restore_commands(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    data = _data(tmp_path)
    env = {"PANTAU_DATA_DIR": str(data), "PANTAU_CONFIG": ""}
    made = CliRunner().invoke(app, ["backup", str(tmp_path / "b1")], env=env)
    assert made.exit_code == 0, made.output
    assert "2 database(s)" in made.output
    (data / "pantau.db").unlink()
    back = CliRunner().invoke(app, ["restore", str(tmp_path / "b1")], env=env)
    assert back.exit_code == 0, back.output
    assert _count(data / "pantau.db") == 50
    again = CliRunner().invoke(app, ["backup", str(tmp_path / "b1")], env=env)
    assert again.exit_code == 2 and "not empty" in again.output
