"""Forms that record decisions (commission) and answers (party officers) on one incident.

Every form is bound to the incident it was drawn for: its key carries the incident id, and the
write happens in the submit button's callback with the incident id, the status the user saw and
a form token captured when the form was drawn (never a selector's current value). Callbacks run
before the next script run, so the page that follows reads after the write: count, table,
selector, badge, history and evidence pack are current. The outcome is flashed at the top of
the next run and names the incident ("Confirmed GBV-1 on @x (now confirmed)."). A double click
sends the same token (same action id) and a retry the same action and reason: each is recorded
once (:func:`pantau.review.submit`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import streamlit as st

from dashboard.attachments import AttachmentRefused, save_attachment
from dashboard.context import Context, load_context
from dashboard.render import escape, plain_block
from dashboard.signin import session_problem
from pantau.access import can_decide
from pantau.review import action_id, allowed_actions, describe, needs_reason, submit
from pantau.schemas import Incident, IncidentStatus, utcnow
from pantau.stores.base import AlertState, ReviewAction

__all__ = ["DECISIONS", "countdown", "decision_form", "flash", "officer_answer_form", "show_flash"]

DECISIONS = {
    "confirm": "Confirm breach",
    "dismiss": "Dismiss",
    "escalate": "Escalate",
    "reopen": "Reopen",
    "uphold": "Uphold (the breach stands)",
    "overturn": "Overturn (appeal granted)",
}
ANSWERS = {
    "acknowledge": "Acknowledge",
    "respond": "Respond (content removed, correction, ...)",
    "appeal": "Appeal the finding",
}
_FLASH_KEY = "pantau_flash"


def flash(kind: str, message: str) -> None:
    """Keep a message for the top of the next run (``kind``: success, info, warning, error)."""
    st.session_state.setdefault(_FLASH_KEY, []).append((kind, message))


def show_flash() -> None:
    """Draw and forget the messages kept by :func:`flash`."""
    for kind, message in st.session_state.pop(_FLASH_KEY, []):
        getattr(st, kind)(message)


def countdown(due: datetime | None, now: datetime | None = None) -> str:
    """``due in 3 h 20 min`` / ``overdue by 2 h 05 min`` / ``no deadline``.

    >>> from datetime import UTC, timedelta
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> countdown(t + timedelta(hours=3, minutes=20), t), countdown(t - timedelta(minutes=5), t)
    ('due in 3 h 20 min', 'overdue by 0 h 05 min')
    """
    if due is None:
        return "no deadline"
    left = due - (now or utcnow())
    minutes = int(abs(left.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    text = (f"{days} d " if days else "") + f"{rest // 60} h {rest % 60:02d} min"
    return f"due in {text}" if left.total_seconds() > 0 else f"overdue by {text}"


def form_token(form_key: str) -> str:
    """The token of the form as drawn now; a new one is issued after each recorded submission."""
    return st.session_state.setdefault(f"pantau_token_{form_key}", uuid.uuid4().hex)


def renew_token(form_key: str) -> None:
    """Issue the form a new token: the submission drawn with the old one is recorded."""
    st.session_state[f"pantau_token_{form_key}"] = uuid.uuid4().hex


def form_action(
    ctx: Context, incident_id: str, action: str, token: str, reason: str, **more: Any
) -> ReviewAction:
    """The review action a form submits, by the signed-in user; its id is a digest of incident, action,
    user and the form's token, so a form submitted twice records once."""
    return ReviewAction(
        id=action_id(incident_id, action, ctx.user.username, token),
        incident_id=incident_id,
        action=action,  # type: ignore[arg-type]
        actor=ctx.user.username,
        role=ctx.user.role,
        reason=reason,
        **more,
    )


def acting_context(doing: str = "recorded") -> Context | None:
    """The context of a form's callback, or ``None`` (with a message) when the session may not act.

    :param doing: what the form does, for the message ("Nothing was recorded: your session ended...").
    """
    ctx = load_context()
    problem = session_problem(ctx)
    if problem is not None:
        flash("error", f"Nothing was {doing}: your session ended ({problem}). Sign in again.")
        return None
    return ctx


def _send(ctx: Context, action: ReviewAction, seen: IncidentStatus, form_key: str, event: str) -> bool:
    """Submit, audit what was recorded, flash the outcome; return whether it was recorded."""
    outcome = submit(ctx.store, action, seen)
    if outcome.result == "recorded":
        ctx.audit(event, target=action.incident_id, detail=f"{action.action}: {action.reason}")
        renew_token(form_key)
    kind = {"recorded": "success", "duplicate": "info", "refused": "error"}[outcome.result]
    flash(kind, escape(outcome.message))
    return outcome.result == "recorded"


def _decide(incident_id: str, seen: str, token: str, form_key: str) -> None:
    """Callback of the decision form: the incident id, status and token are those drawn."""
    ctx = acting_context()
    if ctx is None or not can_decide(ctx.user):
        return
    choice = st.session_state.get(f"{form_key}-action-{seen}")
    reason = str(st.session_state.get(f"{form_key}-reason", "")).strip()
    if choice is None:
        flash("error", "Choose a decision first; nothing was recorded.")
        return
    if needs_reason(choice) and not reason:
        flash("error", f"Give a reason to {choice}; nothing was recorded.")
        return
    action = form_action(ctx, incident_id, choice, token, reason)
    if _send(ctx, action, IncidentStatus(seen), form_key, "decide"):
        st.session_state[f"{form_key}-reason"] = ""


