"""The SQLite store's file: schema, opening checks, transactions, and the append-only audit log.

One SQLite file in WAL mode, with FTS5 full-text tables. :class:`SQLiteFile` opens it (a
``quick_check`` first; a damaged, read-only or foreign file is a :class:`StoreUnusable` in words,
a locked one a :class:`~pantau.errors.StoreUnavailable` to retry), creates what is missing,
rebuilds the full-text tables of a file written by an older version, and runs transactions
(:meth:`SQLiteFile._tx`: one per batch, nested ones join). The audit log lives here with its
hash chain and triggers (:mod:`pantau.stores.audit_chain`), since opening checks them.
:class:`~pantau.stores.sqlite.SQLiteStore` builds on it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from pantau.errors import PantauError, StoreUnavailable
from pantau.schemas import Incident
from pantau.settings import DEFAULT_REGISTRY
from pantau.stores.audit_chain import (
    AuditReport,
    add_chain_columns,
    missing_triggers,
    next_link,
    verify_chain,
)
from pantau.stores.base import AuditEvent
from pantau.stores.text import cached_registry, redacted_search_text, search_text

_log = logging.getLogger(__name__)

__all__ = ["SQLiteFile", "StoreUnusable", "iso"]

M = TypeVar("M", bound=BaseModel)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    family TEXT NOT NULL,
    party TEXT,
    platform TEXT,
    severity TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    status TEXT NOT NULL,
    clause_id TEXT NOT NULL,
    code_id TEXT NOT NULL,
    account TEXT,
    published_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_created ON incidents(created_at);
CREATE INDEX IF NOT EXISTS incidents_party ON incidents(party);
CREATE INDEX IF NOT EXISTS incidents_status ON incidents(status);
CREATE VIRTUAL TABLE IF NOT EXISTS incidents_fts USING fts5(
    id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS incidents_fts_redacted USING fts5(
    id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS actions (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_incident ON actions(incident_id, at);
CREATE TABLE IF NOT EXISTS processed (
    item_id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    timings TEXT
);
CREATE INDEX IF NOT EXISTS processed_at ON processed(at);
CREATE TABLE IF NOT EXISTS dead_letters (
    id TEXT PRIMARY KEY,
    stage TEXT NOT NULL,
    created_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    party TEXT,
    recipient TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    delivery_error TEXT,
    acknowledged_at TEXT,
    responded_at TEXT,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS claim_checks (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    party TEXT,
    status TEXT NOT NULL,
    checkworthy REAL NOT NULL,
    created_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS claim_checks_status ON claim_checks(status, checkworthy);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    at TEXT NOT NULL,
    doc TEXT NOT NULL,
    prev_hash TEXT,
    hash TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


_FTS_VERSION = 2
"""``PRAGMA user_version`` once both full-text tables hold :func:`search_text` (older files are rebuilt)."""


def iso(value: datetime | None) -> str | None:
    """A date as the tables keep it."""
    return value.isoformat() if value is not None else None


class StoreUnusable(PantauError):
    """The SQLite file cannot be used as it is (damaged, read-only, not a database): retrying won't help."""


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """``PRAGMA quick_check`` (every page and index entry, not index contents; linear in the file size)."""
    rows = [r[0] for r in conn.execute("PRAGMA quick_check(5)").fetchall()]
    if rows != ["ok"]:
        raise _damaged(path, "; ".join(rows))


def _damaged(path: Path, detail: str) -> StoreUnusable:
    return StoreUnusable(
        f"SQLite store {path} is damaged ({' '.join(detail.split())[:300]}); stop Pantau, keep a copy, and "
        f"restore a backup or recover it (sqlite3 {path} '.recover' | sqlite3 recovered.db)"
    )


def _open_error(path: Path, exc: BaseException) -> PantauError:
    """What went wrong opening the store, in words: transient (retry) or not (fix, then start again)."""
    if isinstance(exc, StoreUnusable):
        return exc
    if isinstance(exc, OSError):
        return StoreUnusable(
            f"cannot open SQLite store {path}: {exc.strerror or exc} ({exc.filename or path}); "
            "check that the data folder exists and can be written"
        )
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreUnavailable(f"cannot open SQLite store {path}: {text}")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return StoreUnusable(f"cannot open SQLite store {path}: {text}; the data folder and the file must "
                             "be writable by this user (SQLite also writes -wal and -shm files beside it)")
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return _damaged(path, text)
    return StoreUnusable(f"cannot open SQLite store {path}: {text}")



