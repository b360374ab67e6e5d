"""The same id twice in one batch with different content: the first judged, the second a dead letter
naming the conflict; never silently replaced (issue 19, row 11)."""

from __future__ import annotations

import json
from pathlib import Path

from pantau.schemas import MediaItem
from pantau.settings import Settings, SourceConfig
from pantau.stores.base import IncidentQuery, Scope
from streams.runner import Pipeline
from streams.stages import distinct_items

LIGHT = Path(__file__).resolve().parents[2] / "fixtures" / "detectors_light.yaml"
ABUSE = "Aminah Yusof is a stupid fucking bitch and a whore"
BENIGN = "Aminah Yusof spoke about rice prices at the rally"


def _pipeline(tmp_path: Path, *records: dict[str, str]) -> Pipeline:
    feed = tmp_path / "f.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in records))
    settings = Settings(data_dir=tmp_path / "d", detectors_file=LIGHT,
                        sources=[SourceConfig(kind="jsonl", name="f", path=str(feed))])
    return Pipeline.from_settings(settings)


def test_abusive_then_benign_under_one_id_judges_the_first_and_dead_letters_the_second(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, {"id": "p1", "text": ABUSE}, {"id": "p1", "text": BENIGN},
                         {"id": "p2", "text": BENIGN})
    report = pipeline.run_once()
    assert report.items == 2 and report.incidents >= 1
    found = pipeline.store.search(IncidentQuery(), Scope())
    assert {i.item.text for i in found.incidents} == {ABUSE}
    [letter] = pipeline.store.dead_letters(10)
    assert letter.stage == "ingest" and "conflicting duplicate" in letter.reason
    assert BENIGN in letter.payload


def test_an_exact_repeat_is_one_item_and_no_dead_letter() -> None:
    a = MediaItem(id="x", source="s", native_id="1", text="same")
    b = MediaItem(id="x", source="s", native_id="1", text="same")  # read again later: other ingested_at
    c = MediaItem(id="x", source="s", native_id="1", text="other")
    kept, dead = distinct_items([a, b, c])
    assert kept == [a] and len(dead) == 1 and dead[0].item_id == "x"
