"""From the wall screen to the list behind a number: chart bars and table rows open Search, filtered.

Clicking a bar of "By severity", "By party", "By platform" or "Top clauses breached" opens the
Search page with that facet chosen; clicking a row of "Repeat offenders" opens it with the
account's quoted handle as the search text and its platform chosen. The Search page keeps its own
date window (the last 30 days by default). The switch happens in the widget's callback (before the
next run), the only time Streamlit lets a page change the navigation; from the live fragment the
page then reruns the whole app (:func:`follow`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from dashboard.views.saved_searches import PENDING_FACETS

__all__ = ["bar_drill", "follow", "go_to_search", "row_drill"]

_GO = "pantau_drill_go"


def go_to_search(facets: dict[str, list[str]], text: str = "") -> None:
    """In a callback: show the Search page with these facets (and text) at the next run."""
    st.session_state["nav"] = "Search"
    st.session_state["search-text"] = text
    st.session_state["search-page"] = 0
    st.session_state[PENDING_FACETS] = facets
    st.session_state[_GO] = True


def follow() -> None:
    """At the top of the overview's body: after a drill from inside the live fragment, rerun the app."""
    if st.session_state.pop(_GO, False):
        st.rerun(scope="app")


def _selection(key: str) -> dict[str, Any]:
    state = st.session_state.get(key)
    selection = state.get("selection") if isinstance(state, dict) or hasattr(state, "get") else None
    return dict(selection or {})


def _bar_clicked(facet: str, key: str) -> None:
    points = _selection(key).get("points") or []
    if not points:
        return
    value = str(points[0].get("y") or "")
    if facet == "clause_id":
        value = value.split(" ", 1)[0]
    if value and value not in ("(none)", "(unknown)"):
        go_to_search({facet: [value]})


def bar_drill(facet: str, key: str) -> Any:
    """The ``on_select`` callback of a horizontal bar chart whose bars are values of ``facet``."""
    return partial(_bar_clicked, facet, key)


def _row_clicked(key: str, rows: list[tuple[str, str]]) -> None:
    picked = _selection(key).get("rows") or []
    if not picked or not 0 <= int(picked[0]) < len(rows):
        return
    account, platform = rows[int(picked[0])]
    quoted = '"' + account.replace('"', " ").strip() + '"'
    go_to_search({"platform": [platform]} if platform and platform != "(unknown)" else {}, text=quoted)


def row_drill(key: str, rows: list[tuple[str, str]]) -> Any:
    """The ``on_select`` callback of a table whose rows are (account, platform), in the order drawn."""
    return partial(_row_clicked, key, rows)
