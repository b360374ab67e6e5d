"""YouTube Data API v3: a channel's uploads, with each video's metadata and disclosure labels.

One stream per channel. A pass calls ``channels.list`` (``id=UC...`` or ``forHandle=@name``)
for the uploads playlist, pages through ``playlistItems.list`` newest first until it reaches
the last pass's high-water mark, and asks ``videos.list`` for 50 videos at a time. Deleted and
private videos (listed in the playlist, absent from ``videos.list``) are counted as
``unavailable``, not emitted. ``status.containsSyntheticMedia`` (the creator's "altered or
synthetic content" disclosure) becomes the label ``ai-generated``;
``paidProductPlacementDetails.hasPaidProductPlacement`` becomes ``paid-partnership``.

Quota: each pass costs about ``1 + pages * 2`` units; ``quotaExceeded`` stops the pass with the
state ``rate-limited``. Video files are downloaded with yt-dlp only when ``download_media`` is
true (and yt-dlp is installed); otherwise the item carries the watch URL and the thumbnail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from ingest.base import SourceRecord
from ingest.connectors.base import (
    ApiClient,
    ApiError,
    ConnectorError,
    ConnectorOptions,
    ConnectorSource,
    FormatChanged,
    JsonDict,
    mentions_in,
    parse_time,
)
from pantau.errors import ConfigError
from pantau.schemas import MediaFile, MediaItem, Modality

__all__ = ["YouTubeOptions", "YouTubeSource", "download_video"]


class YouTubeOptions(ConnectorOptions):
    """Options of a YouTube source."""

    channels: list[str] = Field(description="Channel ids (UC...) or handles (@name) to watch.", min_length=1)
    page_size: int = Field(50, ge=1, le=50)
    download_media: bool = Field(False, description="Download video files with yt-dlp (needs yt-dlp).")
    thumbnail: bool = Field(True, description="Attach the largest thumbnail as an image.")


def _reasons(body: Any) -> set[str]:
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return set()
    return {str(e.get("reason")) for e in body["error"].get("errors", []) or [] if isinstance(e, dict)}


class YouTubeSource(ConnectorSource):
    """Uploads of YouTube channels, through the YouTube Data API v3 (credential ``api_key``)."""

    platform_name: ClassVar[str] = "youtube"
    Options: ClassVar[type[ConnectorOptions]] = YouTubeOptions
    default_poll_interval_s: ClassVar[float] = 600.0
    default_api_base: ClassVar[str] = "https://www.googleapis.com/youtube/v3"
    main_credential: ClassVar[str] = "api_key"
    options: YouTubeOptions

    def check_config(self) -> None:
        """Require the API key."""
        self.secret("api_key")

    def make_client(self) -> ApiClient:
        """Client that sends ``key=`` and tells quota and invalid-key errors."""

        def auth(_headers: dict[str, str], params: dict[str, Any]) -> None:
            params["key"] = self.secret("api_key")

        return self.api_client(
            auth=auth,
            quota_error=lambda status, body: (
                status == 403 and bool(_reasons(body) & {"quotaExceeded", "dailyLimitExceeded"})
            ),
            rate_limit_error=lambda status, body: (
                status == 403 and bool(_reasons(body) & {"rateLimitExceeded", "userRateLimitExceeded"})
            ),
            expired_error=lambda status, body: (
                status == 401 or (status == 400 and bool(_reasons(body) & {"keyInvalid", "keyExpired"}))
            ),
        )

    def streams(self) -> list[str]:
        """One stream per configured channel."""
        return list(self.options.channels)

    def _uploads_playlist(self, channel: str, state: JsonDict) -> str:
        if state.get("uploads"):
            return str(state["uploads"])
        params: dict[str, Any] = {"part": "snippet,contentDetails"}
        params["forHandle" if channel.startswith("@") else "id"] = channel
        body = self.client.get_json(f"{self.api_base}/channels", params)
        items = body.get("items") if isinstance(body, dict) else None
        if not items:
            raise ConnectorError(f"YouTube channel {channel} not found")
        try:
            uploads = items[0]["contentDetails"]["relatedPlaylists"]["uploads"]
        except (KeyError, TypeError, IndexError) as exc:
            raise FormatChanged(
                f"channels.list for {channel}: no contentDetails.relatedPlaylists.uploads"
            ) from exc
        state["uploads"] = uploads
        state["channel_title"] = (items[0].get("snippet") or {}).get("title")
        state["handle"] = (items[0].get("snippet") or {}).get("customUrl")
        return str(uploads)

    def read_stream(self, stream: str, state: JsonDict) -> Iterator[SourceRecord | None]:
        """Yield the channel's videos newer than the last pass, newest first."""
        playlist = self._uploads_playlist(stream, state)
        since = parse_time(state.get("since"))
        newest = parse_time(state.get("pending_newest"))

        def fetch(cursor: Any) -> Any:
            try:
                page = self.client.get_json(
                    f"{self.api_base}/playlistItems",
                    {
                        "part": "snippet,contentDetails,status",
                        "playlistId": playlist,
                        "maxResults": self.options.page_size,
                        "pageToken": cursor,
                    },
                )
            except ApiError as exc:
                if exc.status in (400, 404):
                    # Channel deleted or page token stale: resolve both afresh on the next pass.
                    for key in ("uploads", "cursor"):
                        state.pop(key, None)
                raise
            if not isinstance(page, dict) or not isinstance(page.get("items", []), list):
                raise FormatChanged("playlistItems.list: no 'items' list")
            return page

        def next_cursor(page: JsonDict) -> Any:
            return page.get("nextPageToken")

        reached_since = False
        for page in self.paginate(fetch, next_cursor, state):
            ids: list[str] = []
            for entry in page.get("items", []):
                if not isinstance(entry, dict):
                    yield self.guard(entry, _raise_format("playlist item is not an object"))
                    continue
                details = entry.get("contentDetails") or {}
                resource = (entry.get("snippet") or {}).get("resourceId") or {}
                video_id = details.get("videoId") or resource.get("videoId")
                if not video_id:
                    yield self.guard(entry, _raise_format("playlist item without videoId"))
                    continue
                try:
                    published = parse_time(details.get("videoPublishedAt"))
                except FormatChanged as exc:
                    yield self.guard(entry, _raise_format(str(exc)))
                    continue
                if published is None:
                    # "Deleted video" / "Private video": listed, with no publication time.
                    self.status["counts"]["unavailable"] += 1
                    continue
                if since is not None and published <= since:
                    reached_since = True
                    break
                newest = published if newest is None or published > newest else newest
                ids.append(str(video_id))
            if ids:
                yield from self._videos(ids, state)
            if newest is not None:
                state["pending_newest"] = newest.isoformat()
            if reached_since:
                break
        if reached_since:
            # Older pages were read by earlier passes: this pass is complete.
            state.pop("cursor", None)
        # The stream was read to its end (or to the high-water mark): move the mark.
        if "cursor" not in state and state.get("pending_newest"):
            state["since"] = state.pop("pending_newest")
            self.checkpoint.save()

    def _videos(self, ids: list[str], state: JsonDict) -> Iterator[SourceRecord | None]:
        body = self.client.get_json(
            f"{self.api_base}/videos",
            {
                "part": "snippet,contentDetails,status,paidProductPlacementDetails",
                "id": ",".join(ids),
                "maxResults": len(ids),
            },
        )
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise FormatChanged("videos.list: no 'items' list")
        found = {v.get("id"): v for v in items if isinstance(v, dict)}
        for video_id in ids:
            video = found.get(video_id)
            if video is None:
                self.status["counts"]["unavailable"] += 1  # deleted or made private since listed
                continue
            yield self.guard(video, lambda v: self._item(v, state))

    def _item(self, video: JsonDict, state: JsonDict) -> MediaItem:
        snippet = video["snippet"]
        status = video.get("status") or {}
        video_id = str(video["id"])
        url = f"https://www.youtube.com/watch?v={video_id}"
        labels: list[str] = []
        if status.get("containsSyntheticMedia") is True:
            labels.append("ai-generated")
        paid = bool((video.get("paidProductPlacementDetails") or {}).get("hasPaidProductPlacement"))
        if paid:
            labels.append("paid-partnership")
        if status.get("madeForKids"):
            labels.append("made-for-kids")
        media: list[MediaFile] = []
        if self.options.download_media and self.settings is not None:
            path = download_video(
                url, Path(self.settings.media_dir) / "youtube", self.settings.media.max_bytes
            )
            media.append(MediaFile(url=url, path=str(path), modality=Modality.VIDEO))
        if self.options.thumbnail:
            thumbs = snippet.get("thumbnails") or {}
            for size in ("maxres", "standard", "high", "medium", "default"):
                if isinstance(thumbs.get(size), dict) and thumbs[size].get("url"):
                    media.append(
                        MediaFile(
                            url=thumbs[size]["url"], modality=Modality.IMAGE, meta={"role": "thumbnail"}
                        )
                    )
                    break
        handle = state.get("handle") or snippet.get("channelId")
        text = snippet.get("description") or ""
        lang = snippet.get("defaultAudioLanguage") or snippet.get("defaultLanguage")
        return self.make_item(
            video_id,
            account=handle,
            account_name=snippet.get("channelTitle") or state.get("channel_title"),
            party=self.party_of(handle) or self.party_of(snippet.get("channelId")),
            url=url,
            title=snippet.get("title"),
            text=text,
            media=media,
            language=str(lang).split("-")[0].lower() if lang else None,
            mentions=mentions_in(text),
            labels=labels,
            paid=paid,
            published_at=parse_time(snippet.get("publishedAt")),
            extra={
                "channel_id": snippet.get("channelId"),
                "tags": snippet.get("tags") or [],
                "duration": (video.get("contentDetails") or {}).get("duration"),
                "privacy": status.get("privacyStatus"),
            },
        )


