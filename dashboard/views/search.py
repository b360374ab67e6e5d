"""Full-text search with facets, highlighting, date ranges, permalinks and CSV export.

Journalists search confirmed incidents only (their scope), and see and export redacted text.
Highlights are computed here on the text the user may see, never taken from the engine's
snippet of the unredacted text.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta

import streamlit as st

from dashboard.context import Context
from dashboard.render import badge, escape, open_incident, plain_block, snippet
from dashboard.urlstate import bind, remember
from dashboard.views.saved_searches import pending_facet, saved_searches_box
from pantau.access import redact_incident
from pantau.schemas import Incident
from pantau.stores.base import IncidentQuery
from pantau.stores.text import parse_query

__all__ = ["CSV_COLUMNS", "base_url", "incidents_csv", "permalink", "search_page"]

PAGE = 25
SORTS = ["newest", "oldest", "severity"]
DATE_FIELDS = {"detected": "Detected", "published": "Published"}
CSV_COLUMNS = [
    "id",
    "permalink",
    "detected_at",
    "published_at",
    "status",
    "severity",
    "family",
    "clause_id",
    "clause_title",
    "party",
    "platform",
    "account",
    "url",
    "text",
    "signals",
]
FACETS = [
    ("family", "families"),
    ("severity", "severities"),
    ("party", "parties"),
    ("platform", "platforms"),
    ("clause_id", "clause_ids"),
    ("status", "statuses"),
]


def base_url(ctx: Context) -> str:
    """The dashboard's public URL (``dashboard.public_url``), else the URL this browser opened."""
    configured = ctx.settings.dashboard.public_url
    if configured:
        return configured.split("?", 1)[0].rstrip("/") + "/"
    url = str(getattr(getattr(st, "context", None), "url", None) or "")
    return url.split("?", 1)[0].rstrip("/") + "/" if url else "/"


def permalink(base: str, incident_id: str) -> str:
    """The link that opens an incident: ``<base>?incident=<id>``."""
    return f"{base}?incident={incident_id}"


