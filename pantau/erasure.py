"""Erasure of one person's data on request (``pantau erase``), with a tombstone in the audit log.

A person is named by a name (or a registry person id: their name and variants, their accounts'
handles), by handles (``@rina_k``), and by the acknowledgement ids of tips they sent. Then:

- **incidents** that mention them (name or handle in the post, OCR, transcripts, evidence,
  ``private_names``, mentions, reply-to; their face matched; their registry id in ``targets``)
  are kept, since the breach stays on record, but rewritten with their name, handles and the
  personal-data patterns of :func:`pantau.access.redact_text` replaced by ``[redacted]``, their
  face unnamed, their id out of ``targets``; the search index is rewritten with them;
- **media** of those incidents that depict them (face matched) or are sensitive (intimate
  candidates, doxxing evidence) are deleted, plain or sealed, keyframes included; the SHA-256
  stays in the incident as evidence that the file existed;
- review comments, alert bodies and outbox copies of those incidents are redacted or removed;
  dead letters whose payload mentions them are deleted; the contacts left with their tips go;
- one ``erasure`` event is appended to the audit log: who, when, why, what was changed (ids and
  counts), and the person only as a digest of the request's keys (``person_ref``), never the
  name. Audit rows that mention them stay: the log is append-only and hash-chained, so they are
  counted in the report instead (they are the commission's own record, seen by it only).

Incidents **posted by** the person (their handle is the poster) are not rewritten: they are the
conduct monitored; the report lists them for a decision by hand.

Example Snippet::

    report = erase(settings, store, ErasureRequest(names=["Rina Kusuma"], handles=["@rina_k"]),
                   actor="dpo@commission", reason="request 2026-114", dry_run=True)
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pantau.access import REDACTED, redact_text
from pantau.crypto_at_rest import sensitive_media
from pantau.schemas import Incident
from pantau.stores.base import AuditEvent, IncidentQuery, IncidentStore, ReviewAction, Scope

if TYPE_CHECKING:
    from pantau.registry import Registry
    from pantau.settings import Settings

__all__ = ["ErasureReport", "ErasureRequest", "all_incidents", "erase", "redact_incident_for"]


@dataclass
class ErasureRequest:
    """Who is to be erased: names, handles, a registry person id, tip acknowledgement ids."""

    names: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    person_id: str | None = None
    tips: list[str] = field(default_factory=list)

    @classmethod
    def resolve(cls, person: str | None, handles: list[str], tips: list[str],
                registry: Registry | None) -> ErasureRequest:
        """A request from the command line: ``person`` is a registry id (names, handles added) or a name."""
        req = cls(handles=[h for h in handles if h.strip()], tips=[t for t in tips if t.strip()])
        if person and person.strip():
            found = registry.person(person.strip()) if registry is not None else None
            if found is not None:
                req.person_id = found.id
                req.names += found.names()
                req.handles += [a.handle for a in found.accounts]
            else:
                req.names.append(person.strip())
        return req

    @property
    def ref(self) -> str:
        """A digest of the request's keys: names the person in the audit log without their name."""
        keys = {k.strip().lower().lstrip("@") for k in [*self.names, *self.handles] if k.strip()}
        keys |= {f"tip:{t}" for t in self.tips} | ({f"id:{self.person_id}"} if self.person_id else set())
        keys = sorted(keys)
        return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:16]

    def _patterns(self) -> list[re.Pattern[str]]:
        pats = [re.compile(rf"(?<!\w){re.escape(n.strip())}(?!\w)", re.IGNORECASE)
                for n in self.names if n.strip()]
        pats += [re.compile(rf"(?<![\w.])@?{re.escape(h.strip().lstrip('@'))}(?!\w)", re.IGNORECASE)
                 for h in self.handles if h.strip().lstrip("@")]
        return pats

    def mentioned_in(self, text: str | None) -> bool:
        """Whether a text names the person (a name or a handle, whole words, any case)."""
        return bool(text) and any(p.search(text or "") for p in self._patterns())

    def is_handle(self, handle: str | None) -> bool:
        """Whether a handle is one of the person's."""
        bare = (handle or "").strip().lstrip("@").lower()
        return bool(bare) and bare in {h.strip().lstrip("@").lower() for h in self.handles}


