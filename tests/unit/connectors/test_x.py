"""X API v2 connector against replayed answers in the documented format."""

from __future__ import annotations

import time

from ingest.connectors.x import XSource
from pantau.schemas import DeadLetter, MediaItem
from tests.unit.connectors.conftest import api_source
from tests.unit.connectors.replay import Reply

USER = {"data": {"id": "111", "name": "PBN", "username": "pbn_official"}}


def _page(ids: list[str], next_token: str | None = None, **extra: object) -> dict:
    meta: dict = {"result_count": len(ids)}
    if ids:
        meta |= {"newest_id": ids[0], "oldest_id": ids[-1]}
    if next_token:
        meta["next_token"] = next_token
    return {
        "data": [
            {
                "id": i,
                "text": f"post {i} @aminahyusof",
                "created_at": "2024-05-01T10:00:00.000Z",
                "author_id": "111",
                "lang": "en",
                "in_reply_to_user_id": "222",
                "attachments": {"media_keys": ["3_1", "7_1"]},
                "entities": {"mentions": [{"start": 8, "end": 20, "username": "aminahyusof", "id": "222"}]},
            }
            for i in ids
        ],
        "includes": {
            "users": [USER["data"], {"id": "222", "name": "Aminah", "username": "aminahyusof"}],
            "media": [
                {"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/a.jpg"},
                {
                    "media_key": "7_1",
                    "type": "video",
                    "preview_image_url": "https://p/v.jpg",
                    "variants": [
                        {"content_type": "application/x-mpegURL", "url": "https://v/m.m3u8"},
                        {"content_type": "video/mp4", "bit_rate": 256000, "url": "https://v/lo.mp4"},
                        {"content_type": "video/mp4", "bit_rate": 2176000, "url": "https://v/hi.mp4"},
                    ],
                },
            ],
        },
        "meta": meta,
        **extra,
    }


def _source(server, tmp_path, sleeps, registry, credentials=None, **options) -> XSource:
    opts = {"accounts": ["@pbn_official"], **options}
    credentials = credentials or {"bearer_token": "b-secret"}
    return api_source(XSource, "x", opts, credentials, server, tmp_path, registry, sleeps)


def test_timeline_is_paged_with_pagination_token_and_expanded(server, tmp_path, sleeps, registry):
    server.add("GET", "/2/users/by/username/pbn_official", Reply(USER))
    server.add("GET", "/2/users/111/tweets", Reply(_page(["9", "8"], "T2")), pagination_token=None)
    server.add("GET", "/2/users/111/tweets", Reply(_page(["7"])), pagination_token="T2")
    source = _source(server, tmp_path, sleeps, registry)

    out = list(source.read())

    assert [r.native_id for r in out] == ["9", "8", "7"]
    item = out[0]
    assert isinstance(item, MediaItem)
    assert (item.account, item.party, item.reply_to) == ("@pbn_official", "pbn", "@aminahyusof")
    assert item.mentions == ["@aminahyusof"]
    assert [m.url for m in item.media] == ["https://pbs.twimg.com/media/a.jpg", "https://v/hi.mp4"]
    assert server.requests[-1].headers["Authorization"] == "Bearer b-secret"
    assert source.checkpoint.stream("user:@pbn_official")["since"] == "9"


def test_next_pass_sends_since_id(server, tmp_path, sleeps, registry):
    server.add("GET", "/2/users/by/username/pbn_official", Reply(USER))
    server.add("GET", "/2/users/111/tweets", Reply(_page(["5"])), since_id=None)
    server.add("GET", "/2/users/111/tweets", Reply(_page([])), since_id="5")
    list(_source(server, tmp_path, sleeps, registry).read())
    again = _source(server, tmp_path, sleeps, registry)
    assert list(again.read()) == []
    assert server.calls("/2/users/111/tweets")[-1].query["since_id"] == "5"
    assert again.status["state"] == "ok"


def test_search_pages_with_next_token(server, tmp_path, sleeps, registry):
    server.add("GET", "/2/tweets/search/recent", Reply(_page(["4"], "N2")), next_token=None)
    server.add("GET", "/2/tweets/search/recent", Reply(_page(["3"])), next_token="N2")
    source = _source(server, tmp_path, sleeps, registry, accounts=[], queries=["deepfake pemilu"])
    assert [r.native_id for r in source.read()] == ["4", "3"]
    assert server.requests[0].query["query"] == "deepfake pemilu"


def test_429_waits_until_rate_limit_reset_then_continues(server, tmp_path, sleeps, registry):
    reset = str(int(time.time()) + 30)
    server.add("GET", "/2/users/by/username/pbn_official", Reply(USER))
    server.add(
        "GET",
        "/2/users/111/tweets",
        Reply({"title": "Too Many Requests"}, status=429, headers={"x-rate-limit-reset": reset}),
        Reply(_page(["1"])),
    )
    source = _source(server, tmp_path, sleeps, registry)
    assert [r.native_id for r in source.read()] == ["1"]
    assert len(sleeps.waits) == 1 and 25 <= sleeps.waits[0] <= 31
    assert source.status["counts"]["rate_limited"] == 1


