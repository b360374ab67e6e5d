"""Telegram connector: MTProto through a fake Telethon history, Bot API against a replay server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.connectors.telegram import TelegramSource
from pantau.schemas import DeadLetter, MediaItem
from tests.unit.connectors.conftest import api_source
from tests.unit.connectors.replay import Reply


class FakeHistory:
    """Messages in Telethon's ``to_dict()`` form, per channel."""

    def __init__(self, messages: dict[str, list[dict]], fail: dict[str, Exception] | None = None) -> None:
        self.by_channel = messages
        self.fail = fail or {}
        self.asked: list[tuple[str, int]] = []

    def messages(self, channel: str, min_id: int, limit: int) -> Iterator[dict]:
        self.asked.append((channel, min_id))
        if channel in self.fail:
            raise self.fail[channel]
        yield from [
            m
            for m in self.by_channel.get(channel, [])
            if not isinstance(m.get("id"), int) or m["id"] > min_id
        ][:limit]

    def download(self, channel: str, message_id: int, dest: Path, max_bytes: int) -> Path | None:
        if message_id == 13:
            return None  # private or oversized media
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / f"{channel}-{message_id}.jpg"
        path.write_bytes(b"\xff\xd8\xff")
        return path

    def close(self) -> None:
        pass


def _msg(message_id: int, text: str = "", **extra: object) -> dict:
    return {
        "_": "Message",
        "id": message_id,
        "date": datetime(2024, 5, 1, tzinfo=UTC),
        "message": text,
        "post": True,
        "views": 10,
        "entities": [],
        **extra,
    }


def _mtproto(tmp_path, registry, history, channels=("gerakanrakyat",)) -> TelegramSource:
    return TelegramSource(
        "tg",
        {"channels": list(channels), "poll_interval_s": 0},
        data_dir=tmp_path,
        registry=registry,
        credentials={"api_id": "1", "api_hash": "h", "session": "s"},
        history=history,
    )


def test_mtproto_reads_new_posts_and_resumes_from_last_id(tmp_path, registry):
    history = FakeHistory(
        {
            "gerakanrakyat": [
                _msg(
                    11,
                    "Rapat umum @aminahyusof",
                    entities=[{"_": "MessageEntityMention", "offset": 11, "length": 12}],
                ),
                _msg(12, "", media={"_": "MessageMediaPhoto"}, fwd_from={"_": "MessageFwdHeader"}),
                {"_": "MessageService", "id": 14, "action": {"_": "MessageActionPinMessage"}},
            ]
        }
    )
    source = _mtproto(tmp_path, registry, history)

    out = list(source.read())

    assert [r.native_id for r in out] == ["gerakanrakyat/11", "gerakanrakyat/12"]
    first, second = out
    assert (first.platform, first.account, first.party) == ("telegram", "gerakanrakyat", "grk")
    assert first.mentions == ["@aminahyusof"] and first.url == "https://t.me/gerakanrakyat/11"
    assert second.media[0].path.endswith("gerakanrakyat-12.jpg") and second.labels == ["forwarded"]
    again = _mtproto(tmp_path, registry, history)
    assert list(again.read()) == []
    assert history.asked[-1] == ("gerakanrakyat", 14)


def test_mtproto_unknown_channel_degrades_and_other_channels_are_read(tmp_path, registry):
    history = FakeHistory(
        {"ok": [_msg(1, "hi"), _msg(13, "", media={"_": "MessageMediaDocument"}), {"bad": 1}]},
        fail={"gone": ValueError('No user has "gone" as username')},
    )
    source = _mtproto(tmp_path, registry, history, channels=["gone", "ok"])
    out = list(source.read())
    assert [type(r).__name__ for r in out] == ["DeadLetter", "MediaItem", "MediaItem", "DeadLetter"]
    assert "gone" in out[0].reason
    assert out[2].media == [] and source.status["counts"]["unavailable"] == 1  # media not downloadable
    assert source.status["state"] == "degraded" and source.status["failing_streams"] == ["gone"]


def _bot(server, tmp_path, registry, **options) -> TelegramSource:
    opts = {"mode": "bot", **options}
    return api_source(TelegramSource, "tgbot", opts, {"bot_token": "123:SECRET"}, server, tmp_path, registry)


def _post(update_id: int, message_id: int, **fields: object) -> dict:
    chat = {"id": -1001, "title": "Gerakan Rakyat", "username": "gerakanrakyat", "type": "channel"}
    return {
        "update_id": update_id,
        "channel_post": {
            "message_id": message_id,
            "chat": chat,
            "sender_chat": chat,
            "date": 1714557600,
            **fields,
        },
    }


