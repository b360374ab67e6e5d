""" "Add media to known fakes": the commission puts a confirmed incident's media on the known-fakes list.

The dashboard's face of ``pantau known add --incident ID`` (:mod:`detectors.media.known_list`):
the SHA-256 of every file and the PDQ of every image and video keyframe go on
``<data_dir>/known_media.csv`` (list ``known-fakes``), which ``media.hashes`` reads on its next
batch, so a re-share of the same picture breaches DIS-3.

The form is drawn only for commission staff, on a confirmed (or upheld) incident with media. It
is bound to the incident it was drawn for (key, callback arguments: id and status seen), asks
the user to tick a box naming the incident, and says what happened naming it again. It is
idempotent: rows already listed (same kind, hash and list) are not added again, so a double
click or a second visit adds nothing and says so.
"""

from __future__ import annotations

import streamlit as st

from dashboard.context import Context
from dashboard.render import escape, plain_block
from dashboard.views.decisions import acting_context, flash
from detectors.media.known_list import (
    CONFIRMED,
    DEFAULT_LIST,
    KnownListError,
    add_rows,
    default_list_file,
    incident_rows,
    read_rows,
)
from pantau.errors import PantauError
from pantau.review import describe
from pantau.schemas import Incident
from pantau.stores.base import Scope

__all__ = ["known_fakes_form", "listed_rows"]


def listed_rows(ctx: Context, incident: Incident) -> list[dict[str, str]]:
    """Rows of the data folder's list that came from this incident or hold one of its files' SHA-256."""
    shas = {m.sha256.lower() for m in incident.item.media if m.sha256}
    return [
        r
        for r in read_rows(default_list_file(ctx.settings))
        if r.get("source") == f"incident:{incident.id}"
        or (r.get("kind") == "sha256" and r.get("hash") in shas)
    ]


def _add(incident_id: str, seen: str, form_key: str) -> None:
    """Callback of the form: hash the media of the incident drawn and add what is not listed yet."""
    ctx = acting_context("added")
    if ctx is None:
        return
    if ctx.user.role != "commission":
        return
    incident = ctx.store.get_incident(incident_id, Scope.everything())
    if incident is None:
        flash("error", "No such incident; nothing was added.")
        return
    name = escape(describe(incident))
    if not st.session_state.get(f"{form_key}-sure"):
        flash(
            "error", f"Tick the box to confirm that the media of {name} is a known fake; nothing was added."
        )
        return
    if incident.status.value != seen or incident.status not in CONFIRMED:
        flash("error", f"{name} is now {incident.status.value}, no longer {seen}: nothing was added.")
        return
    try:
        rows, notes = incident_rows(ctx.store, incident_id, ctx.settings)
        added, already = add_rows(default_list_file(ctx.settings), rows)
    except (PantauError, ImportError, OSError) as exc:
        flash("error", escape(f"Nothing was added for {describe(incident)}: {exc}"))
        return
    st.session_state[f"{form_key}-sure"] = False
    ctx.audit(
        "known_add", target=incident_id, detail=f"{DEFAULT_LIST}: {added} added, {already} already listed"
    )
    said = escape("; ".join(notes))
    if added:
        flash(
            "success",
            f"Added the media of {name} to {DEFAULT_LIST}: {added} hash(es)"
            + (f", {already} already listed" if already else "")
            + ". Re-shares will breach DIS-3."
            + (f" Note: {said}" if said else ""),
        )
    else:
        flash(
            "info",
            f"The media of {name} is already on {DEFAULT_LIST} ({already} hash(es)); nothing was added.",
        )


def known_fakes_form(ctx: Context, incident: Incident) -> None:
    """The form, for commission staff on a confirmed incident with media (nothing for anyone else)."""
    if ctx.user.role != "commission" or incident.status not in CONFIRMED or not incident.item.media:
        return
    name = escape(describe(incident))
    try:
        listed = listed_rows(ctx, incident)
    except KnownListError as exc:
        st.error(escape(str(exc)))
        return
    if listed:
        st.caption(
            f"{len(listed)} hash(es) of this incident's media are on the known-media list already "
            f"({escape(', '.join(sorted({r['list'] for r in listed})))})."
        )
    form_key = f"known-{incident.id}"
    with st.form(form_key):
        st.markdown(plain_block(f"<b>Known fakes</b> · {name}"), unsafe_allow_html=True)
        st.checkbox(
            f"I confirm that the media of {name} is a known fake: re-shares of it breach DIS-3",
            key=f"{form_key}-sure",
        )
        st.form_submit_button(
            "Add media to known fakes",
            on_click=_add,
            args=(incident.id, incident.status.value, form_key),
        )
