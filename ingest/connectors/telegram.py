"""Telegram public channels: MTProto (Telethon) by default, or the Bot API where the bot is admin.

Why MTProto by default: the Bot API only delivers ``channel_post`` updates of channels where
the bot has been made an administrator, and a bot cannot read a channel's history. Parties
will not add a commission's bot to their channels, so monitoring *public* channels needs a
user session: Telethon reads any public channel's history by username
(``iter_messages(channel, min_id=last_id, reverse=True)``), which also gives the checkpoint
(the last message id per channel) for free.

``mode: bot`` remains for channels that do add the commission's bot (a signatory can be asked
to, as a condition of the code), and is the transport the tipline's Telegram front end shares:
``getUpdates`` long polling with ``allowed_updates=["channel_post", "edited_channel_post"]``,
the next ``offset`` checkpointed, files fetched with ``getFile`` (at most 20 MB, a Bot API
limit). Use a different bot for the tipline: one bot has a single update queue.

Credentials: mtproto needs ``api_id``, ``api_hash`` and ``session`` (a Telethon StringSession
made once, interactively, with ``python -m ingest.connectors.telegram login``); bot needs
``bot_token``. Telethon is an optional dependency, imported only in mtproto mode.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

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
    RateLimited,
    TokenExpired,
    mentions_in,
    parse_time,
)
from pantau.errors import ConfigError
from pantau.schemas import MediaFile, MediaItem, Modality

__all__ = [
    "BotApi",
    "ChannelHistory",
    "TelegramOptions",
    "TelegramSource",
    "TelethonHistory",
    "telegram_login",
]

MAX_BOT_FILE_BYTES = 20 * 1024 * 1024
"""Largest file a bot may download through ``getFile``."""


class TelegramOptions(ConnectorOptions):
    """Options of a Telegram source."""

    mode: Literal["mtproto", "bot"] = Field(
        "mtproto", description="Telethon user session, or a bot that is admin."
    )
    channels: list[str] = Field(
        default_factory=list,
        description="Public channel usernames (mtproto: required; bot: only these, when given).",
    )
    api_base: str = Field("", description="Bot API root (bot mode); tests point it at a local server.")
    page_size: int = Field(100, ge=1, le=100)
    download_media: bool = Field(
        True, description="Download photos, videos and voice notes into the media folder."
    )
    max_media_bytes: int = Field(MAX_BOT_FILE_BYTES, ge=1)


class ChannelHistory(Protocol):
    """Reads a public channel's messages (what :class:`TelethonHistory` does over MTProto)."""

    def messages(self, channel: str, min_id: int, limit: int) -> Iterator[JsonDict]:
        """Yield messages newer than ``min_id``, oldest first, in Telethon's ``to_dict()`` form."""
        ...

    def download(self, channel: str, message_id: int, dest: Path, max_bytes: int) -> Path | None:
        """Download a message's media into ``dest`` (a folder); None when over ``max_bytes``."""
        ...

    def close(self) -> None:
        """Disconnect."""
        ...


class TelethonHistory:
    """:class:`ChannelHistory` over MTProto with Telethon's synchronous client."""

    def __init__(self, api_id: int, api_hash: str, session: str) -> None:
        try:
            from telethon.sessions import StringSession  # type: ignore[import-not-found]
            from telethon.sync import TelegramClient  # type: ignore[import-not-found]
        except ImportError as exc:
            raise ConfigError(
                "Telegram mtproto mode needs Telethon: pip install 'pantau[connectors]'"
            ) from exc
        self._client = TelegramClient(StringSession(session), api_id, api_hash)
        self._client.connect()
        if not self._client.is_user_authorized():
            raise TokenExpired(
                "Telegram session is not authorised; make a new one: pantau sources telegram-login"
            )
        self._cache: dict[tuple[str, int], Any] = {}

    def messages(self, channel: str, min_id: int, limit: int) -> Iterator[JsonDict]:
        """Yield messages newer than ``min_id``, oldest first; Telegram errors become connector errors."""
        from telethon import errors  # type: ignore[import-not-found]

        self._cache.clear()
        try:
            for message in self._client.iter_messages(channel, min_id=min_id, reverse=True, limit=limit):
                if message.media is not None:
                    self._cache[(channel, message.id)] = message  # kept for download()
                yield message.to_dict()
        except errors.FloodWaitError as exc:
            # Waits under Telethon's flood_sleep_threshold are slept by Telethon itself.
            raise RateLimited(
                f"Telegram asks to wait {exc.seconds} s", retry_after=float(exc.seconds)
            ) from exc
        except errors.UnauthorizedError as exc:
            raise TokenExpired(f"Telegram session refused: {type(exc).__name__}") from exc
        except errors.RPCError as exc:
            # ChannelPrivateError, UsernameNotOccupiedError, ChannelBannedError...
            raise ConnectorError(f"channel {channel}: {type(exc).__name__}") from exc

    def download(self, channel: str, message_id: int, dest: Path, max_bytes: int) -> Path | None:
        """Download one message's media, refusing documents over ``max_bytes``."""
        message = self._cache.pop((channel, message_id), None)
        if message is None or message.media is None:
            return None
        size = getattr(getattr(message, "document", None), "size", None) or 0
        if size > max_bytes:
            return None
        dest.mkdir(parents=True, exist_ok=True)
        path = self._client.download_media(message, file=str(dest))
        return Path(path) if path else None

    def close(self) -> None:
        """Disconnect from Telegram."""
        self._client.disconnect()


