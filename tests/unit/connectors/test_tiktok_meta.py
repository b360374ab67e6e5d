"""TikTok Research API and Meta Graph API / Content Library connectors against replayed answers."""

from __future__ import annotations

import json

from ingest.connectors.meta import MetaSource
from ingest.connectors.tiktok import TikTokSource
from pantau.schemas import DeadLetter, MediaItem
from tests.unit.connectors.conftest import api_source
from tests.unit.connectors.replay import Reply

TOKEN = {"access_token": "clt.1", "expires_in": 7200, "token_type": "Bearer"}


def _videos(ids: list[int], has_more: bool, cursor: int = 0) -> dict:
    return {
        "data": {
            "videos": [
                {
                    "id": i,
                    "username": "pbn.tiktok",
                    "create_time": 1714557600,
                    "video_description": f"video {i} #pemilu @aminahyusof",
                    "hashtag_names": ["pemilu"],
                    "region_code": "MY",
                    "voice_to_text": "hello",
                }
                for i in ids
            ],
            "cursor": cursor,
            "has_more": has_more,
            "search_id": "S1",
        },
        "error": {"code": "ok", "message": "", "log_id": "L"},
    }


def _tiktok(server, tmp_path, sleeps, registry, **options) -> TikTokSource:
    opts = {"usernames": ["pbn.tiktok"], **options}
    credentials = {"client_key": "ck", "client_secret": "cs"}
    return api_source(TikTokSource, "tt", opts, credentials, server, tmp_path, registry, sleeps)


def test_tiktok_query_pages_with_cursor_and_search_id(server, tmp_path, sleeps, registry):
    server.add("POST", "/v2/oauth/token/", Reply(TOKEN))
    server.add(
        "POST", "/v2/research/video/query/", Reply(_videos([1, 2], True, 2)), Reply(_videos([3], False, 3))
    )
    source = _tiktok(server, tmp_path, sleeps, registry)

    out = list(source.read())

    assert [r.native_id for r in out] == ["1", "2", "3"]
    item = out[0]
    assert (item.platform, item.account, item.party) == ("tiktok", "pbn.tiktok", "pbn")
    assert item.url == "https://www.tiktok.com/@pbn.tiktok/video/1" and item.published_at.year == 2024
    bodies = [json.loads(r.body) for r in server.calls("/v2/research/video/query/")]
    assert bodies[0]["query"]["and"][0] == {
        "operation": "IN",
        "field_name": "username",
        "field_values": ["pbn.tiktok"],
    }
    assert "cursor" not in bodies[0] and (bodies[1]["cursor"], bodies[1]["search_id"]) == (2, "S1")
    assert bodies[0]["start_date"] <= bodies[0]["end_date"] and len(bodies[0]["end_date"]) == 8
    assert server.requests[1].headers["Authorization"] == "Bearer clt.1"
    assert len(server.calls("/v2/oauth/token/")) == 1


def test_tiktok_invalid_token_is_fetched_again_once(server, tmp_path, sleeps, registry):
    server.add("POST", "/v2/oauth/token/", Reply(TOKEN), Reply(TOKEN | {"access_token": "clt.2"}))
    server.add(
        "POST",
        "/v2/research/video/query/",
        Reply({"error": {"code": "access_token_invalid", "message": "expired"}}, status=401),
        Reply(_videos([1], False)),
    )
    source = _tiktok(server, tmp_path, sleeps, registry)
    assert [r.native_id for r in source.read()] == ["1"]
    assert server.requests[-1].headers["Authorization"] == "Bearer clt.2"
    assert source.status["counts"]["refreshes"] == 1


def test_tiktok_refused_credentials_fail_the_pass_clearly(server, tmp_path, sleeps, registry):
    server.add("POST", "/v2/oauth/token/", Reply({"error": "invalid_client"}, status=401))
    source = _tiktok(server, tmp_path, sleeps, registry)
    out = list(source.read())
    assert out[0].error_type == "TokenExpired" and source.status["state"] == "auth-failed"
    assert "cs" not in out[0].reason.split()


def test_tiktok_rate_limit_error_code_is_retried(server, tmp_path, sleeps, registry):
    server.add("POST", "/v2/oauth/token/", Reply(TOKEN))
    server.add(
        "POST",
        "/v2/research/video/query/",
        Reply({"error": {"code": "rate_limit_exceeded"}}, status=429),
        Reply(_videos([1], False)),
    )
    source = _tiktok(server, tmp_path, sleeps, registry, backoff_s=2.0)
    assert [r.native_id for r in source.read()] == ["1"]
    assert len(sleeps.waits) == 1 and 2.0 <= sleeps.waits[0] <= 2.2


def test_tiktok_resumes_the_same_search_after_a_restart(server, tmp_path, sleeps, registry):
    server.add("POST", "/v2/oauth/token/", Reply(TOKEN))
    server.add("POST", "/v2/research/video/query/", Reply(_videos([1], True, 1)))
    list(_tiktok(server, tmp_path, sleeps, registry, max_pages=1).read())
    server.routes.clear()
    server.add("POST", "/v2/oauth/token/", Reply(TOKEN))
    server.add("POST", "/v2/research/video/query/", Reply(_videos([2], False, 2)))
    assert [r.native_id for r in _tiktok(server, tmp_path, sleeps, registry).read()] == ["2"]
    last = json.loads(server.calls("/v2/research/video/query/")[-1].body)
    assert (last["cursor"], last["search_id"]) == (1, "S1")


