"""The SQLite store's side records: dead letters, alerts (the outbox) and the fact-check queue.

Each is a table keyed by the record's digest id, with the whole record as JSON (``doc``) beside
the columns that filters and sorts read; ``INSERT OR IGNORE`` keeps what was kept first, so a
replay adds nothing. :class:`~pantau.stores.sqlite.SQLiteStore` adds the incidents.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pantau.schemas import Alert, DeadLetter, utcnow
from pantau.stores.base import AlertState, ClaimCheck, Scope
from pantau.stores.sqlite_file import SQLiteFile, iso

__all__ = ["SQLiteRecords"]


class SQLiteRecords(SQLiteFile):
    """Dead letters, alerts and the fact-check queue in their tables."""

    # -- dead letters ------------------------------------------------------------------------
    def add_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Keep dead letters, once per id."""
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO dead_letters VALUES (?,?,?,?)",
                [(d.id, d.stage, iso(d.created_at), d.model_dump_json()) for d in letters],
            )

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The newest dead letters."""
        sql = "SELECT doc FROM dead_letters ORDER BY created_at DESC LIMIT ?"
        return self._docs(DeadLetter, sql, (limit,))

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
                    (alert.id, alert.incident_id, alert.party, alert.recipient, iso(alert.created_at),
                     alert.model_dump_json()),
                )
                if cur.rowcount:
                    fresh.append(alert)
        return fresh

    def mark_alert(self, alert_id: str, *, delivered: bool | None = None, error: str | None = None,
                   acknowledged: bool = False, responded: bool = False) -> None:
        """Update delivery or answer state of an alert."""
        now = iso(utcnow())
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
        sql = "SELECT doc FROM alerts WHERE delivered_at IS NULL ORDER BY created_at, id LIMIT ?"
        return self._docs(Alert, sql, (limit,))

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
                     iso(check.created_at), check.model_dump_json()),
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
        sql += " ORDER BY checkworthy DESC, created_at, id LIMIT ?"
        return self._docs(ClaimCheck, sql, [*args, limit])

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
