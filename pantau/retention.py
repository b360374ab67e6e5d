"""Retention: how long each kind of data is kept, and the purge that applies it (``pantau retention``).

The policy is ``settings.retention`` (days per kind, ``None`` keeps a kind for good). Kinds:

============== ==================================================================================
kind           what goes once older than its days
============== ==================================================================================
incidents      closed incidents (confirmed, dismissed, upheld, overturned) by last change, with
               their review history, alerts, search rows and answer attachments; open ones
               (new, escalated, appealed) are never purged
intimate_images files that a kept incident marks intimate, counted from detection (plain or
               sealed); the SHA-256 and perceptual hash stay in the incident as evidence
raw_media      files in the media folder, its keyframes and tip uploads that no kept incident
               refers to, by file age
post_text      copies of posts outside incidents: dead letters (their payload is the post as
               received) and the local alert outbox files
personal_data  reporters' contact details left with tips (``tipline/contacts.sqlite``)
audit_log      audit rows, cut at a checkpoint (:func:`pantau.stores.audit_chain.prune_before`)
============== ==================================================================================

:func:`plan` lists what would go (``--dry-run``); :func:`apply` removes it and appends one
**tombstone** per kind to the audit log (event ``retention_purge``: the rule, who ran it, how
many, the ids or hashes, and a digest of the full id list), in the same SQLite transaction as the
rows it deletes. Nothing is deleted silently, and ``pantau audit verify`` still passes.

Store-backed kinds need the SQLite store; with a search engine they are reported as skipped
(delete by query or index lifecycle there, see docs/protection.md). File kinds work with any store.

Example Snippet::

    with by_url(settings.store_url, settings) as store:
        todo = plan(settings, store)            # what would go, by kind
        apply(todo, settings, store, actor="ops")
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pantau.access import intimate_media
from pantau.schemas import Incident, IncidentStatus, utcnow
from pantau.stores.base import AuditEvent, IncidentStore, ReviewAction

if TYPE_CHECKING:
    from pantau.settings import Settings
    from pantau.stores.sqlite import SQLiteStore

__all__ = ["CLOSED", "KINDS", "Purge", "RetentionPlan", "apply", "default_actor", "plan", "tombstone"]

KINDS = ("incidents", "intimate_images", "raw_media", "post_text", "personal_data", "audit_log")
"""The kinds of data a retention rule names, in the order a purge handles them."""

CLOSED = frozenset({IncidentStatus.CONFIRMED, IncidentStatus.DISMISSED, IncidentStatus.UPHELD,
                    IncidentStatus.OVERTURNED})
"""Incident statuses retention may purge; new, escalated and appealed incidents are still in hand."""

MAX_IDS_IN_TOMBSTONE = 500


@dataclass
class Purge:
    """What one rule removes: ids (incident ids, SHA-256, file names, ack ids, audit seqs) and files."""

    kind: str
    rule: str
    cutoff: datetime | None
    ids: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    skipped: str = ""

    @property
    def count(self) -> int:
        """How many records or files go."""
        return len(self.ids)


@dataclass
class RetentionPlan:
    """The purges of one run, one per kind, computed at ``now``."""

    now: datetime
    purges: list[Purge]

    def by_kind(self) -> dict[str, Purge]:
        """The purges by kind."""
        return {p.kind: p for p in self.purges}


def _cutoff(now: datetime, days: int | None) -> datetime | None:
    return None if days is None else now - timedelta(days=days)


def _sqlite(store: IncidentStore) -> SQLiteStore | None:
    from pantau.stores.sqlite import SQLiteStore

    return store if isinstance(store, SQLiteStore) else None


def _incidents(store: SQLiteStore) -> Iterator[tuple[Incident, str]]:
    """Every stored incident (status and detection time as stored) with its last change (``updated_at``)."""
    rows = store.conn.execute(
        "SELECT doc, status, created_at, updated_at FROM incidents ORDER BY id"
    ).fetchall()
    for doc, status, created, updated in rows:
        inc = Incident.model_validate_json(doc).model_copy(
            update={"status": IncidentStatus(status), "created_at": datetime.fromisoformat(created)})
        yield inc, updated


def _media_files(settings: Settings) -> Iterator[Path]:
    """Every file of the media folder (keyframes included) and of the tip uploads."""
    for folder in (settings.media_dir, settings.data_dir / "tipline" / "files"):
        if folder.is_dir():
            yield from (p for p in folder.rglob("*") if p.is_file())


def _sha_of(path: Path) -> str:
    name = path.name[:-4] if path.name.endswith(".enc") else path.name
    return name


def _derived_sha(path: Path, media_dir: Path) -> str | None:
    """The SHA-256 of the media a keyframe file belongs to (``media/derived/ab/<sha>/...``)."""
    try:
        rel = path.relative_to(media_dir / "derived")
    except ValueError:
        return None
    return rel.parts[1] if len(rel.parts) > 2 else None


def _old(path: Path, cutoff: datetime) -> bool:
    try:
        return path.stat().st_mtime < cutoff.timestamp()
    except OSError:
        return False


def _content_files(settings: Settings, sha: str) -> list[Path]:
    from pantau.content import content_path

    plain = content_path(settings.media_dir, sha)
    found = [p for p in (plain, plain.with_name(plain.name + ".enc")) if p.is_file()]
    derived = settings.media_dir / "derived" / sha[:2] / sha
    if derived.is_dir():
        found += sorted(p for p in derived.rglob("*") if p.is_file())
    return found


def plan(settings: Settings, store: IncidentStore, now: datetime | None = None) -> RetentionPlan:
    """What the policy removes now, by kind (nothing is changed)."""
    now = now or utcnow()
    policy = settings.retention
    sql = _sqlite(store)
    purges: list[Purge] = []
    engine_note = (f"{type(store).__name__} is not supported for this kind yet "
                   "(SQLite only; docs/protection.md)")

    # incidents ---------------------------------------------------------------------------------------
    cut = _cutoff(now, policy.incidents_days)
    gone: set[str] = set()
    inc_purge = Purge("incidents", f"incidents_days={policy.incidents_days}", cut)
    kept: list[Incident] = []
    if sql is None:
        inc_purge.skipped = engine_note
    else:
        for inc, updated in _incidents(sql):
            if cut is not None and inc.status in CLOSED and datetime.fromisoformat(updated) < cut:
                inc_purge.ids.append(inc.id)
                gone.add(inc.id)
            else:
                kept.append(inc)
        inc_purge.files = _orphan_attachments(sql, settings, gone) if gone else []
    purges.append(inc_purge)

    # intimate images ---------------------------------------------------------------------------------
    cut = _cutoff(now, policy.intimate_images_days)
    intimate = Purge("intimate_images", f"intimate_images_days={policy.intimate_images_days}", cut)
    if sql is None:
        intimate.skipped = engine_note
    elif cut is not None:
        shas = sorted({s for inc in kept if inc.created_at < cut
                       for s in intimate_media(inc) if len(s) == 64})
        for sha in shas:
            files = _content_files(settings, sha)
            if files:
                intimate.ids.append(sha)
                intimate.files += files
    purges.append(intimate)

    # raw media ---------------------------------------------------------------------------------------
    cut = _cutoff(now, policy.raw_media_days)
    raw = Purge("raw_media", f"raw_media_days={policy.raw_media_days}", cut)
    if cut is not None:
        if sql is None:
            raw.skipped = "which files incidents refer to is read from the SQLite store; " + engine_note
        else:
            referenced = {m.sha256 for inc in kept for m in inc.item.media if m.sha256}
            referenced_paths = {str(Path(m.path).resolve()) for inc in kept for m in inc.item.media if m.path}
            already = set(intimate.files)
            for path in _media_files(settings):
                if path in already or not _old(path, cut):
                    continue
                sha = _derived_sha(path, settings.media_dir) or _sha_of(path)
                if sha in referenced or str(path.resolve()) in referenced_paths:
                    continue
                raw.ids.append(str(path.relative_to(settings.data_dir)))
                raw.files.append(path)
    purges.append(raw)

    # post text: dead letters and outbox files --------------------------------------------------------
    cut = _cutoff(now, policy.post_text_days)
    post = Purge("post_text", f"post_text_days={policy.post_text_days}", cut)
    if cut is not None:
        if sql is None:
            post.skipped = "dead letters: " + engine_note
        else:
            rows = sql.conn.execute(
                "SELECT id FROM dead_letters WHERE created_at < ? ORDER BY id", (cut.isoformat(),)
            ).fetchall()
            post.ids += [f"dead_letter:{r[0]}" for r in rows]
        if settings.outbox_dir.is_dir():
            for path in sorted(settings.outbox_dir.glob("*.json")):
                if _old(path, cut):
                    post.ids.append(f"outbox:{path.stem}")
                    post.files.append(path)
    purges.append(post)

    # personal data: tip contacts ---------------------------------------------------------------------
    cut = _cutoff(now, policy.personal_data_days)
    personal = Purge("personal_data", f"personal_data_days={policy.personal_data_days}", cut)
    contacts = _contacts_file(settings)
    if cut is not None and contacts.is_file():
        with _contacts(contacts) as conn:
            rows = conn.execute(
                "SELECT ack_id FROM contacts WHERE received_at < ? ORDER BY ack_id", (cut.isoformat(),)
            ).fetchall()
        personal.ids += [r[0] for r in rows]
    purges.append(personal)

    # audit log ---------------------------------------------------------------------------------------
    cut = _cutoff(now, policy.audit_log_days)
    audit = Purge("audit_log", f"audit_log_days={policy.audit_log_days}", cut)
    if cut is not None:
        if sql is None:
            audit.skipped = engine_note
        else:
            from pantau.stores.audit_chain import rows_before

            audit.ids += [str(seq) for seq in rows_before(sql.conn, cut.isoformat())]
    purges.append(audit)
    return RetentionPlan(now, purges)


def _orphan_attachments(store: SQLiteStore, settings: Settings, gone: set[str]) -> list[Path]:
    """Answer attachments of the purged incidents that no kept incident's history refers to."""
    mine: set[str] = set()
    others: set[str] = set()
    for incident_id, doc in store.conn.execute("SELECT incident_id, doc FROM actions").fetchall():
        shas = {a.sha256 for a in ReviewAction.model_validate_json(doc).attachments}
        (mine if incident_id in gone else others).update(shas)
    folder = settings.data_dir / "attachments"
    return [folder / sha for sha in sorted(mine - others) if (folder / sha).is_file()]


