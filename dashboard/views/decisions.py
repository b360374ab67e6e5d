"""Forms that record decisions (commission) and answers (party officers) on an incident."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from dashboard.context import Context
from pantau.access import can_decide
from pantau.schemas import Incident, utcnow
from pantau.stores.base import AlertState, ReviewAction

__all__ = ["decision_form", "officer_answer_form"]

DECISIONS = {"confirm": "Confirm breach", "dismiss": "Dismiss", "escalate": "Escalate", "reopen": "Reopen"}


def decision_form(ctx: Context, incident: Incident, key: str) -> None:
    """Confirm / dismiss (with a reason) / escalate / reopen; recorded as an action and audited."""
    if not can_decide(ctx.user):
        return
    with st.form(f"decide-{key}", clear_on_submit=True):
        action = st.radio(
            "Decision",
            list(DECISIONS),
            format_func=DECISIONS.__getitem__,
            horizontal=True,
            key=f"decision-{key}",
        )
        reason = st.text_input("Reason (required to dismiss or escalate)", key=f"reason-{key}")
        submitted = st.form_submit_button("Record decision", type="primary")
    if submitted:
        if action in ("dismiss", "escalate") and not reason.strip():
            st.error("Give a reason to dismiss or escalate.")
            return
        updated = ctx.store.record_action(
            ReviewAction(
                incident_id=incident.id,
                action=action,
                actor=ctx.user.username,
                role=ctx.user.role,
                reason=reason.strip(),
            )
        )
        ctx.audit("decide", target=incident.id, detail=f"{action}: {reason.strip()}")
        if updated is not None:
            st.success(f"Recorded: {DECISIONS[action].lower()} → status {updated.status.value}")


def _late(due: datetime | None) -> bool:
    return due is not None and utcnow() > due


def officer_answer_form(ctx: Context, incident: Incident, alert: AlertState | None, key: str) -> None:
    """Acknowledge, respond or appeal (appeals only before the clause deadline)."""
    if ctx.user.role != "party_officer":
        return
    # The incident came through the officer's scope, but check again: this form writes.
    if ctx.store.get_incident(incident.id, ctx.scope) is None:
        st.error("This incident is not your party's.")
        return
    due = alert.alert.due_at if alert else None
    if due:
        left = due - utcnow()
        if left.total_seconds() > 0:
            st.info(f"Answer due by {due:%d %b %Y %H:%M} UTC ({left.total_seconds() / 3600:.1f} h left).")
        else:
            st.error(f"The deadline passed at {due:%d %b %Y %H:%M} UTC; late answers are marked late.")
    with st.form(f"answer-{key}", clear_on_submit=True):
        action = st.radio(
            "Answer",
            ["acknowledge", "respond", "appeal"],
            horizontal=True,
            key=f"answer-kind-{key}",
            format_func=lambda a: {
                "acknowledge": "Acknowledge",
                "respond": "Respond (content removed, correction, ...)",
                "appeal": "Appeal the finding",
            }[a],
        )
        text = st.text_area("Your answer", key=f"answer-text-{key}")
        submitted = st.form_submit_button("Send answer", type="primary")
    if not submitted:
        return
    if action in ("respond", "appeal") and not text.strip():
        st.error("Write the response or the grounds of the appeal.")
        return
    if action == "appeal" and _late(due):
        st.error("Appeals close at the clause deadline.")
        return
    note = ("[late] " if _late(due) else "") + text.strip()
    ctx.store.record_action(
        ReviewAction(
            incident_id=incident.id, action=action, actor=ctx.user.username, role=ctx.user.role, reason=note
        )
    )
    if alert is not None:
        ctx.store.mark_alert(alert.alert.id, acknowledged=True, responded=action in ("respond", "appeal"))
    ctx.audit("answer", target=incident.id, detail=f"{action}: {note}")
    st.success(f"Sent: {action}.")
