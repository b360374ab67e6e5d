"""Erasure of one person: redacted everywhere, media gone, a tombstone without the name, the chain verifies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from ingest.tipline.intake import TipIntake, TiplineOptions
from pantau.content import content_path
from pantau.erasure import ErasureRequest, erase
from pantau.schemas import Alert, DeadLetter, Family, Signal
from pantau.settings import Settings
from pantau.stores.base import IncidentQuery, ReviewAction, Scope
from pantau.stores.sqlite import SQLiteStore
from tests.mocks.incidents import image_file, make_incident

NAME = "Rina Kusuma"


@pytest.fixture()
def world(tmp_path: Path) -> dict:
    data = tmp_path / "data"
    settings = Settings.load(overrides={"data_dir": str(data)}, environ={})
    store = SQLiteStore(data / "pantau.db")
    store.open()
    sha = "f" * 64
    photo = content_path(settings.media_dir, sha)
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"screenshot with an address")
    about = make_incident(
        "about", text=f"{NAME} tinggal di Jalan Mawar 12, hubungi @rina_k", mentions=["rina_k"],
        media=[image_file(sha, str(photo))],
        signals=[Signal(item_id="x", detector="gbv.doxxing", version="1", family=Family.GBV, score=0.9,
                        label="doxxing", evidence=f"address of {NAME}", details={"private_names": [NAME]})],
    )
    other = make_incident("other", text="Undi PBN untuk masa depan")
    posted = make_incident("posted", text="Saya bukan calon", account="rina_k")
    store.upsert_incidents([about, other, posted])
    store.record_action(ReviewAction(incident_id=about.id, action="comment", actor="c", role="commission",
                                     reason=f"called {NAME} to warn her"))
    store.add_alerts([Alert(id="al1", incident_id=about.id, recipient="pbn", subject="s",
                            body=f"Excerpt: {NAME} tinggal di ...")])
    settings.outbox_dir.mkdir(parents=True)
    (settings.outbox_dir / "al1.json").write_text("{}")
    store.add_dead_letters([DeadLetter(id="dl1", stage="judge", reason="x", error_type="RuleError",
                                       payload=json.dumps({"text": f"{NAME} lagi"})),
                            DeadLetter(id="dl2", stage="judge", reason="x", error_type="RuleError", payload="{}")])
    intake = TipIntake(data, TiplineOptions())
    tip = intake.submit(text="she is being doxxed", contact="+60 12-345 6789")["ack_id"]
    yield {"settings": settings, "store": store, "about": about, "other": other, "posted": posted,
           "photo": photo, "sha": sha, "tip": tip, "intake": intake}
    store.close()


def _request(world: dict) -> ErasureRequest:
    return ErasureRequest(names=[NAME], handles=["@rina_k"], tips=[world["tip"]])


def test_dry_run_lists_and_changes_nothing(world: dict) -> None:
    store = world["store"]
    report = erase(world["settings"], store, _request(world), actor="dpo", dry_run=True)
    assert report.incidents_redacted == [world["about"].id]
    assert report.incidents_posted_by == [world["posted"].id]
    assert report.media_deleted == [world["sha"]]
    assert report.dead_letters_deleted == ["dl1"] and report.contacts_deleted == [world["tip"]]
    assert world["photo"].is_file()
    assert NAME in store.get_incident(world["about"].id, Scope.everything()).item.text
    assert not [e for e in store.audit_log() if e.event == "erasure"]


def test_erasure_redacts_deletes_and_leaves_a_tombstone_the_chain_verifies(world: dict) -> None:
    store, settings = world["store"], world["settings"]
    before = store.get_incident(world["other"].id, Scope.everything())
    erase(settings, store, _request(world), actor="dpo", reason="request 2026-114")
    inc = store.get_incident(world["about"].id, Scope.everything())
    assert inc is not None and inc.status == world["about"].status  # the breach stays on record
    whole = inc.model_dump_json().lower()
    assert "rina" not in whole and "mawar" not in whole
    assert inc.item.media[0].sha256 == world["sha"] and inc.item.media[0].path is None
    assert not world["photo"].exists()
    assert store.search(IncidentQuery(text="Kusuma"), Scope.everything()).total == 0
    assert "rina" not in store.actions(inc.id)[0].reason.lower()
    assert "rina" not in store.alerts(Scope.everything())[0].alert.body.lower()
    assert not (settings.outbox_dir / "al1.json").exists()
    assert [d.id for d in store.dead_letters()] == ["dl2"]
    assert world["intake"].contact(world["tip"]) is None
    assert store.get_incident(world["other"].id, Scope.everything()) == before
    assert "Saya bukan calon" in store.get_incident(world["posted"].id, Scope.everything()).item.text
    (stone,) = [e for e in store.audit_log() if e.event == "erasure"]
    assert stone.actor == "dpo" and stone.target == f"person:{_request(world).ref}"
    assert "rina" not in stone.model_dump_json().lower()
    assert json.loads(stone.detail)["reason"] == "request 2026-114"
    assert store.verify_audit().ok


def test_cli_erase_by_handle(world: dict) -> None:
    result = CliRunner().invoke(app, ["erase", "--handle", "@rina_k", "--json"],
                                env={"PANTAU_DATA_DIR": str(world["settings"].data_dir)})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["incidents_redacted"] == [world["about"].id] and not report["dry_run"]
    result = CliRunner().invoke(app, ["audit", "verify"], env={"PANTAU_DATA_DIR": str(world["settings"].data_dir)})
    assert result.exit_code == 0, result.output


def test_erase_needs_someone() -> None:
    result = CliRunner().invoke(app, ["erase"])
    assert result.exit_code == 2 and "--person" in result.output
