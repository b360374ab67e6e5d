"""Page, filters and selection in the URL (``st.query_params``), so a reload or a shared link keeps them.

A widget bound with :func:`bind` takes its first value from the URL (when the URL names one the
widget accepts) and writes every later value back to the URL; a default value is left out of it.
``?page=`` is the page, ``?incident=`` the incident page, ``?q=`` the search text, and each page
adds its filters (``?family=gbv&family=synthetic``, ``?pick=<id>``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

__all__ = ["bind", "remember"]


def bind(key: str, param: str, allowed: Iterable[Any] | None = None, many: bool = False) -> None:
    """Before drawing the widget ``key``: seed its value from ``?param=`` once per browser session.

    :param allowed: the values the widget accepts (others in the URL are ignored); ``None``: any text.
    :param many: a multi-select (the parameter repeats).
    """
    seeded = st.session_state.setdefault("pantau_url_seeded", set())
    if key in seeded:
        return
    seeded.add(key)
    if key in st.session_state:
        return
    choices = list(allowed) if allowed is not None else None
    if many:
        values = [v for v in st.query_params.get_all(param) if choices is None or v in choices]
        if values:
            st.session_state[key] = values
        return
    value = st.query_params.get(param)
    if value is not None and (choices is None or value in choices):
        st.session_state[key] = value


def remember(param: str, value: Any, default: Any = None) -> None:
    """After drawing a widget: keep its value in ``?param=`` (removed when empty or the default)."""
    if value is None or value == default or value in ("", []):
        if param in st.query_params:
            del st.query_params[param]
        return
    wanted = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    current = st.query_params.get_all(param) if isinstance(wanted, list) else st.query_params.get(param)
    if current != wanted:
        st.query_params[param] = wanted
