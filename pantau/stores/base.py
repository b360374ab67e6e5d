"""The store interface: incidents, review actions, alerts, dead letters, the fact-check queue, the audit log.

One interface, several engines: SQLite (the embedded default, :mod:`pantau.stores.sqlite`)
and Elasticsearch / OpenSearch (:mod:`pantau.stores.search`). Every engine passes the same
test suite (``tests/unit/stores/``, and ``tests/integration/`` on real servers).

Writes are idempotent: incidents, alerts and dead letters carry digest ids, and writing the
same id again overwrites (keeping review status and history) instead of duplicating.

Access control is part of the query: a :class:`Scope` restricts what a user may see and every
read takes one, so no page can forget to filter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pantau.schemas import Alert, DeadLetter, Incident, IncidentStatus, digest, utcnow

__all__ = [
    "STATUS_BY_ACTION",
    "AlertState",
    "Attachment",
    "AuditEvent",
    "CHECK_VERDICTS",
    "ClaimCheck",
    "IncidentQuery",
    "IncidentStore",
    "ReviewAction",
    "Scope",
    "SearchResult",
    "mean_stage_seconds",
]


STATUS_BY_ACTION: dict[str, IncidentStatus] = {
    "confirm": IncidentStatus.CONFIRMED,
    "dismiss": IncidentStatus.DISMISSED,
    "escalate": IncidentStatus.ESCALATED,
    "reopen": IncidentStatus.NEW,
    "appeal": IncidentStatus.APPEALED,
    "uphold": IncidentStatus.UPHELD,
    "overturn": IncidentStatus.OVERTURNED,
}
"""The status each status-changing review action leads to (every engine applies it;
:mod:`pantau.review` says which action is allowed when)."""


class Scope(BaseModel):
    """What a user may see. The commission's scope is unrestricted.

    :param parties: only incidents of these parties (party officers), ``None`` for all.
    :param statuses: only incidents in these statuses (journalists: confirmed), ``None`` for all.
    :param redact: victims' personal data redacted and intimate media withheld (journalists).
    """

    model_config = ConfigDict(frozen=True)

    parties: frozenset[str] | None = None
    statuses: frozenset[IncidentStatus] | None = None
    redact: bool = False
    claim_checks: bool = Field(
        True, description="Whether the fact-check queue (claims waiting for a verdict) is visible."
    )

    @classmethod
    def everything(cls) -> Scope:
        """The commission's scope."""
        return cls()

    def allows(self, incident: Incident) -> bool:
        """Return whether an incident is inside this scope."""
        if self.parties is not None and incident.party not in self.parties:
            return False
        return not (self.statuses is not None and incident.status not in self.statuses)


class IncidentQuery(BaseModel):
    """Filters of an incident search; empty lists mean no filter."""

    text: str = Field("", description="Full-text query over the item's text, OCR and transcript.")
    families: list[str] = Field(default_factory=list)
    parties: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)
    severities: list[str] = Field(default_factory=list)
    statuses: list[str] = Field(default_factory=list)
    clause_ids: list[str] = Field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    dates: Literal["detected", "published"] = Field(
        "detected",
        description="What since/until bound: when the incident was detected, or when the post was "
        "published (detection when the publication time is unknown).",
    )
    limit: int = Field(50, ge=0, le=10_000)
    offset: int = Field(0, ge=0)
    sort: Literal["newest", "oldest", "severity"] = "newest"


class SearchResult(BaseModel):
    """A page of incidents, the total count and facet counts over the whole result."""

    total: int
    incidents: list[Incident]
    facets: dict[str, dict[str, int]] = Field(default_factory=dict)
    highlights: dict[str, str] = Field(default_factory=dict, description="incident id -> highlighted snippet")


class Attachment(BaseModel):
    """A file sent with an answer (proof of takedown): kept by content under ``<data_dir>/attachments``."""

    sha256: str
    name: str = Field(max_length=200)
    size: int = Field(ge=0)
    mime: str


class ReviewAction(BaseModel):
    """One decision or answer on an incident (confirm, dismiss, escalate, acknowledge, respond, appeal...).

    ``comment`` (reason: the text) and ``assign`` (reason: the reviewer's user name, empty to
    unassign) are the commission's own notes: they never change the status.
    """

    id: str = ""
    incident_id: str
    action: Literal[
        "confirm", "dismiss", "escalate", "reopen", "uphold", "overturn", "acknowledge", "respond", "appeal",
        "comment", "assign",
    ]
    actor: str
    role: str
    reason: str = ""
    attachments: list[Attachment] = Field(default_factory=list)
    at: datetime = Field(default_factory=utcnow)

    def model_post_init(self, __context: Any) -> None:
        """Give the action a digest id when none was set."""
        if not self.id:
            self.id = digest("action", self.incident_id, self.action, self.actor, self.at.isoformat())