class SQLiteFile:
    """One SQLite file (WAL, FTS5): its connection, transactions and audit log.

    :param path: the database file (created with its folder if missing).
    :param registry_file: the registry whose private persons a journalist's search cannot find.
    """

    def __init__(self, path: Path | str, registry_file: Path | None = DEFAULT_REGISTRY) -> None:
        self.path = Path(path)
        self.registry_file = registry_file  # whose private persons a journalist's search cannot find
        self.url = f"sqlite:///{self.path}"
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._tx_depth = 0  # nesting of _tx in the thread holding the lock

    def open(self) -> None:
        """Create the file, tables and indices if missing."""
        if self._conn is not None:
            return
        conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            _quick_check(conn, self.path)
            had_audit = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit'").fetchone()
            dropped = missing_triggers(conn) if had_audit is not None else []
            conn.executescript(_SCHEMA)
            add_chain_columns(conn)
        except (OSError, sqlite3.Error, StoreUnusable) as exc:
            if conn is not None:
                conn.close()
            raise _open_error(self.path, exc) from exc
        self._conn = conn
        if dropped:  # put back by _SCHEMA; say so in the log the triggers guard, never silently
            _log.warning("audit log triggers %s were missing in %s; recreated", ", ".join(dropped), self.path)
            self.audit(AuditEvent(actor="pantau", role="system", event="audit_guard_missing",
                                  detail=f"triggers missing at open, recreated: {', '.join(dropped)}"))
        if conn.execute("PRAGMA user_version").fetchone()[0] < _FTS_VERSION:
            self._rebuild_fts()

    def _rebuild_fts(self) -> None:
        """Fill both full-text tables again from the stored incidents (a file written by an older version)."""
        with self._tx() as conn:
            conn.execute("DELETE FROM incidents_fts")
            conn.execute("DELETE FROM incidents_fts_redacted")
            for (doc,) in conn.execute("SELECT doc FROM incidents").fetchall():
                self._index_text(conn, Incident.model_validate_json(doc))
            conn.execute(f"PRAGMA user_version={_FTS_VERSION}")

    def _index_text(self, conn: sqlite3.Connection, inc: Incident) -> None:
        conn.execute("INSERT INTO incidents_fts(id, body) VALUES (?,?)", (inc.id, search_text(inc)))
        conn.execute(
            "INSERT INTO incidents_fts_redacted(id, body) VALUES (?,?)",
            (inc.id, redacted_search_text(inc, cached_registry(self.registry_file))),
        )

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        """The open connection (opens on first use)."""
        if self._conn is None:
            self.open()
        assert self._conn is not None  # noqa: S101 - for the type checker
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction; a ``_tx`` inside another (same thread) joins the outer one."""
        with self._lock:
            conn = self.conn
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield conn
                finally:
                    self._tx_depth -= 1
                return
            conn.execute("BEGIN IMMEDIATE")
            self._tx_depth = 1
            try:
                yield conn
            except BaseException:
                self._tx_depth = 0
                conn.execute("ROLLBACK")
                raise
            self._tx_depth = 0
            conn.execute("COMMIT")

    def _docs(self, model: type[M], sql: str, args: Sequence[Any] = ()) -> list[M]:
        """The records kept whole in a ``doc`` column: the first column of each row ``sql`` selects."""
        with self._lock:
            rows = self.conn.execute(sql, args).fetchall()
        return [model.model_validate_json(r[0]) for r in rows]

    # -- audit -------------------------------------------------------------------------------
    def audit(self, event: AuditEvent) -> None:
        """Append an audit event."""
        doc = event.model_dump_json()
        with self._tx() as conn:
            prev, digest = next_link(conn, doc)
            conn.execute(
                "INSERT INTO audit(id, at, doc, prev_hash, hash) VALUES (?,?,?,?,?)",
                (event.id, iso(event.at), doc, prev, digest),
            )

    def verify_audit(self) -> AuditReport:
        """Check the audit log's hash chain, ``seq`` gaps and triggers (``pantau audit verify``)."""
        with self._lock:
            return verify_chain(self.conn)

    def audit_log(self, limit: int = 500) -> list[AuditEvent]:
        """The newest audit events."""
        return self._docs(AuditEvent, "SELECT doc FROM audit ORDER BY seq DESC LIMIT ?", (limit,))


