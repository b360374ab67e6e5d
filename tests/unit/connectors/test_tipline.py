"""The tipline: HTTP endpoint limits and keys, contact privacy, the spool source, the Telegram bot."""

from __future__ import annotations

import json
import sqlite3

import pytest
from fastapi.testclient import TestClient

from ingest.tipline.app import create_app
from ingest.tipline.bot import TiplineBot
from ingest.tipline.intake import TipIntake, TiplineOptions, hash_api_key
from ingest.tipline.source import TiplineSource
from pantau.schemas import DeadLetter, MediaItem
from pantau.settings import Settings, SourceConfig
from tests.unit.connectors.replay import Reply

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
PARTNER_KEY = "ptk_partner-secret"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, registry_file=None)


def _client(settings, clock=None, **options) -> TestClient:
    opts = TiplineOptions(api_keys={"factcheck-org": hash_api_key(PARTNER_KEY)}, **options)
    return TestClient(create_app(settings, opts, clock=clock or Clock()))


def _spool(settings) -> list[dict]:
    path = settings.data_dir / "tipline" / "spool.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_link_tip_is_acknowledged_and_spooled(settings):
    client = _client(settings)
    answer = client.post("/tips", data={"url": "https://x.com/a/status/1", "text": "deepfake of a candidate"})
    assert answer.status_code == 202
    ack = answer.json()["ack_id"]
    assert ack.startswith("TIP-")
    [record] = _spool(settings)
    assert record["id"] == ack and record["url"] == "https://x.com/a/status/1" and record["is_tip"]


def test_file_tip_is_stored_content_addressed(settings):
    client = _client(settings)
    answer = client.post("/tips", files={"file": ("poster.png", PNG, "image/png")})
    assert answer.status_code == 202
    [record] = _spool(settings)
    assert record["media"][0]["mime"] == "image/png"
    assert open(record["media"][0]["path"], "rb").read() == PNG


def test_json_tip_from_partner_with_key(settings):
    client = _client(settings)
    answer = client.post("/tips", json={"text": "coordinated posts"}, headers={"X-API-Key": PARTNER_KEY})
    assert answer.status_code == 202
    assert _spool(settings)[0]["partner"] == "factcheck-org" and _spool(settings)[0]["channel"] == "api"


@pytest.mark.parametrize(
    ("headers", "require", "status"),
    [
        ({"X-API-Key": "wrong"}, False, 401),
        ({"Authorization": "Bearer wrong"}, False, 401),
        ({}, True, 401),
        ({"Authorization": f"Bearer {PARTNER_KEY}"}, True, 202),
    ],
)
def test_api_keys(settings, headers, require, status):
    client = _client(settings, require_api_key=require)
    assert client.post("/tips", json={"text": "x"}, headers=headers).status_code == status


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": {"text": ""}}, 400),
        ({"data": {"url": "javascript:alert(1)"}}, 400),
        ({"data": {"text": "x" * 101}}, 413),
        ({"files": {"file": ("a.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/octet-stream")}}, 415),
        ({"files": {"file": ("big.png", PNG + b"\x00" * 5000, "image/png")}}, 413),
        ({"content": b"plain", "headers": {"Content-Type": "text/plain"}}, 415),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400),
    ],
)
def test_bad_or_oversized_tips_are_refused(settings, kwargs, status):
    client = _client(settings, max_text_chars=100, max_file_bytes=2000)
    assert client.post("/tips", **kwargs).status_code == status
    assert not (settings.data_dir / "tipline" / "spool.jsonl").exists()


def test_declared_length_over_the_limit_is_refused_before_reading(settings):
    client = _client(settings, max_text_chars=100, max_file_bytes=1000)
    answer = client.post(
        "/tips", content=b"x" * 10, headers={"Content-Type": "application/json", "Content-Length": "999999"}
    )
    assert answer.status_code == 413


def test_rate_limit_per_ip_then_window_reopens(settings):
    clock = Clock()
    client = _client(settings, clock=clock, ip_limit=2, window_s=60)
    assert [client.post("/tips", data={"text": "t"}).status_code for _ in range(3)] == [202, 202, 429]
    refused = client.post("/tips", data={"text": "t"})
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 61
    # A partner key has its own, larger budget.
    assert client.post("/tips", json={"text": "t"}, headers={"X-API-Key": PARTNER_KEY}).status_code == 202
    clock.now += 61
    assert client.post("/tips", data={"text": "t"}).status_code == 202


def test_rate_limit_per_api_key(settings):
    client = _client(settings, key_limit=1)
    headers = {"X-API-Key": PARTNER_KEY}
    assert [client.post("/tips", json={"text": "t"}, headers=headers).status_code for _ in range(2)] == [
        202,
        429,
    ]


def test_contact_is_kept_apart_from_the_tip_and_the_item(settings):
    client = _client(settings)
    ack = client.post("/tips", data={"text": "seen on WhatsApp", "contact": "+60 12-345 6789"}).json()[
        "ack_id"
    ]
    spool_text = (settings.data_dir / "tipline" / "spool.jsonl").read_text()
    assert "345 6789" not in spool_text
    intake = TipIntake(settings.data_dir, TiplineOptions())
    assert intake.contact(ack) == "+60 12-345 6789"
    assert oct((settings.data_dir / "tipline" / "contacts.sqlite").stat().st_mode & 0o777) == "0o600"
    [item] = list(
        TiplineSource("tips", settings.data_dir / "tipline" / "spool.jsonl", settings.data_dir).read()
    )
    assert "345 6789" not in item.model_dump_json()
    rows = (
        sqlite3.connect(settings.data_dir / "tipline" / "contacts.sqlite")
        .execute("SELECT * FROM contacts")
        .fetchall()
    )
    assert rows[0][0] == ack


