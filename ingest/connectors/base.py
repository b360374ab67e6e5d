"""What every platform connector shares: an HTTP client, checkpoints, credentials and health.

A connector is a :class:`~ingest.base.Source` that reads a platform's API in *streams* (one
channel, one account, one search query...). :class:`ConnectorSource` runs each stream in turn,
turns one bad record into a dead letter, turns a stream that fails as a whole (HTTP 429 storm,
expired token, changed format) into a dead letter plus a clear ``status``, and goes on with the
next stream: a connector degrades, it never stops silently.

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

import email.utils
import json
import logging
import os
import random
import re
import tempfile
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from ingest.base import Source, SourceRecord
from pantau.deadletters import dead_letter
from pantau.deadline import Deadline
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

JsonDict = dict[str, Any]


class ConnectorError(BadFeed):
    """A platform API could not be read."""


class ApiError(ConnectorError):
    """The platform answered with an error that retrying will not fix."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class RateLimited(ConnectorError):
    """The platform kept refusing with HTTP 429 (or a quota error) after every retry."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TokenExpired(ConnectorError):
    """The credentials were refused (HTTP 401 or an expired-token error) even after a refresh."""


class FormatChanged(ConnectorError):
    """A page does not have the documented shape: the platform changed its format."""


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


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Return the wait the server asked for, in seconds, or None.

    Reads ``Retry-After`` (seconds or an HTTP date) and X's ``x-rate-limit-reset`` (epoch
    seconds when the window reopens).

    >>> parse_retry_after({"Retry-After": "7"})
    7.0
    """
    now = time.time() if now is None else now
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get("retry-after")
    if value:
        value = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", value):
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - now)
    reset = lowered.get("x-rate-limit-reset")
    if reset and re.fullmatch(r"\d+", reset.strip()):
        return max(0.0, float(reset) - now)
    return None


