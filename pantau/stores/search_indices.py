"""The search store's ground: its indices' life cycle, read-your-writes refreshes and bulk writing.

:class:`SearchIndices` holds the engine client and the index names of one prefix. It creates the
incident template, the first incident index with its alias and the other indices
(:meth:`~SearchIndices.open`), rolls the incident alias over, and carries bulk requests
(:meth:`~SearchIndices._bulk`: 409 conflicts are answers, busy statuses raise
:class:`~pantau.errors.StoreUnavailable`). Writes mark their indices; a read of a marked index
refreshes it first, so the same store sees its own writes as SQLite would.
:class:`~pantau.stores.search.SearchStore` builds on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from pantau.errors import StoreUnavailable
from pantau.settings import DEFAULT_REGISTRY
from pantau.stores.search_client import BUSY_STATUSES, EngineClient, SearchEngineError
from pantau.stores.search_index import INCIDENT_MAPPINGS, IndexNames, incident_template, index_bodies

__all__ = ["SearchIndices", "docs_of", "iso", "parse_time"]

M = TypeVar("M", bound=BaseModel)


def parse_time(value: str | None) -> datetime | None:
    """A date the engine gave back (``Z`` or an offset), or ``None``."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def iso(value: datetime) -> str:
    """A date as the indices keep it."""
    return value.isoformat()


def docs_of(answer: dict[str, Any], model: type[M]) -> list[M]:
    """The records kept whole (``doc``) in a search answer's hits, in the answer's order."""
    return [model.model_validate(h["_source"]["doc"]) for h in answer["hits"]["hits"]]


class SearchIndices:
    """The indices of one prefix in Elasticsearch or OpenSearch, and the requests every record kind shares.

    :param client: the engine adapter (:class:`~pantau.stores.search_client.OpenSearchClient`,
        :class:`~pantau.stores.search_client.ElasticsearchClient`).
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
            busy = [r for r in results if r.get("status") in BUSY_STATUSES]
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

    def _create_all(
        self, index: str, records: Sequence[Any], fields: Callable[[Any], dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Bulk-``create`` each record under its id: ``fields(record)`` (what filters and sorts read) and
        the whole record as ``doc``. An id kept before stays as it is (409). One result per record."""
        self._use()
        operations: list[dict[str, Any]] = []
        for record in records:
            operations.append({"create": {"_index": index, "_id": record.id}})
            operations.append({**fields(record), "doc": record.model_dump(mode="json")})
        results = self._bulk(operations)
        self._written(index)
        return results

    def _count(self, index: str, query: dict[str, Any] | None = None) -> int:
        answer = self.client.request("POST", f"/{index}/_count", body={"query": query} if query else None)
        return int(answer["count"])