def test_bot_channel_posts_with_photo_and_offset_checkpoint(server, tmp_path, registry):
    updates = "/bot123:SECRET/getUpdates"
    server.add(
        "POST",
        updates,
        Reply(
            {
                "ok": True,
                "result": [
                    _post(7, 50, text="Undi kami", entities=[]),
                    _post(
                        8,
                        51,
                        caption="Poster",
                        photo=[
                            {"file_id": "small", "file_size": 10, "width": 90, "height": 90},
                            {"file_id": "big", "file_size": 300, "width": 800, "height": 800},
                        ],
                    ),
                    {
                        "update_id": 9,
                        "message": {"message_id": 1, "chat": {"id": 5, "type": "private"}, "text": "hi"},
                    },
                ],
            }
        ),
        Reply({"ok": True, "result": []}),
    )
    server.add(
        "POST",
        "/bot123:SECRET/getFile",
        Reply({"ok": True, "result": {"file_id": "big", "file_path": "photos/f1.jpg", "file_size": 3}}),
    )
    server.add("GET", "/file/bot123:SECRET/photos/f1.jpg", Reply(body=b"\xff\xd8\xff"))
    source = _bot(server, tmp_path, registry)

    out = list(source.read())

    assert [r.native_id for r in out] == ["gerakanrakyat/50", "gerakanrakyat/51"]
    assert out[0].party == "grk" and out[0].text == "Undi kami"
    assert out[1].text == "Poster" and Path(out[1].media[0].path).read_bytes() == b"\xff\xd8\xff"
    assert source.checkpoint.stream("updates")["offset"] == 10
    assert (
        b'"offset": 10' in server.calls(updates)[-1].body or b'"offset":10' in server.calls(updates)[-1].body
    )


def test_bot_429_waits_for_retry_after_in_the_body(server, tmp_path, registry):
    waits: list[float] = []
    server.add(
        "POST",
        "/bot123:SECRET/getUpdates",
        Reply(
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 9",
                "parameters": {"retry_after": 9},
            },
            status=429,
        ),
        Reply({"ok": True, "result": [_post(1, 1, text="x")]}),
        Reply({"ok": True, "result": []}),
    )
    source = _bot(server, tmp_path, registry)
    source.sleep = waits.append
    assert len(list(source.read())) == 1
    assert waits == [9.0]


def test_bot_revoked_token_is_auth_failed_and_never_shown(server, tmp_path, registry):
    server.add(
        "POST",
        "/bot123:SECRET/getUpdates",
        Reply({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401),
    )
    source = _bot(server, tmp_path, registry)
    out = list(source.read())
    assert isinstance(out[0], DeadLetter) and source.status["state"] == "auth-failed"
    assert "SECRET" not in out[0].reason and "SECRET" not in str(source.status)


def test_bot_private_file_is_counted_and_the_post_kept(server, tmp_path, registry):
    server.add(
        "POST",
        "/bot123:SECRET/getUpdates",
        Reply(
            {
                "ok": True,
                "result": [
                    _post(
                        1,
                        60,
                        caption="video",
                        video={"file_id": "v", "mime_type": "video/mp4", "file_size": 5},
                    )
                ],
            }
        ),
        Reply({"ok": True, "result": []}),
    )
    server.add(
        "POST",
        "/bot123:SECRET/getFile",
        Reply({"ok": False, "error_code": 400, "description": "Bad Request: file is too big"}, status=400),
    )
    source = _bot(server, tmp_path, registry)
    out = list(source.read())
    assert isinstance(out[0], MediaItem) and out[0].media == []
    assert source.status["counts"]["unavailable"] == 1


def test_real_telethon_message_shape_maps(tmp_path, registry):
    types = pytest.importorskip("telethon.tl.types")
    message = types.Message(
        id=5,
        peer_id=types.PeerChannel(1),
        date=datetime(2024, 5, 1, tzinfo=UTC),
        message="hi @aminah",
        entities=[types.MessageEntityMention(offset=3, length=7)],
        views=10,
        factcheck=types.FactCheck(
            hash=1, need_check=False, text=types.TextWithEntities(text="Edited video", entities=[])
        ),
    ).to_dict()
    source = _mtproto(tmp_path, registry, FakeHistory({"gerakanrakyat": [message]}))
    [item] = list(source.read())
    assert item.mentions == ["@aminah"] and item.labels == ["fact-check-note"]
    assert item.extra["fact_check"] == "Edited video" and item.published_at.year == 2024


def test_unexpected_failure_is_raised_and_shown_as_failing(tmp_path, registry):
    history = FakeHistory({}, fail={"gerakanrakyat": RuntimeError("bug")})
    source = _mtproto(tmp_path, registry, history)
    with pytest.raises(RuntimeError):
        list(source.read())
    assert source.status["state"] == "failing" and "bug" in source.status["last_error"]


@pytest.mark.parametrize(
    ("error", "state"),
    [
        ("FloodWaitError", "rate-limited"),
        ("SessionRevokedError", "auth-failed"),
        ("ChannelPrivateError", "failing"),
    ],
)
def test_telethon_errors_become_connector_states(tmp_path, registry, error, state):
    errors = pytest.importorskip("telethon.errors")
    from ingest.connectors.telegram import TelethonHistory

    exc = getattr(errors, error)(request=None, **({"capture": 42} if error == "FloodWaitError" else {}))

    class Client:
        def iter_messages(self, *_args, **_kwargs):
            raise exc

    history = object.__new__(TelethonHistory)  # no connection: only the error translation is under test
    history._client, history._cache = Client(), {}
    source = _mtproto(tmp_path, registry, history)
    out = list(source.read())
    assert isinstance(out[0], DeadLetter) and source.status["state"] == state
    if error == "FloodWaitError":
        assert source.status["retry_after_s"] == 42.0
