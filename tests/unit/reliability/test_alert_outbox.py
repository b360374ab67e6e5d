"""No alert lost (issue 19, row 3): alerts are kept with the incidents before the items count as
processed, and the pending ones are redelivered on start, exactly once per alert id."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pantau.alerting import Notifier
from pantau.schemas import Alert
from pantau.settings import Settings
from pantau.stores.base import Scope
from pantau.stores.sqlite import SQLiteStore
from streams.runner import Pipeline
from tests.mocks.incidents import make_incident

LIGHT = Path(__file__).resolve().parents[2] / "fixtures" / "detectors_light.yaml"
ABUSE = "Aminah Yusof is a stupid bitch"


class Crash(BaseException):
    """Stands for kill -9: nothing in the pipeline catches it."""


class Counting(Notifier):
    """Counts deliveries per alert id; raises :class:`Crash` at delivery number ``crash_at``."""

    name = "counting"
    rate_limited = False

    def __init__(self, crash_at: int | None = None) -> None:
        self.crash_at = crash_at
        self.calls = 0
        self.delivered: Counter[str] = Counter()

    def deliver(self, alert: Alert, urls: list[str] | None = None) -> None:
        """Count, or crash."""
        self.calls += 1
        if self.crash_at is not None and self.calls == self.crash_at:
            raise Crash
        self.delivered[alert.id] += 1


def _pipeline(tmp_path: Path, feed: Path, notifier: Notifier) -> Pipeline:
    settings = Settings.load(overrides={
        "data_dir": tmp_path / "data", "batch_size": 4, "detectors_file": LIGHT,
        "sources": [{"kind": "jsonl", "name": "t", "path": str(feed)}]}, environ={})
    pipeline = Pipeline.from_settings(settings)
    assert pipeline.alerter is not None
    pipeline.alerter.notifiers = [notifier]
    return pipeline


def _feed(tmp_path: Path, n: int) -> Path:
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": f"p{i}", "text": ABUSE if i % 2 == 0 else f"harga beras {i}"}) + "\n"
                            for i in range(n)))
    return feed


@pytest.mark.parametrize("crash_at", [1, 3, 6])
def test_a_crash_between_processing_and_delivery_loses_no_alert_and_repeats_none(
    tmp_path: Path, crash_at: int
) -> None:
    feed = _feed(tmp_path, 16)  # 8 abusive posts: 8 incidents, one commission alert each
    crashing = Counting(crash_at=crash_at)
    with pytest.raises(Crash):
        _pipeline(tmp_path, feed, crashing).run_once()

    restarted = Counting()
    report = _pipeline(tmp_path, feed, restarted).run_once()
    store = SQLiteStore(tmp_path / "data" / "pantau.db")
    kept = {state.alert.id for state in store.alerts(Scope.everything(), limit=1000)}
    assert len(kept) == 8
    delivered = crashing.delivered + restarted.delivered
    assert set(delivered) == kept and set(delivered.values()) == {1}  # every alert, exactly once
    assert report.redelivered >= 1 and store.pending_alerts() == []

    again = Counting()
    _pipeline(tmp_path, feed, again).run_once()
    assert again.calls == 0


def test_an_alert_kept_with_its_incidents_is_pending_until_delivered(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    incidents = [make_incident(str(n)) for n in range(3)]
    alerts = [Alert(id=f"a{n}", incident_id=i.id, recipient="commission", subject="s", body="b")
              for n, i in enumerate(incidents)]
    new, fresh = store.commit_batch(incidents, [], alerts, ["x", "y"])
    assert new == 3 and [a.id for a in fresh] == ["a0", "a1", "a2"]
    assert [a.id for a in store.pending_alerts()] == ["a0", "a1", "a2"]
    store.mark_alert("a1", delivered=True)
    store.mark_alert("a2", delivered=False, error="webhook down")
    assert [a.id for a in store.pending_alerts()] == ["a0", "a2"]
    assert store.commit_batch(incidents, [], alerts, ["x"])[1] == []  # replay: nothing new, still pending


def test_the_sqlite_batch_is_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    incident = make_incident("1")
    alert = Alert(id="a", incident_id=incident.id, recipient="commission", subject="s", body="b")

    def fail(*_: object, **__: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "mark_processed", fail)
    with pytest.raises(RuntimeError):
        store.commit_batch([incident], [], [alert], ["item"])
    assert store.pending_alerts() == [] and store.get_incident(incident.id, Scope.everything()) is None


def test_a_run_leaves_no_deliverable_alert_pending_even_past_one_pass(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "data" / "pantau.db")
    incident = make_incident("1")
    backlog = [Alert(id=f"a{n:03d}", incident_id=incident.id, recipient=f"r{n}", subject="s", body="b")
               for n in range(250)]  # more than one redelivery pass (100)
    store.commit_batch([incident], [], backlog, [])
    store.close()
    counting = Counting()
    report = _pipeline(tmp_path, _feed(tmp_path, 0), counting).run_once()
    assert report.redelivered == 250 and len(counting.delivered) == 250
    assert SQLiteStore(tmp_path / "data" / "pantau.db").pending_alerts() == []