class BotApi:
    """The few Bot API methods Pantau uses (``getUpdates``, ``getFile``, ``sendMessage``).

    :param client: an :class:`ApiClient` (retries, 429 with ``parameters.retry_after``).
    :param base: the Bot API root, ``https://api.telegram.org`` unless testing.
    :param token: the bot token (kept out of every error message).
    """

    def __init__(self, client: ApiClient, base: str, token: str) -> None:
        self.client = client
        self.base = base.rstrip("/")
        self._token = token

    @staticmethod
    def client_for(
        options: ConnectorOptions, sleep: Callable[[float], None], on_event: Any = None
    ) -> ApiClient:
        """An :class:`ApiClient` that reads Telegram's 429 body and tells a revoked token."""
        return ApiClient(
            options,
            sleep=sleep,
            on_event=on_event,
            retry_after_of=lambda body: (
                float((body.get("parameters") or {}).get("retry_after", 0)) or None
                if isinstance(body, dict)
                else None
            ),
            expired_error=lambda status, _body: status == 401,
        )

    def call(self, method: str, **params: Any) -> Any:
        """Call a method and return its ``result``; ``ok: false`` raises :class:`ApiError`."""
        payload = {k: v for k, v in params.items() if v is not None}
        body = self.client.request_json("POST", f"{self.base}/bot{self._token}/{method}", json_body=payload)
        if not isinstance(body, dict) or "ok" not in body:
            raise FormatChanged(f"Bot API {method}: answer has no 'ok'")
        if not body["ok"]:
            raise ApiError(f"Bot API {method}: {body.get('description', 'error')}", body=body)
        return body.get("result")

    def updates(
        self, offset: int | None, timeout: int, allowed: list[str], limit: int = 100
    ) -> list[JsonDict]:
        """Long-poll ``getUpdates`` from ``offset``."""
        result = self.call("getUpdates", offset=offset, timeout=timeout, allowed_updates=allowed, limit=limit)
        if not isinstance(result, list):
            raise FormatChanged("getUpdates: result is not a list")
        return result

    def download(self, file_id: str, max_bytes: int) -> bytes:
        """Fetch a file by id (``getFile`` then the file URL); raise when over ``max_bytes``."""
        info = self.call("getFile", file_id=file_id)
        if not isinstance(info, dict) or not info.get("file_path"):
            raise ConnectorError("getFile gave no file_path (file too large for the Bot API?)")
        if int(info.get("file_size") or 0) > max_bytes:
            raise ConnectorError(f"file over {max_bytes} bytes")
        return self.client.get_bytes(f"{self.base}/file/bot{self._token}/{info['file_path']}", max_bytes)

    def send(self, chat_id: int | str, text: str) -> None:
        """Send a text message."""
        self.call("sendMessage", chat_id=chat_id, text=text)


def bot_media(message: JsonDict) -> tuple[str, str | None, Modality, int] | None:
    """Return ``(file_id, mime, modality, size)`` of a Bot API message's main media, if any."""
    if message.get("photo"):
        largest = max(
            message["photo"], key=lambda p: p.get("file_size") or p.get("width", 0) * p.get("height", 0)
        )
        return largest["file_id"], "image/jpeg", Modality.IMAGE, int(largest.get("file_size") or 0)
    for key, modality in (
        ("video", Modality.VIDEO),
        ("animation", Modality.VIDEO),
        ("voice", Modality.AUDIO),
        ("audio", Modality.AUDIO),
        ("video_note", Modality.VIDEO),
        ("document", None),
    ):
        media = message.get(key)
        if isinstance(media, dict) and media.get("file_id"):
            mime = media.get("mime_type")
            if modality is None:
                kind = (mime or "").split("/")[0]
                modality = {"image": Modality.IMAGE, "video": Modality.VIDEO, "audio": Modality.AUDIO}.get(
                    kind
                )
                if modality is None:
                    continue
            return media["file_id"], mime, modality, int(media.get("file_size") or 0)
    return None


