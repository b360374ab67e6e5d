"""Known fakes end to end: confirm an incident, ``pantau known add --incident``, a re-share raises DIS-3.

Runs the in-process pipeline (sources -> media -> hashes -> known_match -> model code -> store) on
a JSONL feed, with text.offensive and the media hashing plug-ins only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from detectors.media.known_list import FILE_NAME, KnownListError, incident_rows, read_rows
from pantau.settings import Settings
from pantau.stores.base import IncidentQuery, ReviewAction, Scope
from streams.runner import Pipeline

from .conftest import textured_picture

LIGHT = Path(__file__).resolve().parents[2] / "fixtures" / "detectors_light.yaml"
MEDIA = {"media.probe", "media.video", "media.hashes", "media.known_match", "text.offensive"}
runner = CliRunner()


def _detectors(tmp_path: Path) -> Path:
    """The light detector list with the media hashing plug-ins switched on."""
    plugins = yaml.safe_load(LIGHT.read_text(encoding="utf-8"))["plugins"]
    plugins.insert(1, {"name": "media.video", "kind": "enricher", "class": "detectors.media.video:VideoEnricher"})
    plugins.insert(2, {"name": "media.hashes", "kind": "enricher", "class": "detectors.media.hashes:HashEnricher"})
    for plugin in plugins:
        plugin["enabled"] = plugin["name"] in MEDIA
    path = tmp_path / "detectors.yaml"
    path.write_text(yaml.safe_dump({"plugins": plugins}), encoding="utf-8")
    return path



@pytest.fixture
def world(tmp_path: Path) -> tuple[Settings, Path]:
    """Settings over a JSONL feed whose first post is abuse of a woman candidate with a doctored photo."""
    textured_picture(11, 320).save(tmp_path / "doctored.png")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        json.dumps({"id": "1", "text": "Aminah Yusof is a stupid bitch", "media": ["doctored.png"]}) + "\n",
        encoding="utf-8",
    )
    settings = Settings.load(
        overrides={
            "data_dir": tmp_path / "data",
            "sources": [{"kind": "jsonl", "name": "t", "path": str(feed)}],
            "detectors_file": _detectors(tmp_path),
        },
        environ={},
    )
    return settings, feed


def _incidents(pipeline: Pipeline) -> list:
    return pipeline.store.search(IncidentQuery(limit=100), Scope.everything()).incidents


def _add(settings: Settings, *args: str) -> object:
    return runner.invoke(app, ["known", "add", *args], env={"PANTAU_DATA_DIR": str(settings.data_dir)})


def test_confirmed_fake_added_then_a_reencoded_reshare_raises_dis3(world: tuple[Settings, Path]) -> None:
    settings, feed = world
    pipeline = Pipeline.from_settings(settings)
    pipeline.run_once()
    [incident] = _incidents(pipeline)
    assert incident.breach.clause_id == "GBV-1" and incident.item.media[0].sha256

    # Not yet confirmed: refused, nothing written.
    refused = _add(settings, "--incident", incident.id)
    assert refused.exit_code == 2 and "is new, not confirmed" in refused.output
    assert not (settings.data_dir / FILE_NAME).exists()
    unknown = _add(settings, "--incident", "no-such-incident")
    assert unknown.exit_code == 2 and "no incident 'no-such-incident'" in unknown.output

    pipeline.store.record_action(
        ReviewAction(incident_id=incident.id, action="confirm", actor="staff", role="commission")
    )
    added = _add(settings, "--incident", incident.id)
    assert added.exit_code == 0, added.output
    assert "added 2 row(s) to known-fakes" in added.output
    again = _add(settings, "--incident", incident.id)
    assert again.exit_code == 0 and "added 0 row(s)" in again.output
    rows = read_rows(settings.data_dir / FILE_NAME)
    assert sorted(r["kind"] for r in rows) == ["pdq", "sha256"]
    assert {r["source"] for r in rows} == {f"incident:{incident.id}"}
    assert all("GBV-1" in r["label"] for r in rows)

    # The same picture re-shared smaller and re-encoded as JPEG, and an unrelated picture.
    tmp = feed.parent
    textured_picture(11, 320).resize((240, 240)).save(tmp / "reshare.jpg", quality=70)
    textured_picture(12, 320).save(tmp / "other.png")
    with feed.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "2", "text": "Look what they did", "media": ["reshare.jpg"]}) + "\n")
        handle.write(json.dumps({"id": "3", "text": "Look at this", "media": ["other.png"]}) + "\n")
    second = Pipeline.from_settings(settings)
    report = second.run_once()
    assert report.items == 2 and report.dead_letters == 0
    by_clause = {i.breach.clause_id: i for i in _incidents(second)}
    assert set(by_clause) == {"GBV-1", "DIS-3"}
    dis3 = by_clause["DIS-3"]
    assert dis3.item.native_id == "2" and dis3.breach.family.value == "disinfo"
    [signal] = [s for s in dis3.signals if s.detector == "media.known_match"]
    assert signal.label == "known-fakes" and signal.details["lists"] == ["known-fakes"]
    best = signal.details["matches"][0]
    assert best["kind"] == "pdq" and 0 < best["distance"] <= 31
    assert f"PDQ distance {best['distance']}" in signal.evidence and "GBV-1" in signal.evidence


def test_incident_without_media_is_refused(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "1", "text": "Aminah Yusof is a stupid bitch"}) + "\n", encoding="utf-8")
    settings = Settings.load(
        overrides={"data_dir": tmp_path / "data", "sources": [{"kind": "jsonl", "name": "t", "path": str(feed)}],
                   "detectors_file": _detectors(tmp_path)},
        environ={},
    )
    pipeline = Pipeline.from_settings(settings)
    pipeline.run_once()
    [incident] = _incidents(pipeline)
    pipeline.store.record_action(
        ReviewAction(incident_id=incident.id, action="confirm", actor="staff", role="commission")
    )
    with pytest.raises(KnownListError, match="has no media"):
        incident_rows(pipeline.store, incident.id, settings)
