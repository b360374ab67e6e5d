"""The audit log as a hash chain (SQLite store): an edited, deleted or inserted row shows.

The ``audit`` table's triggers refuse UPDATE and DELETE, but whoever can write the file can drop
them. So each row also carries ``prev_hash`` (the ``hash`` of the row before it; 64 zeros for the
first) and ``hash = SHA-256(prev_hash + "\\n" + doc)``. :func:`verify_chain` walks the rows in
order and reports:

- a row whose content no longer gives its hash (edited);
- a row whose ``prev_hash`` is not the hash of the row before it (a row before it deleted,
  inserted or edited and re-hashed);
- a gap in ``seq`` (rows deleted), and rows missing at the end (``sqlite_sequence`` remembers
  the highest ``seq`` ever given);
- missing triggers (dropped; the store also records ``audit_guard_missing`` when it finds them
  gone at open, before it puts them back).

Someone who rewrites every row from the edit to the end, hashes included, and ``sqlite_sequence``
too, leaves a consistent chain: compare the head that ``pantau audit verify`` prints (last ``seq``
and hash) with one recorded earlier somewhere else (a daily report, a notary) to catch that.
Rows written before the chain existed (``hash`` empty) are counted, not checked.

**Retention** (``retention.audit_log_days``, :func:`prune_through`): the oldest rows may be cut in
one transaction that keeps the last cut row's ``seq`` and ``hash`` in ``audit_anchor`` and
appends an ``audit_pruned`` row naming that anchor. The chain then verifies from the anchor; an
anchor that no chained ``audit_pruned`` row names is reported (rows deleted and an anchor forged).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field

__all__ = [
    "GENESIS", "AuditReport", "add_chain_columns", "chain_hash", "next_link", "prune_through", "rows_before",
    "verify_chain",
]

GENESIS = "0" * 64
"""``prev_hash`` of the first chained row."""

TRIGGERS = ("audit_no_update", "audit_no_delete")
_NO_DELETE = ("CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
              "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


def chain_hash(prev_hash: str, doc: str) -> str:
    """The hash of one row: SHA-256 of the previous hash, a newline and the row's JSON.

    >>> chain_hash(GENESIS, "{}")[:16]
    '5649d09ed68c1715'
    """
    return hashlib.sha256(f"{prev_hash}\n{doc}".encode()).hexdigest()


def add_chain_columns(conn: sqlite3.Connection) -> None:
    """Give an older ``audit`` table its ``prev_hash`` and ``hash`` columns (no-op when present)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(audit)")}
    for name in ("prev_hash", "hash"):
        if name not in columns:
            conn.execute(f"ALTER TABLE audit ADD COLUMN {name} TEXT")


def missing_triggers(conn: sqlite3.Connection) -> list[str]:
    """The audit triggers not in the file."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    return [t for t in TRIGGERS if t not in present]


def next_link(conn: sqlite3.Connection, doc: str) -> tuple[str, str]:
    """``(prev_hash, hash)`` for a row appended now (call inside the inserting transaction)."""
    row = conn.execute("SELECT hash FROM audit WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    return prev, chain_hash(prev, doc)


@dataclass
class AuditReport:
    """What :func:`verify_chain` found; ``ok`` when ``problems`` is empty."""

    rows: int = 0
    chained: int = 0
    unchained: int = 0
    head_seq: int | None = None
    head_hash: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain holds from its first row to the last."""
        return not self.problems


def _anchor(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """``(seq, hash)`` of the last row cut by retention, or None."""
    try:
        row = conn.execute("SELECT seq, hash FROM audit_anchor WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # no table: never pruned
        return None
    return (int(row[0]), str(row[1])) if row else None


def rows_before(conn: sqlite3.Connection, cutoff_iso: str) -> list[int]:
    """``seq`` of the oldest rows written before ``cutoff_iso``: the leading run only (cut at one point)."""
    seqs: list[int] = []
    for seq, at in conn.execute("SELECT seq, at FROM audit ORDER BY seq"):
        if at >= cutoff_iso:
            break
        seqs.append(int(seq))
    return seqs


def prune_through(conn: sqlite3.Connection, last_seq: int) -> tuple[int, str]:
    """Cut the rows up to ``last_seq`` (inside the caller's transaction); return the anchor ``(seq, hash)``.

    The caller appends the ``audit_pruned`` row naming the anchor in the same transaction.
    """
    row = conn.execute("SELECT seq, hash FROM audit WHERE seq = ?", (last_seq,)).fetchone()
    if row is None or not row[1]:
        raise ValueError(f"audit row {last_seq} is missing or unchained: cannot cut the log there")
    conn.execute("CREATE TABLE IF NOT EXISTS audit_anchor (id INTEGER PRIMARY KEY CHECK (id = 1), "
                 "seq INTEGER NOT NULL, hash TEXT NOT NULL)")
    conn.execute("INSERT OR REPLACE INTO audit_anchor VALUES (1, ?, ?)", (row[0], row[1]))
    conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    conn.execute("DELETE FROM audit WHERE seq <= ?", (last_seq,))
    conn.execute(_NO_DELETE)
    return int(row[0]), str(row[1])


def verify_chain(conn: sqlite3.Connection, max_problems: int = 50) -> AuditReport:
    """Walk the audit table in ``seq`` order and report every break (see the module text)."""
    report = AuditReport()
    expected_prev: str | None = None
    last_seq: int | None = None
    anchor = _anchor(conn)
    named_anchor: tuple[int, str] | None = None
    if anchor is not None:
        last_seq, expected_prev = anchor

    def problem(text: str) -> None:
        if len(report.problems) < max_problems:
            report.problems.append(text)

    cursor = conn.execute("SELECT seq, doc, prev_hash, hash FROM audit ORDER BY seq")
    for seq, doc, prev, stored in cursor:
        report.rows += 1
        if last_seq is not None and seq != last_seq + 1:
            problem(f"rows {last_seq + 1}-{seq - 1} are missing (deleted)")
        last_seq = seq
        if stored is None:
            if expected_prev is not None:
                problem(f"row {seq} has no hash, after chained rows (inserted without the store?)")
            report.unchained += 1
            continue
        report.chained += 1
        if '"audit_pruned"' in doc:
            detail = json.loads(json.loads(doc).get("detail") or "{}")
            named_anchor = (detail.get("anchor_seq"), detail.get("anchor_hash"))
        if prev != (expected_prev or GENESIS):
            problem(f"row {seq}: its previous hash is not the hash of the row before it "
                    "(a row before it was deleted, inserted or edited and re-hashed)")
        if chain_hash(prev or "", doc) != stored:
            problem(f"row {seq}: its content does not give its hash (edited)")
        expected_prev = stored
        report.head_seq, report.head_hash = seq, stored
    try:
        highest = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
    except sqlite3.Error:
        highest = None
    if highest is not None and highest[0] > (last_seq or 0):
        problem(f"rows {(last_seq or 0) + 1}-{highest[0]} are missing at the end (deleted)")
    if anchor is not None and named_anchor != anchor:
        problem(f"the log starts after row {anchor[0]}, but no audit_pruned row names that cut "
                "(rows deleted and a checkpoint forged)")
    for name in missing_triggers(conn):
        problem(f"trigger {name} is missing (dropped): the table accepts edits and deletions")
    return report
