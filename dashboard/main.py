"""The dashboard: sign-in, then the pages of the user's role.

Roles and their pages:

- commission: Overview (wall screen), Review queue, Overdue answers, Search, Audit log, Dead letters,
  Monitoring (connector health, tipline inbox);
- party_officer: Inbox, Our incidents (search within their party);
- journalist: Search (confirmed incidents, redacted);
- fact_checker: Fact-check queue (no incident).

Every role opens incidents at ``?incident=<id>``; the store answers within the user's scope.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard.context import Context, load_context
from dashboard.render import CSS
from dashboard.signin import (
    check_session,
    cookie_script,
    restore_session,
    sign_in_page,
    sign_out,
    sign_out_everywhere,
)
from dashboard.urlstate import bind, remember
from dashboard.views.admin import audit_page, dead_letters_page, overdue_page
from dashboard.views.decisions import show_flash
from dashboard.views.factchecks import fact_check_page
from dashboard.views.inbox import inbox_page
from dashboard.views.incident import incident_page
from dashboard.views.monitoring import monitoring_page
from dashboard.views.overview import overview_page
from dashboard.views.review import review_page
from dashboard.views.search import search_page

__all__ = ["PAGES", "main"]

Page = Callable[[Context], None]

PAGES: dict[str, dict[str, Page]] = {
    "commission": {
        "Overview": overview_page,
        "Review queue": review_page,
        "Overdue answers": overdue_page,
        "Search": search_page,
        "Audit log": audit_page,
        "Dead letters": dead_letters_page,
        "Monitoring": monitoring_page,
        "Fact-check queue": fact_check_page,
    },
    "party_officer": {"Inbox": inbox_page, "Our incidents": search_page},
    "journalist": {"Search": search_page},
    "fact_checker": {"Fact-check queue": fact_check_page},
}
ROLE_NAMES = {
    "commission": "Election commission",
    "party_officer": "Party compliance officer",
    "journalist": "Journalist (confirmed incidents, redacted)",
    "fact_checker": "Fact-checker (the fact-check queue)",
}


def main() -> None:
    """Render one run of the app."""
    st.set_page_config(page_title="Pantau", page_icon="🛡️", layout="wide", initial_sidebar_state="expanded")
    st.markdown(CSS, unsafe_allow_html=True)
    ctx = load_context()
    restore_session(ctx)
    if check_session(ctx) is None:
        with st.sidebar:
            cookie_script()
        sign_in_page(ctx)
        return
    user = ctx.user
    pages = PAGES[user.role]
    with st.sidebar:
        st.markdown("## 🛡️ Pantau")
        st.markdown(f"**{user.display}**  \n{ROLE_NAMES[user.role]}")
        bind("nav", "page", allowed=pages)
        choice = st.radio("Page", list(pages), key="nav")
        if st.query_params.get("page", next(iter(pages))) != choice:
            # Another page was picked: the filters in the URL were the old page's.
            for param in [p for p in st.query_params if p != "page"]:
                del st.query_params[param]
        remember("page", choice, default=next(iter(pages)))
        st.divider()
        st.caption(f"Session ends {ctx.session.expires_at:%H:%M} UTC" if ctx.session else "")
        if st.button("Sign out", key="signout"):
            sign_out(ctx)
            st.rerun()
        if st.button("Sign out everywhere", key="signout-all", help="Ends your sessions in every browser."):
            sign_out_everywhere(ctx)
            st.rerun()
        cookie_script()
    show_flash()
    incident_id = st.query_params.get("incident")
    if incident_id:
        incident_page(ctx, incident_id)
        return
    st.markdown(f"## {choice}")
    pages[choice](ctx)
