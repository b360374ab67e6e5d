"""X API v2: user timelines and recent search, with media and users expanded.

Streams are ``user:@handle`` (``GET /2/users/:id/tweets``, paged with ``pagination_token``)
and ``search:<query>`` (``GET /2/tweets/search/recent``, paged with ``next_token``). Both ask
for ``expansions=author_id,attachments.media_keys,in_reply_to_user_id,...`` so that one page
carries the posts' authors and media in ``includes``. A pass sends ``since_id`` = the newest
id of the last complete pass, so it reads only what is new.

Credentials: ``bearer_token`` (app-only, or an OAuth 2.0 user token). With ``refresh_token``
and the option ``client_id`` an expired user token is refreshed once on HTTP 401
(``POST /2/oauth2/token``); otherwise a 401 stops the pass with the state ``auth-failed``.
HTTP 429 waits until ``x-rate-limit-reset``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any, ClassVar

from pydantic import Field, SecretStr

from ingest.base import SourceRecord
from ingest.connectors.base import (
    ApiClient,
    ConnectorError,
    ConnectorOptions,
    ConnectorSource,
    FormatChanged,
    JsonDict,
    TokenExpired,
)
from pantau.schemas import MediaFile, MediaItem, Modality

__all__ = ["XOptions", "XSource"]

_TWEET_FIELDS = (
    "id,text,created_at,author_id,lang,conversation_id,in_reply_to_user_id,referenced_tweets,"
    "attachments,entities,possibly_sensitive,note_tweet"
)
_EXPANSIONS = (
    "author_id,attachments.media_keys,in_reply_to_user_id,referenced_tweets.id,entities.mentions.username"
)
_MEDIA_FIELDS = "media_key,type,url,preview_image_url,variants,alt_text,duration_ms"


class XOptions(ConnectorOptions):
    """Options of an X source."""

    accounts: list[str] = Field(default_factory=list, description="Handles whose timelines to read.")
    queries: list[str] = Field(default_factory=list, description="Recent-search queries (last 7 days).")
    exclude: list[str] = Field(default_factory=list, description="Timeline exclusions: retweets, replies.")
    page_size: int = Field(100, ge=10, le=100)
    client_id: str | None = Field(None, description="OAuth 2.0 client id, to refresh a user token.")


class XSource(ConnectorSource):
    """Posts on X from account timelines and recent-search queries (credential ``bearer_token``)."""

    platform_name: ClassVar[str] = "x"
    Options: ClassVar[type[ConnectorOptions]] = XOptions
    default_poll_interval_s: ClassVar[float] = 300.0
    default_api_base: ClassVar[str] = "https://api.x.com"
    main_credential: ClassVar[str] = "bearer_token"
    options: XOptions

    def check_config(self) -> None:
        """Require the bearer token and at least one account or query."""
        self.secret("bearer_token")
        if not self.options.accounts and not self.options.queries:
            from pantau.errors import ConfigError

            raise ConfigError(f"source {self.name!r}: give 'accounts' or 'queries'")

    def make_client(self) -> ApiClient:
        """Client with a bearer token and, when possible, a one-time refresh."""

        def auth(headers: dict[str, str], _params: dict[str, Any]) -> None:
            headers["Authorization"] = f"Bearer {self.secret('bearer_token')}"

        refresh = (
            self._refresh if self.secret("refresh_token", required=False) and self.options.client_id else None
        )
        return self.api_client(auth=auth, refresh=refresh)

    def _refresh(self) -> None:
        body = self.client.request_json(
            "POST",
            f"{self.api_base}/2/oauth2/token",
            authenticated=False,
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.secret("refresh_token"),
                "client_id": self.options.client_id,
            },
        )
        if not isinstance(body, dict) or not body.get("access_token"):
            raise TokenExpired("X token refresh gave no access_token")
        self.credentials["bearer_token"] = SecretStr(str(body["access_token"]))
        if body.get("refresh_token"):
            self.credentials["refresh_token"] = SecretStr(str(body["refresh_token"]))

    def streams(self) -> list[str]:
        """``user:@handle`` per account, ``search:<query>`` per query."""
        users = [f"user:@{a.lstrip('@')}" for a in self.options.accounts]
        return users + [f"search:{q}" for q in self.options.queries]

    def _user_id(self, handle: str, state: JsonDict) -> str:
        if state.get("user_id"):
            return str(state["user_id"])
        body = self.client.get_json(
            f"{self.api_base}/2/users/by/username/{handle.lstrip('@')}", {"user.fields": "name,username"}
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("id"):
            detail = (body.get("errors") or [{}])[0].get("detail") if isinstance(body, dict) else None
            raise ConnectorError(f"X user {handle} not found: {detail or 'no data'}")
        state["user_id"] = str(data["id"])
        return state["user_id"]

    def read_stream(self, stream: str, state: JsonDict) -> Iterator[SourceRecord | None]:
        """Yield the posts of one timeline or query that are newer than the last pass."""
        kind, _, value = stream.partition(":")
        params: dict[str, Any] = {
            "max_results": self.options.page_size,
            "tweet.fields": _TWEET_FIELDS,
            "expansions": _EXPANSIONS,
            "media.fields": _MEDIA_FIELDS,
            "user.fields": "username,name",
            "since_id": state.get("since"),
        }
        if kind == "user":
            url = f"{self.api_base}/2/users/{self._user_id(value, state)}/tweets"
            token_param = "pagination_token"  # noqa: S105 - name of the paging query parameter, not a secret
            if self.options.exclude:
                params["exclude"] = ",".join(self.options.exclude)
        else:
            url = f"{self.api_base}/2/tweets/search/recent"
            token_param = "next_token"  # noqa: S105 - name of the paging query parameter, not a secret
            params["query"] = value

        def fetch(cursor: Any) -> JsonDict:
            page = self.client.get_json(url, {**params, token_param: cursor})
            if not isinstance(page, dict) or not isinstance(page.get("meta", {}), dict):
                raise FormatChanged(f"{stream}: page is not an object with 'meta'")
            if "data" in page and not isinstance(page["data"], list):
                raise FormatChanged(f"{stream}: 'data' is not a list")
            return page

        for page in self.paginate(fetch, lambda p: p.get("meta", {}).get("next_token"), state):
            newest = page.get("meta", {}).get("newest_id")
            if newest and "pending_newest" not in state:
                state["pending_newest"] = str(newest)  # first page of the pass holds the newest post
            # Partial errors: referenced posts deleted or from protected accounts.
            self.status["counts"]["unavailable"] += len(page.get("errors") or [])
            includes = page.get("includes") if isinstance(page.get("includes"), dict) else {}
            users = {u.get("id"): u for u in includes.get("users", []) if isinstance(u, dict)}
            media = {m.get("media_key"): m for m in includes.get("media", []) if isinstance(m, dict)}
            for post in page.get("data") or []:
                yield self.guard(post, partial(self._item, users=users, media=media, stream=stream))
        if "cursor" not in state and state.get("pending_newest"):
            state["since"] = state.pop("pending_newest")
            self.checkpoint.save()

    def _item(
        self, post: JsonDict, users: dict[Any, JsonDict], media: dict[Any, JsonDict], stream: str
    ) -> MediaItem:
        post_id = str(post["id"])
        author = users.get(post.get("author_id")) or {}
        handle = f"@{author['username']}" if author.get("username") else None
        text = (post.get("note_tweet") or {}).get("text") or post["text"]
        entities = post.get("entities") or {}
        mentions = [f"@{m['username']}" for m in entities.get("mentions", []) if m.get("username")]
        reply_user = users.get(post.get("in_reply_to_user_id")) or {}
        files = [
            _media_file(media[k]) for k in (post.get("attachments") or {}).get("media_keys", []) if k in media
        ]
        labels = ["possibly-sensitive"] if post.get("possibly_sensitive") else []
        refs = {
            r.get("type"): r.get("id") for r in post.get("referenced_tweets") or [] if isinstance(r, dict)
        }
        return self.make_item(
            post_id,
            account=handle,
            account_name=author.get("name"),
            party=self.party_of(handle),
            url=f"https://x.com/{author.get('username', 'i')}/status/{post_id}",
            text=text,
            media=[f for f in files if f is not None],
            language=post.get("lang") if post.get("lang") not in (None, "und", "zxx", "qme") else None,
            mentions=mentions,
            reply_to=f"@{reply_user['username']}"
            if reply_user.get("username")
            else post.get("in_reply_to_user_id"),
            labels=labels,
            published_at=post.get("created_at"),
            extra={
                "stream": stream,
                "conversation_id": post.get("conversation_id"),
                "quoted": refs.get("quoted"),
                "retweeted": refs.get("retweeted"),
                "hashtags": [h.get("tag") for h in entities.get("hashtags", []) if h.get("tag")],
                "links": [u.get("expanded_url") for u in entities.get("urls", []) if u.get("expanded_url")],
            },
        )


def _media_file(entry: JsonDict) -> MediaFile | None:
    kind = entry.get("type")
    if kind == "photo" and entry.get("url"):
        return MediaFile(url=entry["url"], modality=Modality.IMAGE, meta={"alt_text": entry.get("alt_text")})
    variants = [
        v for v in entry.get("variants") or [] if v.get("content_type") == "video/mp4" and v.get("url")
    ]
    if variants:
        best = max(variants, key=lambda v: v.get("bit_rate") or 0)
        return MediaFile(
            url=best["url"],
            mime="video/mp4",
            modality=Modality.VIDEO,
            meta={"duration_ms": entry.get("duration_ms"), "type": kind},
        )
    if entry.get("preview_image_url"):
        # Private or unplayable video: keep its still so image detectors can look at it.
        return MediaFile(
            url=entry["preview_image_url"], modality=Modality.IMAGE, meta={"role": "preview", "type": kind}
        )
    return None
