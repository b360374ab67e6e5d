"""Tipline: bad Unicode and deep JSON are a 400 with nothing written; a filed tip always gets its ack id
and a retry with the same Idempotency-Key files nothing more (issue 19, row 9)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.tipline.app import create_app
from ingest.tipline.intake import TiplineOptions
from pantau.settings import Settings


def _client(tmp_path: Path) -> TestClient:
    settings = Settings(data_dir=tmp_path, registry_file=None)
    return TestClient(create_app(settings, TiplineOptions(), clock=lambda: 0.0), raise_server_exceptions=False)


def _post_json(client: TestClient, body: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post("/tips", content=body.encode("ascii"),
                       headers={"content-type": "application/json", **(headers or {})})


def _written(tmp_path: Path) -> dict[str, int]:
    root = tmp_path / "tipline"
    spool = root / "spool.jsonl"
    counts = {"spool": len(spool.read_text().splitlines()) if spool.exists() else 0, "contacts": 0, "files": 0}
    if (root / "contacts.sqlite").exists():
        with sqlite3.connect(root / "contacts.sqlite") as conn:
            counts["contacts"] = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
    if (root / "files").exists():
        counts["files"] = len(list((root / "files").iterdir()))
    return counts


NOTHING = {"spool": 0, "contacts": 0, "files": 0}


@pytest.mark.parametrize(
    "body",
    [
        '{"text": "hello \\ud800 world"}',
        '{"text": "fine", "contact": "me \\udfff"}',
        '{"url": "https://example.org/\\ud83d"}',
        '{"text": "fine", "language": "\\udc80"}',
    ],
    ids=["text", "contact", "url", "language"],
)
def test_a_lone_surrogate_is_a_400_and_nothing_is_written(tmp_path: Path, body: str) -> None:
    answer = _post_json(_client(tmp_path), body)
    assert answer.status_code == 400, answer.text
    assert "not valid Unicode" in answer.json()["error"]
    assert _written(tmp_path) == NOTHING


@pytest.mark.parametrize("depth", [2_000, 50_000])
def test_deep_json_is_a_400_and_nothing_is_written(tmp_path: Path, depth: int) -> None:
    answer = _post_json(_client(tmp_path), '{"text": "x", "deep": ' + "[" * depth + "]" * depth + "}")
    assert answer.status_code == 400, answer.text
    assert "nested too deeply" in answer.json()["error"]
    assert _written(tmp_path) == NOTHING


def test_a_retry_with_the_same_idempotency_key_gets_the_first_ack_and_files_nothing(tmp_path: Path) -> None:
    client = _client(tmp_path)
    body = json.dumps({"text": "a candidate's deepfake", "contact": "+60 12 345"})
    first = _post_json(client, body, {"Idempotency-Key": "retry-key-0001"})
    again = _post_json(client, body, {"Idempotency-Key": "retry-key-0001"})
    other = _post_json(client, body, {"Idempotency-Key": "retry-key-0002"})
    assert first.status_code == again.status_code == other.status_code == 202
    assert again.json()["ack_id"] == first.json()["ack_id"] != other.json()["ack_id"]
    assert _written(tmp_path) == {"spool": 2, "contacts": 2, "files": 0}
    assert _post_json(client, body, {"Idempotency-Key": "short"}).status_code == 400


def test_a_spool_that_cannot_be_written_files_nothing_and_answers_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(tmp_path)
    intake = client.app.state.intake  # type: ignore[attr-defined]

    def full(line: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(intake, "_append", full)
    answer = _post_json(client, json.dumps({"text": "x", "contact": "me"}), {"Idempotency-Key": "retry-key-0003"})
    assert answer.status_code == 503 and "try again" in answer.json()["error"]
    assert _written(tmp_path) == NOTHING  # the contact and the retry key were rolled back
    monkeypatch.undo()
    answer = _post_json(client, json.dumps({"text": "x", "contact": "me"}), {"Idempotency-Key": "retry-key-0003"})
    assert answer.status_code == 202
    assert _written(tmp_path) == {"spool": 1, "contacts": 1, "files": 0}
