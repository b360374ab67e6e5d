"""Retention: the dry run lists exactly what the policy says, apply removes exactly that, with tombstones."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from ingest.tipline.intake import TipIntake, TiplineOptions
from pantau.content import content_path
from pantau.retention import apply, plan
from pantau.schemas import Alert, DeadLetter, Family, IncidentStatus, Signal, utcnow
from pantau.settings import Settings
from pantau.stores.base import AuditEvent, IncidentQuery, ReviewAction, Scope
from pantau.stores.sqlite import SQLiteStore
from tests.mocks.incidents import image_file, make_incident

DAY = 86_400


def _settings(data: Path, **retention: int | None) -> Settings:
    return Settings.load(overrides={"data_dir": str(data), "retention": retention}, environ={})


def _backdate(store: SQLiteStore, incident_id: str, days: int) -> None:
    when = (utcnow() - timedelta(days=days)).isoformat()
    store.conn.execute("UPDATE incidents SET updated_at=?, created_at=? WHERE id=?", (when, when, incident_id))


def _file(path: Path, days_old: float, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    t = utcnow().timestamp() - days_old * DAY
    os.utime(path, (t, t))
    return path


@pytest.fixture()
def world(tmp_path: Path) -> dict:
    """A data folder holding one thing of each kind on each side of the policy."""
    data = tmp_path / "data"
    settings = _settings(data)
    store = SQLiteStore(data / "pantau.db")
    store.open()
    media = settings.media_dir
    kept_sha, intimate_sha, orphan_sha, fresh_sha = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)
    old_closed = make_incident("old-closed", status=IncidentStatus.DISMISSED)
    old_open = make_incident("old-open", status=IncidentStatus.NEW)
    recent_closed = make_incident("recent", status=IncidentStatus.CONFIRMED,
                                  media=[image_file(kept_sha, str(content_path(media, kept_sha)))])
    intimate = make_incident(
        "intimate", status=IncidentStatus.ESCALATED, media=[image_file(intimate_sha)],
        signals=[Signal(item_id="x", detector="gbv.intimate", version="1", family=Family.GBV, score=0.95,
                        label="intimate", details={"intimate": True}, media_sha256=intimate_sha)],
    )
    store.upsert_incidents([old_closed, old_open, recent_closed, intimate])
    for inc in (old_closed, old_open):
        _backdate(store, inc.id, 800)
    _backdate(store, intimate.id, 40)
    store.record_action(ReviewAction(incident_id=old_closed.id, action="comment", actor="c", role="commission",
                                     reason="seen"))
    store.add_alerts([Alert(id="alert-old", incident_id=old_closed.id, recipient="pbn", subject="s", body="b")])
    for sha, age in ((kept_sha, 100), (intimate_sha, 40), (orphan_sha, 40), (fresh_sha, 2)):
        _file(content_path(media, sha), age)
    old_letter = DeadLetter(id="dl-old", stage="ingest", reason="x", error_type="BadFeed", payload="a post",
                            created_at=utcnow() - timedelta(days=100))
    new_letter = DeadLetter(id="dl-new", stage="ingest", reason="x", error_type="BadFeed", payload="a post")
    store.add_dead_letters([old_letter, new_letter])
    _file(settings.outbox_dir / "alert-old.json", 100, b"{}")
    _file(settings.outbox_dir / "alert-new.json", 1, b"{}")
    intake = TipIntake(data, TiplineOptions())
    old_tip = intake.submit(text="tip one", contact="+60 12-345 6789")["ack_id"]
    new_tip = intake.submit(text="tip two", contact="rina@mail.example")["ack_id"]
    with sqlite3.connect(intake.contacts_path) as conn:
        conn.execute("UPDATE contacts SET received_at=? WHERE ack_id=?",
                     ((utcnow() - timedelta(days=100)).isoformat(), old_tip))
    yield {"settings": settings, "store": store, "old_closed": old_closed, "old_open": old_open,
           "recent": recent_closed, "intimate": intimate, "shas": (kept_sha, intimate_sha, orphan_sha, fresh_sha),
           "tips": (old_tip, new_tip), "intake": intake}
    store.close()


def _ids(store: SQLiteStore) -> set[str]:
    return {i.id for i in store.search(IncidentQuery(limit=100), Scope.everything()).incidents}


def test_dry_run_lists_exactly_what_the_policy_says_and_changes_nothing(world: dict) -> None:
    settings, store = world["settings"], world["store"]
    kept_sha, intimate_sha, orphan_sha, fresh_sha = world["shas"]
    before = _ids(store)
    todo = plan(settings, store).by_kind()
    assert todo["incidents"].ids == [world["old_closed"].id]  # the old open one stays: still in hand
    assert todo["intimate_images"].ids == [intimate_sha]
    assert todo["raw_media"].ids == [str(content_path(Path("media"), orphan_sha))]
    assert todo["post_text"].ids == ["dead_letter:dl-old", "outbox:alert-old"]
    assert todo["personal_data"].ids == [world["tips"][0]]
    assert todo["audit_log"].ids == []  # kept for good by default
    assert _ids(store) == before
    assert content_path(settings.media_dir, orphan_sha).is_file()
    assert content_path(settings.media_dir, intimate_sha).is_file()


def test_apply_removes_exactly_that_leaves_tombstones_and_the_chain_verifies(world: dict) -> None:
    settings, store = world["settings"], world["store"]
    kept_sha, intimate_sha, orphan_sha, fresh_sha = world["shas"]
    apply(plan(settings, store), settings, store, actor="ops")
    assert _ids(store) == {world["old_open"].id, world["recent"].id, world["intimate"].id}
    assert store.actions(world["old_closed"].id) == []
    assert store.alerts(Scope.everything()) == []
    assert store.search(IncidentQuery(text="kempen", limit=100), Scope.everything()).total == 3  # FTS rows gone
    media = settings.media_dir
    assert not content_path(media, orphan_sha).exists() and not content_path(media, intimate_sha).exists()
    assert content_path(media, kept_sha).is_file() and content_path(media, fresh_sha).is_file()
    assert [d.id for d in store.dead_letters()] == ["dl-new"]
    assert sorted(p.name for p in settings.outbox_dir.iterdir()) == ["alert-new.json"]
    assert world["intake"].contact(world["tips"][0]) is None
    assert world["intake"].contact(world["tips"][1]) == "rina@mail.example"
    stones = {e.target: json.loads(e.detail) for e in store.audit_log() if e.event == "retention_purge"}
    assert set(stones) == {"incidents", "intimate_images", "raw_media", "post_text", "personal_data"}
    assert stones["incidents"]["ids"] == [world["old_closed"].id] and stones["incidents"]["count"] == 1
    assert stones["incidents"]["rule"] == "incidents_days=730"
    assert all(e.actor == "ops" for e in store.audit_log() if e.event == "retention_purge")
    assert store.verify_audit().ok
    # Applying again finds nothing more to remove.
    assert all(p.count == 0 for p in plan(settings, store).purges)


def test_a_kind_set_to_none_is_kept(world: dict) -> None:
    settings = _settings(world["settings"].data_dir, incidents_days=None, raw_media_days=None)
    todo = plan(settings, world["store"]).by_kind()
    assert todo["incidents"].ids == [] and todo["raw_media"].ids == []


def test_audit_log_retention_cuts_at_a_checkpoint_the_chain_verifies_from(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", audit_log_days=365)
    with SQLiteStore(tmp_path / "data" / "pantau.db") as store:
        for n in range(5):
            store.audit(AuditEvent(actor="a", role="commission", event="search", target=str(n),
                                   at=utcnow() - timedelta(days=500 - n)))
        for n in range(2):
            store.audit(AuditEvent(actor="a", role="commission", event="search", target=f"new{n}"))
        todo = plan(settings, store).by_kind()["audit_log"]
        assert todo.ids == ["1", "2", "3", "4", "5"]
        apply(plan(settings, store), settings, store, actor="ops")
        log = store.audit_log()
        assert [e.target for e in reversed(log)][:2] == ["new0", "new1"]
        assert log[0].event == "audit_pruned" and json.loads(log[0].detail)["anchor_seq"] == 5
        report = store.verify_audit()
        assert report.ok, report.problems
        # A forged checkpoint (more rows deleted, the anchor moved) is reported.
        store.conn.execute("UPDATE audit_anchor SET seq = 6")
        assert not store.verify_audit().ok


def test_cli_dry_run_lists_by_kind_and_count(world: dict) -> None:
    result = CliRunner().invoke(app, ["retention", "apply", "--dry-run", "--json"],
                                env={"PANTAU_DATA_DIR": str(world["settings"].data_dir)})
    assert result.exit_code == 0, result.output
    counts = {p["kind"]: p["count"] for p in json.loads(result.stdout)["purges"]}
    assert counts == {"incidents": 1, "intimate_images": 1, "raw_media": 1, "post_text": 2, "personal_data": 1,
                      "audit_log": 0}
    assert len(_ids(world["store"])) == 4