CHECK_VERDICTS = ("false", "misleading", "mixed", "true")
"""Verdicts a fact-checker gives in the queue (``not_a_claim`` closes an entry without one)."""


class ClaimCheck(BaseModel):
    """An entry of the fact-check queue: a check-worthy post by a party account that matched no fact-check.

    Not an incident: nothing was breached yet. A fact-checker's verdict (``status`` ``rated``)
    becomes a ClaimReview in Pantau's own claims database (``claim_id``), which the claim matcher
    then finds in re-shares; ``not_a_claim`` closes the entry without one. The id is a digest of
    the item id, so a replayed item is queued once.
    """

    id: str = ""
    item_id: str
    text: str = Field(max_length=5000, description="The post's text as it was judged check-worthy.")
    party: str | None = None
    account: str | None = None
    platform: str | None = None
    url: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    checkworthy: float = Field(ge=0, le=1, description="disinfo.checkworthy score of the post.")
    best_match: float = Field(0.0, ge=0, le=1, description="Match probability of the nearest fact-check.")
    nearest: list[dict[str, Any]] = Field(
        default_factory=list, description="Nearest fact-checks: claim_id, claim, verdict, url, probability."
    )
    status: Literal["waiting", "rated", "not_a_claim"] = "waiting"
    verdict: str = Field("", description="false, misleading, mixed or true once rated.")
    rating: str = Field("", description="The fact-checker's rating, verbatim.")
    claim: str = Field("", description="The claim as the fact-checker worded it (default: the post's text).")
    note: str = Field("", description="The fact-checker's explanation or link.")
    decided_by: str = ""
    decided_at: datetime | None = None
    claim_id: str = Field("", description="Id of the ClaimReview written to the claims database.")
    created_at: datetime = Field(default_factory=utcnow)

    def model_post_init(self, __context: Any) -> None:
        """Give the entry a digest id of its item when none was set."""
        if not self.id:
            self.id = digest("claim-check", self.item_id)


class AlertState(BaseModel):
    """An alert with where it stands: delivered, acknowledged, answered."""

    alert: Alert
    delivered_at: datetime | None = None
    delivery_error: str | None = None
    acknowledged_at: datetime | None = None
    responded_at: datetime | None = None


class AuditEvent(BaseModel):
    """An append-only audit record: sign-in, view, decision, export."""

    id: str = ""
    at: datetime = Field(default_factory=utcnow)
    actor: str
    role: str
    event: str = Field(description="sign_in, sign_in_failed, sign_out, view_incident, decide, export, search")
    target: str = ""
    detail: str = ""

    def model_post_init(self, __context: Any) -> None:
        """Give the event a digest id when none was set."""
        if not self.id:
            self.id = digest("audit", self.actor, self.event, self.target, self.at.isoformat())


def mean_stage_seconds(timings: Iterable[dict[str, float] | None]) -> dict[str, float]:
    """Mean seconds per item of each stage over processed batches' timings (``stats()``).

    >>> mean_stage_seconds([{"detect": 1.0}, {"detect": 3.0, "judge": 0.5}, None])
    {'detect': 2.0, 'judge': 0.5}
    """
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for timing in timings:
        for stage, secs in (timing or {}).items():
            sums[stage] = sums.get(stage, 0.0) + float(secs)
            counts[stage] = counts.get(stage, 0) + 1
    return {k: sums[k] / counts[k] for k in sums}