class ConnectorOptions(BaseModel):
    """Options every connector accepts (``SourceConfig.options``); connectors add their own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_base: str = Field(
        "", description="API root URL; the platform's own by default (tests point it at a local server)."
    )
    page_size: int = Field(50, ge=1, le=1000, description="Records asked for per page.")
    max_pages: int = Field(20, ge=1, description="Most pages read per stream in one pass.")
    min_interval_s: float = Field(0.0, ge=0.0, description="Least time between two requests (rate limit).")
    max_retries: int = Field(5, ge=0, description="Retries of one request on 429, 5xx and network errors.")
    backoff_s: float = Field(1.0, ge=0.0, description="First backoff; doubles on each retry.")
    max_backoff_s: float = Field(
        120.0,
        ge=0.0,
        description="Longest single wait; when Retry-After asks more, the pass stops and the "
        "next one starts no sooner than the platform said.",
    )
    timeout_s: float = Field(
        30.0,
        gt=0.0,
        description="Deadline of one request: connect, TLS, headers and body together (a server "
        "that drips bytes is cut off at this time; the request then counts as a network error).",
    )
    token_file: str | None = Field(
        None, description="File holding the access token or API key (secret file)."
    )
    user_agent: str = Field("Pantau/0.1 (election code-of-conduct monitor)")
    poll_interval_s: float | None = Field(
        None,
        ge=0.0,
        description="Least time between two passes (the runner may poll more often); "
        "default: the connector's own, chosen for the platform's quota.",
    )


TokenRefresher = Callable[[], None]


class ApiClient:
    """An HTTP client for one platform: rate limit, retries with backoff, one refresh on 401.

    :param options: the connector's options (timeouts, retries, backoff, interval).
    :param auth: called before each request with the headers and params to add credentials to.
    :param refresh: called once when a request gets 401; it should renew the credentials.
    :param sleep: the sleep function (tests pass one that records and returns at once).
    :param on_event: called with ``"retry"``, ``"rate_limited"`` or ``"refresh"`` for the status counts.
    :param rate_limit_error: tells a rate-limit answer that is not HTTP 429 (Graph API codes 4, 17...).
    :param expired_error: tells an expired or invalid token (default: HTTP 401).
    :param quota_error: tells an exhausted daily quota (no retry in this pass).
    :param retry_after_of: reads a wait given in the body (Telegram's ``parameters.retry_after``).
    """

    def __init__(
        self,
        options: ConnectorOptions,
        *,
        auth: Callable[[dict[str, str], dict[str, Any]], None] | None = None,
        refresh: TokenRefresher | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_event: Callable[[str], None] | None = None,
        rate_limit_error: Callable[[int, Any], bool] | None = None,
        expired_error: Callable[[int, Any], bool] | None = None,
        quota_error: Callable[[int, Any], bool] | None = None,
        retry_after_of: Callable[[Any], float | None] | None = None,
    ) -> None:
        self.options = options
        self.auth = auth
        self.refresh = refresh
        self.sleep = sleep
        self.clock = clock
        self.on_event = on_event or (lambda _event: None)
        self.rate_limit_error = rate_limit_error or (lambda _status, _body: False)
        self.expired_error = expired_error or (lambda status, _body: status == 401)
        self.quota_error = quota_error or (lambda _status, _body: False)
        self.retry_after_of = retry_after_of or (lambda _body: None)
        self._http: Any = None
        self._last_request = -1e18
        self._lock = threading.Lock()

    def _client(self) -> Any:
        if self._http is None:
            import httpx

            self._http = httpx.Client(
                timeout=self.options.timeout_s,
                # No keep-alive: a pooled connection sends no connect event, so its socket could
                # not be put under the request's deadline (Deadline.httpx_trace).
                limits=httpx.Limits(max_keepalive_connections=0),
                follow_redirects=False,
                headers={"User-Agent": self.options.user_agent, "Accept": "application/json"},
            )
        return self._http

    def close(self) -> None:
        """Close the connection pool."""
        if self._http is not None:
            self._http.close()
            self._http = None

    def _pace(self) -> None:
        with self._lock:
            wait = self._last_request + self.options.min_interval_s - self.clock()
            if wait > 0:
                self.sleep(wait)
            self._last_request = self.clock()

    def _backoff(self, attempt: int) -> float:
        base = self.options.backoff_s * (2**attempt)
        return min(self.options.max_backoff_s, base * (1.0 + 0.1 * random.random()))  # noqa: S311 - jitter

    def request_json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> Any:
        """Send a request and return the decoded JSON body.

        Raises :class:`RateLimited` after ``max_retries`` answers of 429, :class:`TokenExpired`
        when a 401 survives one refresh, :class:`ApiError` on other 4xx, :class:`FormatChanged`
        when the body is not JSON.
        """
        import httpx

        refreshed = False
        attempt = 0
        while True:
            hdrs = dict(headers or {})
            prms = {k: v for k, v in (params or {}).items() if v is not None}
            if authenticated and self.auth is not None:
                self.auth(hdrs, prms)
            self._pace()
            try:
                with Deadline(self.options.timeout_s) as deadline:
                    response = self._client().request(
                        method,
                        url,
                        params=prms,
                        json=json_body,
                        data=data,
                        headers=hdrs,
                        timeout=_timeout(deadline),
                        extensions={"trace": deadline.httpx_trace},
                    )
                if deadline.expired:  # a body without a length reads as complete once the socket is shut
                    raise httpx.ReadTimeout("deadline passed")
            except httpx.HTTPError as exc:
                if attempt >= self.options.max_retries:
                    why = (
                        f"timed out: the {self.options.timeout_s:g} s deadline of one request passed"
                        if deadline.expired or isinstance(exc, httpx.TimeoutException)
                        else f"failed: {type(exc).__name__}"
                    )
                    raise ConnectorError(f"{method} {_safe_url(url)} {why}") from exc
                self.on_event("retry")
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue
            body = _decode(response)
            status = response.status_code
            if self.quota_error(status, body):
                # A daily quota: retrying within this pass cannot help.
                self.on_event("rate_limited")
                raise RateLimited(
                    f"{_safe_url(url)}: quota exhausted (HTTP {status}): {_error_text(body)}",
                    retry_after=parse_retry_after(response.headers),
                )
            if status == 429 or self.rate_limit_error(status, body):
                retry_after = parse_retry_after(response.headers)
                if retry_after is None:
                    retry_after = self.retry_after_of(body)
                self.on_event("rate_limited")
                too_long = retry_after is not None and retry_after > self.options.max_backoff_s
                if attempt >= self.options.max_retries or too_long:
                    # Holding the reader thread for longer helps nobody: stop the pass, and
                    # ConnectorSource.read() skips passes until the platform's time has come.
                    raise RateLimited(
                        f"{_safe_url(url)}: still rate-limited after {attempt} retries (HTTP {status})",
                        retry_after=retry_after,
                    )
                self.sleep(retry_after if retry_after is not None else self._backoff(attempt))
                attempt += 1
                continue
            if self.expired_error(status, body):
                if authenticated and self.refresh is not None and not refreshed:
                    self.on_event("refresh")
                    self.refresh()
                    refreshed = True
                    continue
                raise TokenExpired(f"{_safe_url(url)}: credentials refused (HTTP {status}); renew the token")
            if status >= 500:
                if attempt >= self.options.max_retries:
                    raise ConnectorError(f"{_safe_url(url)}: HTTP {status} after {attempt} retries")
                self.on_event("retry")
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue
            if status >= 400:
                raise ApiError(
                    f"{_safe_url(url)}: HTTP {status}: {_error_text(body)}", status=status, body=body
                )
            if body is _NOT_JSON:
                raise FormatChanged(f"{_safe_url(url)}: answer is not JSON (HTTP {status})")
            return body

    def get_json(self, url: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """GET ``url`` and return its JSON body (see :meth:`request_json`)."""
        return self.request_json("GET", url, params=params, **kwargs)

    def get_bytes(self, url: str, max_bytes: int, authenticated: bool = False) -> bytes:
        """GET ``url`` (a trusted API file endpoint) and return at most ``max_bytes`` bytes."""
        headers: dict[str, str] = {}
        params: dict[str, Any] = {}
        if authenticated and self.auth is not None:
            self.auth(headers, params)
        self._pace()
        import httpx

        deadline = Deadline(self.options.timeout_s)
        try:
            with deadline, self._client().stream(
                "GET",
                url,
                headers=headers,
                params=params or None,
                timeout=_timeout(deadline),
                extensions={"trace": deadline.httpx_trace},
            ) as response:
                if response.status_code >= 400:
                    status = response.status_code
                    raise ApiError(f"{_safe_url(url)}: HTTP {status}", status=status)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ConnectorError(f"{_safe_url(url)}: file over {max_bytes} bytes")
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise ConnectorError(f"GET {_safe_url(url)} failed: {type(exc).__name__}") from exc
        if deadline.expired:
            raise ConnectorError(
                f"GET {_safe_url(url)} timed out: the {self.options.timeout_s:g} s deadline passed"
            )
        return b"".join(chunks)


def _timeout(deadline: Deadline) -> Any:
    """httpx's per-operation timeouts, none longer than what is left of the whole request's deadline."""
    import httpx

    return httpx.Timeout(max(deadline.remaining(), 0.001))


_NOT_JSON = object()


def _decode(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return _NOT_JSON


def _error_text(body: Any) -> str:
    if isinstance(body, dict):
        err = body.get("error") or body.get("errors") or body.get("detail") or body.get("description")
        if isinstance(err, dict):
            return str(err.get("message") or err.get("code") or err)[:300]
        if err:
            return str(err)[:300]
        return str(body)[:300]
    return "no JSON body" if body is _NOT_JSON else str(body)[:300]


_SECRET_PARAMS = re.compile(r"(?i)((?:access_token|key|token|api_key|client_secret)=)[^&]+")


def _safe_url(url: str) -> str:
    """Return ``url`` with any credential in the query or a bot token in the path masked."""
    url = _SECRET_PARAMS.sub(r"\1***", url)
    return re.sub(r"/bot[^/]+/", "/bot***/", url)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:120] or "source"


class Checkpoint:
    """Per-source progress, kept as JSON at ``<data_dir>/checkpoints/<source>.json``.

    ``streams[stream]`` holds what a connector needs to resume: usually ``cursor`` (the page in
    progress) and ``since`` (the high-water mark of the last complete pass). ``status`` holds the
    source's health, so that the dashboard, in another process, can show it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.streams: dict[str, JsonDict] = {}
        self.status: JsonDict = {}

    @classmethod
    def for_source(cls, data_dir: Path, source: str) -> Checkpoint:
        """Open (or start) the checkpoint of a source."""
        cp = cls(Path(data_dir) / "checkpoints" / f"{_safe_name(source)}.json")
        cp.load()
        return cp

    def load(self) -> None:
        """Read the file; a missing file starts empty, a corrupt one is set aside and starts empty."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("checkpoint %s unreadable (%s); starting over", self.path, type(exc).__name__)
            try:
                self.path.replace(self.path.with_suffix(".corrupt"))
            except OSError:
                pass
            return
        if isinstance(raw, dict):
            streams, status = raw.get("streams"), raw.get("status")
            self.streams = streams if isinstance(streams, dict) else {}
            self.status = status if isinstance(status, dict) else {}

    def stream(self, key: str) -> JsonDict:
        """Return the mutable state of one stream (created empty)."""
        return self.streams.setdefault(key, {})

    def save(self) -> None:
        """Write the file atomically (temporary file then rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"streams": self.streams, "status": self.status}, default=str, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".cp-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def restore_counts(status: JsonDict, checkpoint: Checkpoint) -> None:
    """Add the counts saved before a restart to ``status``, so that health shows totals."""
    saved = checkpoint.status.get("counts")
    if isinstance(saved, dict):
        for key, value in saved.items():
            if isinstance(value, int) and not isinstance(value, bool):
                status["counts"][key] = status["counts"].get(key, 0) + value


def read_statuses(data_dir: Path) -> dict[str, JsonDict]:
    """Return the last saved status of every connector source, by source, for the dashboard.

    >>> read_statuses(Path("/nonexistent"))
    {}
    """
    folder = Path(data_dir) / "checkpoints"
    found: dict[str, JsonDict] = {}
    if not folder.is_dir():
        return found
    for file in sorted(folder.glob("*.json")):
        try:
            raw = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        status = raw.get("status") if isinstance(raw, dict) else None
        if isinstance(status, dict) and status:
            found[str(status.get("source") or file.stem)] = status
    return found


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
        """Build the API client; subclasses add ``auth``/``refresh``/error classifiers."""
        return ApiClient(self.options, sleep=self.sleep, on_event=self._count_event)

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
