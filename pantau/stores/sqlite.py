"""The embedded store: one SQLite file in WAL mode, with FTS5 full-text search.

Incidents are kept as their JSON document plus the columns that filters and facets need;
the FTS5 table indexes the item's text, title, OCR and transcript. Every write is an upsert
keyed by a digest id, so replays and restarts after ``kill -9`` converge (WAL keeps the file
consistent; a batch is one transaction).

Example Snippet::

    with SQLiteStore(Path("pantau.db")) as store:
        store.upsert_incidents(incidents)
        hits = store.search(IncidentQuery(text="pilihan raya"), Scope.everything())
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pantau.errors import PantauError, StoreUnavailable
from pantau.schemas import Alert, DeadLetter, Incident, IncidentStatus, utcnow
from pantau.settings import DEFAULT_REGISTRY
from pantau.stores.audit_chain import (
    AuditReport,
    add_chain_columns,
    missing_triggers,
    next_link,
    verify_chain,
)
from pantau.stores.base import (
    STATUS_BY_ACTION,
    AlertState,
    AuditEvent,
    ClaimCheck,
    IncidentQuery,
    IncidentStore,
    ReviewAction,
    Scope,
    SearchResult,
)
from pantau.stores.text import Term, cached_registry, parse_query, redacted_search_text, search_text

_log = logging.getLogger(__name__)

__all__ = ["SQLiteStore", "StoreUnusable"]

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


_FACETS = ("family", "party", "platform", "severity", "status", "clause_id")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


_FTS_VERSION = 2
"""``PRAGMA user_version`` once both full-text tables hold :func:`search_text` (older files are rebuilt)."""


def _fts_query(text: str) -> tuple[str, str]:
    """Return safe FTS5 expressions ``(must match, must not match)`` of a query.

    The query language is :func:`pantau.stores.text.parse_query`'s. Every term is quoted (a phrase
    of word characters only), so no input is an FTS5 syntax error.
    """
    query = parse_query(text)

    def phrase(term: Term) -> str:  # the term's words in order: a word like rina@mail.example is three
        return '"' + " ".join(term.words()) + '"'

    must = " AND ".join("(" + " OR ".join(phrase(t) for t in group) + ")" for group in query.groups)
    return must, " OR ".join(phrase(t) for t in query.excluded)


def _fts_table(scope: Scope) -> str:
    """The full-text table a scope searches: the redacted text for journalists."""
    return "incidents_fts_redacted" if scope.redact else "incidents_fts"


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


class SQLiteStore(IncidentStore):
    """Incidents and everything about them in one SQLite file (WAL, FTS5)."""

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

    def commit_batch(
        self,
        incidents: Sequence[Incident],
        dead: Sequence[DeadLetter],
        alerts: Sequence[Alert],
        item_ids: Sequence[str],
        stage_seconds: dict[str, float] | None = None,
    ) -> tuple[int, list[Alert]]:
        """Incidents, dead letters, alerts (the outbox) and processed marks in one transaction."""
        with self._tx():
            return super().commit_batch(incidents, dead, alerts, item_ids, stage_seconds)

    # -- incidents ---------------------------------------------------------------------------
    def upsert_incidents(self, incidents: Sequence[Incident]) -> int:
        """Write incidents; existing ids keep their status and creation time."""
        new = 0
        with self._tx() as conn:
            for inc in incidents:
                row = conn.execute(
                    "SELECT status, created_at FROM incidents WHERE id=?", (inc.id,)
                ).fetchone()
                if row is not None:
                    inc = inc.model_copy(
                        update={
                            "status": IncidentStatus(row[0]),
                            "created_at": datetime.fromisoformat(row[1]),
                        }
                    )
                    conn.execute("DELETE FROM incidents_fts WHERE id=?", (inc.id,))
                    conn.execute("DELETE FROM incidents_fts_redacted WHERE id=?", (inc.id,))
                else:
                    new += 1
                conn.execute(
                    "INSERT OR REPLACE INTO incidents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        inc.id, inc.item.id, inc.family.value, inc.party, inc.item.platform,
                        inc.breach.severity.value, inc.breach.severity.rank, inc.status.value,
                        inc.breach.clause_id, inc.breach.code_id, inc.item.account,
                        _iso(inc.item.published_at), _iso(inc.created_at), _iso(utcnow()),
                        inc.model_dump_json(),
                    ),
                )
                self._index_text(conn, inc)
        return new

    def _where(self, query: IncidentQuery, scope: Scope) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []

        def among(column: str, values: Sequence[str] | frozenset[str] | None) -> None:
            if values is None:
                return
            values = list(values)
            if not values:
                clauses.append("0")
                return
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(values)

        among("party", scope.parties)
        among("status", [s.value for s in scope.statuses] if scope.statuses is not None else None)
        for column, values in (
            ("family", query.families), ("party", query.parties), ("platform", query.platforms),
            ("severity", query.severities), ("status", query.statuses), ("clause_id", query.clause_ids),
        ):
            if values:
                among(column, values)
        # Publication times keep the feed's offset (+08:00): compare them as instants (julianday).
        when = "julianday(COALESCE(published_at, created_at))" if query.dates == "published" else "created_at"
        bound = "julianday(?)" if query.dates == "published" else "?"
        if query.since:
            clauses.append(f"{when} >= {bound}")
            args.append(_iso(query.since))
        if query.until:
            clauses.append(f"{when} < {bound}")
            args.append(_iso(query.until))
        must, must_not = _fts_query(query.text)
        table = _fts_table(scope)
        if query.text.strip() and not (must or must_not):
            clauses.append("0")
        if must:
            clauses.append(f"id IN (SELECT id FROM {table} WHERE {table} MATCH ?)")  # noqa: S608 - fixed name
            args.append(must)
        if must_not:
            clauses.append(f"id NOT IN (SELECT id FROM {table} WHERE {table} MATCH ?)")  # noqa: S608
            args.append(must_not)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def get_incident(self, incident_id: str, scope: Scope) -> Incident | None:
        """Return one incident if the scope allows it."""
        with self._lock:
            row = self.conn.execute("SELECT doc, status FROM incidents WHERE id=?", (incident_id,)).fetchone()
        if row is None:
            return None
        inc = Incident.model_validate_json(row[0]).model_copy(update={"status": IncidentStatus(row[1])})
        return inc if scope.allows(inc) else None

    def search(self, query: IncidentQuery, scope: Scope) -> SearchResult:
        """Search incidents inside the scope, with facet counts and highlighted snippets."""
        where, args = self._where(query, scope)
        order = {
            "newest": "created_at DESC, id",
            "oldest": "created_at ASC, id",
            "severity": "severity_rank DESC, created_at DESC, id",
        }[query.sort]
        with self._lock:
            conn = self.conn
            total = conn.execute(f"SELECT count(*) FROM incidents{where}", args).fetchone()[0]  # noqa: S608
            rows = conn.execute(
                f"SELECT doc, status FROM incidents{where} ORDER BY {order} LIMIT ? OFFSET ?",  # noqa: S608
                [*args, query.limit, query.offset],
            ).fetchall()
            facets: dict[str, dict[str, int]] = {}
            for column in _FACETS:
                counts = conn.execute(
                    f"SELECT coalesce({column}, ''), count(*) FROM incidents{where} "  # noqa: S608
                    f"GROUP BY 1 ORDER BY 2 DESC LIMIT 50",
                    args,
                ).fetchall()
                facets[column] = {k: v for k, v in counts}
            incidents = [
                Incident.model_validate_json(d).model_copy(update={"status": IncidentStatus(s)})
                for d, s in rows
            ]
            highlights: dict[str, str] = {}
            must, _ = _fts_query(query.text)
            table = _fts_table(scope)
            if must and incidents:
                ids = [i.id for i in incidents]
                for inc_id, snip in conn.execute(
                    f"SELECT id, snippet({table}, 1, '<mark>', '</mark>', ' … ', 24) "  # noqa: S608
                    f"FROM {table} "
                    f"WHERE {table} MATCH ? AND id IN ({','.join('?' * len(ids))})",
                    [must, *ids],
                ):
                    highlights[inc_id] = snip
        return SearchResult(total=total, incidents=incidents, facets=facets, highlights=highlights)

    def record_action(self, action: ReviewAction) -> Incident | None:
        """Record an action; confirm/dismiss/escalate/reopen change the status."""
        with self._tx() as conn:
            row = conn.execute("SELECT doc FROM incidents WHERE id=?", (action.incident_id,)).fetchone()
            if row is None:
                return None
            conn.execute(
                "INSERT OR IGNORE INTO actions VALUES (?,?,?,?)",
                (action.id, action.incident_id, _iso(action.at), action.model_dump_json()),
            )
            status = STATUS_BY_ACTION.get(action.action)
            if status is not None:
                conn.execute(
                    "UPDATE incidents SET status=?, updated_at=? WHERE id=?",
                    (status.value, _iso(utcnow()), action.incident_id),
                )
        return self.get_incident(action.incident_id, Scope.everything())

    def actions(self, incident_id: str) -> list[ReviewAction]:
        """History of an incident, oldest first."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT doc FROM actions WHERE incident_id=? ORDER BY at", (incident_id,)
            ).fetchall()
        return [ReviewAction.model_validate_json(r[0]) for r in rows]

    # -- processed items ---------------------------------------------------------------------
    def mark_processed(self, item_ids: Sequence[str], stage_seconds: dict[str, float] | None = None) -> None:
        """Record items as done (with the batch's per-stage seconds per item)."""
        now = _iso(utcnow())
        timings = json.dumps(stage_seconds or {})
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO processed VALUES (?,?,?)", [(i, now, timings) for i in item_ids]
            )

    def processed(self, item_ids: Sequence[str]) -> set[str]:
        """Which of these items were already processed."""
        found: set[str] = set()
        ids = list(item_ids)
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows = self.conn.execute(
                    f"SELECT item_id FROM processed WHERE item_id IN ({','.join('?' * len(chunk))})",  # noqa: S608
                    chunk,
                ).fetchall()
                found.update(r[0] for r in rows)
        return found

    def stats(self) -> dict[str, Any]:
        """Pipeline health: counts, items in the last minute and hour, mean stage seconds."""
        now = utcnow()
        with self._lock:
            conn = self.conn
            items = conn.execute("SELECT count(*) FROM processed").fetchone()[0]
            last_min = conn.execute(
                "SELECT count(*) FROM processed WHERE at >= ?", (_iso(now - timedelta(minutes=1)),)
            ).fetchone()[0]
            last_hour = conn.execute(
                "SELECT count(*) FROM processed WHERE at >= ?", (_iso(now - timedelta(hours=1)),)
            ).fetchone()[0]
            incidents = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
            dead = conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
            alerts = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
            timing_rows = conn.execute(
                "SELECT timings FROM processed ORDER BY at DESC LIMIT 1000"
            ).fetchall()
        sums: dict[str, float] = {}
        counts: dict[str, int] = {}
        for (raw,) in timing_rows:
            for stage, secs in json.loads(raw or "{}").items():
                sums[stage] = sums.get(stage, 0.0) + float(secs)
                counts[stage] = counts.get(stage, 0) + 1
        return {
            "items": items,
            "items_last_minute": last_min,
            "items_last_hour": last_hour,
            "incidents": incidents,
            "dead_letters": dead,
            "alerts": alerts,
            "stage_seconds_per_item": {k: sums[k] / counts[k] for k in sums},
        }

    # -- dead letters ------------------------------------------------------------------------
    def add_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Keep dead letters, once per id."""
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO dead_letters VALUES (?,?,?,?)",
                [(d.id, d.stage, _iso(d.created_at), d.model_dump_json()) for d in letters],
            )

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The newest dead letters."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT doc FROM dead_letters ORDER BY created_at DESC LIMIT ?", (limit,)
            ).fetchall()
        return [DeadLetter.model_validate_json(r[0]) for r in rows]

    def count_dead_letters(self) -> int:
        """How many dead letters are kept."""
        with self._lock:
            return int(self.conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0])

    # -- alerts ------------------------------------------------------------------------------
    def add_alerts(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Keep alerts; return those that were not already kept."""
        fresh: list[Alert] = []
        with self._tx() as conn:
            for alert in alerts:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO alerts(id, incident_id, party, recipient, created_at, doc) "
                    "VALUES (?,?,?,?,?,?)",
                    (alert.id, alert.incident_id, alert.party, alert.recipient, _iso(alert.created_at),
                     alert.model_dump_json()),
                )
                if cur.rowcount:
                    fresh.append(alert)
        return fresh

    def mark_alert(self, alert_id: str, *, delivered: bool | None = None, error: str | None = None,
                   acknowledged: bool = False, responded: bool = False) -> None:
        """Update delivery or answer state of an alert."""
        now = _iso(utcnow())
        with self._tx() as conn:
            if delivered is True:
                conn.execute(
                    "UPDATE alerts SET delivered_at=?, delivery_error=NULL WHERE id=?", (now, alert_id)
                )
            elif delivered is False:
                conn.execute("UPDATE alerts SET delivery_error=? WHERE id=?", (error or "failed", alert_id))
            if acknowledged:
                conn.execute(
                    "UPDATE alerts SET acknowledged_at=coalesce(acknowledged_at, ?) WHERE id=?",
                    (now, alert_id),
                )
            if responded:
                conn.execute(
                    "UPDATE alerts SET responded_at=coalesce(responded_at, ?) WHERE id=?", (now, alert_id)
                )

    def pending_alerts(self, limit: int = 100) -> list[Alert]:
        """Kept alerts not yet delivered, oldest first."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT doc FROM alerts WHERE delivered_at IS NULL ORDER BY created_at, id LIMIT ?", (limit,)
            ).fetchall()
        return [Alert.model_validate_json(r[0]) for r in rows]

    def alerts(self, scope: Scope, limit: int = 200) -> list[AlertState]:
        """Alerts inside the scope (by party), newest first."""
        sql = "SELECT doc, delivered_at, delivery_error, acknowledged_at, responded_at FROM alerts"
        args: list[Any] = []
        if scope.parties is not None:
            parties = list(scope.parties)
            if not parties:
                return []
            sql += f" WHERE party IN ({','.join('?' * len(parties))})"
            args += parties
        sql += " ORDER BY created_at DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self.conn.execute(sql, args).fetchall()

        def dt(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return [
            AlertState(alert=Alert.model_validate_json(doc), delivered_at=dt(d), delivery_error=e,
                       acknowledged_at=dt(a), responded_at=dt(r))
            for doc, d, e, a, r in rows
        ]

    # -- fact-check queue --------------------------------------------------------------------
    def add_claim_checks(self, checks: Sequence[ClaimCheck]) -> int:
        """Queue entries; an id already kept stays as it is."""
        new = 0
        with self._tx() as conn:
            for check in checks:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO claim_checks VALUES (?,?,?,?,?,?,?)",
                    (check.id, check.item_id, check.party, check.status, check.checkworthy,
                     _iso(check.created_at), check.model_dump_json()),
                )
                new += cur.rowcount
        return new

    def claim_checks(
        self, scope: Scope, status: str | None = "waiting", limit: int = 200
    ) -> list[ClaimCheck]:
        """Entries in a status, most check-worthy first (oldest first among equals)."""
        if not scope.claim_checks:
            return []
        sql, args = "SELECT doc FROM claim_checks", []
        if status is not None:
            sql += " WHERE status=?"
            args.append(status)
        with self._lock:
            rows = self.conn.execute(
                sql + " ORDER BY checkworthy DESC, created_at, id LIMIT ?", [*args, limit]
            ).fetchall()
        return [ClaimCheck.model_validate_json(r[0]) for r in rows]

    def get_claim_check(self, check_id: str, scope: Scope) -> ClaimCheck | None:
        """One entry of the queue, if the scope shows the queue."""
        if not scope.claim_checks:
            return None
        with self._lock:
            row = self.conn.execute("SELECT doc FROM claim_checks WHERE id=?", (check_id,)).fetchone()
        return ClaimCheck.model_validate_json(row[0]) if row else None

    def decide_claim_check(self, decided: ClaimCheck) -> bool:
        """Replace the entry if it is still waiting."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE claim_checks SET status=?, doc=? WHERE id=? AND status='waiting'",
                (decided.status, decided.model_dump_json(), decided.id),
            )
            return cur.rowcount == 1

    # -- audit -------------------------------------------------------------------------------
    def audit(self, event: AuditEvent) -> None:
        """Append an audit event."""
        doc = event.model_dump_json()
        with self._tx() as conn:
            prev, digest = next_link(conn, doc)
            conn.execute(
                "INSERT INTO audit(id, at, doc, prev_hash, hash) VALUES (?,?,?,?,?)",
                (event.id, _iso(event.at), doc, prev, digest),
            )

    def verify_audit(self) -> AuditReport:
        """Check the audit log's hash chain, ``seq`` gaps and triggers (``pantau audit verify``)."""
        with self._lock:
            return verify_chain(self.conn)

    def audit_log(self, limit: int = 500) -> list[AuditEvent]:
        """The newest audit events."""
        with self._lock:
            rows = self.conn.execute("SELECT doc FROM audit ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
        return [AuditEvent.model_validate_json(r[0]) for r in rows]

