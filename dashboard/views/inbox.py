"""The party officer's inbox: alerts about their party's incidents, with deadlines and answers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.context import Context
from dashboard.render import open_incident
from dashboard.views.decisions import officer_answer_form
from pantau.schemas import utcnow
from pantau.stores.base import AlertState

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
    now = utcnow()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "state": _state(a),
                    "severity": a.alert.severity.value,
                    "subject": a.alert.subject,
                    "received": a.alert.created_at,
                    "due": a.alert.due_at,
                    "hours left": round((a.alert.due_at - now).total_seconds() / 3600, 1)
                    if a.alert.due_at
                    else None,
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
    picked = st.selectbox(
        "Alert",
        list(by_id),
        key="inbox-pick",
        format_func=lambda k: f"{_state(by_id[k])} · {by_id[k].alert.subject}",
    )
    chosen = by_id[picked]
    incident = ctx.store.get_incident(chosen.alert.incident_id, ctx.scope)
    if incident is None:
        st.error("The incident of this alert is not available.")
        return
    st.text(chosen.alert.body)
    open_incident(incident.id, key="inbox-open", label="Open full incident")
    officer_answer_form(ctx, incident, chosen, key="inbox")
