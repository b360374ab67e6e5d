"""The incident page (permalink ``?incident=<id>``): item, media, signals, clause, history, evidence pack."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.attachments import attachment_path
from dashboard.context import Context
from dashboard.evidence import evidence_pack, pack_bytes
from dashboard.render import badge, escape, highlight, media_keyring, plain_block, show_media
from dashboard.verification import account_standing, standing_colour
from dashboard.views.assign import assignment_and_comments, public_history
from dashboard.views.decisions import decision_form, officer_answer_form
from dashboard.views.search import base_url, permalink
from dashboard.views.verify import verification_panel
from pantau.access import redact_incident
from pantau.schemas import Incident
from pantau.signing import pack_signer
from pantau.stores.base import ReviewAction
from pantau.stores.text import parse_query

__all__ = ["incident_page"]

NOT_FOUND = "No incident with this id is available to you."


def _terms(incident: Incident) -> list[str]:
    terms: list[str] = []
    for signal in incident.signals:
        for key in ("terms", "matches", "spans_text"):
            value = signal.details.get(key)
            if isinstance(value, list):
                terms += [str(v) for v in value]
    query = st.query_params.get("q")
    if query:
        terms += parse_query(query).terms()
    return terms


def incident_page(ctx: Context, incident_id: str) -> None:
    """Show one incident inside the user's scope; the same answer for absent and forbidden ids."""
    if st.button("← Back", key="incident-back"):
        st.query_params.pop("incident", None)
        st.rerun()
    incident = ctx.store.get_incident(incident_id, ctx.scope)
    if incident is None:
        ctx.audit("view_incident_denied", target=incident_id[:100])
        st.error(NOT_FOUND)
        return
    if ctx.scope.redact:
        incident = redact_incident(incident, ctx.registry)
    # One audit record per incident per session, not one per rerun (every click reruns the page).
    viewed: set[str] = st.session_state.setdefault("pantau_viewed", set())
    if incident.id not in viewed:
        ctx.audit("view_incident", target=incident.id)
        viewed.add(incident.id)
    breach, item = incident.breach, incident.item

    st.markdown(
        f"### {escape(breach.clause_id)} · {escape(breach.clause_title)}<br/>"
        + badge(breach.severity.value)
        + badge(incident.status.value)
        + badge(incident.family.value, "#455a64"),
        unsafe_allow_html=True,
    )
    party, standing, said = account_standing(ctx.registry, item.platform, item.account)
    cols = st.columns(4)
    cols[0].metric("Account", item.account or "unknown", border=True)
    cols[1].metric("Platform", item.platform or "unknown", border=True)
    cols[2].metric("Party", ctx.party_name(incident.party) if incident.party else party or "-", border=True)
    cols[3].metric("Top score", f"{max((s.score for s in incident.signals), default=0):.2f}", border=True)
    st.markdown(
        plain_block(badge(standing, standing_colour(standing)) + f"<small>{escape(said)}</small>"),
        unsafe_allow_html=True,
    )
    link = None
    if item.url and item.url.startswith(("https://", "http://")) and not any(c.isspace() for c in item.url):
        link = item.url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    st.caption(
        f"Incident {incident.id} · published {item.published_at or '?'} · "
        f"detected {incident.created_at:%Y-%m-%d %H:%M} UTC"
        + (f" · [original]({link})" if link and not ctx.scope.redact else "")
    )

    terms = _terms(incident)
    left, right = st.columns([3, 2])
    with left:
        st.markdown("#### Item")
        if item.title:
            st.markdown(f"**{escape(item.title)}**", unsafe_allow_html=True)
        st.markdown(f'<div class="pantau-text">{highlight(item.text, terms)}</div>', unsafe_allow_html=True)
        for part in incident.text_parts:
            if part.origin in ("caption", "title"):
                continue
            when = (
                f" {part.start:.0f}–{part.end:.0f}s"
                if part.start is not None and part.end is not None
                else ""
            )
            st.markdown(f"**{escape(part.origin.upper())}{when}**", unsafe_allow_html=True)
            st.markdown(
                f'<div class="pantau-text">{highlight(part.text, terms)}</div>', unsafe_allow_html=True
            )
        show_media(incident, force_blur=ctx.scope.redact, keyring=media_keyring(ctx.settings))
    with right:
        st.markdown("#### Clause breached")
        st.markdown(
            f"**{escape(breach.code_id)} {escape(breach.code_version)} · clause {escape(breach.clause_id)}**",
            unsafe_allow_html=True,
        )
        st.markdown(f"> {escape(breach.clause_text or breach.clause_title)}", unsafe_allow_html=True)
        st.code(breach.rule, language="python")
        if breach.deadline_hours:
            st.caption(f"Party answer due within {breach.deadline_hours:g} h of notification.")

    st.markdown("#### Signals")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "detector": s.detector,
                    "version": s.version,
                    "score": s.score,
                    "label": s.label,
                    "evidence": s.evidence,
                    "media": (s.media_sha256 or "")[:12],
                }
                for s in incident.signals
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "score": st.column_config.ProgressColumn("score", min_value=0.0, max_value=1.0, format="%.2f")
        },
    )

    verification_panel(ctx, incident)

    st.markdown("#### History")
    history = public_history(ctx.store.actions(incident.id), ctx.user.role)
    if ctx.scope.redact:
        # Journalists see what was decided and when, not who decided or the internal reasons.
        history = [a.model_copy(update={"actor": a.role, "reason": "", "attachments": []}) for a in history]
    if history:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "at": a.at,
                        "action": a.action,
                        "by": a.actor,
                        "role": a.role,
                        "reason": a.reason,
                        "files": ", ".join(f.name for f in a.attachments),
                    }
                    for a in history
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        _attachment_downloads(ctx, history)
    else:
        st.caption("No decisions or answers yet.")

    decision_form(ctx, incident)
    assignment_and_comments(ctx, incident, history)
    if ctx.user.role == "party_officer":
        mine = [a for a in ctx.store.alerts(ctx.scope, limit=1000) if a.alert.incident_id == incident.id]
        officer_answer_form(ctx, incident, mine[0] if mine else None)

    pack = evidence_pack(incident, history, exported_by=ctx.user.username, redacted=ctx.scope.redact,
                         signer=pack_signer(ctx.settings.data_dir))
    st.download_button(
        "Download evidence pack (JSON)",
        pack_bytes(pack),
        file_name=f"pantau-{incident.id}.json",
        mime="application/json",
        key="evidence-download",
        on_click=lambda: ctx.audit(
            "export", target=incident.id, detail=f"evidence pack {pack['pack_sha256']}"
        ),
    )
    st.caption(f"Pack SHA-256 {pack['pack_sha256']} · permalink: {permalink(base_url(ctx), incident.id)}")


def _attachment_downloads(ctx: Context, history: list[ReviewAction]) -> None:
    """A download button per file sent with an answer (kept by SHA-256 under the data folder)."""
    for n, action in enumerate(history):
        for file in action.attachments:
            try:
                data = attachment_path(ctx.settings.data_dir, file.sha256).read_bytes()
            except (OSError, ValueError):
                st.caption(f"{escape(file.name)} ({file.sha256[:12]}): the file is missing on this server.")
                continue
            st.download_button(
                f"{file.name} · {action.action} by {action.actor} · {file.size // 1024 + 1} KB",
                data,
                file_name=file.name,
                mime=file.mime,
                key=f"attachment-{n}-{file.sha256[:16]}",
            )