def _raise_format(message: str) -> Any:
    def build(_record: Any) -> MediaItem:
        raise FormatChanged(message)

    return build


def download_video(url: str, dest_dir: Path, max_bytes: int) -> Path:
    """Download one video with yt-dlp into ``dest_dir`` (at most ``max_bytes``); return its path.

    Raises :class:`ConfigError` when yt-dlp is not installed, :class:`ConnectorError` when the
    download fails (private, removed, region-locked, too large).
    """
    try:
        import yt_dlp  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ConfigError("download_media needs yt-dlp: pip install 'pantau[connectors]'") from exc
    dest_dir.mkdir(parents=True, exist_ok=True)
    video_id = re.sub(r"[^A-Za-z0-9_-]", "_", url.rsplit("=", 1)[-1])
    opts = {
        "outtmpl": str(dest_dir / f"{video_id}.%(ext)s"),
        "format": "best[ext=mp4]/best",
        "max_filesize": max_bytes,
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
    }
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            info = ydl.extract_info(url, download=True)
            path = Path(ydl.prepare_filename(info))
    except Exception as exc:  # noqa: BLE001 - yt-dlp raises many unrelated types
        raise ConnectorError(f"yt-dlp could not download {url}: {type(exc).__name__}") from exc
    if not path.is_file():
        raise ConnectorError(f"yt-dlp skipped {url} (over {max_bytes} bytes or unavailable)")
    return path
