"""The party officer's inbox: alerts about their party's incidents, the commission's status of each,
the answer deadline as a countdown, and the answer form of the alert picked.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.context import Context
from dashboard.render import escape, open_incident
from dashboard.urlstate import bind, remember
from dashboard.views.decisions import countdown, officer_answer_form
from pantau.review import describe
from pantau.schemas import Incident, utcnow
from pantau.stores.base import AlertState, IncidentQuery

__all__ = ["inbox_page"]


def _state(alert: AlertState) -> str:
    if alert.responded_at:
        return "answered"
    if alert.alert.due_at and alert.alert.due_at < utcnow():
        return "OVERDUE"
    return "acknowledged" if alert.acknowledged_at else "new"


def inbox_page(ctx: Context) -> None:
    """List alerts for the officer's party, newest first; pick one to answer."""
    alerts = [a for a in ctx.store.alerts(ctx.scope, limit=1000) if a.alert.recipient != "commission"]
    waiting = sum(1 for a in alerts if a.responded_at is None)
    overdue = sum(1 for a in alerts if _state(a) == "OVERDUE")
    cols = st.columns(3)
    cols[0].metric("Alerts", len(alerts), border=True)
    cols[1].metric("Waiting for your answer", waiting, border=True)
    cols[2].metric("Overdue", overdue, border=True)
    if not alerts:
        st.success(f"No alerts for {ctx.party_name(ctx.user.party)}.")
        return
    incidents = _incidents(ctx)
    now = utcnow()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "state": _state(a),
                    "commission": incidents[a.alert.incident_id].status.value
                    if a.alert.incident_id in incidents
                    else "?",
                    "deadline": countdown(a.alert.due_at, now),
                    "severity": a.alert.severity.value,
                    "subject": a.alert.subject,
                    "received": a.alert.created_at,
                    "due": a.alert.due_at,
                    "id": a.alert.id[:8],
                }
                for a in alerts
            ]
        ),
        hide_index=True,
        width="stretch",
        height=300,
    )
    by_id = {a.alert.id: a for a in alerts}
    bind("inbox-pick", "alert", allowed=by_id)
    if st.session_state.get("inbox-pick") not in by_id:
        st.session_state["inbox-pick"] = next(iter(by_id))
    # The label names the alert, never its state: a label that changes after an answer must not
    # move the selection to another alert.
    picked = st.selectbox(
        "Alert",
        list(by_id),
        key="inbox-pick",
        format_func=lambda k: f"{by_id[k].alert.subject} · {by_id[k].alert.id[:8]}",
    )
    chosen = by_id[picked]
    remember("alert", picked)
    incident = ctx.store.get_incident(chosen.alert.incident_id, ctx.scope)
    if incident is None:
        st.error("The incident of this alert is not available.")
        return
    st.markdown(
        f"**{escape(describe(incident))}** · commission status **{incident.status.value}** · "
        f"{countdown(chosen.alert.due_at, now)}"
    )
    st.text(chosen.alert.body)
    open_incident(incident.id, key="inbox-open", label="Open full incident")
    officer_answer_form(ctx, incident, chosen, key="inbox")


def _incidents(ctx: Context) -> dict[str, Incident]:
    """The officer's incidents by id (one search, inside their scope), for the status column."""
    result = ctx.store.search(IncidentQuery(limit=1000, sort="newest"), ctx.scope)
    return {i.id: i for i in result.incidents}
