"""The fact-check queue: check-worthy claims by party accounts that no fact-check covers yet.

Two halves, both free of Streamlit and of any transport:

- :func:`claims_to_check` (a pipeline stage, called after ``detect``): an item goes to the queue
  when it was posted by a party's account, ``disinfo.checkworthy`` says it holds a claim worth
  checking (score >= 0.5, the detector's calibrated decision), and ``disinfo.claim_match`` found
  no fact-check it repeats (match probability below 0.5, the detector's ``min_evidence``). The
  entry carries the nearest fact-checks the matcher saw, so a fact-checker starts from them. It
  is not an incident: nothing is breached until a fact-checker rates the claim.
- :func:`rate_claim` (what the dashboard calls): a fact-checker's verdict becomes a ClaimReview
  (:class:`~detectors.disinfo.factcheck.FactCheck`, ``origin`` ``queue``) in Pantau's own claims
  database (``DATA_DIR/claims``), which ``disinfo.claim_match`` reloads when the file changes: a
  re-share of the claim then matches it and, rated false or misleading, breaches DIS-1.

Example Snippet::

    checks = claims_to_check(batch, signals, people)
    store.add_claim_checks(checks)
    ...
    outcome = rate_claim(store, settings.data_dir / "claims", check.id, "false", "False", actor="rini")
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from detectors.disinfo.claims import ClaimsDB
from detectors.disinfo.factcheck import MAX_CLAIM_CHARS, FactCheck
from detectors.disinfo.text import clean_text
from pantau.schemas import EnrichedItem, Signal, utcnow
from pantau.stores.base import CHECK_VERDICTS, ClaimCheck, Scope

if TYPE_CHECKING:
    from pantau.registry import Registry
    from pantau.stores.base import IncidentStore

__all__ = [
    "CHECKWORTHY_MIN",
    "MATCHED_MIN",
    "PUBLISHER",
    "RateOutcome",
    "claim_review",
    "claims_to_check",
    "party_of",
    "rate_claim",
]

log = logging.getLogger(__name__)

CHECKWORTHY_MIN = 0.5
"""``disinfo.checkworthy`` score from which a post holds a claim worth checking (its calibrated decision)."""
MATCHED_MIN = 0.5
"""``disinfo.claim_match`` match probability from which a post repeats a known fact-check
(the detector's ``min_evidence``): such posts are the claim matcher's business, not the queue's."""
PUBLISHER = "Pantau fact-check queue"
"""Publisher of the ClaimReviews written from the queue's verdicts."""
MAX_NOTE = 2000


def party_of(enriched: EnrichedItem, people: Registry | None) -> str | None:
    """The party whose account posted the item: the feed's party, else the registry's account."""
    item = enriched.item
    if item.party:
        return item.party
    if people is None or not item.account:
        return None
    account = people.account(item.platform, item.account)
    return account.party if account is not None else None


def _signal(signals: Sequence[Signal], name: str) -> Signal | None:
    return next((s for s in signals if s.detector == name), None)


def _nearest(match: Signal | None) -> tuple[float, list[dict[str, Any]]]:
    if match is None:
        return 0.0, []
    listed = match.details.get("nearest") or match.details.get("matches") or []
    nearest = [
        {
            "claim_id": str(m.get("claim_id", "")),
            "claim": str(m.get("claim", ""))[:300],
            "verdict": str(m.get("verdict", "")),
            "url": str(m.get("url", "")),
            "probability": float(m.get("probability", 0.0)),
        }
        for m in listed[:5]
        if isinstance(m, dict)
    ]
    best = float(match.details.get("match_probability", max((m["probability"] for m in nearest), default=0)))
    return min(1.0, max(0.0, best)), nearest


def claims_to_check(
    batch: Sequence[EnrichedItem],
    signals: Mapping[str, Sequence[Signal]],
    people: Registry | None,
    checkworthy_min: float = CHECKWORTHY_MIN,
    matched_min: float = MATCHED_MIN,
) -> list[ClaimCheck]:
    """Queue entries for the check-worthy, unmatched claims posted by party accounts in a batch.

    Items without a ``disinfo.checkworthy`` signal (the detector is off, or no text) queue nothing.
    """
    checks: list[ClaimCheck] = []
    for enriched in batch:
        item = enriched.item
        found = signals.get(item.id, [])
        worthy = _signal(found, "disinfo.checkworthy")
        if worthy is None or worthy.score < checkworthy_min:
            continue
        party = party_of(enriched, people)
        if not party:
            continue
        best, nearest = _nearest(_signal(found, "disinfo.claim_match"))
        if best >= matched_min:
            continue
        text = clean_text(enriched.text or item.text, 5000)
        if not text:
            continue
        checks.append(
            ClaimCheck(
                item_id=item.id,
                text=text,
                party=party,
                account=item.account,
                platform=item.platform,
                url=item.url,
                language=item.language,
                published_at=item.published_at,
                checkworthy=round(min(1.0, max(0.0, worthy.score)), 4),
                best_match=round(best, 4),
                nearest=nearest,
            )
        )
    return checks


def claim_review(check: ClaimCheck) -> FactCheck:
    """The ClaimReview a rated queue entry becomes in Pantau's claims database."""
    return FactCheck(
        id=f"pantau-{check.id[:24]}",
        claim=clean_text(check.claim or check.text, MAX_CLAIM_CHARS) or check.text[:MAX_CLAIM_CHARS],
        summary=clean_text(check.note, 1000),
        rating=check.rating or check.verdict,
        verdict=check.verdict,  # type: ignore[arg-type]
        publisher=PUBLISHER,
        url=check.url or "",
        date=(check.decided_at or utcnow()).date().isoformat(),
        language=check.language or "",
        claimant=check.account or "",
        origin="queue",
    )


@dataclass(frozen=True)
class RateOutcome:
    """What a verdict did: ``recorded``, ``refused`` (with why) or ``decided`` (already decided)."""

    result: Literal["recorded", "refused", "decided"]
    message: str
    check: ClaimCheck | None = None


def rate_claim(
    store: IncidentStore,
    claims_folder: Path,
    check_id: str,
    verdict: str,
    rating: str = "",
    *,
    actor: str,
    claim: str = "",
    note: str = "",
    scope: Scope | None = None,
) -> RateOutcome:
    """Record a fact-checker's verdict on one queue entry, by id.

    ``verdict`` is one of :data:`~pantau.stores.base.CHECK_VERDICTS` (a ClaimReview is written to
    ``claims_folder``) or ``not_a_claim`` (the entry is closed, nothing written). The claims file
    is locked for the whole step, and the store's update is conditional on the entry still
    waiting, so two fact-checkers rating the same entry record one verdict and one ClaimReview.
    """
    scope = scope or Scope.everything()
    if verdict not in (*CHECK_VERDICTS, "not_a_claim"):
        return RateOutcome("refused", f"unknown verdict {verdict!r}; nothing was recorded")
    if len(note) > MAX_NOTE:
        return RateOutcome("refused", f"the note is at most {MAX_NOTE} characters; nothing was recorded")
    with ClaimsDB.editing(claims_folder) as db:
        check = store.get_claim_check(check_id, scope)
        if check is None:
            return RateOutcome("refused", "no such entry in the fact-check queue; nothing was recorded")
        if check.status != "waiting":
            who = check.decided_by or "someone"
            message = f"this claim was already decided by {who}; nothing was recorded"
            return RateOutcome("decided", message, check)
        decided = check.model_copy(
            update={
                "status": "rated" if verdict in CHECK_VERDICTS else "not_a_claim",
                "verdict": verdict if verdict in CHECK_VERDICTS else "",
                "rating": (rating.strip() or verdict)[:200] if verdict in CHECK_VERDICTS else "",
                "claim": clean_text(claim, MAX_CLAIM_CHARS) or check.text[:MAX_CLAIM_CHARS],
                "note": note.strip(),
                "decided_by": actor,
                "decided_at": utcnow(),
            }
        )
        review: FactCheck | None = None
        if decided.status == "rated":
            review = claim_review(decided)
            decided = decided.model_copy(update={"claim_id": review.id})
            db.add([review])
        if not store.decide_claim_check(decided):
            if review is not None:
                db.remove(review.id)  # saved on leaving: the claims file is as it was
            return RateOutcome("decided", "this claim was decided meanwhile; nothing was recorded", check)
    return RateOutcome("recorded", "recorded", decided)