class IncidentStore(ABC):
    """Where incidents and everything about them are kept.

    Open with :meth:`open` (clients connect there, never in ``__init__``), write with the
    ``upsert``/``add`` methods, :meth:`flush` before committing offsets.
    """

    url: str

    @abstractmethod
    def open(self) -> None:
        """Connect and create tables or indices if missing (idempotent)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def flush(self) -> None:  # noqa: B027 - optional for engines that write synchronously
        """Make everything written so far durable and searchable."""

    # -- incidents ---------------------------------------------------------------------------
    @abstractmethod
    def upsert_incidents(self, incidents: Sequence[Incident]) -> int:
        """Write incidents; an existing id keeps its review status. Return how many were new."""

    @abstractmethod
    def get_incident(self, incident_id: str, scope: Scope) -> Incident | None:
        """Return one incident if it exists and the scope allows it, else ``None``."""

    @abstractmethod
    def search(self, query: IncidentQuery, scope: Scope) -> SearchResult:
        """Search incidents inside the scope."""

    @abstractmethod
    def record_action(self, action: ReviewAction) -> Incident | None:
        """Record a review action and apply it to the incident's status; return the incident."""

    @abstractmethod
    def actions(self, incident_id: str) -> list[ReviewAction]:
        """Return the history of an incident, oldest first."""

    # -- items seen (idempotent resume, pipeline health) -------------------------------------
    @abstractmethod
    def mark_processed(self, item_ids: Sequence[str], stage_seconds: dict[str, float] | None = None) -> None:
        """Record items as fully processed (incidents written), with optional per-stage timings."""

    @abstractmethod
    def processed(self, item_ids: Sequence[str]) -> set[str]:
        """Return which of these items were already processed."""

    @abstractmethod
    def stats(self) -> dict[str, Any]:
        """Return pipeline health figures: items, incidents, dead letters, items per minute."""

    # -- dead letters ------------------------------------------------------------------------
    @abstractmethod
    def add_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Keep dead letters (same id: kept once)."""

    @abstractmethod
    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Return the newest dead letters."""

    @abstractmethod
    def count_dead_letters(self) -> int:
        """Return how many dead letters are kept."""

    # -- alerts ------------------------------------------------------------------------------
    @abstractmethod
    def add_alerts(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Keep alerts; return only those that were new (de-duplication by id)."""

    @abstractmethod
    def mark_alert(self, alert_id: str, *, delivered: bool | None = None, error: str | None = None,
                   acknowledged: bool = False, responded: bool = False) -> None:
        """Update an alert's delivery or answer state."""

    @abstractmethod
    def alerts(self, scope: Scope, limit: int = 200) -> list[AlertState]:
        """Return alerts inside the scope (by party), newest first."""

    @abstractmethod
    def pending_alerts(self, limit: int = 100) -> list[Alert]:
        """Return kept alerts not yet delivered, oldest first: the outbox the alerter redelivers."""

    def commit_batch(
        self,
        incidents: Sequence[Incident],
        dead: Sequence[DeadLetter],
        alerts: Sequence[Alert],
        item_ids: Sequence[str],
        stage_seconds: dict[str, float] | None = None,
    ) -> tuple[int, list[Alert]]:
        """Write one batch's results, then mark its items processed; return (new incidents, new alerts).

        The alerts go in with the incidents (the outbox), before the items count as processed, so
        a crash at any point leaves either unprocessed items (judged again: every write is idempotent
        by id) or undelivered alerts (:meth:`pending_alerts`, redelivered on start). Engines with
        transactions write it all in one (SQLite, through :meth:`_batch`); the others write in this order.
        """
        with self._batch():
            new = self.upsert_incidents(incidents) if incidents else 0
            if dead:
                self.add_dead_letters(dead)
            fresh = self.add_alerts(alerts) if alerts else []
            if item_ids:
                self.mark_processed(item_ids, stage_seconds)
        return new, fresh

    def _batch(self) -> AbstractContextManager[Any]:
        """What :meth:`commit_batch` writes inside: one transaction where the engine has them."""
        return nullcontext()

    # -- fact-check queue --------------------------------------------------------------------
    @abstractmethod
    def add_claim_checks(self, checks: Sequence[ClaimCheck]) -> int:
        """Queue entries; an id already kept is left as it is (verdict and all). Return how many were new."""

    @abstractmethod
    def claim_checks(
        self, scope: Scope, status: str | None = "waiting", limit: int = 200
    ) -> list[ClaimCheck]:
        """Queue entries in a status (``None``: any), most check-worthy first; none outside the scope."""

    @abstractmethod
    def get_claim_check(self, check_id: str, scope: Scope) -> ClaimCheck | None:
        """One entry, if it exists and the scope shows the queue."""

    @abstractmethod
    def decide_claim_check(self, decided: ClaimCheck) -> bool:
        """Replace a waiting entry by its decided version (same id); False when it was not waiting.

        Conditional on the stored status, so two fact-checkers deciding the same entry record one verdict.
        """

    # -- audit -------------------------------------------------------------------------------
    @abstractmethod
    def audit(self, event: AuditEvent) -> None:
        """Append an audit event (never updated or deleted)."""

    @abstractmethod
    def audit_log(self, limit: int = 500) -> list[AuditEvent]:
        """Return the newest audit events."""

    def __enter__(self) -> IncidentStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
