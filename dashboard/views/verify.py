"""The reviewer's verification panel on the incident page (what InVID-WeVerify and Meedan Check users expect).

Tabs: Media (each file, its metadata and provenance report as a tree), Scores (the synthetic
sub-scores as bars, drivers in red), Faces (matched to the registry, with crops), Keyframes
(a video's keyframes with the transcript lines they cover), Seen before (the same or a similar
picture in other incidents, known-media list matches, "Add media to known fakes") and Same
account (other clauses of this post, other posts of the account). The computations are in
:mod:`dashboard.verification`.

Everything is read within the user's scope; other incidents a journalist sees are redacted
before anything of them is drawn, pictures are blurred for journalists (and in GBV
incidents), and intimate files are never drawn.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.context import Context
from dashboard.render import escape, media_keyring, open_incident, picture, plain_block
from dashboard.verification import (
    Keyframe,
    image_pdq,
    keyframes,
    matched_faces,
    media_facts,
    media_pdqs,
    other_posts,
    provenance_reports,
    same_post,
    similar_media,
    sub_score_chart,
    sub_scores,
)
from dashboard.views.known import known_fakes_form
from pantau.access import intimate_media, redact_incident
from pantau.crypto_at_rest import Keyring
from pantau.schemas import Family, Incident, MediaFile, Modality
from pantau.stores.base import IncidentQuery

__all__ = ["CANDIDATES", "verification_panel"]

CANDIDATES = 500
"""How many of the newest incidents in scope are compared for similar media."""
ROWS = 25
"""Rows of other incidents listed per table."""
TABS = ["Media", "Scores", "Faces", "Keyframes", "Seen before", "Same account"]


@st.cache_data(max_entries=20_000, show_spinner=False)
def _pdq(path: str, mtime_ns: int, size: int) -> tuple[str, int] | None:  # noqa: ARG001 - cache keys
    return image_pdq(Path(path))


def _cached_pdq(path: Path) -> tuple[str, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return _pdq(str(path), stat.st_mtime_ns, stat.st_size)


def _table(rows: list[dict[str, object]]) -> None:
    """A small table as one HTML block, every cell escaped (no Markdown runs inside: no links, no images)."""
    if not rows:
        return
    head = "".join(f"<th>{escape(str(k))}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    style = "width:100%;overflow-wrap:anywhere"
    st.markdown(f'<table style="{style}"><tr>{head}</tr>{body}</table>', unsafe_allow_html=True)


def _blur(ctx: Context, incident: Incident) -> bool:
    if ctx.scope.redact or incident.family == Family.GBV:
        return True
    return any(
        s.details.get("blur") or s.details.get("violent") or s.details.get("nsfw") for s in incident.signals
    )


def _picture(path: Path | None, caption: str, blur: bool, box: list[float] | None = None,
             keyring: Keyring | None = None) -> None:
    """Draw an image file (a crop of it with ``box``), blurred when asked; a caption when unreadable."""
    source, why = picture(path, keyring)
    if source is None:
        st.caption(f"{caption} · {why or 'file not on this server'}")
        return
    try:
        from PIL import Image, ImageFilter

        with Image.open(source) as img:
            shown = img.convert("RGB")
        if box and len(box) == 4:
            x, y, w, h = (int(v) for v in box)
            shown = shown.crop((max(0, x), max(0, y), max(x + 1, x + w), max(y + 1, y + h)))
        shown.thumbnail((360, 360))
        if blur:
            shown = shown.filter(ImageFilter.GaussianBlur(radius=max(6, shown.width // 20)))
        st.image(shown, caption=("blurred · " if blur else "") + caption)
    except Exception:  # noqa: BLE001 - a broken file must not break the page
        st.caption(f"{caption} · unreadable image")


def _withheld(incident: Incident, media: MediaFile) -> bool:
    key = media.sha256 or media.path or media.url or ""
    return key in intimate_media(incident) or media.meta.get("withheld") == "intimate"


def _media_tab(ctx: Context, incident: Incident) -> None:
    files = incident.item.media
    if not files:
        st.caption("This post has no media: its breach is in the text.")
        return
    reports = provenance_reports(incident)
    blur = _blur(ctx, incident)
    for n, media in enumerate(files):
        st.markdown(
            plain_block(f"<b>File {n + 1}</b> · {escape(media.mime or 'unknown type')}"),
            unsafe_allow_html=True,
        )
        left, right = st.columns([1, 2])
        with left:
            if _withheld(incident, media):
                st.markdown(
                    '<div class="pantau-withheld">Intimate content withheld</div>', unsafe_allow_html=True
                )
            elif media.modality in (None, Modality.IMAGE):
                _picture(Path(media.path) if media.path else None, (media.sha256 or "")[:16], blur,
                         keyring=media_keyring(ctx.settings))
            else:
                st.caption(f"{media.modality.value} file")
        with right:
            facts = media_facts(media, ctx.scope.redact)
            _table([{"field": k, "value": v} for k, v in facts.items()])
            report = reports.get(media.sha256 or "") or (reports.get("item") if len(files) == 1 else None)
            if report is not None:
                st.markdown("**Provenance (C2PA manifest, XMP, generator traces)**")
                st.json(report, expanded=2)
            elif ctx.scope.redact:
                st.caption("Provenance reports are not shown in the redacted view.")
            else:
                st.caption("No provenance report for this file (no synthetic-media detector read it).")
        for signal in incident.signals:
            if signal.detector == "media.known_match" and signal.media_sha256 in (None, media.sha256):
                # The list's label names the earlier post (its URL): not for the redacted view.
                said = "" if ctx.scope.redact else f": {signal.evidence}"
                st.warning(escape(f"On a known-media list ({signal.label}){said}"))


def _scores_tab(incident: Incident) -> None:
    rows = sub_scores(incident)
    if not rows:
        st.caption("No detector of this incident gives a breakdown of its score.")
        return
    groups: dict[tuple[str, str], list[dict[str, object]]] = {}
    for row in rows:
        groups.setdefault((str(row["detector"]), str(row["media"])), []).append(row)
    for n, ((detector, media), group) in enumerate(groups.items()):
        first = group[0]
        title = f"{detector} · {media[:12] or 'item'} · {first['label']} {float(first['signal score']):.2f}"
        st.plotly_chart(sub_score_chart(group, title), width="stretch", key=f"verify-scores-{n}")
        drivers = ", ".join(str(d) for d in first["drivers"]) or "-"  # type: ignore[attr-defined]
        st.caption(
            f"Score set by: {drivers}. The dotted line is 0.5; a sub-score is a reason to look, not proof."
        )


def _faces_tab(ctx: Context, incident: Incident) -> None:
    faces = matched_faces(incident)
    if not faces:
        st.caption("No face in this post was matched to a person of the registry.")
        return
    _table([{k: v for k, v in f.items() if k != "box"} for f in faces])
    by_sha = {m.sha256: m for m in incident.item.media if m.sha256}
    cols = st.columns(4)
    blur = _blur(ctx, incident)
    for n, face in enumerate(faces[:8]):
        media = by_sha.get(str(face["media"]))
        if media is None or _withheld(incident, media) or media.modality not in (None, Modality.IMAGE):
            continue
        with cols[n % 4]:
            _picture(
                Path(media.path) if media.path else None,
                f"{escape(str(face['person']))} · {face['match']:.2f}",
                blur,
                box=face["box"],
                keyring=media_keyring(ctx.settings),
            )


def _keyframes_tab(ctx: Context, incident: Incident) -> None:
    shown = False
    blur = _blur(ctx, incident)
    for media in incident.item.media:
        if media.modality is not Modality.VIDEO or not media.sha256:
            continue
        frames = (
            []
            if _withheld(incident, media)
            else keyframes(ctx.settings.media_dir, media.sha256, incident.text_parts)
        )
        if not frames:
            continue
        shown = True
        st.markdown(
            plain_block(f"<b>Video {escape(media.sha256[:16])}</b> · {len(frames)} keyframes"),
            unsafe_allow_html=True,
        )
        _frame_grid(frames, blur)
    transcripts = [p for p in incident.text_parts if p.origin == "transcript"]
    if not shown and transcripts:
        shown = True
        st.markdown("**Transcript**")
        for part in transcripts:
            when = (
                f"{part.start:.0f}–{part.end:.0f}s · "
                if part.start is not None and part.end is not None
                else ""
            )
            st.markdown(plain_block(escape(when + part.text)), unsafe_allow_html=True)
    if not shown:
        st.caption("No video keyframes or transcript kept for this post.")


def _frame_grid(frames: list[Keyframe], blur: bool) -> None:
    cols = st.columns(4)
    for n, frame in enumerate(frames):
        with cols[n % 4]:
            _picture(frame.path, f"{frame.time:.1f} s", blur)
            for line in frame.lines:
                when = f"{line.start:.0f}s " if line.start is not None else ""
                st.markdown(
                    plain_block(f"<small>{escape(when)}{escape(line.text)}</small>"), unsafe_allow_html=True
                )


def _shown(ctx: Context, incident: Incident) -> Incident:
    """Another incident as this user may see it."""
    return redact_incident(incident, ctx.registry) if ctx.scope.redact else incident


def _incident_rows(ctx: Context, incidents: list[Incident], key: str, extra: list[dict[str, object]]) -> None:
    """A table of other incidents, and an open button per row."""
    rows = []
    for incident, more in zip(incidents, extra, strict=True):
        item = incident.item
        rows.append(
            {
                "clause": incident.breach.clause_id,
                "status": incident.status.value,
                "account": item.account or "",
                "platform": item.platform or "",
                "published": (item.published_at or incident.created_at).strftime("%Y-%m-%d %H:%M"),
                **more,
                "text": item.text[:120],
            }
        )
    _table(rows[:ROWS])
    if len(rows) > ROWS:
        st.caption(f"{ROWS} of {len(rows)} shown.")
    cols = st.columns(6)
    for n, incident in enumerate(incidents[:ROWS]):
        with cols[n % 6]:
            open_incident(
                incident.id,
                key=f"verify-{key}-{n}-{incident.id}",
                label=f"Open {incident.breach.clause_id} · {incident.id[:8]}",
            )


def _seen_before_tab(ctx: Context, incident: Incident) -> None:
    if not incident.item.media:
        st.caption("This post has no media to compare.")
    else:
        others = ctx.store.search(IncidentQuery(limit=CANDIDATES, sort="newest"), ctx.scope).incidents
        found = similar_media(
            incident, others, lambda m: media_pdqs(m, ctx.settings.media_dir, hasher=_cached_pdq)
        )
        if found:
            st.markdown(f"**Seen in {len(found)} other post(s)** (newest {CANDIDATES} incidents you may see)")
            _incident_rows(
                ctx,
                [_shown(ctx, s.incident) for s in found],
                "similar",
                [{"how": s.how, "PDQ distance": s.distance, "file": s.media_sha256[:12]} for s in found],
            )
        else:
            st.caption(f"None of these files appears in the newest {CANDIDATES} other incidents you may see.")
    known_fakes_form(ctx, incident)


def _same_account_tab(ctx: Context, incident: Incident) -> None:
    account = incident.item.account or ""
    if not account:
        st.caption("The account that posted this is unknown.")
        return
    query = '"' + account.replace('"', " ").strip() + '"'
    found = ctx.store.search(IncidentQuery(text=query, limit=200, sort="newest"), ctx.scope).incidents
    siblings = same_post(incident, found)
    if siblings:
        clauses = escape(", ".join(s.breach.clause_id for s in siblings))
        st.markdown(f"**This post also breaches** {clauses}", unsafe_allow_html=True)
        _incident_rows(ctx, [_shown(ctx, s) for s in siblings], "post", [{} for _ in siblings])
    posts = other_posts(incident, found)
    if not posts:
        where = incident.item.platform or "this platform"
        st.caption(escape(f"No other post of {account} on {where} is an incident you may see."))
        return
    st.markdown(f"**{len(posts)} other post(s) of {escape(account)}**", unsafe_allow_html=True)
    firsts = [_shown(ctx, group[0]) for group in posts]
    _incident_rows(
        ctx, firsts, "account", [{"clauses": ", ".join(i.breach.clause_id for i in group)} for group in posts]
    )


def verification_panel(ctx: Context, incident: Incident) -> None:
    """Draw the panel for an incident already read within the user's scope (and redacted for journalists)."""
    st.markdown("#### Verification")
    media, scores, faces, frames, seen, account = st.tabs(TABS)
    with media:
        _media_tab(ctx, incident)
    with scores:
        _scores_tab(incident)
    with faces:
        _faces_tab(ctx, incident)
    with frames:
        _keyframes_tab(ctx, incident)
    with seen:
        _seen_before_tab(ctx, incident)
    with account:
        _same_account_tab(ctx, incident)
