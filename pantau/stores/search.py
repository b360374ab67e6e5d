"""The search-engine store: Elasticsearch 8/9 or OpenSearch 2.x, one code path.

:class:`SearchStore` implements :class:`~pantau.stores.base.IncidentStore` over plain REST
bodies from :mod:`pantau.stores.search_index` (one index definition, one set of queries).
What differs between engines is only the client that carries them: :class:`OpenSearchClient`
(``opensearch-py``) and :class:`ElasticsearchClient` (``elasticsearch`` 8.x, which talks to
8.x and 9.x servers but refuses OpenSearch).

Writes are idempotent: incidents, alerts, dead letters and processed items use their digest
ids as document ids, so a replay overwrites instead of duplicating. A re-upserted incident
keeps its review status (a Painless script in the bulk update). Reads made by the same store
after its own writes see them (the written indices are refreshed first, as SQLite would);
other processes see them within the index refresh interval (1 s), or at once after
:meth:`SearchStore.flush`.

When the engine cannot be reached, or answers 429/502/503/504, every method raises
:class:`~pantau.errors.StoreUnavailable` with a ``retry_after``: callers back off and retry,
and Kafka workers do not commit the offsets of items that were not indexed.

Example Snippet::

    store = SearchStore(OpenSearchClient("http://127.0.0.1:9200"), index_prefix="pantau")
    with store:
        store.upsert_incidents(incidents)
        page = store.search(IncidentQuery(text="deepfake"), Scope.everything())
"""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pantau.errors import ConfigError, PantauError, StoreUnavailable
from pantau.schemas import Alert, DeadLetter, Incident, IncidentStatus, utcnow
from pantau.settings import DEFAULT_REGISTRY
from pantau.stores.base import (
    STATUS_BY_ACTION,
    AlertState,
    AuditEvent,
    ClaimCheck,
    IncidentQuery,
    IncidentStore,
    ReviewAction,
    Scope,
    SearchResult,
)
from pantau.stores.search_index import (
    DECIDE_CHECK_SCRIPT,
    FACET_FIELDS,
    INCIDENT_MAPPINGS,
    INCIDENT_TEXT_FIELDS,
    KEEP_REVIEW_STATE_SCRIPT,
    MARK_ALERT_SCRIPT,
    REDACTED_TEXT_FIELDS,
    IndexNames,
    incident_document,
    incident_search_body,
    incident_template,
    index_bodies,
)
from pantau.stores.text import cached_registry, redacted_search_text

if TYPE_CHECKING:
    from pantau.settings import SearchSettings, Settings

__all__ = [
    "ENGINE_SCHEMES",
    "ElasticsearchClient",
    "EngineClient",
    "OpenSearchClient",
    "SearchEngineError",
    "SearchStore",
    "engine_client_from_url",
    "search_store_from_url",
]

log = logging.getLogger(__name__)

_BUSY_STATUSES = frozenset({429, 502, 503, 504})


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

    @abstractmethod
    def open(self) -> None:
        """Create the client (no request is sent)."""

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
        if status in _BUSY_STATUSES:
            return StoreUnavailable(
                f"{self.engine} at {self.url} busy ({status}) on {method} {path}",
                retry_after=5.0 if status == 429 else 2.0,
            )
        reason = info
        if isinstance(info, dict):
            err = info.get("error", info)
            reason = err.get("reason", err) if isinstance(err, dict) else err
        return SearchEngineError(f"{self.engine} refused {method} {path} ({status}): {reason}", status)


def _import_error(extra: str, module: str) -> ConfigError:
    return ConfigError(f"the search store needs the '{module}' package: pip install 'pantau[{extra}]'")


