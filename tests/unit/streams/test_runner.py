from __future__ import annotations

import json
from pathlib import Path

from pantau.settings import Settings
from pantau.stores.base import IncidentQuery, Scope
from streams.runner import Pipeline

LIGHT = Path(__file__).resolve().parents[2] / "fixtures" / "detectors_light.yaml"


def _settings(tmp_path: Path, feed: Path) -> Settings:
    return Settings.load(
        overrides={"data_dir": tmp_path / "data", "sources": [{"kind": "jsonl", "name": "t", "path": str(feed)}],
                   "detectors_file": LIGHT},
        environ={},
    )


def test_sample_feed_runs_end_to_end_and_rerun_never_duplicates(tmp_path: Path) -> None:
    settings = Settings.load(overrides={"data_dir": tmp_path / "data"}, environ={})
    pipeline = Pipeline.from_settings(settings)
    first = pipeline.run_once()
    assert first.items >= 15 and first.dead_letters == 0
    # The demo shows incidents of all three families, each citing its clause.
    assert {"synthetic", "disinfo", "gbv"} <= set(first.by_family)
    incidents = pipeline.store.search(IncidentQuery(limit=100), Scope.everything()).incidents
    assert all(i.breach.clause_id and i.breach.clause_text for i in incidents)
    total = pipeline.store.search(IncidentQuery(limit=0), Scope.everything()).total
    second = Pipeline.from_settings(settings).run_once()
    assert second.items == 0 and second.skipped == first.items
    assert Pipeline.from_settings(settings).store.search(IncidentQuery(limit=0), Scope.everything()).total == total


def test_reprocessing_never_duplicates_incidents(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "1", "text": "Aminah Yusof is a stupid bitch"}) + "\n")
    settings = _settings(tmp_path, feed)
    first = Pipeline.from_settings(settings).run_once()
    assert first.new_incidents == 1
    reprocessed = Pipeline.from_settings(settings).run_once(reprocess=True)
    assert reprocessed.incidents == 1 and reprocessed.new_incidents == 0


def test_bad_records_and_bad_media_become_dead_letters_and_the_run_completes(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    (tmp_path / "empty.png").write_bytes(b"")
    feed.write_text("\n".join([
        json.dumps({"id": "1", "text": "fine"}),
        "{broken",
        json.dumps({"id": "2", "text": "with empty media", "media": ["empty.png"]}),
        json.dumps({"id": "3", "text": "missing media", "media": ["nope.jpg"]}),
    ]) + "\n")
    pipeline = Pipeline.from_settings(_settings(tmp_path, feed))
    report = pipeline.run_once()
    assert report.items == 3
    assert report.dead_letters == 3
    reasons = sorted(d.reason for d in pipeline.store.dead_letters())
    assert any("invalid JSON" in r for r in reasons)
    assert any("empty" in r for r in reasons)
    assert any("not found" in r for r in reasons)
    again = Pipeline.from_settings(_settings(tmp_path, feed)).run_once()
    assert pipeline.store.count_dead_letters() == 3 and again.items == 0
