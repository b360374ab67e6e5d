"""The commission's review queue: new, escalated and appealed incidents, most severe first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.context import Context
from dashboard.render import escape, incident_label, open_incident, plain_block
from dashboard.urlstate import bind, remember
from dashboard.views.assign import assignee
from dashboard.views.bulk import post_card
from dashboard.views.decisions import decision_form
from pantau.review import OPEN_STATUSES
from pantau.stores.base import IncidentQuery

__all__ = ["review_page"]


def review_page(ctx: Context) -> None:
    """List the queue, pick an incident, decide."""
    all_families = ["gbv", "synthetic", "disinfo", "campaign", "meta"]
    bind("review-families", "family", allowed=all_families, many=True)
    families = st.multiselect("Family", all_families, key="review-families")
    remember("family", families)
    result = ctx.store.search(
        IncidentQuery(
            statuses=[s.value for s in OPEN_STATUSES], families=families, sort="severity", limit=200
        ),
        ctx.scope,
    )
    st.markdown(f"#### Review queue · {result.total} waiting")
    if not result.incidents:
        st.success("Nothing waiting for review.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "severity": i.breach.severity.value,
                    "status": i.status.value,
                    "clause": i.breach.clause_id,
                    "account": i.item.account,
                    "party": ctx.party_name(i.party),
                    "platform": i.item.platform,
                    "assigned": assignee(ctx.store.actions(i.id)) or "",
                    "detected": i.created_at,
                    "text": i.item.text[:120],
                    "id": i.id[:8],
                }
                for i in result.incidents
            ]
        ),
        hide_index=True,
        width="stretch",
        height=280,
    )
    by_id = {i.id: i for i in result.incidents}
    bind("review-pick", "pick", allowed=by_id)
    if st.session_state.get("review-pick") not in by_id:
        # The incident picked before has left the queue (decided): pick the first one still waiting,
        # set here so that the selector shows it too (a dropped value leaves the old label drawn).
        st.session_state["review-pick"] = next(iter(by_id))
    picked = st.selectbox(
        "Incident", list(by_id), format_func=lambda k: incident_label(by_id[k]), key="review-pick"
    )
    incident = by_id[picked]
    remember("pick", picked)
    st.markdown(
        plain_block(f"<b>{escape(incident.breach.clause_title)}</b> — {escape(incident.item.text[:400])}"),
        unsafe_allow_html=True,
    )
    st.caption(" · ".join(f"{s.detector} {s.score:.2f} ({s.label})" for s in incident.signals))
    if incident.status.value == "appealed":
        appeal = next((a for a in reversed(ctx.store.actions(incident.id)) if a.action == "appeal"), None)
        if appeal is not None:
            st.warning(escape(f"Appealed by {appeal.actor} on {appeal.at:%d %b %H:%M} UTC: {appeal.reason}"))
    open_incident(incident.id, key="review-open", label="Open full incident")
    post_card(ctx, incident, result.incidents)
    decision_form(ctx, incident, key="queue")
