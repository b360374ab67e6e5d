"""Meta: public Facebook Pages through the Graph API, or records in Meta Content Library format.

``api: graph`` (default) reads ``GET /{version}/{page-id}/posts?fields=...`` for each page,
paged by ``paging.cursors.after`` while ``paging.next`` is present, with ``since`` = the newest
``created_time`` of the last complete pass. Graph errors come as HTTP 400/403 with
``{"error": {"code": N, "type": "OAuthException", ...}}``: code 190 is an expired or invalid
token (state ``auth-failed``), codes 4, 17, 32, 613 and 80001 are rate limits (retried with
backoff, then state ``rate-limited``).

``api: content_library`` reads the same envelope (``data`` + ``paging.cursors.after``) from
``content_library_path`` and maps Meta Content Library post fields (``id``, ``creation_time``,
``text``, ``post_owner``, ``multimedia``, ``is_branded_content``...). The Content Library API
itself runs only inside Meta's researcher environment; this mode is for the relay or export
service a commission runs from there.

Credential: ``access_token`` (a page or system-user token for ``pages_read_engagement`` /
Page Public Content Access).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import Field

from ingest.base import SourceRecord
from ingest.connectors.base import (
    ApiClient,
    ConnectorOptions,
    ConnectorSource,
    FormatChanged,
    JsonDict,
    mentions_in,
    parse_time,
)
from pantau.errors import ConfigError
from pantau.schemas import MediaFile, MediaItem, Modality

__all__ = ["MetaOptions", "MetaSource"]

_GRAPH_FIELDS = (
    "id,message,created_time,permalink_url,from{id,name},message_tags,status_type,sponsor_tags{id,name},"
    "attachments{media_type,type,url,title,description,media{image{src},source},"
    "subattachments{media_type,type,url,media{image{src},source}}}"
)
_RATE_LIMIT_CODES = {4, 17, 32, 613, 80001}


class MetaOptions(ConnectorOptions):
    """Options of a Meta source."""

    api: Literal["graph", "content_library"] = "graph"
    pages: list[str] = Field(default_factory=list, description="Page ids or usernames (graph).")
    queries: list[str] = Field(default_factory=list, description="Search terms (content_library).")
    api_version: str = Field(
        "v23.0", description="Graph API version (Meta retires each about two years after release)."
    )
    content_library_path: str = Field("facebook/posts", description="Path of the Content Library relay.")
    page_size: int = Field(100, ge=1, le=100)


def _graph_error(body: Any) -> int | None:
    err = body.get("error") if isinstance(body, dict) else None
    code = err.get("code") if isinstance(err, dict) else None
    return code if isinstance(code, int) else None


class MetaSource(ConnectorSource):
    """Posts of public Facebook Pages (Graph API) or Meta Content Library records."""

    platform_name: ClassVar[str] = "facebook"
    Options: ClassVar[type[ConnectorOptions]] = MetaOptions
    default_poll_interval_s: ClassVar[float] = 300.0
    default_api_base: ClassVar[str] = "https://graph.facebook.com"
    main_credential: ClassVar[str] = "access_token"
    options: MetaOptions

    def check_config(self) -> None:
        """Require the access token and pages (graph) or queries (content library)."""
        self.secret("access_token")
        if self.options.api == "graph" and not self.options.pages:
            raise ConfigError(f"source {self.name!r}: give 'pages' for the Graph API")
        if self.options.api == "content_library" and not self.options.queries:
            raise ConfigError(f"source {self.name!r}: give 'queries' for the Content Library")

    def make_client(self) -> ApiClient:
        """Client with ``access_token``; tells Graph's expired-token and rate-limit codes."""

        def auth(_headers: dict[str, str], params: dict[str, Any]) -> None:
            params["access_token"] = self.secret("access_token")

        return self.api_client(
            auth=auth,
            expired_error=lambda status, body: status == 401 or _graph_error(body) == 190,
            rate_limit_error=lambda _status, body: _graph_error(body) in _RATE_LIMIT_CODES,
        )

    def streams(self) -> list[str]:
        """``page:<id>`` per page (graph) or ``query:<terms>`` per query (content library)."""
        if self.options.api == "graph":
            return [f"page:{p}" for p in self.options.pages]
        return [f"query:{q}" for q in self.options.queries]

    def read_stream(self, stream: str, state: JsonDict) -> Iterator[SourceRecord | None]:
        """Yield the posts of one page or query newer than the last pass."""
        kind, _, value = stream.partition(":")
        since = parse_time(state.get("since"))
        if kind == "page":
            url = f"{self.api_base}/{self.options.api_version}/{value}/posts"
            params: JsonDict = {"fields": _GRAPH_FIELDS, "limit": self.options.page_size}
            if since is not None:
                params["since"] = int(since.timestamp())
            build = self._graph_item
        else:
            url = f"{self.api_base}/{self.options.content_library_path.strip('/')}"
            params = {
                "q": value,
                "limit": self.options.page_size,
                "since": since.strftime("%Y-%m-%d") if since else None,
            }
            build = self._library_item

        def fetch(cursor: Any) -> JsonDict:
            page = self.client.get_json(url, {**params, "after": cursor})
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise FormatChanged(f"{stream}: page has no 'data' list")
            return page

        def next_cursor(page: JsonDict) -> Any:
            paging = page.get("paging") or {}
            return (paging.get("cursors") or {}).get("after") if paging.get("next") else None

        newest = parse_time(state.get("pending_newest"))
        for page in self.paginate(fetch, next_cursor, state):
            for post in page["data"]:
                record = self.guard(post, build)
                if isinstance(record, MediaItem) and record.published_at:
                    newest = max(newest, record.published_at) if newest else record.published_at
                yield record
            if newest is not None:
                state["pending_newest"] = newest.isoformat()
        if "cursor" not in state and state.get("pending_newest"):
            state["since"] = state.pop("pending_newest")
            self.checkpoint.save()

    def _graph_item(self, post: JsonDict) -> MediaItem:
        post_id = str(post["id"])
        author = post.get("from") or {}
        page_id = author.get("id") or post_id.split("_")[0]
        text = post.get("message") or ""
        media: list[MediaFile] = []
        for attachment in (post.get("attachments") or {}).get("data", []):
            media.extend(_graph_media(attachment))
            for sub in (attachment.get("subattachments") or {}).get("data", []):
                media.extend(_graph_media(sub))
        tags = [
            t.get("name") for t in post.get("message_tags") or [] if isinstance(t, dict) and t.get("name")
        ]
        # Branded content: the pages tagged as the post's paying sponsor.
        sponsors = [
            str(p.get("name") or p.get("id"))
            for p in (post.get("sponsor_tags") or {}).get("data", [])
            if isinstance(p, dict) and (p.get("name") or p.get("id"))
        ]
        return self.make_item(
            post_id,
            account=str(page_id),
            account_name=author.get("name"),
            party=self.party_of(str(page_id)),
            url=post.get("permalink_url"),
            text=text,
            media=media,
            mentions=tags + mentions_in(text),
            labels=["paid-partnership"] if sponsors else [],
            sponsor=", ".join(sponsors) or None,
            paid=bool(sponsors),
            published_at=parse_time(post.get("created_time")),
            extra={"status_type": post.get("status_type")},
        )

    def _library_item(self, post: JsonDict) -> MediaItem:
        owner = post.get("post_owner") or {}
        handle = owner.get("username") or owner.get("id")
        labels = ["paid-partnership"] if post.get("is_branded_content") else []
        media = []
        for entry in post.get("multimedia") or []:
            if isinstance(entry, dict) and entry.get("url"):
                kind = Modality.VIDEO if entry.get("type") == "video" else Modality.IMAGE
                media.append(MediaFile(url=entry["url"], modality=kind))
        text = post.get("text") or ""
        return self.make_item(
            str(post["id"]),
            account=str(handle) if handle else None,
            account_name=owner.get("name"),
            party=self.party_of(str(handle)) if handle else None,
            url=post.get("link") or post.get("url"),
            text=text,
            media=media,
            mentions=mentions_in(text),
            labels=labels,
            paid=bool(labels),
            published_at=parse_time(post["creation_time"]),
            extra={"owner_type": owner.get("type"), "lang": post.get("lang")},
        )


def _graph_media(attachment: Any) -> list[MediaFile]:
    if not isinstance(attachment, dict):
        return []
    media = attachment.get("media") or {}
    kind = attachment.get("media_type")
    if kind == "video" and media.get("source"):
        return [MediaFile(url=media["source"], modality=Modality.VIDEO)]
    image = (media.get("image") or {}).get("src")
    if image:
        return [
            MediaFile(url=image, modality=Modality.IMAGE, meta={"role": "preview"} if kind == "video" else {})
        ]
    return []
