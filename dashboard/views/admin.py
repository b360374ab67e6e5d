"""Commission pages: overdue party answers, the audit log, dead letters."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.context import Context
from dashboard.render import open_incident
from dashboard.views.replay import replay_form
from pantau.schemas import utcnow

__all__ = ["audit_page", "dead_letters_page", "overdue_page"]


def overdue_page(ctx: Context) -> None:
    """Party officers' alerts past their deadline with no answer, and those due in the next 6 hours."""
    now = utcnow()
    rows = []
    for state in ctx.store.alerts(ctx.scope, limit=5000):
        alert = state.alert
        if alert.recipient == "commission" or alert.due_at is None or state.responded_at is not None:
            continue
        hours = (alert.due_at - now).total_seconds() / 3600
        if hours > 6:
            continue
        rows.append(
            {
                "party": ctx.party_name(alert.party),
                "officer": alert.recipient,
                "severity": alert.severity.value,
                "subject": alert.subject,
                "due": alert.due_at,
                "hours": round(hours, 1),
                "acknowledged": state.acknowledged_at is not None,
                "incident": alert.incident_id,
            }
        )
    overdue = [r for r in rows if r["hours"] < 0]
    st.markdown(
        f"#### Party answers overdue · {len(overdue)} · due in the next 6 h · {len(rows) - len(overdue)}"
    )
    if not rows:
        st.success("No party answer is overdue or due in the next 6 hours.")
        return
    frame = pd.DataFrame(rows).sort_values("hours")
    frame["state"] = ["OVERDUE" if h < 0 else "due soon" for h in frame["hours"]]
    st.dataframe(frame, hide_index=True, width="stretch")
    picked = st.selectbox(
        "Open incident",
        list(frame["incident"]),
        key="overdue-pick",
        format_func=lambda i: f"{i[:8]} · {frame.set_index('incident').loc[i, 'subject']}",
    )
    open_incident(picked, key="overdue-open")


def audit_page(ctx: Context) -> None:
    """The append-only audit log, newest first, with filters."""
    events = ctx.store.audit_log(2000)
    st.markdown(f"#### Audit log · {len(events)} newest events")
    frame = pd.DataFrame(
        [e.model_dump() for e in events], columns=["at", "actor", "role", "event", "target", "detail", "id"]
    )
    kinds = sorted(frame["event"].unique()) if not frame.empty else []
    cols = st.columns(2)
    chosen = cols[0].multiselect("Events", kinds, key="audit-events")
    actor = cols[1].text_input("Actor contains", key="audit-actor")
    if chosen:
        frame = frame[frame["event"].isin(chosen)]
    if actor:
        frame = frame[frame["actor"].str.contains(actor, case=False, regex=False)]
    st.dataframe(frame, hide_index=True, width="stretch", height=520)
    st.caption("The store refuses updates and deletes of audit records.")


def dead_letters_page(ctx: Context) -> None:
    """What failed, where and why; the payload, and a Replay form for the one picked."""
    letters = ctx.store.dead_letters(500)
    st.markdown(f"#### Dead letters · {ctx.store.count_dead_letters()} kept")
    if not letters:
        st.success("No dead letters.")
        return
    frame = pd.DataFrame(
        [
            {
                "at": d.created_at,
                "stage": d.stage,
                "error": d.error_type,
                "reason": d.reason,
                "source": d.source,
                "item": d.item_id,
                "id": d.id,
            }
            for d in letters
        ]
    )
    stages = st.multiselect("Stage", sorted(frame["stage"].unique()), key="dead-stages")
    if stages:
        frame = frame[frame["stage"].isin(stages)]
    st.dataframe(frame, hide_index=True, width="stretch", height=360)
    by_id = {d.id: d for d in letters}
    picked = st.selectbox(
        "Payload of",
        list(frame["id"]),
        key="dead-pick",
        format_func=lambda i: f"{by_id[i].stage} · {by_id[i].error_type} · {i[:8]}",
    )
    if picked:
        st.code(by_id[picked].payload or "(empty)", language="json")
        replay_form(ctx, by_id[picked])
