"""Changing a code never rewrites past breaches: incidents judged under v1 keep v1 after v2 is loaded."""

from __future__ import annotations

from pathlib import Path

from codes.calendar import Calendar
from codes.engine import CodeEngine
from pantau.registry import Registry
from pantau.schemas import EnrichedItem, Family, Incident, MediaItem, Signal
from pantau.stores.base import IncidentQuery, ReviewAction, Scope
from pantau.stores.sqlite import SQLiteStore
from streams.stages import judge


def _code(tmp_path: Path, version: str, text: str, threshold: float) -> Path:
    path = tmp_path / f"code-{version}.yaml"
    path.write_text(
        f'id: c\ntitle: T\nversion: "{version}"\nclauses:\n'
        f"  - id: GBV-2\n    title: No threats\n    text: {text}\n    family: gbv\n    severity: critical\n"
        f"    applies_to: anyone\n    rule: 'signals[\"gbv.threat\"].score >= {threshold}'\n"
    )
    return path


def _judged(engine: CodeEngine) -> list[Incident]:
    item = MediaItem(id="post-1", source="s", native_id="1", text="kami tahu rumah kamu")
    signal = Signal(item_id="post-1", detector="gbv.threat", version="1", family=Family.GBV, score=0.8, label="threat")
    incidents, dead = judge([EnrichedItem(item=item)], {"post-1": [signal]}, engine, Registry(), Calendar())
    assert not dead
    return incidents


def test_a_new_code_version_adds_incidents_and_keeps_the_old_ones_as_judged(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "pantau.db")
    store.open()
    v1 = CodeEngine.from_files([_code(tmp_path, "1", "No threats of violence.", 0.7)], signal_names={"gbv.threat"})
    first = _judged(v1)
    store.upsert_incidents(first)
    store.record_action(ReviewAction(incident_id=first[0].id, action="confirm", actor="amir", role="commission"))

    v2 = CodeEngine.from_files([_code(tmp_path, "2", "No threats of violence or intimidation.", 0.75)],
                               signal_names={"gbv.threat"})
    second = _judged(v2)
    store.upsert_incidents(second)
    store.upsert_incidents(_judged(v2))  # a replay under v2 converges on the same incident

    found = {i.breach.code_version: i for i in store.search(IncidentQuery(), Scope.everything()).incidents}
    assert sorted(found) == ["1", "2"]
    assert found["1"].id == first[0].id and found["1"].status.value == "confirmed"
    assert found["1"].breach.clause_text == "No threats of violence."
    assert found["1"].breach.rule == 'signals["gbv.threat"].score >= 0.7'
    assert found["2"].breach.clause_text == "No threats of violence or intimidation."
    assert found["2"].status.value == "new"
    store.close()


def test_incident_ids_differ_by_version_and_stay_stable_within_one() -> None:
    assert Incident.make_id("i", "c", "K", "1") == Incident.make_id("i", "c", "K", "1")
    assert Incident.make_id("i", "c", "K", "1") != Incident.make_id("i", "c", "K", "2")
    assert Incident.make_id("i", "c", "K") != Incident.make_id("i", "c", "K", "1")