def _contacts_file(settings: Settings) -> Path:
    return settings.data_dir / "tipline" / "contacts.sqlite"


class _contacts:  # noqa: N801 - a small context manager
    """The tipline's contacts file, opened for one purge (closed after)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, timeout=30)

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def tombstone(kind: str, rule: str, ids: Iterable[str], actor: str, role: str = "operator",
              event: str = "retention_purge", **extra: Any) -> AuditEvent:
    """The audit event recording a purge: rule, count, ids (first :data:`MAX_IDS_IN_TOMBSTONE`) and
    the SHA-256 of the full sorted id list (so a longer list kept elsewhere can be checked against it)."""
    ids = sorted(ids)
    detail = {
        "rule": rule,
        "count": len(ids),
        "ids": ids[:MAX_IDS_IN_TOMBSTONE],
        "ids_sha256": hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest(),
        **extra,
    }
    return AuditEvent(actor=actor, role=role, event=event, target=kind,
                      detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True))


def _unlink(paths: Iterable[Path]) -> list[Path]:
    done: list[Path] = []
    for path in paths:
        try:
            path.unlink()
            done.append(path)
        except FileNotFoundError:
            continue
    return done


def _delete_incidents(conn: sqlite3.Connection, ids: list[str]) -> None:
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for table, column in (("incidents", "id"), ("incidents_fts", "id"), ("incidents_fts_redacted", "id"),
                              ("actions", "incident_id"), ("alerts", "incident_id")):
            conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)  # noqa: S608 - fixed names


def apply(todo: RetentionPlan, settings: Settings, store: IncidentStore, actor: str) -> RetentionPlan:
    """Carry out a plan: delete, and append one tombstone per kind that removed anything.

    Store rows and their tombstone go in one transaction (both or neither); files are removed
    first and the tombstone names the ones that were there.
    """
    sql = _sqlite(store)
    for purge in todo.purges:
        if purge.skipped or not purge.ids:
            continue
        extra = {"cutoff": purge.cutoff.isoformat() if purge.cutoff else None, "run_at": todo.now.isoformat()}
        if purge.kind == "incidents" and sql is not None:
            with sql._tx() as conn:  # noqa: SLF001 - rows and tombstone in one transaction
                _delete_incidents(conn, purge.ids)
                store.audit(tombstone(purge.kind, purge.rule, purge.ids, actor, **extra,
                                      attachments=[p.name for p in purge.files]))
            _unlink(purge.files)
        elif purge.kind == "post_text" and sql is not None:
            _unlink(purge.files)
            letters = [i.split(":", 1)[1] for i in purge.ids if i.startswith("dead_letter:")]
            with sql._tx() as conn:  # noqa: SLF001
                for start in range(0, len(letters), 500):
                    chunk = letters[start:start + 500]
                    conn.execute(f"DELETE FROM dead_letters WHERE id IN ({','.join('?' * len(chunk))})",  # noqa: S608
                                 chunk)
                store.audit(tombstone(purge.kind, purge.rule, purge.ids, actor, **extra))
        elif purge.kind == "personal_data":
            with _contacts(_contacts_file(settings)) as conn:
                for start in range(0, len(purge.ids), 500):
                    chunk = purge.ids[start:start + 500]
                    marks = ",".join("?" * len(chunk))
                    conn.execute(f"DELETE FROM contacts WHERE ack_id IN ({marks})", chunk)  # noqa: S608
                    conn.execute(f"DELETE FROM delivered WHERE ack_id IN ({marks})", chunk)  # noqa: S608
                conn.commit()
            store.audit(tombstone(purge.kind, purge.rule, purge.ids, actor, **extra))
        elif purge.kind == "audit_log" and sql is not None:
            from pantau.stores.audit_chain import prune_through

            last = max(int(i) for i in purge.ids)
            with sql._tx() as conn:  # noqa: SLF001
                anchor = prune_through(conn, last)
                store.audit(tombstone(purge.kind, purge.rule, [], actor, event="audit_pruned", **extra,
                                      first_seq=min(int(i) for i in purge.ids), anchor_seq=anchor[0],
                                      anchor_hash=anchor[1], rows=len(purge.ids)))
        else:  # file kinds: intimate images, raw media
            removed = _unlink(purge.files)
            store.audit(tombstone(purge.kind, purge.rule, purge.ids, actor, **extra, files=len(removed)))
    return todo


def default_actor() -> str:
    """Who runs a purge when no ``--actor`` is given: the system user (a scheduled run)."""
    import getpass

    try:
        return f"system:{getpass.getuser()}"
    except (KeyError, OSError):
        return "system"

