"""The "Replay" form of the Dead letters page (commission only).

Bound to the dead letter it was drawn for (form key and callback argument: the letter's id), it
asks the user to tick a box naming the item, re-reads the letter from the store, runs the item
through the pipeline once (:mod:`dashboard.replay`), records a ``dead_replay`` audit event and
says what happened naming the item. A letter already replayed is not replayed again (the audit
log says by whom and when), so a double click or a retry runs the item once.
"""

from __future__ import annotations

import streamlit as st

from dashboard.context import Context
from dashboard.render import escape, plain_block
from dashboard.replay import REPLAY_EVENT, ReplayError, item_of, replay, replayed_by
from dashboard.views.decisions import acting_context, flash
from pantau.errors import PantauError
from pantau.schemas import DeadLetter

__all__ = ["letter_name", "replay_form"]


def letter_name(letter: DeadLetter) -> str:
    """``item <id> (<stage> dead letter <id8>)``, or the source when the letter has no item."""
    what = f"item {letter.item_id}" if letter.item_id else f"source {letter.source or '-'}"
    return f"{what} ({letter.stage} dead letter {letter.id[:8]})"


def _replay(letter_id: str, form_key: str) -> None:
    """Callback of the form: replay the letter drawn, once."""
    ctx = acting_context("replayed")
    if ctx is None:
        return
    if ctx.user.role != "commission":
        return
    letter = next((d for d in ctx.store.dead_letters(5000) if d.id == letter_id), None)
    if letter is None:
        flash("error", "No such dead letter; nothing was replayed.")
        return
    name = escape(letter_name(letter))
    if not st.session_state.get(f"{form_key}-sure"):
        flash("error", f"Tick the box to replay {name}; nothing was replayed.")
        return
    earlier = replayed_by(ctx.store, letter.id)
    if earlier is not None:
        flash("info", f"{name} was replayed already by {escape(earlier)}; nothing was replayed.")
        return
    try:
        outcome = replay(ctx.settings, ctx.store, letter)
    except (PantauError, ImportError, OSError) as exc:
        flash("error", escape(f"{letter_name(letter)} was not replayed: {exc}"))
        return
    st.session_state[f"{form_key}-sure"] = False
    if outcome.failed:
        detail = f"item {outcome.item_id} failed again: {outcome.failed[0].reason}"
        ctx.audit(REPLAY_EVENT, target=letter.id, detail=detail)
        said = f"Replayed {letter_name(letter)}: it failed again ({outcome.failed[0].reason})."
        flash("warning", escape(said))
        return
    ids = ", ".join(i.id[:8] for i in outcome.incidents)
    detail = f"item {outcome.item_id}: {len(outcome.incidents)} incident(s)"
    ctx.audit(REPLAY_EVENT, target=letter.id, detail=detail)
    flash(
        "success",
        f"Replayed {name}: the item was processed, "
        + (f"{len(outcome.incidents)} incident(s) ({escape(ids)})." if outcome.incidents else "no incident."),
    )


def replay_form(ctx: Context, letter: DeadLetter) -> None:
    """The form for one dead letter (nothing for anyone but the commission)."""
    if ctx.user.role != "commission":
        return
    name = escape(letter_name(letter))
    earlier = replayed_by(ctx.store, letter.id)
    if earlier is not None:
        st.caption(f"Replayed by {escape(earlier)}.")
    try:
        item_of(letter)
    except ReplayError as exc:
        st.caption(escape(f"Cannot be replayed: {exc}."))
        return
    form_key = f"replay-{letter.id}"
    with st.form(form_key):
        st.markdown(plain_block(f"<b>Replay</b> · {name}"), unsafe_allow_html=True)
        st.checkbox(f"Run {name} through the pipeline again", key=f"{form_key}-sure")
        st.form_submit_button("Replay", on_click=_replay, args=(letter.id, form_key))
