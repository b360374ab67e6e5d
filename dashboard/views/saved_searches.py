"""The search page's saved searches: save the search shown under a name, open or delete one.

The save button's callback carries the search as drawn (text, sort, date field and facets), not
the widgets' values at click time, so what is saved is what the user saw. Opening one sets the
page's widgets in a callback before the next run; facet values the current results no longer
offer are dropped (:func:`pending_facet`). Storage: :mod:`dashboard.saved`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from dashboard.context import Context
from dashboard.render import escape
from dashboard.saved import SavedSearches
from dashboard.views.decisions import acting_context, flash
from pantau.auth import users_path

__all__ = ["PENDING_FACETS", "pending_facet", "saved_searches_box"]

PENDING_FACETS = "pantau_saved_facets"


def _book(ctx: Context) -> SavedSearches:
    return SavedSearches(users_path(ctx.settings).parent)


def _save(params: dict[str, list[str]]) -> None:
    """Callback of the save form: the search as drawn, under the name typed."""
    ctx = acting_context("saved")
    if ctx is None:
        return
    name = str(st.session_state.get("save-search-name", ""))
    try:
        outcome = _book(ctx).save(ctx.user.username, name, params)
    except (ValueError, OSError) as exc:
        flash("error", escape(f"Search not saved: {exc}."))
        return
    name = " ".join(name.split())[:80]
    if outcome == "unchanged":
        flash("info", escape(f'"{name}" is already saved with this search; nothing changed.'))
        return
    ctx.audit("save_search", target=name[:100], detail=f"{outcome}: {params}")
    flash("success", escape(f'Search "{name}" {outcome}.'))


def _open(params: dict[str, list[str]]) -> None:
    """Callback of a saved search's button: set the page's widgets to it."""
    first = {k: v[0] for k, v in params.items() if v}
    st.session_state["search-text"] = first.get("q", "")
    st.session_state["search-sort"] = first.get("sort", "newest")
    st.session_state["search-date-field"] = first.get("dates", "detected")
    st.session_state["search-page"] = 0
    st.session_state[PENDING_FACETS] = {k: v for k, v in params.items() if k not in ("q", "sort", "dates")}


def _delete(name: str) -> None:
    ctx = acting_context("saved")
    if ctx is None:
        return
    if _book(ctx).delete(ctx.user.username, name):
        ctx.audit("delete_search", target=name[:100])
        flash("success", escape(f'Search "{name}" deleted.'))


def pending_facet(facet: str, allowed: Mapping[str, int]) -> None:
    """Before drawing a facet's multiselect: apply the values of a saved search just opened."""
    pending = st.session_state.get(PENDING_FACETS)
    if isinstance(pending, dict):
        st.session_state[f"facet-{facet}"] = [v for v in pending.get(facet, []) if v in allowed]


def saved_searches_box(ctx: Context, current: Mapping[str, str | Sequence[str]]) -> None:
    """The saved searches of the user, and a form that saves ``current`` (the search drawn)."""
    st.session_state.pop(PENDING_FACETS, None)  # the facets were drawn with it
    book = _book(ctx)
    saved = book.list(ctx.user.username)
    params = {k: [v] if isinstance(v, str) else list(v) for k, v in current.items()}
    with st.expander(f"Saved searches ({len(saved)})", expanded=False):
        for n, (name, kept) in enumerate(saved):
            left, right = st.columns([4, 1])
            left.button(name, key=f"saved-open-{n}", on_click=_open, args=(kept,), width="stretch")
            right.button("Delete", key=f"saved-delete-{n}", on_click=_delete, args=(name,))
        with st.form("save-search", clear_on_submit=False):
            st.text_input("Name", key="save-search-name", max_chars=80, placeholder="e.g. deepfakes, 7 days")
            st.form_submit_button("Save this search", on_click=_save, args=(params,))