def _post(post_id: str, created: str, **extra: object) -> dict:
    return {
        "id": post_id,
        "message": "Kempen @aminahyusof",
        "created_time": created,
        "permalink_url": f"https://www.facebook.com/{post_id}",
        "from": {"id": "123456", "name": "GRK"},
        "attachments": {
            "data": [
                {
                    "media_type": "album",
                    "subattachments": {
                        "data": [
                            {"media_type": "photo", "media": {"image": {"src": "https://scontent/1.jpg"}}},
                            {
                                "media_type": "video",
                                "media": {
                                    "image": {"src": "https://scontent/2.jpg"},
                                    "source": "https://video/2.mp4",
                                },
                            },
                        ]
                    },
                }
            ]
        },
        **extra,
    }


def _meta(server, tmp_path, sleeps, registry, **options) -> MetaSource:
    opts = {"pages": ["123456"], **options}
    return api_source(MetaSource, "fb", opts, {"access_token": "EAAB-secret"}, server, tmp_path, registry, sleeps)


def test_graph_page_posts_follow_after_cursor_and_map_attachments(server, tmp_path, sleeps, registry):
    path = "/v23.0/123456/posts"
    server.add(
        "GET",
        path,
        Reply(
            {
                "data": [
                    _post(
                        "123456_2",
                        "2024-05-02T10:00:00+0000",
                        sponsor_tags={"data": [{"id": "77", "name": "Syarikat Maju"}]},
                    )
                ],
                "paging": {"cursors": {"before": "B", "after": "A1"}, "next": "https://x"},
            }
        ),
        after=None,
    )
    server.add(
        "GET",
        path,
        Reply(
            {
                "data": [_post("123456_1", "2024-05-01T10:00:00+0000")],
                "paging": {"cursors": {"before": "B", "after": "A2"}},
            }
        ),
        after="A1",
    )
    source = _meta(server, tmp_path, sleeps, registry)

    out = list(source.read())

    assert [r.native_id for r in out] == ["123456_2", "123456_1"]
    item = out[0]
    assert (item.platform, item.account, item.party) == ("facebook", "123456", "grk")
    assert [m.url for m in item.media] == ["https://scontent/1.jpg", "https://video/2.mp4"]
    assert (item.labels, item.sponsor, item.paid) == (["paid-partnership"], "Syarikat Maju", True)
    assert out[1].labels == [] and out[1].sponsor is None
    assert source.checkpoint.stream("page:123456")["since"].startswith("2024-05-02T10:00")
    assert server.requests[0].query["access_token"] == "EAAB-secret"


def test_graph_expired_token_code_190_is_auth_failed(server, tmp_path, sleeps, registry):
    err = {
        "error": {
            "message": "Error validating access token: Session has expired",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
        }
    }
    server.add("GET", "/v23.0/123456/posts", Reply(err, status=400))
    source = _meta(server, tmp_path, sleeps, registry)
    out = list(source.read())
    assert out[0].error_type == "TokenExpired" and source.status["state"] == "auth-failed"
    assert "EAAB-secret" not in json.dumps(source.status) and "EAAB-secret" not in out[0].reason


def test_graph_rate_limit_code_is_backed_off(server, tmp_path, sleeps, registry):
    limited = {"error": {"message": "Application request limit reached", "code": 4}}
    server.add(
        "GET",
        "/v23.0/123456/posts",
        Reply(limited, status=403),
        Reply(limited, status=403),
        Reply({"data": [], "paging": {}}),
    )
    source = _meta(server, tmp_path, sleeps, registry, backoff_s=1.0)
    assert list(source.read()) == []
    assert len(sleeps.waits) == 2 and sleeps.waits[1] > sleeps.waits[0] >= 1.0


def test_graph_page_without_data_is_format_changed(server, tmp_path, sleeps, registry):
    server.add("GET", "/v23.0/123456/posts", Reply({"posts": []}))
    source = _meta(server, tmp_path, sleeps, registry)
    out = list(source.read())
    assert isinstance(out[0], DeadLetter) and source.status["state"] == "format-changed"


def test_content_library_records_map_branded_content(server, tmp_path, sleeps, registry):
    record = {
        "id": "9",
        "creation_time": "2024-05-01T10:00:00",
        "text": "Promo",
        "post_owner": {"id": "123456", "name": "GRK", "type": "page"},
        "is_branded_content": True,
        "multimedia": [{"type": "video", "url": "https://v/9.mp4"}],
    }
    server.add("GET", "/facebook/posts", Reply({"data": [record, {"id": "10"}], "paging": {}}))
    source = _meta(server, tmp_path, sleeps, registry, api="content_library", pages=[], queries=["pemilu"])
    out = list(source.read())
    assert isinstance(out[0], MediaItem) and out[0].labels == ["paid-partnership"] and out[0].paid
    assert out[0].party == "grk" and out[0].media[0].modality == "video"
    assert isinstance(out[1], DeadLetter)
    assert server.requests[0].query["q"] == "pemilu"


def test_tiktok_keyword_query_uses_or_and_region_uses_and(server, tmp_path, sleeps, registry):
    server.add("POST", "/v2/oauth/token/", Reply(TOKEN))
    server.add("POST", "/v2/research/video/query/", Reply(_videos([], False)))
    source = _tiktok(
        server,
        tmp_path,
        sleeps,
        registry,
        usernames=[],
        keywords=["deepfake"],
        hashtags=["#pemilu"],
        region_codes=["MY"],
    )
    assert list(source.read()) == []
    query = json.loads(server.calls("/v2/research/video/query/")[0].body)["query"]
    assert query == {
        "or": [
            {"operation": "IN", "field_name": "keyword", "field_values": ["deepfake"]},
            {"operation": "IN", "field_name": "hashtag_name", "field_values": ["pemilu"]},
        ],
        "and": [{"operation": "IN", "field_name": "region_code", "field_values": ["MY"]}],
    }
