"""The HTTP side of every platform connector: options, errors and :class:`ApiClient`.

:class:`ApiClient` is httpx with a minimum interval between requests, retries with exponential
backoff on 429/5xx and transport errors, ``Retry-After`` (seconds or HTTP date) and
``x-rate-limit-reset`` honoured, and one token refresh on 401 before :class:`TokenExpired`.
"""

from __future__ import annotations

import email.utils
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pantau.deadline import Deadline
from pantau.errors import BadFeed

__all__ = [
    "ApiClient",
    "ApiError",
    "ConnectorError",
    "ConnectorOptions",
    "FormatChanged",
    "RateLimited",
    "TokenExpired",
    "TokenRefresher",
    "parse_retry_after",
]

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
