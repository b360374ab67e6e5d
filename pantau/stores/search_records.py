"""The search store's side records: dead letters, alerts (the outbox), the fact-check queue, the audit log.

Each kind has its own index (:class:`~pantau.stores.search_index.IndexNames`), keeps the whole
record as ``doc`` beside the fields that filters and sorts read, and is written with ``create``
under its digest id, so a replay keeps what was kept first. Updates that must not race (an
alert's first acknowledgement, one verdict per queue entry) are Painless scripts run by the engine.
:class:`~pantau.stores.search.SearchStore` adds the incidents.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from pantau.schemas import Alert, DeadLetter, utcnow
from pantau.stores.base import AlertState, AuditEvent, ClaimCheck, Scope
from pantau.stores.search_client import SearchEngineError
from pantau.stores.search_index import DECIDE_CHECK_SCRIPT, MARK_ALERT_SCRIPT
from pantau.stores.search_indices import SearchIndices, docs_of, iso, parse_time

__all__ = ["SearchRecords"]

log = logging.getLogger(__name__)


class SearchRecords(SearchIndices):
    """Dead letters, alerts, the fact-check queue and the audit log in their indices."""

    # -- dead letters ----------------------------------------------------------------------------
    def add_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Keep dead letters, once per id."""
        self._create_all(
            self.names.index("dead-letters"),
            letters,
            lambda d: {
                "stage": d.stage,
                "error_type": d.error_type,
                "item_id": d.item_id,
                "created_at": iso(d.created_at),
            },
        )

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Return the newest dead letters."""
        index = self.names.index("dead-letters")
        self._fresh(index)
        return docs_of(self._search(index, {"size": limit, "sort": [{"created_at": "desc"}]}), DeadLetter)

    def count_dead_letters(self) -> int:
        """Return how many dead letters are kept."""
        index = self.names.index("dead-letters")
        self._fresh(index)
        return self._count(index)

    # -- alerts ----------------------------------------------------------------------------------
    def add_alerts(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Keep alerts; return those that were not kept already (a 409 conflict means seen before)."""
        unique = list({a.id: a for a in alerts}.values())
        results = self._create_all(
            self.names.index("alerts"),
            unique,
            lambda a: {
                "incident_id": a.incident_id,
                "party": a.party,
                "recipient": a.recipient,
                "created_at": iso(a.created_at),
            },
        )
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
            "now": iso(utcnow()),
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
        return docs_of(answer, Alert)

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
                delivered_at=parse_time(src.get("delivered_at")),
                delivery_error=src.get("delivery_error"),
                acknowledged_at=parse_time(src.get("acknowledged_at")),
                responded_at=parse_time(src.get("responded_at")),
            )
            for src in (h["_source"] for h in answer["hits"]["hits"])
        ]

    # -- fact-check queue ------------------------------------------------------------------------
    def add_claim_checks(self, checks: Sequence[ClaimCheck]) -> int:
        """Queue entries (``create``: an id already kept stays as it is, verdict and all)."""
        results = self._create_all(
            self.names.index("claim-checks"),
            list({c.id: c for c in checks}.values()),
            lambda c: {
                "item_id": c.item_id,
                "party": c.party,
                "status": c.status,
                "checkworthy": c.checkworthy,
                "created_at": iso(c.created_at),
            },
        )
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
        return docs_of(answer, ClaimCheck)

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
        self._create_all(
            self.names.index("audit"),
            [event],
            lambda e: {
                "actor": e.actor,
                "event": e.event,
                "target": e.target,
                "at": iso(e.at),
                "seq": time.time_ns(),
            },
        )

    def audit_log(self, limit: int = 500) -> list[AuditEvent]:
        """Return the newest audit events."""
        index = self.names.index("audit")
        self._fresh(index)
        return docs_of(self._search(index, {"size": limit, "sort": [{"seq": "desc"}]}), AuditEvent)
