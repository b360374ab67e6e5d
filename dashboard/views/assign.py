"""Assignment to a reviewer and comments on an incident (commission only).

Both are :class:`~pantau.stores.base.ReviewAction` records in the incident store, with who and
when: ``assign`` (reason: the reviewer's user name, empty to unassign) and ``comment`` (reason:
the text). They never change the status, and they are the commission's own notes: party
officers and journalists see neither (:func:`public_history` drops them from their History and
evidence pack).

Each form is bound to the incident it was drawn for (key, callback arguments: the id and the
form's token) and names it in the message. A double click sends the same token, so the action
gets the same id and is kept once; assigning the reviewer already assigned, or the same comment
again by the same person, records nothing and says so.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.context import Context
from dashboard.render import escape, plain_block
from dashboard.views.decisions import acting_context, flash, form_action, form_token, renew_token
from pantau.review import action_id, describe
from pantau.schemas import Incident
from pantau.stores.base import ReviewAction, Scope

__all__ = ["INTERNAL", "MAX_COMMENT", "assignee", "assignment_and_comments", "public_history"]

INTERNAL = frozenset({"assign", "comment"})
"""Actions only the commission sees."""
MAX_COMMENT = 2000
"""Longest comment, in characters."""
UNASSIGNED = "(nobody)"


def assignee(history: list[ReviewAction]) -> str | None:
    """The reviewer the incident is assigned to now (the last ``assign``), or None."""
    last = next((a for a in reversed(history) if a.action == "assign"), None)
    return last.reason or None if last is not None else None


def public_history(history: list[ReviewAction], role: str) -> list[ReviewAction]:
    """The history a role may see: the commission's notes only for the commission."""
    return history if role == "commission" else [a for a in history if a.action not in INTERNAL]


def _record(ctx: Context, action: ReviewAction, form_key: str, message: str) -> None:
    if any(a.id == action.id for a in ctx.store.actions(action.incident_id)):
        flash("info", escape(f"{message} was already recorded."))
        return
    ctx.store.record_action(action)
    ctx.audit(action.action, target=action.incident_id, detail=action.reason[:200])
    renew_token(form_key)
    flash("success", escape(f"{message}."))


def _commission_incident(incident_id: str) -> tuple[Context, Incident] | None:
    """The acting reviewer's context and the incident drawn; ``None`` when not a commission reviewer's
    session (or the incident is gone, with a message)."""
    ctx = acting_context()
    if ctx is None or ctx.user.role != "commission":
        return None
    incident = ctx.store.get_incident(incident_id, Scope.everything())
    if incident is None:
        flash("error", "No such incident; nothing was recorded.")
        return None
    return ctx, incident


def _assign(incident_id: str, token: str, form_key: str) -> None:
    """Callback of the assignment form: the incident id and token are those drawn."""
    found = _commission_incident(incident_id)
    if found is None:
        return
    ctx, incident = found
    chosen = str(st.session_state.get(f"{form_key}-who") or UNASSIGNED)
    who = "" if chosen == UNASSIGNED else chosen
    user = ctx.users.get(who) if who else None
    if who and (user is None or user.role != "commission" or user.disabled):
        flash("error", escape(f"{who} is not a commission reviewer; nothing was recorded."))
        return
    name = describe(incident)
    history = ctx.store.actions(incident_id)
    sent = action_id(incident_id, "assign", ctx.user.username, token)
    if (assignee(history) or "") == who and all(a.id != sent for a in history):
        flash("info", escape(f"{name} is already assigned to {who or 'nobody'}; nothing was recorded."))
        return
    action = form_action(ctx, incident_id, "assign", token, who)
    _record(ctx, action, form_key, f"Assigned {name} to {who}" if who else f"Unassigned {name}")


def _comment(incident_id: str, token: str, form_key: str) -> None:
    """Callback of the comment form: the incident id and token are those drawn."""
    found = _commission_incident(incident_id)
    if found is None:
        return
    ctx, incident = found
    text = str(st.session_state.get(f"{form_key}-text", "")).strip()
    name = describe(incident)
    if not text:
        flash("error", escape(f"Write a comment on {name} first; nothing was recorded."))
        return
    if len(text) > MAX_COMMENT:
        flash("error", f"A comment is at most {MAX_COMMENT} characters; nothing was recorded.")
        return
    history = ctx.store.actions(incident_id)
    mine = [a for a in history if a.action == "comment" and a.actor == ctx.user.username]
    action_key = action_id(incident_id, "comment", ctx.user.username, token)
    if mine and mine[-1].reason == text and mine[-1].id != action_key:
        flash("info", escape(f"This comment on {name} is there already; nothing was recorded."))
        st.session_state[f"{form_key}-text"] = ""
        return
    action = form_action(ctx, incident_id, "comment", token, text)
    _record(ctx, action, form_key, f"Comment on {name}")
    st.session_state[f"{form_key}-text"] = ""


def assignment_and_comments(ctx: Context, incident: Incident, history: list[ReviewAction]) -> None:
    """The section of the incident page (nothing for anyone but the commission)."""
    if ctx.user.role != "commission":
        return
    name = escape(describe(incident))
    st.markdown("#### Assignment and comments")
    now = assignee(history)
    st.markdown(plain_block(f"Assigned to: <b>{escape(now or 'nobody')}</b>"), unsafe_allow_html=True)
    users = ctx.users.load().values()
    reviewers = sorted(u.username for u in users if u.role == "commission" and not u.disabled)
    options = [UNASSIGNED, *reviewers]
    key = f"assign-{incident.id}"
    with st.form(key):
        st.selectbox(
            f"Assign {name} to", options, index=options.index(now) if now in options else 0, key=f"{key}-who"
        )
        st.form_submit_button("Assign", on_click=_assign, args=(incident.id, form_token(key), key))
    comments = [a for a in history if a.action == "comment"]
    if comments:
        st.dataframe(
            pd.DataFrame([{"at": a.at, "by": a.actor, "comment": a.reason} for a in comments]),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No comments yet.")
    key = f"comment-{incident.id}"
    with st.form(key):
        st.text_area(f"Comment on {name}", key=f"{key}-text", max_chars=MAX_COMMENT)
        st.form_submit_button("Add comment", on_click=_comment, args=(incident.id, form_token(key), key))
