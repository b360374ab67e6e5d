"""What every platform connector shares: an HTTP client, checkpoints, credentials and health.

A connector is a :class:`~ingest.base.Source` that reads a platform's API in *streams* (one
channel, one account, one search query...). :class:`ConnectorSource` runs each stream in turn,
turns one bad record into a dead letter, turns a stream that fails as a whole (HTTP 429 storm,
expired token, changed format) into a dead letter plus a clear ``status``, and goes on with the
next stream: a connector degrades, it never stops silently.

The parts live in :mod:`ingest.connectors.client` and :mod:`ingest.connectors.checkpoints`; this module
re-exports them for the connectors.

* :class:`ApiClient` - httpx with a minimum interval between requests, retries with exponential
  backoff on 429/5xx and transport errors, ``Retry-After`` (seconds or HTTP date) and
  ``x-rate-limit-reset`` honoured, and one token refresh on 401 before :class:`TokenExpired`.
* :class:`Checkpoint` - JSON under ``settings.data_dir/checkpoints/<source>.json``, written
  atomically after each page, so a restart resumes at the page where it stopped and the next
  pass asks only for what is newer than the high-water mark.
* :class:`ConnectorOptions` - the pydantic options every connector extends; credentials come
  from ``SourceConfig.credentials`` (``SecretStr``) or a secret file, never from the log.

Example Snippet::

    class EchoSource(ConnectorSource):
        platform_name = "echo"
        Options = ConnectorOptions

        def streams(self):
            return ["all"]

        def read_stream(self, stream, state):
            for page in self.paginate(lambda cursor: self.client.get_json(URL, params={"p": cursor}),
                                      next_cursor=lambda page: page.get("next"), state=state):
                for rec in page["data"]:
                    yield self.guard(rec, lambda r: self.make_item(r["id"], text=r["text"]))
"""

from __future__ import annotations

import logging
import re
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import SecretStr, ValidationError

from ingest.base import Source, SourceRecord
from ingest.connectors.checkpoints import Checkpoint, JsonDict, read_statuses, restore_counts
from ingest.connectors.client import (
    ApiClient,
    ApiError,
    ConnectorError,
    ConnectorOptions,
    FormatChanged,
    RateLimited,
    TokenExpired,
    parse_retry_after,
)
from pantau.deadletters import dead_letter
from pantau.errors import BadFeed, ConfigError, PantauError
from pantau.registry import Registry
from pantau.schemas import DeadLetter, MediaItem, utcnow

__all__ = [
    "ApiClient",
    "ApiError",
    "Checkpoint",
    "ConnectorError",
    "ConnectorOptions",
    "ConnectorSource",
    "FormatChanged",
    "RateLimited",
    "TokenExpired",
    "parse_retry_after",
    "parse_time",
    "mentions_in",
    "read_statuses",
    "restore_counts",
]

log = logging.getLogger(__name__)

