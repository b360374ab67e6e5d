"""Plotly figures for the commission's wall screen, built from incidents (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pantau.schemas import Incident

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

__all__ = [
    "FAMILY_COLOURS",
    "SEVERITY_COLOURS",
    "SEVERITY_ORDER",
    "bar_counts",
    "incidents_frame",
    "plain_label",
    "repeat_offenders",
    "timeline",
]

SEVERITY_ORDER = ["critical", "high", "medium", "low"]
SEVERITY_COLOURS = {"critical": "#d7263d", "high": "#f46036", "medium": "#f6c445", "low": "#2e86ab"}
FAMILY_COLOURS = {
    "gbv": "#c2185b",
    "synthetic": "#7b1fa2",
    "disinfo": "#ef6c00",
    "campaign": "#00897b",
    "meta": "#607d8b",
}
STATUS_COLOURS = {
    "new": "#90a4ae",
    "escalated": "#f46036",
    "confirmed": "#d7263d",
    "dismissed": "#43a047",
    "appealed": "#8e24aa",
    "upheld": "#b71c1c",
    "overturned": "#2e7d32",
}

_LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 320, "legend": {"orientation": "h"}}


_TAG = re.compile(r"</?[A-Za-z!][^>]*>?")


def plain_label(text: str) -> str:
    """A feed value as a chart label: Plotly renders ``<a href>``, ``<b>``, ``<br>`` in labels, so tags go
    and any ``<`` or ``>`` left becomes a look-alike that starts no tag.

    >>> plain_label('PBN<a href="https://evil.example">click</a> <b')
    'PBNclick '
    >>> plain_label("a < b > c")
    'a ‹ b › c'
    """
    return _TAG.sub("", text).replace("<", "‹").replace(">", "›")


def incidents_frame(incidents: Sequence[Incident]) -> pd.DataFrame:
    """One row per incident with the columns the charts group by."""
    import pandas as pd

    rows = [
        {
            "id": i.id,
            "created_at": i.created_at,
            "published_at": i.item.published_at or i.created_at,
            "family": i.family.value,
            "severity": i.breach.severity.value,
            "party": plain_label(i.party or "(none)"),
            "platform": plain_label(i.item.platform or "(unknown)"),
            "status": i.status.value,
            "clause": plain_label(f"{i.breach.clause_id} {i.breach.clause_title}"),
            "account": plain_label(i.item.account or "(unknown)"),
        }
        for i in incidents
    ]
    columns = [
        "id", "created_at", "published_at", "family", "severity", "party", "platform", "status", "clause",
        "account",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    if not frame.empty:
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
        frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    return frame


def _colours(by: str) -> dict[str, str]:
    return {"severity": SEVERITY_COLOURS, "family": FAMILY_COLOURS, "status": STATUS_COLOURS}.get(by, {})


def timeline(frame: pd.DataFrame, by: str = "family", freq: str = "h") -> go.Figure:
    """Stacked bars of incidents per time bucket of publication (detection when unknown), coloured by ``by``.

    A post found late is counted when it was published, not when the pipeline read it.
    """
    import plotly.express as px

    if frame.empty:
        return _empty("Incidents over time")
    counts = (
        frame.assign(bucket=frame["published_at"].dt.floor(freq))
        .groupby(["bucket", by])
        .size()
        .reset_index(name="incidents")
    )
    order = SEVERITY_ORDER if by == "severity" else sorted(counts[by].unique())
    fig = px.bar(
        counts,
        x="bucket",
        y="incidents",
        color=by,
        color_discrete_map=_colours(by),
        category_orders={by: order},
        title=f"Incidents by publication time, by {by}",
    )
    fig.update_layout(**_LAYOUT, xaxis_title=None, yaxis_title=None, bargap=0.05)
    return fig


def bar_counts(
    frame: pd.DataFrame, by: str, title: str, top: int = 10, colour_by: str | None = None
) -> go.Figure:
    """Horizontal bars of the ``top`` values of a column, largest on top."""
    import plotly.express as px

    if frame.empty:
        return _empty(title)
    colour_by = colour_by or by
    counts = frame.groupby(by).size().reset_index(name="incidents").nlargest(top, "incidents")
    counts = counts.sort_values("incidents")
    colours = _colours(colour_by)
    fig = px.bar(
        counts,
        x="incidents",
        y=by,
        orientation="h",
        title=title,
        color=by if colours else None,
        color_discrete_map=colours,
    )
    if not colours:
        fig.update_traces(marker_color="#2e86ab")
    fig.update_layout(**_LAYOUT, showlegend=False, xaxis_title=None, yaxis_title=None)
    return fig


def repeat_offenders(frame: pd.DataFrame, minimum: int = 2) -> pd.DataFrame:
    """Accounts with at least ``minimum`` incidents, with their party and worst severity."""
    import pandas as pd

    if frame.empty:
        return pd.DataFrame(
            columns=["account", "party", "platform", "incidents", "worst severity", "clauses"]
        )
    rank = {s: i for i, s in enumerate(reversed(SEVERITY_ORDER))}
    grouped = (
        frame.groupby(["account", "party", "platform"])
        .agg(
            incidents=("id", "count"),
            worst=("severity", lambda s: max(s, key=lambda v: rank.get(v, -1))),
            clauses=("clause", lambda c: ", ".join(sorted({x.split(" ")[0] for x in c}))),
        )
        .reset_index()
    )
    grouped = grouped[grouped["incidents"] >= minimum].sort_values("incidents", ascending=False)
    return grouped.rename(columns={"worst": "worst severity"})


def _empty(title: str) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.update_layout(
        **_LAYOUT,
        title=title,
        annotations=[{"text": "no incidents in this window", "showarrow": False, "font": {"size": 16}}],
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
