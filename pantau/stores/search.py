"""The search-engine store: Elasticsearch 8/9 or OpenSearch 2.x, one code path.

:class:`SearchStore` implements :class:`~pantau.stores.base.IncidentStore` over plain REST
bodies from :mod:`pantau.stores.search_index` (one index definition, one set of queries).
What differs between engines is only the client that carries them
(:mod:`pantau.stores.search_client`). The store is built in layers, one job each:
:mod:`pantau.stores.search_indices` (index life cycle, refreshes, bulk writing),
:mod:`pantau.stores.search_records` (dead letters, alerts, the fact-check queue, audit), and here
the incidents, their review history and the processed items.

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

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pantau.schemas import Incident, IncidentStatus, utcnow
from pantau.settings import DEFAULT_REGISTRY
from pantau.stores.base import (
    STATUS_BY_ACTION,
    IncidentQuery,
    IncidentStore,
    ReviewAction,
    Scope,
    SearchResult,
    mean_stage_seconds,
)
from pantau.stores.search_client import engine_client_from_url
from pantau.stores.search_index import (
    FACET_FIELDS,
    INCIDENT_TEXT_FIELDS,
    KEEP_REVIEW_STATE_SCRIPT,
    REDACTED_TEXT_FIELDS,
    incident_document,
    incident_search_body,
)
from pantau.stores.search_indices import docs_of, iso, parse_time
from pantau.stores.search_records import SearchRecords
from pantau.stores.text import cached_registry, redacted_search_text

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = ["SearchStore", "search_store_from_url"]


class SearchStore(SearchRecords, IncidentStore):
    """Incidents and everything about them in Elasticsearch or OpenSearch.

    Takes :class:`~pantau.stores.search_indices.SearchIndices`' arguments: the engine client, the
    index prefix, the shards of each new index and the registry file (whose private persons a
    journalist's search leaves out).
    """

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
            doc["updated_at"] = iso(utcnow())
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
        created = parse_time(src.get("created_at"))
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
        self._create_all(
            self.names.index("actions"),
            [action],
            lambda a: {"incident_id": a.incident_id, "action": a.action, "actor": a.actor, "at": iso(a.at)},
        )
        status = STATUS_BY_ACTION.get(action.action)
        if status is not None:
            self.client.request(
                "POST",
                f"/{where[action.incident_id]}/_update/{action.incident_id}",
                body={"doc": {"status": status.value, "updated_at": iso(utcnow())}},
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
        return docs_of(answer, ReviewAction)

    # -- processed items -------------------------------------------------------------------------
    def mark_processed(self, item_ids: Sequence[str], stage_seconds: dict[str, float] | None = None) -> None:
        """Record items as fully processed, with the batch's per-stage seconds per item."""
        self._use()
        index = self.names.index("processed")
        at = iso(utcnow())
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

    def stats(self) -> dict[str, Any]:
        """Pipeline health: counts, items in the last minute and hour, mean stage seconds."""
        names = self.names
        processed_index = names.index("processed")
        self._fresh(names.incidents, processed_index, names.index("dead-letters"), names.index("alerts"))
        now = utcnow()

        def since(delta: timedelta) -> dict[str, Any]:
            return {"range": {"at": {"gte": iso(now - delta)}}}

        latest = self._search(
            processed_index,
            {
                "size": 1000,
                "sort": [{"at": "desc"}],
                "_source": ["timings"],
                "query": {"match_all": {}},
            },
        )
        return {
            "items": self._count(processed_index),
            "items_last_minute": self._count(processed_index, since(timedelta(minutes=1))),
            "items_last_hour": self._count(processed_index, since(timedelta(hours=1))),
            "incidents": self._count(names.incidents),
            "dead_letters": self._count(names.index("dead-letters")),
            "alerts": self._count(names.index("alerts")),
            "stage_seconds_per_item": mean_stage_seconds(
                hit["_source"].get("timings") for hit in latest["hits"]["hits"]
            ),
        }


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
