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


def test_a_file_from_an_older_version_gets_both_full_text_tables_rebuilt(tmp_path: Path) -> None:
    from pantau.stores.base import IncidentQuery, Scope
    from tests.store_contract import make_incident

    inc = make_incident(0, text="Jalan Mawar 12, telefon +60 12-345 6789, pilihan raya")
    with SQLiteStore(tmp_path / "old.db") as store:
        store.upsert_incidents([inc])
        # What an older version left: the old full-text body, no redacted text, user_version 0.
        store.conn.execute("DELETE FROM incidents_fts_redacted")
        store.conn.execute("UPDATE incidents_fts SET body = 'pilihan raya'")
        store.conn.execute("PRAGMA user_version=0")
    with SQLiteStore(tmp_path / "old.db") as store:
        assert store.search(IncidentQuery(text="Mawar"), Scope.everything()).total == 1
        journalist = Scope(redact=True)
        assert store.search(IncidentQuery(text="pilihan raya"), journalist).total == 1
        assert store.search(IncidentQuery(text="Mawar"), journalist).total == 0


def test_journalists_cannot_find_the_registrys_private_persons(tmp_path: Path) -> None:
    from pantau.settings import Settings
    from pantau.stores import by_url
    from pantau.stores.base import IncidentQuery, Scope
    from tests.store_contract import make_incident

    registry = tmp_path / "registry.yaml"
    registry.write_text("people:\n  - {id: wati, name: Wati Lestari, role: other}\n")
    settings = Settings.load(overrides={"data_dir": tmp_path / "d", "registry_file": registry})
    store = by_url(settings.store_url, settings)
    assert isinstance(store, SQLiteStore) and store.registry_file == registry
    with store:
        store.upsert_incidents([make_incident(0, text="Wati Lestari tinggal di sini, pilihan raya")])
        assert store.search(IncidentQuery(text="Lestari"), Scope.everything()).total == 1
        assert store.search(IncidentQuery(text="Lestari"), Scope(redact=True)).total == 0
        assert store.search(IncidentQuery(text="pilihan raya"), Scope(redact=True)).total == 1
