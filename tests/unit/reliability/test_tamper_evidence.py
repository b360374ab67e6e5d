"""Tamper evidence (issue 19, row 12): the audit log is a hash chain that shows edits and deletions
even after DROP TRIGGER; evidence packs carry an Ed25519 signature that an edited, rehashed pack fails."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from cli.main import app
from dashboard.evidence import evidence_pack, pack_bytes, verify_pack
from pantau.signing import load_public_key, pack_signer, public_key_file, verify_signed_pack
from pantau.stores.base import AuditEvent
from pantau.stores.sqlite import SQLiteStore
from tests.mocks.incidents import make_incident

runner = CliRunner()


def _store_with_events(tmp_path: Path, n: int = 6) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "pantau.db", registry_file=None)
    for i in range(n):
        store.audit(AuditEvent(actor=f"user{i}", role="commission", event="view_incident", target=f"inc{i}"))
    return store


def _tamper(tmp_path: Path, *sql: str) -> None:
    """What someone with write access to the file does: drop the triggers, then change rows."""
    with sqlite3.connect(tmp_path / "pantau.db") as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("DROP TRIGGER audit_no_delete")
        for statement in sql:
            conn.execute(statement)


def test_an_intact_chain_verifies(tmp_path: Path) -> None:
    report = _store_with_events(tmp_path).verify_audit()
    assert report.ok and report.rows == report.chained == 6 and report.head_seq == 6


REHASH = "UPDATE audit SET doc = replace(doc, 'user2', 'nobody'), hash = '{h}' WHERE seq = 3"


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        ("UPDATE audit SET doc = replace(doc, 'user2', 'nobody') WHERE seq = 3", "row 3: its content does not give"),
        ("DELETE FROM audit WHERE seq = 4", "rows 4-4 are missing"),
        ("DELETE FROM audit WHERE seq >= 5", "rows 5-6 are missing at the end"),
        ("REHASH", "row 4: its previous hash is not the hash of the row before it"),
        ("INSERT INTO audit(id, at, doc) VALUES ('x', '2026-01-01', '{}')", "row 7 has no hash"),
    ],
    ids=["edit", "delete-middle", "delete-tail", "edit-and-rehash", "insert-unhashed"],
)
def test_edits_and_deletions_after_drop_trigger_are_found(tmp_path: Path, sql: str, found: str) -> None:
    store = _store_with_events(tmp_path)
    store.close()
    if sql == "REHASH":
        with sqlite3.connect(tmp_path / "pantau.db") as conn:
            prev, doc = conn.execute("SELECT prev_hash, doc FROM audit WHERE seq = 3").fetchone()
        edited = doc.replace("user2", "nobody")
        sql = REHASH.format(h=hashlib.sha256(f"{prev}\n{edited}".encode()).hexdigest())
    _tamper(tmp_path, sql)
    with sqlite3.connect(tmp_path / "pantau.db") as conn:
        from pantau.stores.audit_chain import verify_chain

        report = verify_chain(conn)
    assert not report.ok
    assert any(found in p for p in report.problems), report.problems
    assert any("trigger audit_no_delete is missing" in p for p in report.problems)


def test_missing_triggers_are_recorded_at_open_not_silently_recreated(tmp_path: Path) -> None:
    _store_with_events(tmp_path, 2).close()
    _tamper(tmp_path)
    store = SQLiteStore(tmp_path / "pantau.db", registry_file=None)
    store.open()
    [event] = [e for e in store.audit_log() if e.event == "audit_guard_missing"]
    assert "audit_no_update" in event.detail and "audit_no_delete" in event.detail
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM audit")
    assert store.verify_audit().ok  # the triggers are back; the rows were not touched


def test_pantau_audit_verify_exits_1_on_a_broken_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_DATA_DIR", str(tmp_path))
    _store_with_events(tmp_path).close()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "6 rows, 6 chained" in ok.output and "ok: the chain holds" in ok.output
    _tamper(tmp_path, "DELETE FROM audit WHERE seq = 2")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN: rows 2-2 are missing" in broken.output


def _pack(tmp_path: Path) -> dict:
    incident = make_incident("n1", text="an abusive post")
    return evidence_pack(incident, [], exported_by="ana", signer=pack_signer(tmp_path))


def test_a_signed_pack_verifies_with_the_deployment_public_key(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    public = load_public_key(public_key_file(tmp_path))
    assert verify_pack(pack_bytes(pack))  # the hash still covers everything, signature included
    verdict = verify_signed_pack(pack_bytes(pack), public)
    assert verdict.ok and verdict.signed and verdict.key_id == pack["signature"]["key_id"]
    assert (tmp_path / "keys" / "evidence-ed25519.key").stat().st_mode & 0o077 == 0


def test_an_edited_and_rehashed_pack_fails_verification(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    public = load_public_key(public_key_file(tmp_path))
    pack["item"]["text"] = "a harmless post"
    body = {k: v for k, v in pack.items() if k != "pack_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    pack["pack_sha256"] = hashlib.sha256(canonical).hexdigest()
    assert verify_pack(pack)  # the unkeyed hash alone is fooled (the old attack)
    verdict = verify_signed_pack(pack, public)
    assert not verdict.ok and verdict.hash_ok and not verdict.signature_ok
    unsigned = {k: v for k, v in pack.items() if k != "signature"}
    assert not verify_signed_pack(unsigned, public).ok
    other = Ed25519PrivateKey.generate().public_key()
    assert not verify_signed_pack(_pack(tmp_path), other).ok  # signed, but not by this deployment


def test_pantau_evidence_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_DATA_DIR", str(tmp_path))
    key = runner.invoke(app, ["evidence", "key"])
    assert key.exit_code == 0 and "BEGIN PUBLIC KEY" in key.output
    good = tmp_path / "good.json"
    good.write_bytes(pack_bytes(_pack(tmp_path)))
    result = runner.invoke(app, ["evidence", "verify", str(good)])
    assert result.exit_code == 0 and result.output.startswith("ok: hash matches and the signature verifies")
    edited = json.loads(good.read_bytes())
    edited["breach"]["clause_id"] = "NONE"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(edited))
    result = runner.invoke(app, ["evidence", "verify", str(bad)])
    assert result.exit_code == 1 and "NOT VALID" in result.output
    stranger = tmp_path / "stranger.pub"
    stranger.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    result = runner.invoke(app, ["evidence", "verify", str(good), "--public-key", str(stranger)])
    assert result.exit_code == 1 and "does not verify with key" in result.output
