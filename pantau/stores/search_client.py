"""Clients of the search engines: Elasticsearch 8/9 and OpenSearch 2.x behind one small interface.

An :class:`EngineClient` carries REST requests whose bodies the store builds
(:mod:`pantau.stores.search_index`); what differs between engines is only the library that carries
them: :class:`OpenSearchClient` (``opensearch-py``) and :class:`ElasticsearchClient`
(``elasticsearch`` 8.x, which talks to 8.x and 9.x servers but refuses OpenSearch).
:func:`engine_client_from_url` picks one from a store URL.

An engine that cannot be reached, or answers 429/502/503/504, raises
:class:`~pantau.errors.StoreUnavailable` with a ``retry_after``; any other error status raises
:class:`SearchEngineError` with the status.
"""

from __future__ import annotations

import importlib
import json
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pantau.errors import ConfigError, PantauError, StoreUnavailable

if TYPE_CHECKING:
    from pantau.settings import SearchSettings

__all__ = [
    "BUSY_STATUSES",
    "ENGINE_SCHEMES",
    "ElasticsearchClient",
    "EngineClient",
    "OpenSearchClient",
    "SearchEngineError",
    "engine_client_from_url",
]

BUSY_STATUSES = frozenset({429, 502, 503, 504})
"""Statuses that mean "busy, try again": the store raises StoreUnavailable on them."""


