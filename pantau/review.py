"""The review workflow: which decision or answer is allowed in which status, recorded once.

Statuses (:class:`~pantau.schemas.IncidentStatus`)::

    new -> confirmed | dismissed | escalated          (commission)
    escalated -> confirmed | dismissed | new           (commission)
    new | confirmed | escalated -> appealed            (the party, before the answer deadline)
    appealed -> upheld | overturned                    (commission, with a reason)
    any decided status -> new                          (commission: reopen)

Party officers also acknowledge and respond; those never change the status. Every action
carries who (actor, role) and why (reason). :func:`submit` records an action only when it is
still allowed in the incident's current status, when the status is the one the user saw
(optimistic concurrency: two people deciding at once cannot silently overwrite each other),
and when it is not a repeat: the same form token (a double click) or the same action, actor and
reason as the incident's last action (a retry) is recorded once.

>>> allowed_actions(IncidentStatus.APPEALED, "commission")
['uphold', 'overturn']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pantau.schemas import Incident, IncidentStatus, digest
from pantau.stores.base import STATUS_BY_ACTION, IncidentStore, ReviewAction, Scope

__all__ = [
    "APPEALABLE",
    "OPEN_STATUSES",
    "PAST_TENSE",
    "STATUS_BY_ACTION",
    "Outcome",
    "action_id",
    "allowed_actions",
    "describe",
    "needs_reason",
    "submit",
]

S = IncidentStatus
OPEN_STATUSES = [S.NEW, S.ESCALATED, S.APPEALED]
"""Statuses waiting for the commission: its review queue."""

APPEALABLE = frozenset({S.NEW, S.CONFIRMED, S.ESCALATED})
"""Statuses a party may appeal (a finding that stands or may stand)."""

_COMMISSION: dict[IncidentStatus, list[str]] = {
    S.NEW: ["confirm", "dismiss", "escalate"],
    S.ESCALATED: ["confirm", "dismiss", "reopen"],
    S.CONFIRMED: ["reopen"],
    S.DISMISSED: ["reopen"],
    S.APPEALED: ["uphold", "overturn"],
    S.UPHELD: ["reopen"],
    S.OVERTURNED: ["reopen"],
}
_NEEDS_REASON = frozenset({"dismiss", "escalate", "uphold", "overturn", "respond", "appeal"})

PAST_TENSE = {
    "confirm": "Confirmed",
    "dismiss": "Dismissed",
    "escalate": "Escalated",
    "reopen": "Reopened",
    "uphold": "Upheld",
    "overturn": "Overturned",
    "acknowledge": "Acknowledged",
    "respond": "Responded to",
    "appeal": "Appealed",
    "comment": "Commented on",
    "assign": "Assigned",
}


def allowed_actions(status: IncidentStatus, role: str) -> list[str]:
    """Return the actions ``role`` may take on an incident in ``status``, in the order forms show them."""
    if role == "commission":
        return list(_COMMISSION.get(status, []))
    if role == "party_officer":
        return ["acknowledge", "respond"] + (["appeal"] if status in APPEALABLE else [])
    return []


def needs_reason(action: str) -> bool:
    """Whether ``action`` must say why (dismiss, escalate, uphold, overturn) or what (respond, appeal)."""
    return action in _NEEDS_REASON


def describe(incident: Incident) -> str:
    """Name an incident the way a person recognises it: ``GBV-1 on @pbn.official``."""
    account = incident.item.account or ""
    who = account if account.startswith("@") else f"@{account}" if account else "an unknown account"
    return f"{incident.breach.clause_id} on {who}"


def action_id(incident_id: str, action: str, actor: str, token: str) -> str:
    """The id of an action sent from one drawn form: the same form sent twice gives the same id."""
    return digest("action", incident_id, action, actor, token)


@dataclass(frozen=True)
class Outcome:
    """What :func:`submit` did: ``recorded``, ``duplicate`` (recorded before) or ``refused`` (and why)."""

    result: Literal["recorded", "duplicate", "refused"]
    message: str
    incident: Incident | None = None


def _same(a: ReviewAction, b: ReviewAction) -> bool:
    """The same answer again: action, actor, reason and attached files."""
    files = [f.sha256 for f in a.attachments], [f.sha256 for f in b.attachments]
    return (a.action, a.actor, a.reason) == (b.action, b.actor, b.reason) and files[0] == files[1]


def submit(store: IncidentStore, action: ReviewAction, seen: IncidentStatus | None = None) -> Outcome:
    """Record ``action`` if it is allowed now, on the status the user saw, and not a repeat.

    :param store: where the incident lives (read with the unrestricted scope: the caller checked
        the user's scope when it drew the form).
    :param action: the action, with an id from :func:`action_id` so a double click repeats the id.
    :param seen: the status the user saw when the form was drawn; a status-changing action on an
        incident that has changed since is refused.
    """
    incident = store.get_incident(action.incident_id, Scope.everything())
    if incident is None:
        return Outcome("refused", "This incident is no longer available; nothing was recorded.")
    name = describe(incident)
    history = store.actions(incident.id)
    # The commission's notes (comments, assignment) between two answers do not hide a retry.
    answers = [a for a in history if a.action not in ("comment", "assign")]
    last = answers[-1] if answers else None
    if any(a.id == action.id for a in history) or (
        last is not None
        and _same(last, action)
    ):
        return Outcome("duplicate", f"{action.action.capitalize()} on {name} was already recorded.", incident)
    if action.action not in allowed_actions(incident.status, action.role):
        return Outcome(
            "refused",
            f"{name} is {incident.status.value}: {action.action} is not possible now; nothing was recorded.",
            incident,
        )
    if seen is not None and action.action in STATUS_BY_ACTION and incident.status != seen:
        return Outcome(
            "refused",
            f"{name} changed from {seen.value} to {incident.status.value} since you opened it; "
            "nothing was recorded. Look again and decide.",
            incident,
        )
    if needs_reason(action.action) and not action.reason.strip():
        return Outcome("refused", f"Say why: {action.action} needs a reason.", incident)
    updated = store.record_action(action)
    changes = updated is not None and action.action in STATUS_BY_ACTION
    status = f" (now {updated.status.value})" if changes and updated is not None else ""
    return Outcome("recorded", f"{PAST_TENSE.get(action.action, action.action)} {name}{status}.", updated)