@dataclass
class ErasureReport:
    """What an erasure changed (or would change, on a dry run)."""

    person_ref: str
    dry_run: bool
    incidents_redacted: list[str] = field(default_factory=list)
    incidents_posted_by: list[str] = field(default_factory=list)
    media_deleted: list[str] = field(default_factory=list)
    actions_redacted: list[str] = field(default_factory=list)
    alerts_redacted: list[str] = field(default_factory=list)
    outbox_deleted: list[str] = field(default_factory=list)
    dead_letters_deleted: list[str] = field(default_factory=list)
    contacts_deleted: list[str] = field(default_factory=list)
    audit_rows_mentioning: int = 0
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (the tombstone's detail, the CLI's --json)."""
        return asdict(self)


def _concerns(inc: Incident, req: ErasureRequest) -> bool:
    item = inc.item
    texts = [item.text, item.title, *(p.text for p in inc.text_parts), *(s.evidence for s in inc.signals)]
    if any(req.mentioned_in(t) for t in texts):
        return True
    if any(req.is_handle(h) for h in [*item.mentions, item.reply_to]):
        return True
    if req.person_id and (req.person_id in inc.targets
                          or any(f.person_id == req.person_id for f in inc.faces)):
        return True
    names = {n.lower() for n in req.names}
    for signal in inc.signals:
        listed = signal.details.get("private_names") or []
        if isinstance(listed, list) and any(str(n).lower() in names for n in listed):
            return True
    return any((f.person_name or "").lower() in names for f in inc.faces if f.person_name)


def _depicts(inc: Incident, req: ErasureRequest) -> set[str]:
    names = {n.lower() for n in req.names}
    return {f.media_sha256 for f in inc.faces if f.media_sha256 and (
        (req.person_id and f.person_id == req.person_id) or (f.person_name or "").lower() in names)}


def redact_incident_for(inc: Incident, req: ErasureRequest, erased_media: set[str]) -> Incident:
    """The incident with the person's data replaced by ``[redacted]`` and the erased files unlinked."""
    handles = [h.lstrip("@") for h in req.handles]

    def red(text: str | None) -> str | None:
        return redact_text(text, req.names, handles) if text else text

    def red_details(details: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        names = {n.lower() for n in req.names}
        for key, value in details.items():
            if key == "private_names" and isinstance(value, list):
                out[key] = [REDACTED if str(v).lower() in names else v for v in value]
            elif isinstance(value, str):
                out[key] = red(value)
            else:
                out[key] = value
        return out

    item = inc.item
    media = [
        m.model_copy(update={"path": None, "url": None, "meta": {**m.meta, "erased": True}})
        if m.sha256 in erased_media else m
        for m in item.media
    ]
    new_item = item.model_copy(update={
        "text": red(item.text) or "",
        "title": red(item.title),
        "mentions": [REDACTED if req.is_handle(h) else h for h in item.mentions],
        "reply_to": REDACTED if req.is_handle(item.reply_to) else item.reply_to,
        "media": media,
    })
    names = {n.lower() for n in req.names}
    faces = [
        f.model_copy(update={"person_id": None, "person_name": REDACTED})
        if (req.person_id and f.person_id == req.person_id) or (f.person_name or "").lower() in names else f
        for f in inc.faces
    ]
    return inc.model_copy(update={
        "item": new_item,
        "text_parts": [p.model_copy(update={"text": red(p.text) or ""}) for p in inc.text_parts],
        "signals": [
            s.model_copy(update={"evidence": red(s.evidence) or "", "details": red_details(s.details)})
            for s in inc.signals
        ],
        "faces": faces,
        "targets": [t for t in inc.targets if t != req.person_id],
    })


def all_incidents(store: IncidentStore) -> list[Incident]:
    """Every stored incident, oldest first (page by page)."""
    found: list[Incident] = []
    offset = 0
    while True:
        page = store.search(IncidentQuery(limit=1000, offset=offset, sort="oldest"), Scope.everything())
        found += page.incidents
        offset += len(page.incidents)
        if not page.incidents or offset >= page.total:
            return found


def _media_files(settings: Settings, inc: Incident, sha: str) -> list[Path]:
    from pantau.content import content_path

    plain = next((Path(m.path) for m in inc.item.media if m.sha256 == sha and m.path), None)
    plain = plain or content_path(settings.media_dir, sha)
    files = [p for p in (plain, plain.with_name(plain.name + ".enc")) if p.is_file()]
    derived = settings.media_dir / "derived" / sha[:2] / sha
    if derived.is_dir():
        files += sorted(p for p in derived.rglob("*") if p.is_file())
    return files


def erase(settings: Settings, store: IncidentStore, req: ErasureRequest, actor: str, reason: str = "",
          dry_run: bool = False) -> ErasureReport:
    """Erase (or, ``dry_run``, list) one person's data across the store, media, outbox and tip contacts."""
    from pantau.retention import _contacts, _contacts_file, _sqlite

    if not (req.names or req.handles or req.person_id or req.tips):
        raise ValueError("an erasure needs a person, a handle or a tip id")
    report = ErasureReport(person_ref=req.ref, dry_run=dry_run)
    sql = _sqlite(store)
    rewritten: list[Incident] = []
    files: list[Path] = []
    if req.names or req.handles or req.person_id:
        for inc in all_incidents(store):
            if req.is_handle(inc.item.account):
                report.incidents_posted_by.append(inc.id)
                continue
            if not _concerns(inc, req) and not _depicts(inc, req):
                continue
            own = {m.sha256 for m in inc.item.media if m.sha256}
            erased = (_depicts(inc, req) | sensitive_media(inc)) & own
            for sha in sorted(erased):
                found = _media_files(settings, inc, sha)
                if found:
                    report.media_deleted.append(sha)
                    files += found
            rewritten.append(redact_incident_for(inc, req, erased))
            report.incidents_redacted.append(inc.id)
    ids = set(report.incidents_redacted)
    handles = [h.lstrip("@") for h in req.handles]
    action_updates: list[tuple[str, str]] = []
    alert_updates: list[tuple[str, str]] = []
    letters: list[str] = []
    if sql is not None:
        conn = sql.conn
        rows = conn.execute("SELECT id, incident_id, doc FROM actions").fetchall()
        for action_id, incident_id, doc in rows:
            action = ReviewAction.model_validate_json(doc)
            if incident_id in ids or req.mentioned_in(action.reason):
                redacted = redact_text(action.reason, req.names, handles)
                if redacted != action.reason:
                    action_updates.append((action.model_copy(update={"reason": redacted}).model_dump_json(),
                                           action_id))
                    report.actions_redacted.append(action_id)
        if ids:
            marks = ",".join("?" * len(ids))
            rows = conn.execute(f"SELECT id, doc FROM alerts WHERE incident_id IN ({marks})",  # noqa: S608
                                sorted(ids)).fetchall()
            for alert_id, doc in rows:
                data = json.loads(doc)
                body = redact_text(data.get("body", ""), req.names, handles)
                if body != data.get("body"):
                    data["body"] = body
                    alert_updates.append((json.dumps(data, ensure_ascii=False), alert_id))
                    report.alerts_redacted.append(alert_id)
                if (settings.outbox_dir / f"{alert_id}.json").is_file():
                    report.outbox_deleted.append(alert_id)
        for letter_id, doc in conn.execute("SELECT id, doc FROM dead_letters").fetchall():
            if req.mentioned_in(json.loads(doc).get("payload", "")):
                letters.append(letter_id)
        report.dead_letters_deleted = letters
        needles = [n.lower() for n in [*req.names, *handles] if n.strip()]
        if needles:
            report.audit_rows_mentioning = sum(
                1 for (doc,) in conn.execute("SELECT doc FROM audit")
                if any(n in doc.lower() for n in needles)
            )
    else:
        report.skipped.append(f"review comments, alerts and dead letters: {type(store).__name__} is not "
                              "supported (SQLite only; docs/protection.md)")
    contacts = _contacts_file(settings)
    if req.tips and contacts.is_file():
        with _contacts(contacts) as cconn:
            marks = ",".join("?" * len(req.tips))
            report.contacts_deleted = [r[0] for r in cconn.execute(
                f"SELECT ack_id FROM contacts WHERE ack_id IN ({marks})", req.tips).fetchall()]  # noqa: S608
    if dry_run:
        return report

    for path in files:
        path.unlink(missing_ok=True)
    for alert_id in report.outbox_deleted:
        (settings.outbox_dir / f"{alert_id}.json").unlink(missing_ok=True)
    if report.contacts_deleted:
        with _contacts(contacts) as cconn:
            marks = ",".join("?" * len(report.contacts_deleted))
            cconn.execute(f"DELETE FROM contacts WHERE ack_id IN ({marks})", report.contacts_deleted)  # noqa: S608
            cconn.commit()
    detail = {k: v for k, v in report.as_dict().items() if k not in ("dry_run", "skipped")}
    event = AuditEvent(actor=actor, role="operator", event="erasure", target=f"person:{req.ref}",
                       detail=json.dumps({"reason": reason, **detail}, ensure_ascii=False, sort_keys=True))
    if sql is None:
        if rewritten:
            store.upsert_incidents(rewritten)
        store.audit(event)
        return report
    with sql._tx() as conn:  # noqa: SLF001 - the rewrite and its tombstone in one transaction
        if rewritten:
            store.upsert_incidents(rewritten)
        conn.executemany("UPDATE actions SET doc=? WHERE id=?", action_updates)
        conn.executemany("UPDATE alerts SET doc=? WHERE id=?", alert_updates)
        conn.executemany("DELETE FROM dead_letters WHERE id=?", [(i,) for i in letters])
        store.audit(event)
    return report
