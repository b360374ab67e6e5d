"""The commission's wall screen: KPIs, trends, top clauses, repeat offenders, pipeline health.

Bars of the severity, party, platform and clause charts and rows of the repeat offenders open
the Search page filtered by what was clicked (:mod:`dashboard.views.drill`).
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard.charts import bar_counts, incidents_frame, repeat_offenders, timeline
from dashboard.context import Context
from dashboard.views.drill import bar_drill, follow, row_drill
from pantau.review import OPEN_STATUSES
from pantau.schemas import utcnow
from pantau.stores.base import IncidentQuery

__all__ = ["WINDOWS", "overview_page", "pipeline_health"]

WINDOWS = {
    "Last 24 hours": (timedelta(hours=24), "h"),
    "Last 7 days": (timedelta(days=7), "6h"),
    "Last 30 days": (timedelta(days=30), "D"),
    "Election period (90 days)": (timedelta(days=90), "D"),
}
MAX_CHART_INCIDENTS = 5000


def overview_page(ctx: Context) -> None:
    """Render the overview; with 'Live' on, it refreshes itself every 30 seconds."""
    top = st.columns([3, 1])
    window = (
        top[0].segmented_control("Window", list(WINDOWS), default="Last 7 days", key="overview-window")
        or "Last 7 days"
    )
    live = top[1].toggle("Live (30 s)", key="overview-live")
    if live:
        st.fragment(run_every=30)(_body)(ctx, window)
    else:
        _body(ctx, window)


def _body(ctx: Context, window: str) -> None:
    follow()
    span, freq = WINDOWS[window]
    since = utcnow() - span
    result = ctx.store.search(IncidentQuery(since=since, limit=MAX_CHART_INCIDENTS, sort="newest"), ctx.scope)
    frame = incidents_frame(result.incidents)
    stats = ctx.store.stats()
    overdue = _overdue_count(ctx)
    open_ = result.facets.get("status", {})
    severity = result.facets.get("severity", {})
    kpis = st.columns(6)
    kpis[0].metric("Incidents", result.total, border=True, help=f"In the window ({window.lower()}).")
    kpis[1].metric(
        "Awaiting review", sum(open_.get(s.value, 0) for s in OPEN_STATUSES), border=True
    )
    kpis[2].metric("Confirmed", open_.get("confirmed", 0), border=True)
    kpis[3].metric("Critical", severity.get("critical", 0), border=True)
    kpis[4].metric(
        "Late answers", overdue, border=True, help="Party officers' answers past the clause deadline."
    )
    kpis[5].metric(
        "Items / min",
        stats.get("items_last_minute", 0),
        border=True,
        help=f"{stats.get('items', 0)} items processed in all.",
    )
    if result.total > len(result.incidents):
        st.caption(f"Charts show the newest {len(result.incidents)} of {result.total} incidents.")
    by = st.radio(
        "Colour the timeline by",
        ["family", "severity", "party", "platform"],
        horizontal=True,
        key="overview-by",
    )
    st.plotly_chart(timeline(frame, by=by, freq=freq), width="stretch", key="chart-timeline")
    row = st.columns(3)
    for column, (facet, title) in zip(
        row, [("severity", "By severity"), ("party", "By party"), ("platform", "By platform")], strict=True
    ):
        with column:
            st.plotly_chart(
                bar_counts(frame, facet, title),
                width="stretch",
                key=f"chart-{facet}",
                on_select=bar_drill(facet, f"chart-{facet}"),
                selection_mode="points",
            )
    row = st.columns(2)
    with row[0]:
        st.plotly_chart(
            bar_counts(frame, "clause", "Top clauses breached", top=8),
            width="stretch",
            key="chart-clauses",
            on_select=bar_drill("clause_id", "chart-clauses"),
            selection_mode="points",
        )
    with row[1]:
        st.markdown("##### Repeat offenders")
        offenders = repeat_offenders(frame)
        if offenders.empty:
            st.caption("No account with more than one incident in this window.")
        else:
            st.dataframe(
                offenders,
                hide_index=True,
                width="stretch",
                key="overview-offenders",
                on_select=row_drill(
                    "overview-offenders", list(zip(offenders["account"], offenders["platform"], strict=True))
                ),
                selection_mode="single-row",
            )
    if ctx.user.role == "commission":
        pipeline_health(ctx, stats)


def _overdue_count(ctx: Context) -> int:
    now = utcnow()
    return sum(
        1
        for a in ctx.store.alerts(ctx.scope, limit=5000)
        if a.alert.recipient != "commission"
        and a.alert.due_at
        and a.alert.due_at < now
        and a.responded_at is None
    )


def pipeline_health(ctx: Context, stats: dict[str, object] | None = None) -> None:
    """Throughput, dead letters, lag (when the backend reports it) and per-stage latency."""
    stats = stats if stats is not None else ctx.store.stats()
    st.markdown("#### Pipeline health")
    cols = st.columns(5)
    cols[0].metric("Items processed", stats.get("items", 0), border=True)
    cols[1].metric("Items last hour", stats.get("items_last_hour", 0), border=True)
    cols[2].metric("Dead letters", stats.get("dead_letters", 0), border=True)
    cols[3].metric("Alerts", stats.get("alerts", 0), border=True)
    cols[4].metric(
        "Consumer lag",
        stats.get("lag", "n/a"),
        border=True,
        help="Messages waiting on Kafka (Kafka backend only).",
    )
    stages = stats.get("stage_seconds_per_item") or {}
    if isinstance(stages, dict) and stages:
        frame = pd.DataFrame(
            {"stage": list(stages), "ms per item": [1000 * float(v) for v in stages.values()]}
        )
        st.bar_chart(frame, x="stage", y="ms per item", horizontal=True)
    else:
        st.caption("No stage timings yet.")
