"""The SQLite store passes the same contract suite as the search-engine stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pantau.stores.sqlite import SQLiteStore
from tests.store_contract import StoreContract


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SQLiteStore]:
        with SQLiteStore(tmp_path / "pantau.db") as store:
            yield store


def test_audit_log_is_append_only(tmp_path: Path) -> None:
    import sqlite3

    from pantau.stores.base import AuditEvent

    with SQLiteStore(tmp_path / "p.db") as store:
        store.audit(AuditEvent(actor="a", role="commission", event="sign_in"))
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.conn.execute("DELETE FROM audit")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.conn.execute("UPDATE audit SET doc = '{}'")
        assert len(store.audit_log()) == 1
