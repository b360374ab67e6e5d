"""Small rendering helpers shared by the pages: badges, safe highlighting, media thumbnails."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from dashboard.charts import SEVERITY_COLOURS, STATUS_COLOURS
from pantau.access import intimate_media
from pantau.crypto_at_rest import Keyring, image_source
from pantau.errors import PantauError
from pantau.schemas import Family, Incident, MediaFile, Modality

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = [
    "CSS",
    "badge",
    "escape",
    "highlight",
    "incident_label",
    "media_keyring",
    "open_incident",
    "picture",
    "plain_block",
    "show_media",
    "snippet",
]

CSS = """
<style>
  [data-testid="stMetricValue"] { font-size: 2.4rem; font-weight: 700; }
  [data-testid="stMetric"] { background: rgba(128,128,128,0.08); border-radius: 10px; padding: 10px 14px; }
  .pantau-badge { display:inline-block; padding:2px 10px; border-radius:12px; color:#fff; font-weight:600;
                  font-size:0.85rem; margin-right:6px; }
  .pantau-text { white-space: pre-wrap; border-left: 4px solid #2e86ab; padding: 6px 12px;
                 background: rgba(128,128,128,0.06); border-radius: 4px; }
  mark { background: #f6c445; color: #000; padding: 0 2px; border-radius: 2px; }
  .pantau-withheld { border: 2px dashed #d7263d; padding: 24px; text-align: center; color: #d7263d;
                     border-radius: 8px; font-weight: 600; }
</style>
"""


# Untrusted text goes into st.markdown(..., unsafe_allow_html=True): escape HTML *and* every
# character Markdown or Streamlit's extensions would act on (links, images, emphasis, LaTeX `$`,
# `:emoji:` and `:red[...]` directives), and turn newlines into <br/> so that a blank line cannot
# end the surrounding HTML block and let the rest be parsed as Markdown.
_ESCAPES = {ord(c): f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+-.!|~$:^=@"}
_ESCAPES[ord("\n")] = "<br/>"
_ESCAPES[ord("\r")] = ""


def escape(text: str) -> str:
    """Return text safe to embed in HTML-enabled Markdown: shown literally, never interpreted.

    >>> escape("![x](http://a) <b>")
    '&#33;&#91;x&#93;&#40;http&#58;//a&#41; &#60;b&#62;'
    """
    return text.translate(_ESCAPES)


def plain_block(html: str) -> str:
    """Wrap escaped HTML in one ``<div>`` line, so Markdown keeps it as a raw HTML block.

    Escaping alone is not enough: in a Markdown paragraph the GFM autolink pass runs on the
    *decoded* text, so an escaped ``https&#58;//...`` in a post still became a link. Inside an
    HTML block (no blank line: :func:`escape` turns newlines into ``<br/>``) no Markdown runs.

    >>> plain_block(escape("see https://x.example"))
    '<div class="pantau-plain">see https&#58;//x&#46;example</div>'
    """
    return f'<div class="pantau-plain">{html}</div>'


def badge(text: str, colour: str | None = None) -> str:
    """Return HTML of a coloured pill (text escaped)."""
    colour = colour or SEVERITY_COLOURS.get(text) or STATUS_COLOURS.get(text) or "#607d8b"
    return f'<span class="pantau-badge" style="background:{colour}">{escape(text)}</span>'


def _terms_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({w for t in terms for w in re.findall(r"\w{2,}", t or "")}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words[:40]) + r")(?!\w)", re.IGNORECASE)


def highlight(text: str, terms: Iterable[str]) -> str:
    """Return ``text`` HTML-escaped with each term wrapped in ``<mark>`` (safe for unsafe_allow_html)."""
    pattern = _terms_pattern(terms)
    if pattern is None:
        return escape(text)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def snippet(text: str, terms: Iterable[str], width: int = 220) -> str:
    """Return a highlighted window of ``text`` around the first term found (escaped HTML)."""
    pattern = _terms_pattern(list(terms))
    start = 0
    if pattern is not None:
        match = pattern.search(text)
        if match:
            start = max(0, match.start() - width // 3)
    piece = text[start : start + width]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + width < len(text) else ""
    return prefix + highlight(piece, terms) + suffix


def incident_label(incident: Incident) -> str:
    """One line naming an incident, for pickers."""
    when = incident.created_at.strftime("%d %b %H:%M")
    return (
        f"{incident.breach.severity.value.upper()} · {incident.breach.clause_id} · "
        f"{incident.item.account or '?'} ({incident.item.platform or '?'}) · {when} · {incident.id[:8]}"
    )


def open_incident(incident_id: str, key: str, label: str = "Open") -> None:
    """A button that opens the incident page in this session (keeps the sign-in)."""
    if st.button(label, key=key):
        st.query_params["incident"] = incident_id
        st.rerun()


def _needs_blur(incident: Incident) -> bool:
    if incident.family == Family.GBV:
        return True
    return any(
        s.details.get("blur") or s.details.get("violent") or s.details.get("nsfw") for s in incident.signals
    )


def media_keyring(settings: Settings) -> Keyring | None:
    """The media key that opens sealed files (sensitive media encrypted at rest); None without one."""
    try:
        return Keyring.from_settings(settings)
    except PantauError:
        return None


def picture(path: Path | None, keyring: Keyring | None) -> tuple[Path | io.BytesIO | None, str]:
    """What ``PIL.Image.open`` reads for a media file (plain, or sealed and decrypted), or None and why."""
    try:
        return image_source(path, keyring), ""
    except PantauError as exc:
        return None, "encrypted at rest; this server has no key for it" if keyring is None else str(exc)[:120]


def show_media(incident: Incident, force_blur: bool = False, keyring: Keyring | None = None) -> None:
    """Show thumbnails of the item's images: intimate ones never, sensitive ones blurred."""
    withheld = intimate_media(incident)
    blur = force_blur or _needs_blur(incident)
    files = incident.item.media
    if not files:
        return
    cols = st.columns(min(4, len(files)))
    for col, media in zip(cols * ((len(files) // len(cols)) + 1), files, strict=False):
        with col:
            _thumbnail(
                media,
                (media.sha256 or media.path or media.url or "") in withheld
                or media.meta.get("withheld") == "intimate",
                blur,
                keyring,
            )


def _thumbnail(media: MediaFile, withheld: bool, blur: bool, keyring: Keyring | None = None) -> None:
    caption = f"sha256 {media.sha256[:16]}…" if media.sha256 else (media.mime or "media")
    if withheld:
        st.markdown(
            '<div class="pantau-withheld">Intimate content withheld<br/>'
            "(never displayed; hash kept as evidence)</div>",
            unsafe_allow_html=True,
        )
        st.caption(caption)
        return
    source, why = picture(Path(media.path) if media.path else None, keyring)
    if media.modality not in (None, Modality.IMAGE) or source is None:
        kind = media.modality.value if media.modality else "file"
        st.caption(f"{kind} · {caption}" + (f" · {why}" if why else ""))
        return
    try:
        from PIL import Image, ImageFilter

        with Image.open(source) as img:
            img.thumbnail((480, 480))
            shown = img.convert("RGB")
            if blur:
                shown = shown.filter(ImageFilter.GaussianBlur(radius=max(8, shown.width // 20)))
        st.image(shown, caption=("blurred · " if blur else "") + caption)
    except Exception:  # noqa: BLE001 - a broken file must not break the page
        st.caption(f"unreadable image · {caption}")