def save_media(data: bytes, folder: Path, suffix: str = "") -> Path:
    """Write ``data`` content-addressed under ``folder`` and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()}{suffix}"
    if not path.exists():
        path.write_bytes(data)
    return path


def _entity_mentions(text: str, entities: list[Any]) -> list[str]:
    found = []
    for ent in entities or []:
        if not isinstance(ent, dict):
            continue
        kind = ent.get("type") or ent.get("_")
        if kind in ("mention", "MessageEntityMention"):
            found.append(text[ent["offset"] : ent["offset"] + ent["length"]])
        elif kind in ("text_mention",) and (ent.get("user") or {}).get("username"):
            found.append("@" + ent["user"]["username"])
    return list(dict.fromkeys(found + mentions_in(text)))


class TelegramSource(ConnectorSource):
    """Posts of public Telegram channels (see the module docstring for the two modes)."""

    platform_name: ClassVar[str] = "telegram"
    Options: ClassVar[type[ConnectorOptions]] = TelegramOptions
    default_poll_interval_s: ClassVar[float] = 60.0
    default_api_base: ClassVar[str] = "https://api.telegram.org"
    main_credential: ClassVar[str] = "bot_token"
    options: TelegramOptions

    def __init__(self, *args: Any, history: ChannelHistory | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._history = history

    def check_config(self) -> None:
        """Require the credentials of the chosen mode (and channels in mtproto mode)."""
        if self.options.mode == "bot":
            self.secret("bot_token")
            return
        for key in ("api_id", "api_hash", "session"):
            self.secret(key)
        if not self.options.channels:
            raise ConfigError(f"source {self.name!r}: mtproto mode needs 'channels'")

    @property
    def media_folder(self) -> Path:
        """Where downloaded media go."""
        base = Path(self.settings.media_dir) if self.settings is not None else self.data_dir / "media"
        return base / "telegram"

    def streams(self) -> list[str]:
        """One stream per channel (mtproto) or the bot's single update queue."""
        if self.options.mode == "bot":
            return ["updates"]
        return [c.lstrip("@").lower() for c in self.options.channels]

    def read_stream(self, stream: str, state: JsonDict) -> Iterator[SourceRecord | None]:
        """Yield the channel's new posts (mtproto) or the bot's pending channel posts."""
        if self.options.mode == "bot":
            yield from self._read_bot(state)
        else:
            yield from self._read_history(stream, state)

    # -- mtproto ----------------------------------------------------------------------------

    def history(self) -> ChannelHistory:
        """The MTProto reader, opened on first use."""
        if self._history is None:
            api_id = self.secret("api_id") or ""
            if not api_id.isdigit():
                raise ConfigError(f"source {self.name!r}: api_id must be a number")
            self._history = TelethonHistory(
                int(api_id), self.secret("api_hash") or "", self.secret("session") or ""
            )
        return self._history

    def _read_history(self, channel: str, state: JsonDict) -> Iterator[SourceRecord | None]:
        last = int(state.get("last_id") or 0)
        limit = self.options.page_size * self.options.max_pages
        unsaved = 0
        try:
            for message in self.history().messages(channel, last, limit):
                if self._stopped.is_set():
                    break
                if not isinstance(message, dict) or not isinstance(message.get("id"), int):
                    yield self.guard(message, _format_error)
                    continue
                if message.get("_") == "MessageService":  # pins, title changes: nothing to judge
                    last = max(last, message["id"])
                    state["last_id"] = last
                    continue
                yield self.guard(message, lambda m: self._history_item(channel, m))
                last = max(last, message["id"])
                state["last_id"] = last
                unsaved += 1
                if unsaved >= self.options.page_size:
                    self.checkpoint.save()
                    unsaved = 0
        except (ConnectionError, OSError, ValueError) as exc:
            # Telethon raises ValueError for an unknown or private channel username.
            raise ConnectorError(f"channel {channel}: {type(exc).__name__}: {exc}") from exc
        finally:
            self.checkpoint.save()

    def _history_item(self, channel: str, message: JsonDict) -> MediaItem:
        text = message.get("message") or ""
        media_info = message.get("media") or {}
        media: list[MediaFile] = []
        if media_info and self.options.download_media:
            path = self.history().download(
                channel, message["id"], self.media_folder, self.options.max_media_bytes
            )
            if path is not None:
                media.append(MediaFile(path=str(path), url=f"https://t.me/{channel}/{message['id']}"))
            else:
                self.status["counts"]["unavailable"] += 1
        labels = []
        if message.get("fwd_from"):
            labels.append("forwarded")
        factcheck = message.get("factcheck") or {}
        note = (factcheck.get("text") or {}).get("text") if isinstance(factcheck, dict) else None
        if note:
            labels.append("fact-check-note")  # Telegram's own fact-check under the post
        reply = (message.get("reply_to") or {}).get("reply_to_msg_id")
        return self.make_item(
            f"{channel}/{message['id']}",
            account=channel,
            account_name=message.get("post_author"),
            party=self.party_of(channel),
            url=f"https://t.me/{channel}/{message['id']}",
            text=text,
            media=media,
            mentions=_entity_mentions(text, message.get("entities") or []),
            labels=labels,
            published_at=parse_time(message.get("date")),
            extra={
                "views": message.get("views"),
                "forwards": message.get("forwards"),
                "media_kind": media_info.get("_") if isinstance(media_info, dict) else None,
                "reply_to_message": reply,
                "grouped_id": message.get("grouped_id"),
                "fact_check": note,
            },
        )

    # -- bot --------------------------------------------------------------------------------

    def bot(self) -> BotApi:
        """The Bot API over this source's client."""
        return BotApi(self.client, self.api_base, self.secret("bot_token") or "")

    def make_client(self) -> ApiClient:
        """Client that reads Telegram's 429 body."""
        return BotApi.client_for(self.options, self.sleep, self._count_event)

    def _read_bot(self, state: JsonDict) -> Iterator[SourceRecord | None]:
        bot = self.bot()
        wanted = {c.lstrip("@").lower() for c in self.options.channels}
        for _ in range(self.options.max_pages):
            updates = bot.updates(
                state.get("offset"),
                timeout=0,
                allowed=["channel_post", "edited_channel_post"],
                limit=self.options.page_size,
            )
            self.status["counts"]["pages"] += 1
            if not updates:
                return
            for update in updates:
                post = (
                    update.get("channel_post") or update.get("edited_channel_post")
                    if isinstance(update, dict)
                    else None
                )
                if isinstance(post, dict):
                    chat = post.get("chat") or {}
                    if not wanted or str(chat.get("username", "")).lower() in wanted:
                        edited = "edited_channel_post" in update
                        yield self.guard(post, partial(self._bot_item, bot, edited=edited))
                elif not isinstance(update, dict) or "update_id" not in update:
                    yield self.guard(update, _format_error)
            ids = [
                u["update_id"] for u in updates if isinstance(u, dict) and isinstance(u.get("update_id"), int)
            ]
            if ids:
                state["offset"] = max(ids) + 1  # confirms these updates to Telegram on the next call
                self.checkpoint.save()

    def _bot_item(self, bot: BotApi, post: JsonDict, edited: bool) -> MediaItem:
        chat = post["chat"]
        channel = str(chat.get("username") or chat["id"])
        text = post.get("text") or post.get("caption") or ""
        entities = post.get("entities") or post.get("caption_entities") or []
        media: list[MediaFile] = []
        found = bot_media(post)
        if found and self.options.download_media:
            file_id, mime, modality, size = found
            if size > self.options.max_media_bytes:
                self.status["counts"]["unavailable"] += 1
            else:
                try:
                    data = bot.download(file_id, self.options.max_media_bytes)
                    path = save_media(data, self.media_folder)
                    media.append(MediaFile(path=str(path), mime=mime, modality=modality, size=len(data)))
                except (ApiError, ConnectorError):
                    self.status["counts"]["unavailable"] += 1
        message_id = post["message_id"]
        native = f"{channel}/{message_id}" + (f"@{post.get('edit_date')}" if edited else "")
        labels = ["forwarded"] if post.get("forward_origin") or post.get("forward_from_chat") else []
        if edited:
            labels.append("edited")
        return self.make_item(
            native,
            account=channel,
            account_name=chat.get("title"),
            party=self.party_of(channel),
            url=f"https://t.me/{channel}/{message_id}" if chat.get("username") else None,
            text=text,
            media=media,
            mentions=_entity_mentions(text, entities),
            labels=labels,
            published_at=parse_time(post.get("date")),
            extra={
                "author_signature": post.get("author_signature"),
                "reply_to_message": (post.get("reply_to_message") or {}).get("message_id"),
                "media_group_id": post.get("media_group_id"),
            },
        )


def _format_error(record: Any) -> MediaItem:
    raise FormatChanged(f"not a Telegram message: {str(record)[:80]}")


def telegram_login() -> None:  # pragma: no cover - interactive
    """Make a Telethon StringSession interactively (phone number and code), and print it once."""
    from telethon.sessions import StringSession  # type: ignore[import-not-found]
    from telethon.sync import TelegramClient  # type: ignore[import-not-found]

    api_id = int(input("api_id: "))
    api_hash = input("api_hash: ").strip()
    with TelegramClient(StringSession(), api_id, api_hash) as client:
        print("Store this as the source's 'session' credential (secret):")  # noqa: T201
        print(client.session.save())  # noqa: T201


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:] == ["login"]:
        telegram_login()
    else:
        print("usage: python -m ingest.connectors.telegram login")  # noqa: T201
        raise SystemExit(2)
