"""The embedded store: one SQLite file in WAL mode, with FTS5 full-text search.

Incidents are kept as their JSON document plus the columns that filters and facets need;
the FTS5 table indexes the item's text, title, OCR and transcript. Every write is an upsert
keyed by a digest id, so replays and restarts after ``kill -9`` converge (WAL keeps the file
consistent; a batch is one transaction).

Example Snippet::

    with SQLiteStore(Path("pantau.db")) as store:
        store.upsert_incidents(incidents)
        hits = store.search(IncidentQuery(text="pilihan raya"), Scope.everything())

The file itself (schema, opening checks, transactions, the audit log) is
:mod:`pantau.stores.sqlite_file`; dead letters, alerts and the fact-check queue are
:mod:`pantau.stores.sqlite_records`; here are the incidents, their review history and the
processed items.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from pantau.schemas import Incident, IncidentStatus, utcnow
from pantau.stores.base import (
    STATUS_BY_ACTION,
    IncidentQuery,
    IncidentStore,
    ReviewAction,
    Scope,
    SearchResult,
    mean_stage_seconds,
)
from pantau.stores.sqlite_file import iso
from pantau.stores.sqlite_records import SQLiteRecords
from pantau.stores.text import Term, parse_query

__all__ = ["SQLiteStore"]


_FACETS = ("family", "party", "platform", "severity", "status", "clause_id")


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


class SQLiteStore(SQLiteRecords, IncidentStore):
    """Incidents and everything about them in one SQLite file (WAL, FTS5).

    Takes :class:`~pantau.stores.sqlite_file.SQLiteFile`'s arguments: the file's path and the
    registry file (whose private persons a journalist's search cannot find).
    """

    def _batch(self) -> AbstractContextManager[Any]:
        """Incidents, dead letters, alerts (the outbox) and processed marks in one transaction."""
        return self._tx()

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
                        iso(inc.item.published_at), iso(inc.created_at), iso(utcnow()),
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
            args.append(iso(query.since))
        if query.until:
            clauses.append(f"{when} < {bound}")
            args.append(iso(query.until))
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
                (action.id, action.incident_id, iso(action.at), action.model_dump_json()),
            )
            status = STATUS_BY_ACTION.get(action.action)
            if status is not None:
                conn.execute(
                    "UPDATE incidents SET status=?, updated_at=? WHERE id=?",
                    (status.value, iso(utcnow()), action.incident_id),
                )
        return self.get_incident(action.incident_id, Scope.everything())

    def actions(self, incident_id: str) -> list[ReviewAction]:
        """History of an incident, oldest first."""
        sql = "SELECT doc FROM actions WHERE incident_id=? ORDER BY at"
        return self._docs(ReviewAction, sql, (incident_id,))

    # -- processed items ---------------------------------------------------------------------
    def mark_processed(self, item_ids: Sequence[str], stage_seconds: dict[str, float] | None = None) -> None:
        """Record items as done (with the batch's per-stage seconds per item)."""
        now = iso(utcnow())
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
                "SELECT count(*) FROM processed WHERE at >= ?", (iso(now - timedelta(minutes=1)),)
            ).fetchone()[0]
            last_hour = conn.execute(
                "SELECT count(*) FROM processed WHERE at >= ?", (iso(now - timedelta(hours=1)),)
            ).fetchone()[0]
            incidents = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
            dead = conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
            alerts = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
            timing_rows = conn.execute(
                "SELECT timings FROM processed ORDER BY at DESC LIMIT 1000"
            ).fetchall()
        return {
            "items": items,
            "items_last_minute": last_min,
            "items_last_hour": last_hour,
            "incidents": incidents,
            "dead_letters": dead,
            "alerts": alerts,
            "stage_seconds_per_item": mean_stage_seconds(json.loads(raw or "{}") for (raw,) in timing_rows),
        }