def incidents_csv(incidents: list[Incident], base_url: str = "") -> bytes:
    """Return incidents as CSV (already redacted when the user's scope says so: no post URL then)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for i in incidents:
        writer.writerow(
            {
                "id": i.id,
                "permalink": permalink(base_url, i.id),
                "detected_at": i.created_at.isoformat(),
                "published_at": i.item.published_at.isoformat() if i.item.published_at else "",
                "status": i.status.value,
                "severity": i.breach.severity.value,
                "family": i.family.value,
                "clause_id": i.breach.clause_id,
                "clause_title": i.breach.clause_title,
                "party": i.party or "",
                "platform": i.item.platform or "",
                "account": i.item.account or "",
                "url": i.item.url or "",
                "text": _csv_safe(i.item.text),
                "signals": "; ".join(f"{s.detector}={s.score:.2f}" for s in i.signals),
            }
        )
    return out.getvalue().encode("utf-8")


def _csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def search_page(ctx: Context) -> None:
    """Search form, facets in the sidebar column, results with permalinks, CSV export."""
    redact = ctx.scope.redact
    today = datetime.now(UTC).date()
    top = st.columns([3, 1, 2, 1])
    bind("search-text", "q")
    bind("search-sort", "sort", allowed=SORTS)
    bind("search-date-field", "dates", allowed=DATE_FIELDS)
    text = top[0].text_input(
        "Search text, OCR and transcripts",
        key="search-text",
        placeholder="e.g. pilihan raya, deepfake, Aminah",
        help='Every word must occur; "a phrase" in quotes; kitchen OR parliament; -word leaves out. '
        "Searches the text, OCR and transcripts, the clause, the family, labels and detector evidence.",
    )
    date_field = top[1].selectbox(
        "Dates",
        DATE_FIELDS,
        key="search-date-field",
        format_func=DATE_FIELDS.__getitem__,
        help="Detected: when Pantau found the breach. Published: when the post was published "
        "(detection time when the feed gave none).",
    )
    dates = top[2].date_input(
        f"{DATE_FIELDS[date_field]} between", value=(today - timedelta(days=30), today), key="search-dates"
    )
    sort = top[3].selectbox("Sort", SORTS, key="search-sort")
    remember("q", text)
    remember("sort", sort, default=SORTS[0])
    remember("dates", date_field, default="detected")
    since = until = None
    if isinstance(dates, tuple | list) and len(dates) == 2:
        since = datetime.combine(dates[0], time.min, tzinfo=UTC)
        until = datetime.combine(dates[1], time.min, tzinfo=UTC) + timedelta(days=1)
    base = IncidentQuery(text=text, since=since, until=until, dates=date_field, sort=sort, limit=0)
    facet_counts = ctx.store.search(base, ctx.scope).facets
    left, right = st.columns([1, 3])
    chosen: dict[str, list[str]] = {}
    with left:
        st.markdown("##### Filters")
        for facet, field in FACETS:
            if facet == "status" and redact:
                continue
            counts = facet_counts.get(facet, {})
            if not counts:
                continue
            bind(f"facet-{facet}", facet, allowed=counts, many=True)
            pending_facet(facet, counts)
            chosen[field] = st.multiselect(
                facet.replace("_", " ").capitalize(),
                list(counts),
                key=f"facet-{facet}",
                format_func=lambda v, c=counts: f"{v or '(none)'} ({c[v]})",
            )
            remember(facet, chosen[field])
        current: dict[str, str | list[str]] = {"q": text, "sort": sort, "dates": date_field}
        current.update({facet: chosen.get(field, []) for facet, field in FACETS})
        saved_searches_box(ctx, current)
    page = st.session_state.get("search-page", 0)
    query = base.model_copy(update={**chosen, "limit": PAGE, "offset": page * PAGE})
    result = ctx.store.search(query, ctx.scope)
    shown = [redact_incident(i, ctx.registry) if redact else i for i in result.incidents]
    link_base = base_url(ctx)
    terms = parse_query(text).terms()
    with right:
        st.markdown(
            f"##### {result.total} incident{'s' if result.total != 1 else ''}"
            + (" · confirmed only, personal data redacted" if redact else "")
        )
        for n, incident in enumerate(shown):
            _result_row(incident, terms, n, link_base)
        nav = st.columns(3)
        if page > 0 and nav[0].button("← Previous", key="search-prev"):
            st.session_state["search-page"] = page - 1
            st.rerun()
        if (page + 1) * PAGE < result.total and nav[2].button("Next →", key="search-next"):
            st.session_state["search-page"] = page + 1
            st.rerun()
        if result.total:
            everything = ctx.store.search(query.model_copy(update={"limit": 10_000, "offset": 0}), ctx.scope)
            rows = [redact_incident(i, ctx.registry) if redact else i for i in everything.incidents]
            data = incidents_csv(rows, link_base)
            st.download_button(
                f"Export {len(rows)} as CSV" + (" (redacted)" if redact else ""),
                data,
                file_name="pantau-incidents.csv",
                mime="text/csv",
                key="search-export",
                on_click=lambda: ctx.audit(
                    "export", target="search", detail=f"csv {len(rows)} rows; q={text!r}"
                ),
            )


def _result_row(incident: Incident, terms: list[str], n: int, base: str) -> None:
    with st.container(border=True):
        head, action = st.columns([5, 1])
        head.markdown(
            plain_block(
                f"{badge(incident.breach.severity.value)}{badge(incident.family.value, '#455a64')}"
                f"<b>{escape(incident.breach.clause_id)}</b> · {escape(incident.item.account or '?')} on "
                f"{escape(incident.item.platform or '?')}"
                + (
                    f" · published {incident.item.published_at.astimezone(UTC):%d %b %Y %H:%M}"
                    if incident.item.published_at
                    else ""
                )
                + f" · detected {incident.created_at:%d %b %Y %H:%M} UTC"
            ),
            unsafe_allow_html=True,
        )
        head.markdown(plain_block(snippet(incident.item.text, terms)), unsafe_allow_html=True)
        head.caption(f"permalink: {permalink(base, incident.id)}")
        with action:
            open_incident(incident.id, key=f"search-open-{n}")