def decision_form(ctx: Context, incident: Incident, key: str = "page") -> None:
    """The commission's decisions allowed in the incident's status, bound to this incident."""
    if not can_decide(ctx.user):
        return
    choices = allowed_actions(incident.status, ctx.user.role)
    if not choices:
        return
    form_key = f"decide-{key}-{incident.id}"
    with st.form(form_key):
        st.markdown(
            plain_block(
                f"<b>Decide on {escape(describe(incident))}</b> · now <i>{incident.status.value}</i>"
            ),
            unsafe_allow_html=True,
        )
        st.radio(
            "Decision",
            choices,
            index=None,
            format_func=DECISIONS.__getitem__,
            horizontal=True,
            key=f"{form_key}-action-{incident.status.value}",
        )
        st.text_input("Reason (required except to confirm or reopen)", key=f"{form_key}-reason")
        st.form_submit_button(
            "Record decision",
            type="primary",
            on_click=_decide,
            args=(incident.id, incident.status.value, form_token(form_key), form_key),
        )


def _late(due: datetime | None) -> bool:
    return due is not None and utcnow() > due


def _answer(incident_id: str, alert_id: str | None, due: datetime | None, seen: str, token: str,
            form_key: str) -> None:
    """Callback of the answer form: the incident, alert, deadline and status are those drawn."""
    ctx = acting_context()
    if ctx is None or ctx.user.role != "party_officer":
        return
    # The form was drawn inside the officer's scope; check again, this writes.
    if ctx.store.get_incident(incident_id, ctx.scope) is None:
        flash("error", "This incident is not your party's; nothing was recorded.")
        return
    choice = st.session_state.get(f"{form_key}-kind")
    text = str(st.session_state.get(f"{form_key}-text", "")).strip()
    if choice is None:
        flash("error", "Choose acknowledge, respond or appeal first; nothing was recorded.")
        return
    upload_key = f"{form_key}-file-{st.session_state.get(f'{form_key}-uploads', 0)}"
    files = []
    upload = st.session_state.get(upload_key)
    if upload is not None:
        try:
            files.append(save_attachment(ctx.settings.data_dir, upload.name, upload.getvalue()))
        except AttachmentRefused as exc:
            flash("error", f"{exc}; nothing was recorded.")
            return
    if needs_reason(choice) and not text:
        flash("error", "Write the response or the grounds of the appeal; nothing was recorded.")
        return
    if choice == "appeal" and _late(due):
        flash("error", "Appeals close at the clause deadline; nothing was recorded.")
        return
    note = ("[late] " if _late(due) and text else "") + text
    action = form_action(ctx, incident_id, choice, token, note, attachments=files)
    if _send(ctx, action, IncidentStatus(seen), form_key, "answer"):
        st.session_state[f"{form_key}-text"] = ""
        st.session_state[f"{form_key}-kind"] = None  # the next answer is chosen afresh
        # A file uploader cannot be emptied through its state: the next form gets a new one.
        st.session_state[f"{form_key}-uploads"] = st.session_state.get(f"{form_key}-uploads", 0) + 1
        if alert_id is not None:
            ctx.store.mark_alert(alert_id, acknowledged=True, responded=choice in ("respond", "appeal"))


def officer_answer_form(
    ctx: Context, incident: Incident, alert: AlertState | None, key: str = "page"
) -> None:
    """Acknowledge, respond or appeal (appeals only before the clause deadline), bound to this incident."""
    if ctx.user.role != "party_officer":
        return
    # The incident came through the officer's scope, but check again: this form writes.
    if ctx.store.get_incident(incident.id, ctx.scope) is None:
        st.error("This incident is not your party's.")
        return
    due = alert.alert.due_at if alert else None
    if due:
        if not _late(due):
            st.info(f"Answer due by {due:%d %b %Y %H:%M} UTC ({countdown(due)}).")
        else:
            st.error(f"The deadline passed at {due:%d %b %Y %H:%M} UTC; late answers are marked late.")
    form_key = f"answer-{key}-{incident.id}"
    with st.form(form_key):
        st.markdown(
            f"**Answer on {escape(describe(incident))}** · commission status *{incident.status.value}*"
        )
        st.radio(
            "Answer",
            list(ANSWERS),
            index=None,
            horizontal=True,
            key=f"{form_key}-kind",
            format_func=ANSWERS.__getitem__,
        )
        st.text_area("Your answer", key=f"{form_key}-text")
        st.file_uploader(
            "Proof (PDF or image, up to 10 MB), e.g. of the takedown",
            type=["pdf", "png", "jpg", "jpeg", "webp"],
            key=f"{form_key}-file-{st.session_state.get(f'{form_key}-uploads', 0)}",
        )
        st.form_submit_button(
            "Send answer",
            type="primary",
            on_click=_answer,
            args=(
                incident.id,
                alert.alert.id if alert else None,
                due,
                incident.status.value,
                form_token(form_key),
                form_key,
            ),
        )