def test_429_storm_gives_up_with_clear_status_and_keeps_the_cursor(server, tmp_path, sleeps, registry):
    server.add("GET", "/2/users/by/username/pbn_official", Reply(USER))
    server.add("GET", "/2/users/111/tweets", Reply(_page(["9"], "T2")), pagination_token=None)
    server.add(
        "GET",
        "/2/users/111/tweets",
        Reply({}, status=429, headers={"Retry-After": "2"}),
        pagination_token="T2",
    )
    source = _source(server, tmp_path, sleeps, registry, max_retries=3)
    out = list(source.read())
    assert [type(r).__name__ for r in out] == ["MediaItem", "DeadLetter"]
    assert sleeps.waits == [2.0, 2.0, 2.0]
    assert source.status["state"] == "rate-limited" and "RateLimited" in source.status["last_error"]
    assert source.checkpoint.stream("user:@pbn_official")["cursor"] == "T2"  # a restart resumes here


def test_expired_user_token_is_refreshed_once(server, tmp_path, sleeps, registry):
    server.add(
        "GET", "/2/users/by/username/pbn_official", Reply({"title": "Unauthorized"}, status=401), Reply(USER)
    )
    server.add("POST", "/2/oauth2/token", Reply({"access_token": "fresh", "refresh_token": "r2"}))
    server.add("GET", "/2/users/111/tweets", Reply(_page(["1"])))
    source = _source(
        server,
        tmp_path,
        sleeps,
        registry,
        credentials={"bearer_token": "old", "refresh_token": "r1"},
        client_id="cid",
    )
    assert [r.native_id for r in source.read()] == ["1"]
    assert b"refresh_token=r1" in server.calls("/2/oauth2/token")[0].body
    assert server.requests[-1].headers["Authorization"] == "Bearer fresh"


def test_expired_token_without_refresh_stops_with_auth_failed(server, tmp_path, sleeps, registry):
    server.add("GET", "/2/users/by/username/pbn_official", Reply({"title": "Unauthorized"}, status=401))
    source = _source(server, tmp_path, sleeps, registry, accounts=["@pbn_official", "@other"])
    out = list(source.read())
    assert len(out) == 1 and isinstance(out[0], DeadLetter) and out[0].error_type == "TokenExpired"
    assert source.status["state"] == "auth-failed"
    assert "b-secret" not in out[0].reason and "b-secret" not in str(source.status)


def test_malformed_page_and_deleted_references(server, tmp_path, sleeps, registry):
    server.add("GET", "/2/users/by/username/pbn_official", Reply(USER))
    page = _page(["2"], errors=[{"resource_type": "tweet", "title": "Not Found Error", "resource_id": "0"}])
    page["data"].append({"id": "3"})  # no text: the format changed
    server.add("GET", "/2/users/111/tweets", Reply(page))
    source = _source(server, tmp_path, sleeps, registry, accounts=["@pbn_official", "@ghost"])
    server.add(
        "GET",
        "/2/users/by/username/ghost",
        Reply({"errors": [{"detail": "Could not find user with username: [ghost]."}]}),
    )
    out = list(source.read())
    assert [type(r).__name__ for r in out] == ["MediaItem", "DeadLetter", "DeadLetter"]
    assert "text" in out[1].reason and "ghost" in out[2].reason
    assert source.status["state"] == "degraded" and source.status["counts"]["unavailable"] == 1


def test_not_json_page_is_format_changed(server, tmp_path, sleeps, registry):
    server.add("GET", "/2/users/by/username/pbn_official", Reply(USER))
    server.add("GET", "/2/users/111/tweets", Reply(body=b"<html>maintenance</html>"))
    source = _source(server, tmp_path, sleeps, registry)
    out = list(source.read())
    assert out[0].error_type == "FormatChanged" and source.status["state"] == "format-changed"


def test_long_retry_after_stops_the_pass_and_the_next_pass_waits(server, tmp_path, sleeps, registry):
    server.add("GET", "/2/users/by/username/pbn_official", Reply(USER))
    server.add("GET", "/2/users/111/tweets", Reply({}, status=429, headers={"Retry-After": "900"}))
    source = _source(server, tmp_path, sleeps, registry)
    out = list(source.read())
    assert out[0].error_type == "RateLimited" and sleeps.waits == []  # no 15-minute stall
    assert source.status["retry_after_s"] == 900.0
    calls = len(server.requests)
    assert list(_source(server, tmp_path, sleeps, registry).read()) == []  # a restart too
    assert len(server.requests) == calls


def test_reader_stopping_mid_pass_is_shown_and_the_page_is_read_again(server, tmp_path, sleeps, registry):
    server.add("GET", "/2/users/by/username/pbn_official", Reply(USER))
    server.add("GET", "/2/users/111/tweets", Reply(_page(["9", "8"], "T2")))
    source = _source(server, tmp_path, sleeps, registry)
    reading = source.read()
    next(reading)
    reading.close()
    assert source.status["state"] == "stopped"
    assert "cursor" not in source.checkpoint.stream("user:@pbn_official")  # page not confirmed


def test_unexpected_page_shape_fails_the_stream_as_format_changed(server, tmp_path, sleeps, registry):
    server.add("GET", "/2/users/by/username/pbn_official", Reply(USER))
    server.add("GET", "/2/users/111/tweets", Reply({"data": [], "meta": {}, "errors": 5}))
    source = _source(server, tmp_path, sleeps, registry, accounts=["@pbn_official"], queries=["q"])
    server.add("GET", "/2/tweets/search/recent", Reply(_page(["1"])))
    out = list(source.read())
    assert [type(r).__name__ for r in out] == ["DeadLetter", "MediaItem"]
    assert out[0].error_type == "FormatChanged" and source.status["state"] == "degraded"
