"""A damaged SQLite file or a data folder that cannot be written stops the start with a clear error,
not a traceback, and never a run that reports success (issue 19, row 14)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pantau.stores.base import AuditEvent
from pantau.stores.sqlite import SQLiteStore
from pantau.stores.sqlite_file import StoreUnusable

REPO = Path(__file__).resolve().parents[3]
PAGE = 4096


def _store_file(folder: Path) -> bytes:
    folder.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(folder / "pantau.db", registry_file=None)
    for i in range(300):
        store.audit(AuditEvent(actor=f"u{i}", role="commission", event="view_incident", target="x" * 200))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return (folder / "pantau.db").read_bytes()


def _damaged_pages(tmp_path: Path) -> list[Path]:
    """Copies of a store with one page overwritten that SQLite opens without complaint (what the old
    open did) but whose integrity check fails: mid-file damage that only a search or an alert would hit."""
    original = _store_file(tmp_path / "good")
    copies = []
    for page in range(2, len(original) // PAGE):
        data = bytearray(original)
        data[page * PAGE + 8 : (page + 1) * PAGE] = b"\x07" * (PAGE - 8)
        path = tmp_path / f"p{page}" / "pantau.db"
        path.parent.mkdir()
        path.write_bytes(bytes(data))
        conn = sqlite3.connect(path)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                copies.append(path)
        except sqlite3.DatabaseError:
            pass
        finally:
            conn.close()
    return copies


def _run_once(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PANTAU_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "cli", "run", "--once"], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=300)


def test_mid_file_damage_is_found_at_open(tmp_path: Path) -> None:
    damaged = _damaged_pages(tmp_path)
    assert len(damaged) >= 5
    for path in damaged:
        with pytest.raises(StoreUnusable, match=r"pantau.db is damaged .*\.recover"):
            SQLiteStore(path, registry_file=None).open()


def test_run_once_on_a_damaged_store_exits_2_with_the_reason(tmp_path: Path) -> None:
    path = _damaged_pages(tmp_path)[0]
    done = _run_once(path.parent)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "is damaged" in done.stderr and "Traceback" not in done.stderr


def test_a_data_folder_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    done = _run_once(tmp_path / "a-file" / "data")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "check that the data folder exists and can be written" in done.stderr
    assert "Traceback" not in done.stderr and "╭" not in done.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    _store_file(tmp_path / "ro")
    (tmp_path / "ro").chmod(0o500)
    try:
        with pytest.raises(StoreUnusable, match="writ"):
            SQLiteStore(tmp_path / "ro" / "pantau.db", registry_file=None).open()
    finally:
        (tmp_path / "ro").chmod(0o700)
