"""One card per post in the review queue: every clause the post breaches, and one decision for all.

A post can breach several clauses (one incident each). When the incident picked in the queue
shares its post with other waiting incidents, the card lists them all (clause, title, severity,
status) and its form confirms or dismisses every clause shown in one submit. Each is recorded
separately, with the same reason, through :func:`pantau.review.submit` on the status drawn: an
incident decided meanwhile is left as it is and named. The form carries the ids and statuses of
the incidents drawn and a token, so a double click records each decision once; the message names
the clauses and the account.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dashboard.context import Context
from dashboard.render import escape, plain_block
from dashboard.views.decisions import acting_context, flash, form_action, form_token, renew_token
from pantau.access import can_decide
from pantau.review import describe, needs_reason, submit
from pantau.schemas import Incident, IncidentStatus

__all__ = ["BULK_ACTIONS", "post_card", "post_incidents"]

BULK_ACTIONS = ("confirm", "dismiss")


def post_incidents(incident: Incident, waiting: Sequence[Incident]) -> list[Incident]:
    """The waiting incidents of the same post as ``incident`` (itself included), by clause."""
    return sorted((i for i in waiting if i.item.id == incident.item.id), key=lambda i: i.breach.clause_id)


def _decide_all(shown: tuple[tuple[str, str], ...], token: str, form_key: str) -> None:
    """Callback: one action per incident drawn (id, status seen), the same choice and reason."""
    ctx = acting_context()
    if ctx is None or not can_decide(ctx.user):
        return
    choice = st.session_state.get(f"{form_key}-action")
    reason = str(st.session_state.get(f"{form_key}-reason", "")).strip()
    if choice not in BULK_ACTIONS:
        flash("error", "Choose confirm or dismiss first; nothing was recorded.")
        return
    if needs_reason(choice) and not reason:
        flash("error", f"Give a reason to {choice} these clauses; nothing was recorded.")
        return
    done: list[str] = []
    other: list[str] = []
    for incident_id, seen in shown:
        action = form_action(ctx, incident_id, choice, token, reason)
        outcome = submit(ctx.store, action, IncidentStatus(seen))
        if outcome.result == "recorded":
            detail = f"{choice}: {reason} (one of {len(shown)}, by post)"
            ctx.audit("decide", target=incident_id, detail=detail)
            done.append(describe(outcome.incident) if outcome.incident else incident_id[:8])
        else:
            other.append(outcome.message)
    renew_token(form_key)
    if done:
        st.session_state[f"{form_key}-reason"] = ""
        verb = "Confirmed" if choice == "confirm" else "Dismissed"
        flash("success", escape(f"{verb} {len(done)} clause(s): {', '.join(done)}."))
    for message in other:
        flash("info", escape(message))


def post_card(ctx: Context, incident: Incident, waiting: Sequence[Incident]) -> None:
    """The card of the picked incident's post, with the bulk form; nothing for a one-clause post."""
    clauses = post_incidents(incident, waiting)
    if len(clauses) < 2 or not can_decide(ctx.user):
        return
    account = incident.item.account or "an unknown account"
    with st.container(border=True):
        st.markdown(
            plain_block(f"<b>This post breaches {len(clauses)} clauses</b> · {escape(account)}"),
            unsafe_allow_html=True,
        )
        for i in clauses:
            st.markdown(
                plain_block(
                    f"{escape(i.breach.clause_id)} · {escape(i.breach.clause_title)} · "
                    f"{escape(i.breach.severity.value)} · {escape(i.status.value)}"
                ),
                unsafe_allow_html=True,
            )
        names = ", ".join(describe(i) for i in clauses)
        form_key = f"bulk-{incident.item.id}"
        token = form_token(form_key)
        shown = tuple((i.id, i.status.value) for i in clauses)
        with st.form(form_key):
            st.radio(
                f"Decide all {len(clauses)}: {names}",
                BULK_ACTIONS,
                index=None,
                horizontal=True,
                key=f"{form_key}-action",
            )
            st.text_input("Reason (the same for each clause)", key=f"{form_key}-reason")
            st.form_submit_button(
                f"Decide all {len(clauses)} clauses", on_click=_decide_all, args=(shown, token, form_key)
            )
