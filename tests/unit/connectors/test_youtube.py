"""YouTube Data API v3 connector against replayed answers in the documented format."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.connectors.youtube import YouTubeSource
from pantau.errors import ConfigError
from pantau.schemas import DeadLetter, MediaItem
from tests.unit.connectors.conftest import api_source
from tests.unit.connectors.replay import ReplayServer, Reply

CHANNEL = {
    "kind": "youtube#channelListResponse",
    "items": [
        {
            "id": "UCpbn",
            "snippet": {"title": "PBN Official", "customUrl": "@pbnofficial"},
            "contentDetails": {"relatedPlaylists": {"uploads": "UUpbn"}},
        }
    ],
}


def _entry(video_id: str, published: str | None, title: str = "t") -> dict:
    details = {"videoId": video_id}
    if published:
        details["videoPublishedAt"] = published
    return {
        "kind": "youtube#playlistItem",
        "snippet": {"title": title, "resourceId": {"videoId": video_id}},
        "contentDetails": details,
        "status": {"privacyStatus": "public" if published else "private"},
    }


def _video(video_id: str, published: str, **status: object) -> dict:
    return {
        "kind": "youtube#video",
        "id": video_id,
        "snippet": {
            "publishedAt": published,
            "channelId": "UCpbn",
            "channelTitle": "PBN Official",
            "title": f"Video {video_id}",
            "description": f"Rally with @aminahyusof {video_id}",
            "defaultAudioLanguage": "ms-MY",
            "thumbnails": {
                "default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg"},
                "high": {"url": f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg"},
            },
        },
        "contentDetails": {"duration": "PT1M"},
        "status": {"privacyStatus": "public", **status},
    }


def _source(server: ReplayServer, tmp_path: Path, sleeps, registry, **options) -> YouTubeSource:
    opts = {"channels": ["@pbnofficial"], **options}
    return api_source(YouTubeSource, "parties", opts, {"api_key": "k-secret"}, server, tmp_path, registry, sleeps)


def test_uploads_are_paged_and_mapped_with_party_and_labels(server, tmp_path, sleeps, registry):
    server.add("GET", "/channels", Reply(CHANNEL), forHandle="@pbnofficial")
    server.add(
        "GET",
        "/playlistItems",
        Reply(
            {
                "items": [_entry("v3", "2024-05-03T00:00:00Z"), _entry("gone", None, "Deleted video")],
                "nextPageToken": "P2",
            }
        ),
        pageToken=None,
    )
    server.add(
        "GET", "/playlistItems", Reply({"items": [_entry("v1", "2024-05-01T00:00:00Z")]}), pageToken="P2"
    )
    server.add(
        "GET",
        "/videos",
        Reply(
            {
                "items": [
                    _video("v3", "2024-05-03T00:00:00Z", containsSyntheticMedia=True)
                    | {"paidProductPlacementDetails": {"hasPaidProductPlacement": True}}
                ]
            }
        ),
        id="v3",
    )
    server.add("GET", "/videos", Reply({"items": [_video("v1", "2024-05-01T00:00:00Z")]}), id="v1")
    source = _source(server, tmp_path, sleeps, registry)

    out = list(source.read())

    assert [r.native_id for r in out] == ["v3", "v1"]
    first = out[0]
    assert isinstance(first, MediaItem)
    assert (first.platform, first.account, first.party) == ("youtube", "@pbnofficial", "pbn")
    assert first.labels == ["ai-generated", "paid-partnership"] and first.paid
    assert first.language == "ms" and first.mentions == ["@aminahyusof"]
    assert first.media[0].url.endswith("hqdefault.jpg") and first.url.endswith("v=v3")
    assert out[1].labels == []
    assert source.status["state"] == "ok" and source.status["counts"]["unavailable"] == 1
    assert all(r.query["key"] == "k-secret" for r in server.requests)


def test_second_pass_asks_only_for_videos_newer_than_the_last(server, tmp_path, sleeps, registry):
    server.add("GET", "/channels", Reply(CHANNEL))
    server.add(
        "GET",
        "/playlistItems",
        Reply({"items": [_entry("v1", "2024-05-01T00:00:00Z")]}),
        Reply(
            {
                "items": [_entry("v2", "2024-05-02T00:00:00Z"), _entry("v1", "2024-05-01T00:00:00Z")],
                "nextPageToken": "never-followed",
            }
        ),
    )
    server.add("GET", "/videos", Reply({"items": [_video("v1", "2024-05-01T00:00:00Z")]}), id="v1")
    server.add("GET", "/videos", Reply({"items": [_video("v2", "2024-05-02T00:00:00Z")]}), id="v2")
    assert [r.native_id for r in _source(server, tmp_path, sleeps, registry).read()] == ["v1"]

    again = _source(server, tmp_path, sleeps, registry)  # a restart: state comes from the checkpoint
    assert [r.native_id for r in again.read()] == ["v2"]
    assert len(server.calls("/channels")) == 1
    assert len(server.calls("/playlistItems")) == 2


def test_video_deleted_between_listing_and_lookup_is_counted_not_emitted(server, tmp_path, sleeps, registry):
    server.add("GET", "/channels", Reply(CHANNEL))
    server.add("GET", "/playlistItems", Reply({"items": [_entry("v1", "2024-05-01T00:00:00Z")]}))
    server.add("GET", "/videos", Reply({"items": []}))
    source = _source(server, tmp_path, sleeps, registry)
    assert list(source.read()) == []
    assert source.status["counts"]["unavailable"] == 1


def test_quota_exceeded_stops_the_pass_with_rate_limited_state(server, tmp_path, sleeps, registry):
    quota = {"error": {"code": 403, "message": "quota", "errors": [{"reason": "quotaExceeded"}]}}
    server.add("GET", "/channels", Reply(quota, status=403))
    source = _source(server, tmp_path, sleeps, registry, channels=["@pbnofficial", "UCother"])
    out = list(source.read())
    assert len(out) == 1 and isinstance(out[0], DeadLetter) and "quota" in out[0].reason
    assert source.status["state"] == "rate-limited"
    assert len(server.requests) == 1 and sleeps.waits == []


def test_malformed_playlist_entry_is_dead_lettered_and_the_rest_read(server, tmp_path, sleeps, registry):
    server.add("GET", "/channels", Reply(CHANNEL))
    server.add(
        "GET",
        "/playlistItems",
        Reply({"items": [_entry("v2", "yesterday"), "junk", _entry("v1", "2024-05-01T00:00:00Z")]}),
    )
    server.add("GET", "/videos", Reply({"items": [_video("v1", "2024-05-01T00:00:00Z")]}))
    out = list(_source(server, tmp_path, sleeps, registry).read())
    assert [type(r).__name__ for r in out] == ["DeadLetter", "DeadLetter", "MediaItem"]
    assert "yesterday" in out[0].reason


def test_malformed_video_record_is_dead_lettered_and_the_rest_read(server, tmp_path, sleeps, registry):
    server.add("GET", "/channels", Reply(CHANNEL))
    server.add(
        "GET",
        "/playlistItems",
        Reply({"items": [_entry("v2", "2024-05-02T00:00:00Z"), _entry("v1", "2024-05-01T00:00:00Z")]}),
    )
    server.add(
        "GET", "/videos", Reply({"items": [{"id": "v2", "status": {}}, _video("v1", "2024-05-01T00:00:00Z")]})
    )
    out = list(_source(server, tmp_path, sleeps, registry).read())
    assert isinstance(out[0], DeadLetter) and "snippet" in out[0].reason
    assert isinstance(out[1], MediaItem)


def test_missing_api_key_fails_at_load(tmp_path):
    from ingest.connectors import build_source
    from pantau.settings import Settings, SourceConfig

    settings = Settings(data_dir=tmp_path, registry_file=None)
    config = SourceConfig(kind="youtube", name="yt", options={"channels": ["UCx"]})
    with pytest.raises(ConfigError, match="api_key"):
        build_source(config, settings)


def test_a_pass_sooner_than_the_poll_interval_reads_nothing(server, tmp_path, sleeps, registry):
    server.add("GET", "/channels", Reply(CHANNEL))
    server.add("GET", "/playlistItems", Reply({"items": []}))
    assert list(_source(server, tmp_path, sleeps, registry, poll_interval_s=600).read()) == []
    calls = len(server.requests)
    restarted = _source(server, tmp_path, sleeps, registry, poll_interval_s=600)
    assert list(restarted.read()) == [] and len(server.requests) == calls
    assert list(_source(server, tmp_path, sleeps, registry, poll_interval_s=0).read()) == []
    assert len(server.requests) > calls


def test_high_water_mark_on_a_later_page_completes_the_pass(server, tmp_path, sleeps, registry):
    server.add("GET", "/channels", Reply(CHANNEL))
    server.add("GET", "/videos", Reply({"items": [_video("v1", "2024-05-01T00:00:00Z")]}), id="v1")
    server.add("GET", "/videos", Reply({"items": [_video("v2", "2024-05-02T00:00:00Z")]}), id="v2")
    server.add("GET", "/videos", Reply({"items": [_video("v3", "2024-05-03T00:00:00Z")]}), id="v3")
    server.add("GET", "/playlistItems", Reply({"items": [_entry("v1", "2024-05-01T00:00:00Z")]}))
    assert [r.native_id for r in _source(server, tmp_path, sleeps, registry).read()] == ["v1"]
    server.routes = [r for r in server.routes if r.path != "/playlistItems"]
    server.add(
        "GET",
        "/playlistItems",
        Reply({"items": [_entry("v3", "2024-05-03T00:00:00Z")], "nextPageToken": "P2"}),
        pageToken=None,
    )
    server.add(
        "GET",
        "/playlistItems",
        Reply(
            {
                "items": [_entry("v2", "2024-05-02T00:00:00Z"), _entry("v1", "2024-05-01T00:00:00Z")],
                "nextPageToken": "P3",
            }
        ),
        pageToken="P2",
    )
    second = _source(server, tmp_path, sleeps, registry)
    assert [r.native_id for r in second.read()] == ["v3", "v2"]
    state = second.checkpoint.stream("@pbnofficial")
    assert "cursor" not in state and state["since"].startswith("2024-05-03")


def test_missing_playlist_is_resolved_again_next_pass(server, tmp_path, sleeps, registry):
    server.add("GET", "/channels", Reply(CHANNEL))
    server.add(
        "GET",
        "/playlistItems",
        Reply({"error": {"code": 404, "errors": [{"reason": "playlistNotFound"}]}}, status=404),
        Reply({"items": []}),
    )
    first = _source(server, tmp_path, sleeps, registry)
    out = list(first.read())
    assert out[0].error_type == "ApiError" and first.status["state"] == "failing"
    list(_source(server, tmp_path, sleeps, registry).read())
    assert len(server.calls("/channels")) == 2