def parse_time(value: Any) -> datetime | None:
    """Parse an ISO 8601 string, a ``YYYYMMDD`` date or a Unix timestamp into an aware datetime.

    >>> parse_time("2024-05-01T10:00:00Z").isoformat()
    '2024-05-01T10:00:00+00:00'
    >>> parse_time(1714557600).year
    2024
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{8}", text):
            return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)
        if re.fullmatch(r"\d{9,11}", text):
            return datetime.fromtimestamp(int(text), tz=UTC)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        # Graph API writes +0000 without a colon.
        text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise FormatChanged(f"not a timestamp: {value!r}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise FormatChanged(f"not a timestamp: {value!r}")


def mentions_in(text: str) -> list[str]:
    """Return the @handles written in ``text``, in order, without duplicates.

    >>> mentions_in("thanks @Aminah and @pbn.official, @Aminah")
    ['@Aminah', '@pbn.official']
    """
    found = re.findall(r"(?<![\w@])@([A-Za-z0-9_](?:[\w.]*[\w])?)", text or "")
    return list(dict.fromkeys(f"@{h}" for h in found))


class ConnectorSource(Source):
    """A platform connector: streams read page by page, with checkpoints and a health status.

    Subclasses set ``platform_name`` and ``Options``, and implement :meth:`streams` and
    :meth:`read_stream`. Construction does no I/O; the HTTP client opens on the first read.

    :param name: the source name (part of every item id).
    :param options: the connector's validated options.
    :param data_dir: where checkpoints go (``settings.data_dir``).
    :param credentials: secrets by name (``SourceConfig.credentials``).
    :param registry: parties and accounts, to attribute items to a party.
    :param sleep: sleep function for backoff (tests pass a recorder).
    """

    platform_name: ClassVar[str] = ""
    Options: ClassVar[type[ConnectorOptions]] = ConnectorOptions
    default_api_base: ClassVar[str] = ""
    default_poll_interval_s: ClassVar[float] = 0.0

    def __init__(
        self,
        name: str,
        options: ConnectorOptions | Mapping[str, Any] | None = None,
        *,
        data_dir: Path,
        credentials: Mapping[str, SecretStr | str] | None = None,
        registry: Registry | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **defaults: Any,
    ) -> None:
        defaults.setdefault("platform", self.platform_name)
        super().__init__(name, **defaults)
        if options is None or isinstance(options, Mapping):
            try:
                options = self.Options.model_validate(dict(options or {}))
            except ValidationError as exc:
                raise ConfigError(f"source {name!r}: invalid options: {exc}") from exc
        self.options = options
        self.data_dir = Path(data_dir)
        self.credentials = {
            k: v if isinstance(v, SecretStr) else SecretStr(str(v)) for k, v in (credentials or {}).items()
        }
        self.registry = registry or Registry()
        self.sleep = sleep
        self._client: ApiClient | None = None
        self._checkpoint: Checkpoint | None = None
        self._stopped = threading.Event()
        self.settings: Any = None
        self.status.update(
            {
                "source": self.source_id,
                "platform": self.platform,
                "state": "idle",
                "last_error": None,
                "last_error_at": None,
                "last_success_at": None,
                "counts": {
                    "items": 0,
                    "dead_letters": 0,
                    "pages": 0,
                    "retries": 0,
                    "rate_limited": 0,
                    "refreshes": 0,
                    "unavailable": 0,
                },
            }
        )

    # -- configuration -------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: Any, settings: Any, registry: Registry | None = None) -> ConnectorSource:
        """Build the source from a ``SourceConfig`` and the settings (what ``build_source`` calls)."""
        source = cls(
            config.name,
            config.options,
            data_dir=settings.data_dir,
            credentials=config.credentials,
            registry=registry,
            party=config.party,
            account=config.account,
            language=config.language,
            **({"platform": config.platform} if config.platform else {}),
        )
        source.settings = settings
        source.check_config()
        return source

    def check_config(self) -> None:
        """Raise :class:`ConfigError` now when a required credential is missing (loud at load)."""

    @property
    def source_id(self) -> str:
        """The ``source`` field of this source's items, e.g. ``youtube:party-channels``."""
        return f"{type(self).__name__.removesuffix('Source').lower()}:{self.name}"

    @property
    def api_base(self) -> str:
        """The API root, without a trailing slash."""
        return (self.options.api_base or self.default_api_base).rstrip("/")

    def secret(self, key: str, required: bool = True) -> str | None:
        """Return a credential: ``credentials[key]``, else the ``token_file`` for the main key.

        Raises :class:`ConfigError` naming the key (never the value) when required and absent.
        """
        value = self.credentials.get(key)
        if value is not None and value.get_secret_value():
            return value.get_secret_value()
        if self.options.token_file and key == self.main_credential:
            try:
                return Path(self.options.token_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"source {self.name!r}: cannot read token_file: {exc.strerror}") from exc
        if required:
            raise ConfigError(
                f"source {self.name!r}: credential {key!r} is missing (credentials or token_file)"
            )
        return None

    main_credential: ClassVar[str] = "token"

    # -- plumbing --------------------------------------------------------------------------

    @property
    def client(self) -> ApiClient:
        """The API client, opened on first use."""
        if self._client is None:
            self._client = self.make_client()
        return self._client

    def make_client(self) -> ApiClient:
        """Build the API client; subclasses give :meth:`api_client` their auth, refresh and error rules."""
        return self.api_client()

    def api_client(self, **rules: Any) -> ApiClient:
        """An :class:`ApiClient` with this source's options, sleep and counters, and the given rules."""
        return ApiClient(self.options, sleep=self.sleep, on_event=self._count_event, **rules)

    def _count_event(self, event: str) -> None:
        key = {"retry": "retries", "rate_limited": "rate_limited", "refresh": "refreshes"}[event]
        self.status["counts"][key] += 1

    @property
    def checkpoint(self) -> Checkpoint:
        """This source's checkpoint, loaded on first use."""
        if self._checkpoint is None:
            self._checkpoint = Checkpoint.for_source(self.data_dir, self.source_id)
            restore_counts(self.status, self._checkpoint)
        return self._checkpoint

    def stop(self) -> None:
        """Ask a running read to stop after the current page."""
        self._stopped.set()

    def party_of(self, handle: str | None) -> str | None:
        """Return the party of an account on this platform, from the registry."""
        if self.party:
            return self.party
        acc = self.registry.account(self.platform, handle)
        return acc.party if acc else None

    def guard(self, record: Any, build: Callable[[Any], MediaItem | None]) -> SourceRecord | None:
        """Build an item from one record; a record that does not fit becomes a dead letter."""
        try:
            return build(record)
        except (PantauError, KeyError, TypeError, ValueError, AttributeError) as exc:
            return dead_letter(exc, "ingest", record, source=self.source_id)

    def paginate(
        self,
        fetch: Callable[[Any], Any],
        next_cursor: Callable[[Any], Any],
        state: JsonDict,
        first_cursor: Any = None,
    ) -> Iterator[Any]:
        """Yield pages, saving the cursor of the next page in ``state`` once a page is consumed.

        A pass resumes at ``state["cursor"]`` when the previous one stopped mid-way; it ends at
        the last page, at ``max_pages``, or when :meth:`stop` is called. ``state["cursor"]`` is
        cleared when the stream was read to its end.
        """
        cursor = state.get("cursor", first_cursor)
        for _ in range(self.options.max_pages):
            if self._stopped.is_set():
                return
            page = fetch(cursor)
            self.status["counts"]["pages"] += 1
            nxt = next_cursor(page)
            yield page
            # Reached only once the consumer took every item of the page: at-least-once.
            if not nxt:
                state.pop("cursor", None)
                self.checkpoint.save()
                return
            state["cursor"] = nxt
            self.checkpoint.save()
            cursor = nxt

    # -- the contract ------------------------------------------------------------------------

    @abstractmethod
    def streams(self) -> Iterable[str]:
        """Return the stream keys (channels, accounts, queries) to read in one pass."""

    @abstractmethod
    def read_stream(self, stream: str, state: JsonDict) -> Iterator[SourceRecord | None]:
        """Yield the records of one stream; ``state`` is its mutable checkpoint entry."""

    def read(self) -> Iterator[SourceRecord]:
        """Read every stream once; a failing stream becomes a dead letter and a status, not a stop.

        A pass sooner than ``poll_interval_s`` after the last one (in this process or before a
        restart) reads nothing, so a runner polling every 30 s does not spend a daily quota.
        """
        self._stopped.clear()
        interval = self.options.poll_interval_s
        interval = self.default_poll_interval_s if interval is None else interval
        last_pass = self.checkpoint.status.get("last_pass_at")
        if interval and isinstance(last_pass, int | float) and 0 <= time.time() - last_pass < interval:
            return
        not_before = self.checkpoint.status.get("not_before")
        if isinstance(not_before, int | float) and time.time() < not_before:
            return  # the platform asked us to wait (Retry-After) past the end of the last pass
        self.status["last_pass_at"] = time.time()
        self.status.pop("not_before", None)
        self.status["state"] = "running"
        failures: list[str] = []
        fatal = False
        completed = False
        streams = list(self.streams())
        try:
            for stream in streams:
                if self._stopped.is_set():
                    break
                state = self.checkpoint.stream(stream)
                try:
                    for record in self.read_stream(stream, state):
                        if record is None:
                            continue
                        if isinstance(record, DeadLetter):
                            self.status["counts"]["dead_letters"] += 1
                        else:
                            self.status["counts"]["items"] += 1
                        yield record
                except (ConnectorError, BadFeed, KeyError, TypeError, AttributeError, ValueError) as exc:
                    if not isinstance(exc, ConnectorError | BadFeed):
                        # A page of a shape the connector did not expect: the platform changed it.
                        exc = FormatChanged(f"unexpected page shape: {type(exc).__name__}: {exc}")
                    failures.append(stream)
                    self._record_error(exc, stream)
                    self.status["counts"]["dead_letters"] += 1
                    yield dead_letter(
                        exc, "ingest", {"source": self.source_id, "stream": stream}, source=self.source_id
                    )
                    if isinstance(exc, TokenExpired | RateLimited):
                        # The token or the quota is shared by every stream: the others would fail too.
                        fatal = True
                        break
                except Exception as exc:
                    # Not a platform problem (a missing library, a bug): the runner dead-letters
                    # the source; the status must say so rather than stay "ok".
                    failures.append(stream)
                    self._record_error(exc, stream)
                    fatal = True
                    raise
            completed = True
        finally:
            if not failures and not completed:
                self.status["state"] = "stopped"  # the consumer stopped reading mid-pass
            elif not failures:
                self.status["state"] = "ok"
                self.status["last_success_at"] = utcnow().isoformat()
            elif fatal or len(failures) == len(streams):
                self.status["state"] = self._failure_state()
            else:
                self.status["state"] = "degraded"
                self.status["last_success_at"] = utcnow().isoformat()
            self.status["failing_streams"] = failures
            self.checkpoint.status = dict(self.status)
            try:
                self.checkpoint.save()
            except OSError as exc:
                log.error("source %s: cannot save checkpoint: %s", self.source_id, exc)

    def _record_error(self, exc: Exception, stream: str) -> None:
        self.status["last_error"] = f"{stream}: {type(exc).__name__}: {exc}"[:500]
        self.status["last_error_at"] = utcnow().isoformat()
        self.status["last_error_type"] = type(exc).__name__
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            self.status["retry_after_s"] = exc.retry_after
            self.status["not_before"] = time.time() + exc.retry_after
        log.warning("source %s stream %s: %s", self.source_id, stream, self.status["last_error"])

    def _failure_state(self) -> str:
        kind = self.status.get("last_error_type")
        return {
            "TokenExpired": "auth-failed",
            "RateLimited": "rate-limited",
            "FormatChanged": "format-changed",
        }.get(str(kind), "failing")
