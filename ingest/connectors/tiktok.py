"""TikTok Research API: video query by usernames, keywords and hashtags.

``POST /v2/research/video/query/?fields=...`` with a JSON body ``{"query": {"and": [...]},
"start_date": "YYYYMMDD", "end_date": "YYYYMMDD", "max_count": 100, "cursor": N, "search_id": S}``;
an answer is ``{"data": {"videos": [...], "cursor": N, "has_more": bool, "search_id": S},
"error": {"code": "ok", ...}}``. The API allows at most 30 days per query, so a pass reads
the window from the last pass's end date (or ``lookback_days`` ago) to today, in pages that
carry ``cursor`` and ``search_id``; both are checkpointed, so a restart resumes the same search.

Credentials: ``client_key`` and ``client_secret``; the client access token
(``POST /v2/oauth/token/``, ``grant_type=client_credentials``, valid two hours) is fetched on
first use and fetched again once when an answer says ``access_token_invalid`` (HTTP 401).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from ingest.base import SourceRecord
from ingest.connectors.base import (
    ApiClient,
    ApiError,
    ConnectorOptions,
    ConnectorSource,
    FormatChanged,
    JsonDict,
    TokenExpired,
    mentions_in,
    parse_time,
)
from pantau.errors import ConfigError
from pantau.schemas import MediaFile, MediaItem, Modality, utcnow

__all__ = ["TikTokOptions", "TikTokSource"]

_FIELDS = (
    "id,video_description,create_time,region_code,share_count,view_count,like_count,comment_count,"
    "music_id,hashtag_names,username,effect_ids,playlist_id,voice_to_text,video_duration"
)
_MAX_WINDOW_DAYS = 30


class TikTokOptions(ConnectorOptions):
    """Options of a TikTok source."""

    usernames: list[str] = Field(default_factory=list, description="Accounts whose videos to read.")
    keywords: list[str] = Field(default_factory=list, description="Keywords searched in descriptions.")
    hashtags: list[str] = Field(default_factory=list, description="Hashtag names (without #).")
    region_codes: list[str] = Field(default_factory=list, description="Limit to these regions (e.g. MY, ID).")
    lookback_days: int = Field(7, ge=1, le=_MAX_WINDOW_DAYS, description="Window of the first pass.")
    page_size: int = Field(100, ge=1, le=100)
    download_media: bool = Field(False, description="Download videos with yt-dlp (needs yt-dlp).")


def _error_code(body: Any) -> str:
    err = body.get("error") if isinstance(body, dict) else None
    return str(err.get("code")) if isinstance(err, dict) else ""


class TikTokSource(ConnectorSource):
    """Videos from the TikTok Research API (credentials ``client_key`` and ``client_secret``)."""

    platform_name: ClassVar[str] = "tiktok"
    Options: ClassVar[type[ConnectorOptions]] = TikTokOptions
    default_poll_interval_s: ClassVar[float] = 3600.0
    default_api_base: ClassVar[str] = "https://open.tiktokapis.com"
    main_credential: ClassVar[str] = "client_secret"
    options: TikTokOptions

    def check_config(self) -> None:
        """Require the client key and secret and something to search for."""
        self.secret("client_key")
        self.secret("client_secret")
        if not (self.options.usernames or self.options.keywords or self.options.hashtags):
            raise ConfigError(f"source {self.name!r}: give 'usernames', 'keywords' or 'hashtags'")

    def make_client(self) -> ApiClient:
        """Client with the client-credentials token, renewed once on ``access_token_invalid``."""
        self._token: str | None = None

        def auth(headers: dict[str, str], _params: dict[str, Any]) -> None:
            if self._token is None:
                self._fetch_token()
            headers["Authorization"] = f"Bearer {self._token}"

        return self.api_client(
            auth=auth,
            refresh=self._fetch_token,
            expired_error=lambda status, body: status == 401 or _error_code(body) == "access_token_invalid",
            rate_limit_error=lambda _status, body: _error_code(body) == "rate_limit_exceeded",
        )

    def _fetch_token(self) -> None:
        body = self.client.request_json(
            "POST",
            f"{self.api_base}/v2/oauth/token/",
            authenticated=False,
            data={
                "client_key": self.secret("client_key"),
                "client_secret": self.secret("client_secret"),
                "grant_type": "client_credentials",
            },
        )
        if not isinstance(body, dict) or not body.get("access_token"):
            raise TokenExpired(f"TikTok token request refused: {_error_code(body) or 'no access_token'}")
        self._token = str(body["access_token"])

    def streams(self) -> list[str]:
        """``users`` (every configured username in one query) and ``keywords`` (keywords or hashtags)."""
        found = []
        if self.options.usernames:
            found.append("users")
        if self.options.keywords or self.options.hashtags:
            found.append("keywords")
        return found

    def _query(self, stream: str) -> JsonDict:
        """The documented query shape: top-level ``and`` / ``or`` lists of conditions."""

        def condition(field: str, values: list[str]) -> JsonDict:
            return {"operation": "IN", "field_name": field, "field_values": values}

        query: JsonDict = {}
        if stream == "users":
            query["and"] = [condition("username", [u.lstrip("@") for u in self.options.usernames])]
        else:
            either = []
            if self.options.keywords:
                either.append(condition("keyword", list(self.options.keywords)))
            if self.options.hashtags:
                either.append(condition("hashtag_name", [h.lstrip("#") for h in self.options.hashtags]))
            query["or"] = either
        if self.options.region_codes:
            query.setdefault("and", []).append(condition("region_code", list(self.options.region_codes)))
        return query

    def read_stream(self, stream: str, state: JsonDict) -> Iterator[SourceRecord | None]:
        """Yield the videos of the window since the last pass, page by page."""
        today = utcnow().date()
        if isinstance(state.get("cursor"), dict):
            window = (state["cursor"]["start_date"], state["cursor"]["end_date"])
        else:
            since = parse_time(state.get("since"))
            start = since.date() if since else today - timedelta(days=self.options.lookback_days)
            start = max(start, today - timedelta(days=_MAX_WINDOW_DAYS - 1))
            window = (start.strftime("%Y%m%d"), today.strftime("%Y%m%d"))
        query = self._query(stream)

        def fetch(cursor: Any) -> JsonDict:
            body: JsonDict = {
                "query": query,
                "start_date": window[0],
                "end_date": window[1],
                "max_count": self.options.page_size,
            }
            if isinstance(cursor, dict):
                body |= {"cursor": cursor["cursor"], "search_id": cursor["search_id"]}
            answer = self.client.request_json(
                "POST",
                f"{self.api_base}/v2/research/video/query/",
                params={"fields": _FIELDS},
                json_body=body,
            )
            if _error_code(answer) not in ("ok", ""):
                raise ApiError(f"TikTok query error: {_error_code(answer)}", body=answer)
            data = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(data, dict) or not isinstance(data.get("videos", []), list):
                raise FormatChanged("video query: no data.videos list")
            return data

        def next_cursor(data: JsonDict) -> Any:
            if not data.get("has_more"):
                return None
            return {
                "cursor": data.get("cursor"),
                "search_id": data.get("search_id"),
                "start_date": window[0],
                "end_date": window[1],
            }

        for data in self.paginate(fetch, next_cursor, state):
            for video in data.get("videos") or []:
                yield self.guard(video, self._item)
        if "cursor" not in state:
            state["since"] = window[1]
            self.checkpoint.save()

    def _item(self, video: JsonDict) -> MediaItem:
        video_id = str(video["id"])
        username = video.get("username")
        handle = username.lstrip("@") if isinstance(username, str) else None
        url = (
            f"https://www.tiktok.com/@{handle}/video/{video_id}"
            if handle
            else f"https://www.tiktok.com/video/{video_id}"
        )
        text = video.get("video_description") or ""
        media: list[MediaFile] = []
        if self.options.download_media and self.settings is not None:
            from ingest.connectors.youtube import download_video

            path = download_video(
                url, Path(self.settings.media_dir) / "tiktok", self.settings.media.max_bytes
            )
            media.append(MediaFile(url=url, path=str(path), modality=Modality.VIDEO))
        return self.make_item(
            video_id,
            account=handle,
            party=self.party_of(handle),
            url=url,
            text=text,
            media=media,
            mentions=mentions_in(text),
            published_at=parse_time(video.get("create_time")),
            extra={
                "hashtags": video.get("hashtag_names") or [],
                "region": video.get("region_code"),
                "voice_to_text": video.get("voice_to_text"),
                "effect_ids": video.get("effect_ids") or [],
                "music_id": video.get("music_id"),
                "duration_s": video.get("video_duration"),
                "views": video.get("view_count"),
            },
        )