def test_source_reads_each_tip_once_and_skips_a_partial_line(settings):
    intake = TipIntake(settings.data_dir, TiplineOptions())
    first = intake.submit(text="one")["ack_id"]
    spool = settings.data_dir / "tipline" / "spool.jsonl"
    with spool.open("ab") as fh:
        fh.write(b'{"id": "broken"\n{"id": "half-writ')
    source = TiplineSource("tips", spool, settings.data_dir)
    out = list(source.read())
    assert isinstance(out[0], MediaItem) and out[0].native_id == first
    assert (out[0].platform, out[0].is_tip, out[0].source) == ("tip", True, "tipline:tips")
    assert isinstance(out[1], DeadLetter) and len(out) == 2
    with spool.open("ab") as fh:
        fh.write(b'ten", "text": "two"}\n')
    again = TiplineSource("tips", spool, settings.data_dir)  # a restart
    assert [r.native_id for r in again.read()] == ["half-written"]


def test_build_source_makes_a_tipline_source(settings):
    from ingest.connectors import build_source

    source = build_source(SourceConfig(kind="tipline", name="tips"), settings)
    assert isinstance(source, TiplineSource) and list(source.read()) == []


def test_telegram_bot_files_tips_and_answers(server, settings):
    token = "999:BOT"
    private = {"id": 42, "type": "private"}
    server.add(
        "POST",
        f"/bot{token}/getUpdates",
        Reply(
            {
                "ok": True,
                "result": [
                    {"update_id": 5, "message": {"message_id": 1, "chat": private, "text": "/start"}},
                    {
                        "update_id": 6,
                        "message": {
                            "message_id": 2,
                            "chat": private,
                            "from": {"id": 42, "username": "warga"},
                            "text": "see https://t.me/c/1 fake video",
                            "entities": [{"type": "url", "offset": 4, "length": 16}],
                        },
                    },
                    {
                        "update_id": 7,
                        "message": {
                            "message_id": 3,
                            "chat": private,
                            "caption": "poster",
                            "photo": [{"file_id": "p1", "file_size": len(PNG), "width": 1, "height": 1}],
                        },
                    },
                    {
                        "update_id": 8,
                        "message": {
                            "message_id": 4,
                            "chat": {"id": -5, "type": "group"},
                            "text": "group chat",
                        },
                    },
                ],
            }
        ),
    )
    server.add(
        "POST",
        f"/bot{token}/getFile",
        Reply({"ok": True, "result": {"file_id": "p1", "file_path": "photos/p.png"}}),
    )
    server.add("GET", f"/file/bot{token}/photos/p.png", Reply(body=PNG))
    server.add("POST", f"/bot{token}/sendMessage", Reply({"ok": True, "result": {}}))
    bot = TiplineBot(settings, TiplineOptions(bot_api_base=server.url), token, sleep=lambda _s: None)

    assert bot.run_once(timeout=0) == 2

    records = _spool(settings)
    assert records[0]["url"] == "https://t.me/c/1" and records[0]["channel"] == "telegram"
    assert records[1]["media"][0]["mime"] == "image/png"
    assert "warga" not in json.dumps(records) and "42" not in json.dumps([r["text"] for r in records])
    answers = [json.loads(r.body) for r in server.calls(f"/bot{token}/sendMessage")]
    assert answers[0]["chat_id"] == 42 and "election" in answers[0]["text"]
    assert records[0]["id"] in answers[1]["text"]
    intake = TipIntake(settings.data_dir, TiplineOptions())
    assert intake.contact(records[0]["id"]) == "telegram:42 (@warga)"
    assert bot.checkpoint.stream("bot")["offset"] == 9
    assert json.loads(server.calls(f"/bot{token}/getUpdates")[0].body)["allowed_updates"] == ["message"]


def test_health_of_every_source_is_readable_for_the_dashboard(server, settings):
    from ingest.connectors import read_statuses

    server.add("POST", "/bot1:T/getUpdates", Reply({"ok": True, "result": []}))
    TiplineBot(settings, TiplineOptions(bot_api_base=server.url), "1:T").run_once(timeout=0)
    list(TiplineSource("tips", settings.data_dir / "tipline" / "spool.jsonl", settings.data_dir).read())
    statuses = read_statuses(settings.data_dir)
    assert statuses["tipline-bot"]["state"] == "ok" and statuses["tipline-bot"]["last_success_at"]
    assert statuses["tipline:tips"]["state"] == "ok"


def test_source_counts_survive_a_restart(settings):
    intake = TipIntake(settings.data_dir, TiplineOptions())
    spool = settings.data_dir / "tipline" / "spool.jsonl"
    intake.submit(text="one")
    list(TiplineSource("tips", spool, settings.data_dir).read())
    intake.submit(text="two")
    restarted = TiplineSource("tips", spool, settings.data_dir)
    list(restarted.read())
    assert restarted.status["counts"]["items"] == 2
