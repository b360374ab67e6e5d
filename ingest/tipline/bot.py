"""The tipline's Telegram front end: a bot that turns private messages into tips.

Long polling (``getUpdates`` with ``allowed_updates=["message"]``) against ``bot_api_base``,
so that tests run it against a local fake of the Bot API. A message's text or caption, its
links and its photo, video, voice note or document (through ``getFile``, within the tipline's
file limit) become one tip; the bot answers with the acknowledgement id. The chat id is kept as
the reporter's contact in the private contacts table, so that the commission can answer, and
nowhere else. The next ``offset`` and the bot's health are saved in
``<data_dir>/checkpoints/tipline-bot.json``, so a restart neither loses nor repeats messages
and the dashboard shows the bot beside the other sources.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.connectors.base import Checkpoint, ConnectorError, ConnectorOptions
from ingest.connectors.telegram import BotApi, bot_media
from ingest.tipline.intake import TipIntake, TiplineOptions, TipRejected
from pantau.ratelimit import RateLimiter
from pantau.schemas import utcnow

__all__ = ["TiplineBot"]

log = logging.getLogger(__name__)

WELCOME = (
    "Send me a link, a message, a photo, a video or a voice note you saw about the election, "
    "and the election commission will review it. Your chat is kept private."
)


class TiplineBot:
    """Poll a Telegram bot's private messages and file them as tips.

    :param settings: Pantau settings (``data_dir``, ``media.max_bytes``).
    :param options: tipline options (``bot_api_base``, ``bot_poll_timeout_s``, ``chat_limit``...).
    :param token: the bot token (from the tipline source's credentials).
    :param intake: where tips go; default: a :class:`TipIntake` under ``settings.data_dir``.
    :param sleep: sleep between failed polls (tests pass a recorder).
    """

    def __init__(
        self,
        settings: Any,
        options: TiplineOptions,
        token: str,
        *,
        intake: TipIntake | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.intake = intake or TipIntake(Path(settings.data_dir), options, settings.media.max_bytes)
        client_options = ConnectorOptions(
            api_base=options.bot_api_base, timeout_s=options.bot_poll_timeout_s + 10.0, max_retries=3
        )
        self.api = BotApi(BotApi.client_for(client_options, sleep), options.bot_api_base, token)
        self.sleep = sleep
        self.checkpoint = Checkpoint.for_source(Path(settings.data_dir), "tipline-bot")
        self.chats = RateLimiter(options.chat_limit, options.window_s, clock)
        self.status: dict[str, Any] = {
            "source": "tipline-bot",
            "platform": "telegram",
            "state": "idle",
            "last_error": None,
            "last_success_at": None,
            "counts": {"items": 0},
        }

    def run_once(self, timeout: int | None = None) -> int:
        """Fetch one batch of updates, file the tips, answer; return the number of tips filed."""
        state = self.checkpoint.stream("bot")
        wait = self.options.bot_poll_timeout_s if timeout is None else timeout
        updates = self.api.updates(state.get("offset"), timeout=wait, allowed=["message"])
        filed = 0
        for update in updates:
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                continue
            message = update.get("message")
            if isinstance(message, dict) and (message.get("chat") or {}).get("type") == "private":
                filed += self._handle(message)
            state["offset"] = update["update_id"] + 1
            self.checkpoint.save()  # before the next message: a crash never files a tip twice
        self.status["counts"]["items"] += filed
        self.status["state"] = "ok"
        self.status["last_success_at"] = utcnow().isoformat()
        self.checkpoint.status = dict(self.status)
        self.checkpoint.save()
        return filed

    def _handle(self, message: dict[str, Any]) -> int:
        chat_id = message["chat"]["id"]
        text = message.get("text") or message.get("caption") or ""
        if text.strip().split(" ")[0] in ("/start", "/help"):
            self._reply(chat_id, WELCOME)
            return 0
        if self.chats.hit(str(chat_id)) is not None:
            self._reply(chat_id, "You have sent many tips in a short time; please try again later.")
            return 0
        file = None
        found = bot_media(message)
        try:
            if found is not None:
                if found[3] > self.intake.max_file_bytes:
                    raise TipRejected(f"the file is over {self.intake.max_file_bytes // (1024 * 1024)} MB")
                try:
                    file = self.api.download(found[0], self.intake.max_file_bytes)
                except ConnectorError as exc:
                    raise TipRejected("the file could not be downloaded; send a link instead") from exc
            links = [
                e.get("url") or text[e["offset"] : e["offset"] + e["length"]]
                for e in (message.get("entities") or message.get("caption_entities") or [])
                if e.get("type") in ("url", "text_link")
            ]
            user = message.get("from") or {}
            contact = f"telegram:{chat_id}" + (f" (@{user['username']})" if user.get("username") else "")
            ack = self.intake.submit(
                text=text,
                url=links[0] if links else None,
                file=file,
                contact=contact,
                channel="telegram",
                language=user.get("language_code"),
            )
        except TipRejected as exc:
            self._reply(chat_id, f"Sorry, this tip was not accepted: {exc}")
            return 0
        self._reply(chat_id, f"Thank you. Your tip id is {ack['ack_id']}.")
        return 1

    def _reply(self, chat_id: int, text: str) -> None:
        try:
            self.api.send(chat_id, text)
        except ConnectorError as exc:  # the tip is filed; a lost answer must not lose the next ones
            log.warning("tipline bot could not answer: %s", type(exc).__name__)

    def run_forever(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; errors are logged, kept in ``status`` and retried with backoff."""
        failures = 0
        self.status["state"] = "running"
        while not stop.is_set():
            try:
                self.run_once()
                failures = 0
            except ConnectorError as exc:
                failures += 1
                self.status.update(
                    state="failing",
                    last_error=f"{type(exc).__name__}: {exc}"[:300],
                    last_error_at=utcnow().isoformat(),
                )
                log.warning("tipline bot: %s", self.status["last_error"])
                self.checkpoint.status = dict(self.status)
                self.checkpoint.save()
                stop.wait(min(300.0, 2.0**failures))
        self.status["state"] = "stopped"
