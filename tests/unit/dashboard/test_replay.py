"""Replaying a dead letter (dashboard.replay): the item rebuilt from the payload, run once, ids kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.replay import REPLAY_EVENT, ReplayError, item_of, replay, replayed_by
from pantau.deadletters import dead_letter
from pantau.schemas import MediaItem
from pantau.settings import Settings
from pantau.stores.base import AuditEvent
from pantau.stores.sqlite import SQLiteStore

DOXXING = {
    "id": "x-anon-3003",
    "platform": "x",
    "account": "@watcher_kl",
    "text": "We know where Aminah Yusof lives: No. 12 Jalan Mawar 3, Taman Seri Indah. Her number is "
    "012-345 6789. Pay her a visit tonight and teach her a lesson.",
}


def test_item_of_reads_an_item_or_a_feed_record_under_the_letters_source() -> None:
    item = MediaItem(id="abc", source="feed", native_id="1", platform="x", account="@a", text="hello")
    assert item_of(dead_letter(RuntimeError("x"), "detect", item, item_id="abc")).id == "abc"
    record_letter = dead_letter(RuntimeError("x"), "ingest", json.dumps(DOXXING), source="jsonl:feed")
    rebuilt = item_of(record_letter)
    assert rebuilt.text == DOXXING["text"]
    assert rebuilt.source == "jsonl:feed"
    assert rebuilt.id == MediaItem.make_id("jsonl:feed", "x-anon-3003")


@pytest.mark.parametrize(
    ("payload", "words"),
    [("", "no payload"), ("feed.jsonl", "not a feed record"), ("[1, 2]", "JSON list"), ('{"text": 1', "not")],
)
def test_item_of_says_why_a_payload_cannot_be_replayed(payload: str, words: str) -> None:
    with pytest.raises(ReplayError, match=words):
        item_of(dead_letter(RuntimeError("x"), "ingest", payload, source="feed"))


def test_replay_runs_the_item_and_finds_its_incidents(tmp_path: Path) -> None:
    settings = Settings.load(overrides={"data_dir": tmp_path})
    store = SQLiteStore(tmp_path / "pantau.db")
    store.open()
    letter = dead_letter(RuntimeError("detector crashed"), "ingest", json.dumps(DOXXING), source="feed")
    store.add_dead_letters([letter])
    outcome = replay(settings, store, letter)
    assert outcome.failed == []
    assert outcome.incidents, "the doxxing post breaches the code"
    assert {i.item.id for i in outcome.incidents} == {outcome.item_id}
    again = replay(settings, store, letter)  # ids are digests: the same incidents, not new ones
    assert {i.id for i in again.incidents} == {i.id for i in outcome.incidents}
    assert replayed_by(store, letter.id) is None
    store.audit(AuditEvent(actor="ana", role="commission", event=REPLAY_EVENT, target=letter.id))
    assert (replayed_by(store, letter.id) or "").startswith("ana at ")
    store.close()