class SearchEngineError(PantauError):
    """The search engine refused a request (bad request, mapping conflict, missing index)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# -- client adapters ---------------------------------------------------------------------------
class EngineClient(ABC):
    """A thin carrier of REST requests to one engine; the store builds every body.

    :param url: ``http(s)://host:port`` of the engine.
    :param settings: credentials and TLS options (``SearchSettings``), optional.
    :param timeout: seconds per request.
    """

    engine: ClassVar[str]
    extra: ClassVar[str] = "scale"

    def __init__(self, url: str, settings: SearchSettings | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.settings = settings
        self.timeout = timeout
        self._client: Any = None

    library: ClassVar[tuple[str, str, str]]
    """Module, class and package name of the engine's Python client."""

    def open(self) -> None:
        """Create the client (no request is sent)."""
        if self._client is None:
            module, name, package = self.library
            try:
                make = getattr(importlib.import_module(module), name)
            except ImportError as exc:
                raise ConfigError(
                    f"the search store needs the '{package}' package: pip install 'pantau[{self.extra}]'"
                ) from exc
            self._client = self._make_client(make)

    @abstractmethod
    def _make_client(self, make: Any) -> Any:
        """Build the engine's client with ``make`` (the library's client class) and the settings."""

    def close(self) -> None:
        """Close the client's connections."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        ndjson: bool = False,
    ) -> Any:
        """Send one request and return the decoded JSON answer (the client is opened first).

        :param ndjson: ``body`` is a list of JSON lines (``_bulk``).
        :raises StoreUnavailable: the engine cannot be reached or is overloaded.
        :raises SearchEngineError: any other error status.
        """
        self.open()
        return self._perform(method, path, body, params, ndjson)

    @abstractmethod
    def _perform(self, method: str, path: str, body: Any, params: dict[str, Any] | None, ndjson: bool) -> Any:
        """Carry one request through the engine's client, which :meth:`open` created.

        Errors of the client are mapped with :meth:`_unavailable` (unreachable) and
        :meth:`_refused` (an error status).
        """

    def _tls_options(self) -> dict[str, Any]:
        """Client options for certificate checks: only for ``https`` URLs with settings."""
        s = self.settings
        if s is None or not self.url.startswith("https"):
            return {}
        options: dict[str, Any] = {"verify_certs": s.verify_certs}
        if s.ca_certs:
            options["ca_certs"] = s.ca_certs
        return options

    def _unavailable(self, exc: BaseException, retry_after: float = 2.0) -> StoreUnavailable:
        return StoreUnavailable(f"{self.engine} at {self.url} unavailable: {exc}", retry_after=retry_after)

    def _refused(self, status: int, method: str, path: str, info: Any) -> PantauError:
        if status in BUSY_STATUSES:
            return StoreUnavailable(
                f"{self.engine} at {self.url} busy ({status}) on {method} {path}",
                retry_after=5.0 if status == 429 else 2.0,
            )
        reason = info
        if isinstance(info, dict):
            err = info.get("error", info)
            reason = err.get("reason", err) if isinstance(err, dict) else err
        return SearchEngineError(f"{self.engine} refused {method} {path} ({status}): {reason}", status)


class OpenSearchClient(EngineClient):
    """OpenSearch 2.x through ``opensearch-py``."""

    engine = "opensearch"
    library = ("opensearchpy", "OpenSearch", "opensearch-py")

    def _make_client(self, make: Any) -> Any:
        """An ``opensearchpy.OpenSearch`` client."""
        # Several stage threads share the client: a pool of one would open and drop connections.
        kwargs: dict[str, Any] = {
            "timeout": self.timeout,
            "max_retries": 1,
            "retry_on_timeout": True,
            "pool_maxsize": 16,
        }
        s = self.settings
        if s is not None:
            if s.username and s.password:
                kwargs["http_auth"] = (s.username, s.password.get_secret_value())
            if s.api_key:
                kwargs["headers"] = {"Authorization": f"ApiKey {s.api_key.get_secret_value()}"}
        kwargs.update(self._tls_options())
        return make(hosts=[self.url], **kwargs)

    def _perform(self, method: str, path: str, body: Any, params: dict[str, Any] | None, ndjson: bool) -> Any:
        """Send one request through the opensearch-py transport."""
        from opensearchpy.exceptions import ConnectionError as OSConnectionError
        from opensearchpy.exceptions import TransportError

        headers = None
        if ndjson:
            body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in body)
            headers = {"content-type": "application/x-ndjson"}
        try:
            return self._client.transport.perform_request(
                method, path, params=params, body=body, headers=headers
            )
        except OSConnectionError as exc:
            raise self._unavailable(exc) from exc
        except TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 503
            raise self._refused(status, method, path, exc.info) from exc


class ElasticsearchClient(EngineClient):
    """Elasticsearch 8.x and 9.x through the ``elasticsearch`` 8.x client."""

    engine = "elasticsearch"
    library = ("elasticsearch", "Elasticsearch", "elasticsearch")

    def _make_client(self, make: Any) -> Any:
        """An ``elasticsearch.Elasticsearch`` client."""
        kwargs: dict[str, Any] = {"request_timeout": self.timeout, "max_retries": 1, "retry_on_timeout": True}
        s = self.settings
        if s is not None:
            if s.api_key:
                kwargs["api_key"] = s.api_key.get_secret_value()
            elif s.username and s.password:
                kwargs["basic_auth"] = (s.username, s.password.get_secret_value())
        kwargs.update(self._tls_options())
        return make(self.url, **kwargs)

    def _perform(self, method: str, path: str, body: Any, params: dict[str, Any] | None, ndjson: bool) -> Any:
        """Send one request through the Elasticsearch client (compatibility headers added by it)."""
        from elastic_transport import TransportError
        from elasticsearch import ApiError, UnsupportedProductError

        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/x-ndjson" if ndjson else "application/json"
        try:
            response = self._client.perform_request(method, path, params=params, headers=headers, body=body)
        except UnsupportedProductError as exc:
            raise ConfigError(
                f"{self.url} is not Elasticsearch (for OpenSearch use an opensearch:// URL): {exc}"
            ) from exc
        except ApiError as exc:
            if exc.meta.status == 406 and "compatible-with" in str(exc):
                # OpenSearch (and Elasticsearch 7) refuse the 8.x client's compatibility header.
                raise ConfigError(
                    f"{self.url} is not Elasticsearch 8 or 9 (for OpenSearch use an opensearch:// URL): {exc}"
                ) from exc
            raise self._refused(exc.meta.status, method, path, exc.body) from exc
        except TransportError as exc:
            raise self._unavailable(exc) from exc
        return response.body


ENGINE_SCHEMES: dict[str, type[EngineClient]] = {
    "opensearch": OpenSearchClient,
    "elasticsearch": ElasticsearchClient,
    "es": ElasticsearchClient,
}
"""URL schemes of the search store: ``opensearch://``, ``elasticsearch://`` (``+https`` for TLS)."""


def engine_client_from_url(url: str, settings: SearchSettings | None = None) -> EngineClient:
    """Return the client adapter for a store URL such as ``opensearch+https://host:9200``.

    >>> engine_client_from_url("opensearch://127.0.0.1:9201").url
    'http://127.0.0.1:9201'
    """
    parts = urlsplit(url)
    engine, _, transport = parts.scheme.partition("+")
    transport = transport or "http"
    if engine not in ENGINE_SCHEMES or transport not in ("http", "https"):
        raise ConfigError(
            f"unknown search store URL {url!r}: use opensearch://host:port or elasticsearch://host:port "
            "(opensearch+https:// or elasticsearch+https:// for TLS)"
        )
    if not parts.hostname:
        raise ConfigError(f"search store URL {url!r} has no host")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return ENGINE_SCHEMES[engine](f"{transport}://{host}:{parts.port or 9200}", settings)