class OpenSearchClient(EngineClient):
    """OpenSearch 2.x through ``opensearch-py``."""

    engine = "opensearch"

    def open(self) -> None:
        """Create the ``opensearchpy.OpenSearch`` client."""
        if self._client is not None:
            return
        try:
            from opensearchpy import OpenSearch
        except ImportError as exc:
            raise _import_error(self.extra, "opensearch-py") from exc
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
        self._client = OpenSearch(hosts=[self.url], **kwargs)

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

    def open(self) -> None:
        """Create the ``elasticsearch.Elasticsearch`` client."""
        if self._client is not None:
            return
        try:
            from elasticsearch import Elasticsearch
        except ImportError as exc:
            raise _import_error(self.extra, "elasticsearch") from exc
        kwargs: dict[str, Any] = {"request_timeout": self.timeout, "max_retries": 1, "retry_on_timeout": True}
        s = self.settings
        if s is not None:
            if s.api_key:
                kwargs["api_key"] = s.api_key.get_secret_value()
            elif s.username and s.password:
                kwargs["basic_auth"] = (s.username, s.password.get_secret_value())
        kwargs.update(self._tls_options())
        self._client = Elasticsearch(self.url, **kwargs)

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


# -- the store ---------------------------------------------------------------------------------
def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _iso(value: datetime) -> str:
    return value.isoformat()


class SearchStore(IncidentStore):
    """Incidents and everything about them in Elasticsearch or OpenSearch.

    :param client: the engine adapter (:class:`OpenSearchClient`, :class:`ElasticsearchClient`).
    :param index_prefix: prefix of every index, alias and template name.
    :param shards: primary shards of each new index.
    :param registry_file: the registry whose private persons the redacted text (a journalist's
        search) leaves out.
    """

    def __init__(
        self,
        client: EngineClient,
        index_prefix: str = "pantau",
        shards: int = 1,
        registry_file: Path | None = DEFAULT_REGISTRY,
    ) -> None:
        self.client = client
        self.registry_file = registry_file
        self.names = IndexNames(index_prefix)
        self.shards = shards
        scheme = client.engine if client.url.startswith("http:") else f"{client.engine}+https"
        self.url = f"{scheme}://{client.url.split('://', 1)[1]}"
        self._dirty: set[str] = set()
        self._lock = threading.Lock()
        self._opened = False

    # -- life cycle ------------------------------------------------------------------------------
    def open(self) -> None:
        """Create the template, the first incident index with its alias, and the other indices if missing."""
        if self._opened:
            return
        self.client.open()
        names = self.names
        self.client.request(
            "PUT", f"/_index_template/{names.incident_template}", body=incident_template(names, self.shards)
        )
        existing = self._existing_indices()
        if names.incidents not in existing:
            self._create(names.first_incident_index, {"aliases": {names.incidents: {"is_write_index": True}}})
        else:
            # Indices made by an older version lack the redacted text field: add it (a new field is
            # always accepted). Their documents get it when they are written again.
            redacted = {"text_redacted": INCIDENT_MAPPINGS["properties"]["text_redacted"]}
            self.client.request("PUT", f"/{names.incidents}/_mapping", body={"properties": redacted})
        for index, body in index_bodies(names, self.shards).items():
            if index not in existing:
                self._create(index, body)
        self._opened = True

    def _existing_indices(self) -> set[str]:
        """Return the names of this prefix's indices and aliases that exist (one request, no 404s)."""
        answer = self.client.request(
            "GET",
            f"/{self.names.prefix}-*/_alias",
            params={"allow_no_indices": "true", "expand_wildcards": "open"},
        )
        found = set(answer)
        for entry in answer.values():
            found.update(entry.get("aliases", {}))
        return found

    def _create(self, index: str, body: dict[str, Any]) -> None:
        try:
            self.client.request("PUT", f"/{index}", body=body)
        except SearchEngineError as exc:
            # Another worker created it first: fine.
            if exc.status != 400 or "already_exists" not in str(exc) and "already exists" not in str(exc):
                raise

    def close(self) -> None:
        """Close the client."""
        self.client.close()
        self._opened = False

    def flush(self) -> None:
        """Refresh every index written since the last refresh, so all searches see the writes."""
        self._refresh(list(self._dirty))

    def drop(self) -> None:
        """Delete every index and the template of this prefix (tests, demo resets)."""
        self.client.open()
        for pattern in self.names.all_patterns():
            self.client.request("DELETE", f"/{pattern}", params={"ignore_unavailable": "true"})
        try:
            self.client.request("DELETE", f"/_index_template/{self.names.incident_template}")
        except SearchEngineError as exc:
            if exc.status != 404:
                raise
        self._opened = False
        self._dirty.clear()

    def rollover(self, max_docs: int | None = None, max_age: str | None = None) -> bool:
        """Start a new incident write index (``POST alias/_rollover``); return whether it rolled.

        Incidents keep their ids across indices: an upsert finds the index that already holds an
        incident and updates it there, so rollover never duplicates (see :meth:`upsert_incidents`).
        """
        self.open()
        conditions: dict[str, Any] = {}
        if max_docs is not None:
            conditions["max_docs"] = max_docs
        if max_age is not None:
            conditions["max_age"] = max_age
        answer = self.client.request(
            "POST",
            f"/{self.names.incidents}/_rollover",
            body={"conditions": conditions} if conditions else None,
        )
        return bool(answer.get("rolled_over"))

    def _use(self) -> None:
        if not self._opened:
            self.open()

    def _written(self, *indices: str) -> None:
        with self._lock:
            self._dirty.update(indices)

    def _refresh(self, indices: Iterable[str]) -> None:
        wanted = sorted(set(indices))
        if not wanted:
            return
        self.client.request("POST", f"/{','.join(wanted)}/_refresh")
        with self._lock:
            self._dirty.difference_update(wanted)

    def _fresh(self, *indices: str) -> None:
        """Refresh the given indices if this store wrote to them (read-your-writes)."""
        self._use()
        self._refresh(i for i in indices if i in self._dirty)

    def _bulk(self, operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send a bulk request; return one result per operation; raise on anything but 409 conflicts."""
        if not operations:
            return []
        answer = self.client.request("POST", "/_bulk", body=operations, ndjson=True)
        results = [next(iter(entry.values())) for entry in answer.get("items", [])]
        if answer.get("errors"):
            busy = [r for r in results if r.get("status") in _BUSY_STATUSES]
            if busy:
                raise StoreUnavailable(
                    f"{self.client.engine} rejected {len(busy)} bulk operations (busy)", retry_after=5.0
                )
            failed = [r for r in results if r.get("status", 200) >= 300 and r.get("status") != 409]
            if failed:
                first = failed[0]
                raise SearchEngineError(
                    f"{len(failed)} bulk operations failed, first on "
                    f"{first.get('_index')}/{first.get('_id')}: "
                    f"{first.get('error')}",
                    int(first.get("status", 400)),
                )
        return results

    def _search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.client.request("POST", f"/{index}/_search", body=body))

    def _locate(self, incident_ids: Sequence[str]) -> dict[str, str]:
        """Return ``{incident id: concrete index}`` for the incidents that exist."""
        if not incident_ids:
            return {}
        answer = self._search(
            self.names.incidents,
            {
                "query": {"ids": {"values": list(incident_ids)}},
                "_source": False,
                "size": len(incident_ids),
            },
        )
        return {hit["_id"]: hit["_index"] for hit in answer["hits"]["hits"]}

    # -- incidents -------------------------------------------------------------------------------
    def upsert_incidents(self, incidents: Sequence[Incident]) -> int:
        """Write incidents in one bulk request; existing ids keep their status and creation time.

        An incident already indexed (in any index behind the alias, after a rollover too) is
        updated where it lives; a new one goes to the alias's write index.
        """
        self._use()
        unique = {inc.id: inc for inc in incidents}
        if not unique:
            return 0
        self._fresh(self.names.incidents)
        where = self._locate(list(unique))
        operations: list[dict[str, Any]] = []
        for inc_id, inc in unique.items():
            doc = incident_document(inc, redacted_search_text(inc, cached_registry(self.registry_file)))
            doc["updated_at"] = _iso(utcnow())
            operations.append(
                {
                    "update": {
                        "_index": where.get(inc_id, self.names.incidents),
                        "_id": inc_id,
                        "retry_on_conflict": 3,
                    }
                }
            )
            operations.append(
                {
                    "scripted_upsert": True,
                    "upsert": {},
                    "script": {
                        "lang": "painless",
                        "source": KEEP_REVIEW_STATE_SCRIPT,
                        "params": {"doc": doc},
                    },
                }
            )
        results = self._bulk(operations)
        self._written(self.names.incidents, *where.values())
        return sum(1 for r in results if r.get("result") == "created")

    def _incident_from_hit(self, hit: dict[str, Any]) -> Incident:
        src = hit["_source"]
        inc = Incident.model_validate(src["doc"])
        update: dict[str, Any] = {"status": IncidentStatus(src["status"])}
        created = _dt(src.get("created_at"))
        if created is not None:
            update["created_at"] = created
        return inc.model_copy(update=update)

    def get_incident(self, incident_id: str, scope: Scope) -> Incident | None:
        """Return one incident if it exists and the scope allows it."""
        self._fresh(self.names.incidents)
        answer = self._search(
            self.names.incidents,
            {
                "query": {"ids": {"values": [incident_id]}},
                "size": 1,
                "_source": ["doc", "status", "created_at"],
            },
        )
        hits = answer["hits"]["hits"]
        if not hits:
            return None
        inc = self._incident_from_hit(hits[0])
        return inc if scope.allows(inc) else None

    def search(self, query: IncidentQuery, scope: Scope) -> SearchResult:
        """Search incidents inside the scope, with facet counts and highlighted snippets."""
        self._fresh(self.names.incidents)
        answer = self._search(self.names.incidents, incident_search_body(query, scope))
        hits = answer["hits"]["hits"]
        incidents = [self._incident_from_hit(h) for h in hits]
        facets: dict[str, dict[str, int]] = {}
        for field in FACET_FIELDS:
            buckets = answer.get("aggregations", {}).get(field, {}).get("buckets", [])
            facets[field] = {str(b["key"]): int(b["doc_count"]) for b in buckets}
        highlights: dict[str, str] = {}
        for hit in hits:
            found = hit.get("highlight") or {}
            for field in REDACTED_TEXT_FIELDS if scope.redact else INCIDENT_TEXT_FIELDS:
                if found.get(field):
                    highlights[hit["_id"]] = found[field][0]
                    break
        return SearchResult(
            total=int(answer["hits"]["total"]["value"]),
            incidents=incidents,
            facets=facets,
            highlights=highlights,
        )

    def record_action(self, action: ReviewAction) -> Incident | None:
        """Record a review action; confirm, dismiss, escalate and reopen change the status."""
        self._fresh(self.names.incidents)
        where = self._locate([action.incident_id])
        if action.incident_id not in where:
            return None
        actions_index = self.names.index("actions")
        self._bulk(
            [
                {"create": {"_index": actions_index, "_id": action.id}},
                {
                    "incident_id": action.incident_id,
                    "action": action.action,
                    "actor": action.actor,
                    "at": _iso(action.at),
                    "doc": action.model_dump(mode="json"),
                },
            ]
        )
        self._written(actions_index)
        status = STATUS_BY_ACTION.get(action.action)
        if status is not None:
            self.client.request(
                "POST",
                f"/{where[action.incident_id]}/_update/{action.incident_id}",
                body={"doc": {"status": status.value, "updated_at": _iso(utcnow())}},
                params={"refresh": "true", "retry_on_conflict": 3},
            )
        return self.get_incident(action.incident_id, Scope.everything())

    def actions(self, incident_id: str) -> list[ReviewAction]:
        """Return the history of an incident, oldest first."""
        index = self.names.index("actions")
        self._fresh(index)
        answer = self._search(
            index,
            {
                "query": {"term": {"incident_id": incident_id}},
                "size": 10_000,
                "sort": [{"at": "asc"}],
            },
        )
        return [ReviewAction.model_validate(h["_source"]["doc"]) for h in answer["hits"]["hits"]]

    # -- processed items -------------------------------------------------------------------------
    def mark_processed(self, item_ids: Sequence[str], stage_seconds: dict[str, float] | None = None) -> None:
        """Record items as fully processed, with the batch's per-stage seconds per item."""
        self._use()
        index = self.names.index("processed")
        at = _iso(utcnow())
        operations: list[dict[str, Any]] = []
        for item_id in dict.fromkeys(item_ids):
            operations.append({"index": {"_index": index, "_id": item_id}})
            operations.append({"item_id": item_id, "at": at, "timings": stage_seconds or {}})
        self._bulk(operations)
        self._written(index)

    def processed(self, item_ids: Sequence[str]) -> set[str]:
        """Return which of these items were already processed (real-time, no refresh needed)."""
        self._use()
        ids = list(dict.fromkeys(item_ids))
        found: set[str] = set()
        index = self.names.index("processed")
        for start in range(0, len(ids), 1000):
            answer = self.client.request(
                "POST",
                f"/{index}/_mget",
                body={"ids": ids[start : start + 1000]},
                params={"_source": "false"},
            )
            found.update(d["_id"] for d in answer.get("docs", []) if d.get("found"))
        return found

    def _count(self, index: str, query: dict[str, Any] | None = None) -> int:
        answer = self.client.request("POST", f"/{index}/_count", body={"query": query} if query else None)
        return int(answer["count"])

    def stats(self) -> dict[str, Any]:
        """Pipeline health: counts, items in the last minute and hour, mean stage seconds."""
        names = self.names
        processed_index = names.index("processed")
        self._fresh(names.incidents, processed_index, names.index("dead-letters"), names.index("alerts"))
        now = utcnow()

        def since(delta: timedelta) -> dict[str, Any]:
            return {"range": {"at": {"gte": _iso(now - delta)}}}

        latest = self._search(
            processed_index,
            {
                "size": 1000,
                "sort": [{"at": "desc"}],
                "_source": ["timings"],
                "query": {"match_all": {}},
            },
        )
        sums: dict[str, float] = {}
        counts: dict[str, int] = {}
        for hit in latest["hits"]["hits"]:
            for stage, secs in (hit["_source"].get("timings") or {}).items():
                sums[stage] = sums.get(stage, 0.0) + float(secs)
                counts[stage] = counts.get(stage, 0) + 1
        return {
            "items": self._count(processed_index),
            "items_last_minute": self._count(processed_index, since(timedelta(minutes=1))),
            "items_last_hour": self._count(processed_index, since(timedelta(hours=1))),
            "incidents": self._count(names.incidents),
            "dead_letters": self._count(names.index("dead-letters")),
            "alerts": self._count(names.index("alerts")),
            "stage_seconds_per_item": {k: sums[k] / counts[k] for k in sums},
        }

    # -- dead letters ----------------------------------------------------------------------------
    def add_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Keep dead letters, once per id."""
        self._use()
        index = self.names.index("dead-letters")
        operations: list[dict[str, Any]] = []
        for letter in letters:
            operations.append({"create": {"_index": index, "_id": letter.id}})
            operations.append(
                {
                    "stage": letter.stage,
                    "error_type": letter.error_type,
                    "item_id": letter.item_id,
                    "created_at": _iso(letter.created_at),
                    "doc": letter.model_dump(mode="json"),
                }
            )
        self._bulk(operations)
        self._written(index)

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Return the newest dead letters."""
        index = self.names.index("dead-letters")
        self._fresh(index)
        answer = self._search(index, {"size": limit, "sort": [{"created_at": "desc"}]})
        return [DeadLetter.model_validate(h["_source"]["doc"]) for h in answer["hits"]["hits"]]

    def count_dead_letters(self) -> int:
        """Return how many dead letters are kept."""
        index = self.names.index("dead-letters")
        self._fresh(index)
        return self._count(index)

    # -- alerts ----------------------------------------------------------------------------------
    def add_alerts(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Keep alerts; return those that were not kept already (a 409 conflict means seen before)."""
        self._use()
        index = self.names.index("alerts")
        unique = list({a.id: a for a in alerts}.values())
        operations: list[dict[str, Any]] = []
        for alert in unique:
            operations.append({"create": {"_index": index, "_id": alert.id}})
            operations.append(
                {
                    "incident_id": alert.incident_id,
                    "party": alert.party,
                    "recipient": alert.recipient,
                    "created_at": _iso(alert.created_at),
                    "doc": alert.model_dump(mode="json"),
                }
            )
        results = self._bulk(operations)
        self._written(index)
        return [alert for alert, r in zip(unique, results, strict=True) if r.get("status") == 201]

    def mark_alert(
        self,
        alert_id: str,
        *,
        delivered: bool | None = None,
        error: str | None = None,
        acknowledged: bool = False,
        responded: bool = False,
    ) -> None:
        """Update an alert's delivery or answer state (first acknowledgement and answer win)."""
        self._use()
        index = self.names.index("alerts")
        params = {
            "delivered": delivered,
            "error": error or "failed",
            "acknowledged": acknowledged,
            "responded": responded,
            "now": _iso(utcnow()),
        }
        try:
            self.client.request(
                "POST",
                f"/{index}/_update/{alert_id}",
                body={"script": {"lang": "painless", "source": MARK_ALERT_SCRIPT, "params": params}},
                params={"retry_on_conflict": 3},
            )
        except SearchEngineError as exc:
            if exc.status != 404:
                raise
            log.warning("mark_alert: no alert %s", alert_id)
            return
        self._written(index)

    def pending_alerts(self, limit: int = 100) -> list[Alert]:
        """Kept alerts not yet delivered (no ``delivered_at``), oldest first."""
        index = self.names.index("alerts")
        self._fresh(index)
        query = {"bool": {"must_not": [{"exists": {"field": "delivered_at"}}]}}
        answer = self._search(index, {"query": query, "size": limit, "sort": [{"created_at": "asc"}]})
        return [Alert.model_validate(h["_source"]["doc"]) for h in answer["hits"]["hits"]]

    def alerts(self, scope: Scope, limit: int = 200) -> list[AlertState]:
        """Return alerts inside the scope (by party), newest first."""
        index = self.names.index("alerts")
        self._fresh(index)
        query: dict[str, Any] = {"match_all": {}}
        if scope.parties is not None:
            if not scope.parties:
                return []
            query = {"terms": {"party": sorted(scope.parties)}}
        answer = self._search(index, {"query": query, "size": limit, "sort": [{"created_at": "desc"}]})
        return [
            AlertState(
                alert=Alert.model_validate(src["doc"]),
                delivered_at=_dt(src.get("delivered_at")),
                delivery_error=src.get("delivery_error"),
                acknowledged_at=_dt(src.get("acknowledged_at")),
                responded_at=_dt(src.get("responded_at")),
            )
            for src in (h["_source"] for h in answer["hits"]["hits"])
        ]

    # -- fact-check queue ------------------------------------------------------------------------
    def add_claim_checks(self, checks: Sequence[ClaimCheck]) -> int:
        """Queue entries (``create``: an id already kept stays as it is, verdict and all)."""
        self._use()
        index = self.names.index("claim-checks")
        unique = list({c.id: c for c in checks}.values())
        operations: list[dict[str, Any]] = []
        for check in unique:
            operations.append({"create": {"_index": index, "_id": check.id}})
            operations.append(
                {
                    "item_id": check.item_id,
                    "party": check.party,
                    "status": check.status,
                    "checkworthy": check.checkworthy,
                    "created_at": _iso(check.created_at),
                    "doc": check.model_dump(mode="json"),
                }
            )
        results = self._bulk(operations)
        self._written(index)
        return sum(1 for r in results if r.get("status") == 201)

    def claim_checks(
        self, scope: Scope, status: str | None = "waiting", limit: int = 200
    ) -> list[ClaimCheck]:
        """Entries in a status, most check-worthy first (oldest first among equals)."""
        if not scope.claim_checks:
            return []
        index = self.names.index("claim-checks")
        self._fresh(index)
        query: dict[str, Any] = {"term": {"status": status}} if status is not None else {"match_all": {}}
        answer = self._search(
            index,
            {
                "query": query,
                "size": limit,
                "sort": [{"checkworthy": "desc"}, {"created_at": "asc"}, {"item_id": "asc"}],
            },
        )
        return [ClaimCheck.model_validate(h["_source"]["doc"]) for h in answer["hits"]["hits"]]

    def get_claim_check(self, check_id: str, scope: Scope) -> ClaimCheck | None:
        """One entry, if the scope shows the queue (real-time get, no refresh needed)."""
        if not scope.claim_checks:
            return None
        self._use()
        try:
            answer = self.client.request("GET", f"/{self.names.index('claim-checks')}/_doc/{check_id}")
        except SearchEngineError as exc:
            if exc.status == 404:
                return None
            raise
        if not answer.get("found"):
            return None
        return ClaimCheck.model_validate(answer["_source"]["doc"])

    def decide_claim_check(self, decided: ClaimCheck) -> bool:
        """Replace the entry if it is still waiting (a Painless condition: one verdict wins)."""
        self._use()
        index = self.names.index("claim-checks")
        params = {"status": decided.status, "doc": decided.model_dump(mode="json")}
        try:
            answer = self.client.request(
                "POST",
                f"/{index}/_update/{decided.id}",
                body={"script": {"lang": "painless", "source": DECIDE_CHECK_SCRIPT, "params": params}},
                params={"refresh": "true", "retry_on_conflict": 3},
            )
        except SearchEngineError as exc:
            if exc.status == 404:
                return False
            raise
        return answer.get("result") == "updated"

    # -- audit -----------------------------------------------------------------------------------
    def audit(self, event: AuditEvent) -> None:
        """Append an audit event (``create`` only: an existing event is never overwritten)."""
        self._use()
        index = self.names.index("audit")
        self._bulk(
            [
                {"create": {"_index": index, "_id": event.id}},
                {
                    "actor": event.actor,
                    "event": event.event,
                    "target": event.target,
                    "at": _iso(event.at),
                    "seq": time.time_ns(),
                    "doc": event.model_dump(mode="json"),
                },
            ]
        )
        self._written(index)

    def audit_log(self, limit: int = 500) -> list[AuditEvent]:
        """Return the newest audit events."""
        index = self.names.index("audit")
        self._fresh(index)
        answer = self._search(index, {"size": limit, "sort": [{"seq": "desc"}]})
        return [AuditEvent.model_validate(h["_source"]["doc"]) for h in answer["hits"]["hits"]]


def search_store_from_url(url: str, settings: Settings | None = None) -> SearchStore:
    """Return the (unopened) search store a URL names, with credentials and prefix from ``settings.search``.

    >>> search_store_from_url("elasticsearch+https://es.example:9243").url
    'elasticsearch+https://es.example:9243'
    """
    search = settings.search if settings is not None else None
    client = engine_client_from_url(url, search)
    return SearchStore(
        client,
        index_prefix=search.index_prefix if search is not None else "pantau",
        registry_file=settings.registry_file if settings is not None else DEFAULT_REGISTRY,
    )
