"""What the reviewer's verification panel shows, computed from what the store holds (pure, tested).

The panel (``dashboard/views/verify.py``) draws, per incident: each media file with its
metadata, the provenance report (C2PA manifest, XMP, generator traces) as a tree, the synthetic
sub-scores (``Signal.details["signals"]``) with what set the score (``details["drivers"]``),
faces matched to the registry, a video's keyframes with the transcript lines they cover, media
already seen in other incidents (same file, or a PDQ within ``max_distance`` bits), the other
clauses the same post breaches and the other posts of the same account.

Nothing here reads more than the incident, the incidents it is compared with (already read
within the user's scope) and the files under the media folder. Journalists' incidents arrive
redacted (:func:`pantau.access.redact_incident`): their signal details hold only known-safe keys,
so no provenance report reaches them, and :func:`media_facts` keeps only technical metadata.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pantau.schemas import Incident, MediaFile, Modality, TextPart

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from pantau.registry import Registry

__all__ = [
    "MAX_DISTANCE",
    "SAFE_META",
    "Keyframe",
    "Similar",
    "account_key",
    "account_standing",
    "image_pdq",
    "keyframes",
    "matched_faces",
    "media_facts",
    "media_pdqs",
    "other_posts",
    "provenance_reports",
    "same_post",
    "similar_media",
    "standing_colour",
    "sub_score_chart",
    "sub_scores",
]

MAX_DISTANCE = 31
"""PDQ Hamming distance that counts as the same picture (``media.hashes``' default)."""
MIN_QUALITY = 50
"""PDQ of flatter pictures match too easily (``media.hashes``' default)."""
SAFE_META = (
    "format",
    "width",
    "height",
    "duration",
    "fps",
    "frames",
    "codec",
    "has_audio",
    "sample_rate",
    "channels",
    "analysed_as",
)
"""Media metadata a journalist sees: technical facts only (no original file name, no EXIF)."""
DRIVER_SUB_SIGNAL = {
    "ai-declared": "provenance",
    "ai-metadata": "provenance",
    "tampered": "provenance",
    "c2pa-capture": "provenance",
    "sd-watermark": "watermark",
    "forensic-synthetic": "forensic",
}
"""The sub-score behind each driver label of the fused synthetic detectors (``details["drivers"]``)."""
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def media_facts(media: MediaFile, redact: bool) -> dict[str, Any]:
    """The facts of one media file as a flat table: identity, type, size and metadata.

    >>> m = MediaFile(sha256="ab" * 32, size=10, meta={"width": 4, "original_name": "x.png"})
    >>> media_facts(m, redact=True)["width"], "original_name" in media_facts(m, redact=True)
    (4, False)
    """
    facts: dict[str, Any] = {
        "sha256": media.sha256 or "",
        "type": media.mime or "",
        "modality": media.modality.value if media.modality else "",
        "size (bytes)": media.size if media.size is not None else "",
    }
    for key, value in sorted(media.meta.items()):
        if redact and key not in SAFE_META:
            continue
        if isinstance(value, str | int | float | bool) or value is None:
            facts[key] = value
    return facts


def provenance_reports(incident: Incident) -> dict[str, dict[str, Any]]:
    """The provenance report of each media file (key: SHA-256, or ``"item"``), first one found.

    ``synthetic.provenance`` carries the report as its details; ``synthetic.image`` and the other
    fused detectors carry it under ``details["provenance"]``.
    """
    reports: dict[str, dict[str, Any]] = {}
    for signal in incident.signals:
        if signal.detector == "synthetic.provenance" and "c2pa_state" in signal.details:
            report = dict(signal.details)
        elif isinstance(signal.details.get("provenance"), dict):
            report = dict(signal.details["provenance"])
        else:
            continue
        reports.setdefault(signal.media_sha256 or "item", report)
    return reports


def sub_scores(incident: Incident) -> list[dict[str, Any]]:
    """One row per (signal, sub-score): detector, media, sub-signal, score, drivers, the signal's score.

    Only numbers in [0, 1] are scores; anything else in ``details["signals"]`` is left out.
    """
    rows: list[dict[str, Any]] = []
    for signal in incident.signals:
        values = signal.details.get("signals")
        if not isinstance(values, dict):
            continue
        drivers = [str(d) for d in signal.details.get("drivers") or [] if isinstance(d, str)]
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                continue
            rows.append(
                {
                    "detector": signal.detector,
                    "media": signal.media_sha256 or "",
                    "sub-signal": str(name),
                    "score": float(value),
                    "drivers": drivers,
                    "signal score": signal.score,
                    "label": signal.label,
                }
            )
    return rows


def sub_score_chart(rows: Sequence[dict[str, Any]], title: str) -> go.Figure:
    """Horizontal bars of the sub-scores of one signal (0 to 1); the bars of what set the score in red."""
    import plotly.graph_objects as go

    from dashboard.charts import plain_label

    drivers = {DRIVER_SUB_SIGNAL.get(d, d) for d in rows[0]["drivers"]} if rows else set()
    ordered = sorted(rows, key=lambda r: r["score"])
    fig = go.Figure(
        go.Bar(
            x=[r["score"] for r in ordered],
            y=[plain_label(r["sub-signal"]) for r in ordered],
            orientation="h",
            marker_color=["#d7263d" if r["sub-signal"] in drivers else "#2e86ab" for r in ordered],
            text=[f"{r['score']:.2f}" for r in ordered],
            textposition="outside",
        )
    )
    fig.update_layout(
        title=plain_label(title),
        height=90 + 34 * len(ordered),
        margin={"l": 10, "r": 30, "t": 40, "b": 10},
        xaxis={"range": [0, 1.1], "title": None},
        yaxis={"title": None},
        showlegend=False,
    )
    fig.add_vline(x=0.5, line_dash="dot", line_color="#888")
    return fig


def matched_faces(incident: Incident) -> list[dict[str, Any]]:
    """Faces matched to a person of the registry (id or name), best match first."""
    rows = [
        {
            "person": f.person_name or f.person_id or "",
            "registry id": f.person_id or "",
            "match": round(f.match_score, 3),
            "detection": round(f.score, 3),
            "media": f.media_sha256 or "",
            "at (s)": f.frame_time if f.frame_time is not None else "",
            "box": f.box,
        }
        for f in incident.faces
        if f.person_id or f.person_name
    ]
    return sorted(rows, key=lambda r: -r["match"])


@dataclass
class Keyframe:
    """A keyframe of a video: its time, image file and the transcript lines up to the next keyframe."""

    time: float
    path: Path
    lines: list[TextPart] = field(default_factory=list)


def _derived(media_dir: Path, sha256: str) -> Path | None:
    """The folder ``media.video`` wrote a video's keyframes to (never created here)."""
    if not _SHA256.match(sha256 or ""):
        return None
    return media_dir / "derived" / sha256[:2] / sha256


def keyframes(media_dir: Path, sha256: str, parts: Iterable[TextPart] = ()) -> list[Keyframe]:
    """The keyframes ``media.video`` kept for a video (its manifest), each with the transcript it covers.

    A line belongs to the last keyframe at or before its start; lines before the first keyframe
    go to the first. Keyframe files outside the video's folder or missing are skipped.
    """
    folder = _derived(media_dir, sha256)
    if folder is None or not folder.is_dir():
        return []
    frames: dict[float, Path] = {}
    for manifest in sorted(folder.glob("video-*.json")):
        try:
            listed = json.loads(manifest.read_text(encoding="utf-8")).get("keyframes") or []
        except (OSError, ValueError, AttributeError):
            continue
        for entry in listed:
            try:
                at, path = float(entry["time"]), Path(str(entry["path"]))
            except (KeyError, TypeError, ValueError):
                continue
            resolved = (folder / path.name).resolve()
            if resolved.parent == folder.resolve() and resolved.is_file():
                frames.setdefault(round(at, 3), resolved)
    found = [Keyframe(t, p) for t, p in sorted(frames.items())]
    if not found:
        return []
    lines = sorted(
        (p for p in parts if p.media_sha256 == sha256 and p.origin == "transcript"),
        key=lambda p: p.start if p.start is not None else float("inf"),
    )
    for line in lines:
        start = line.start if line.start is not None else found[-1].time
        owner = found[0]
        for frame in found:
            if frame.time <= start:
                owner = frame
        owner.lines.append(line)
    return found


def image_pdq(path: Path, max_pixels: int = 50_000_000) -> tuple[str, int] | None:
    """PDQ (64 hex) and quality of an image file, or ``None`` when it cannot be read or hashed."""
    try:
        import numpy as np

        from detectors.media.decode import open_image
        from detectors.media.hashes import pdq_hex

        return pdq_hex(np.asarray(open_image(path, max_pixels), dtype=np.uint8))
    except Exception:  # noqa: BLE001 - a missing library or a broken file only means no PDQ
        return None


def media_pdqs(
    media: MediaFile, media_dir: Path, hasher: Callable[[Path], tuple[str, int] | None] = image_pdq
) -> list[str]:
    """The PDQ hashes of a media file worth matching (quality >= 50): the image's, or its keyframes'
    (a video, from the files ``media.video`` kept). Audio, and files not on this server, have none."""
    paths: list[Path] = []
    if media.modality in (None, Modality.IMAGE) and media.path:
        paths = [Path(media.path)]
    elif media.modality is Modality.VIDEO and media.sha256:
        paths = [k.path for k in keyframes(media_dir, media.sha256)]
    hashes = []
    for path in paths:
        if not path.is_file():
            continue
        found = hasher(path)
        if found is not None and found[1] >= MIN_QUALITY:
            hashes.append(found[0])
    return hashes


@dataclass
class Similar:
    """Media of another incident that is the same file or looks the same."""

    incident: Incident
    media_sha256: str
    mine_sha256: str
    distance: int
    how: str


def similar_media(
    incident: Incident,
    others: Sequence[Incident],
    pdqs: Callable[[MediaFile], list[str]],
    max_distance: int = MAX_DISTANCE,
) -> list[Similar]:
    """Media of ``others`` that is one of the incident's files (same SHA-256) or within ``max_distance``
    bits of PDQ of one of them, closest first; one row per (other post, media file).

    Incidents of the same post are left out (they are the same media).
    """
    from detectors.media.hashes import hamming

    mine = [(m, pdqs(m)) for m in incident.item.media if m.sha256]
    found: dict[tuple[str, str], Similar] = {}
    for other in others:
        if other.item.id == incident.item.id:
            continue
        for media in other.item.media:
            if not media.sha256:
                continue
            key = (other.item.id, media.sha256)
            for own, own_hashes in mine:
                if media.sha256 == own.sha256:
                    best = Similar(other, media.sha256, str(own.sha256), 0, "same file")
                else:
                    theirs = pdqs(media) if own_hashes else []
                    distances = [hamming(a, b) for a in own_hashes for b in theirs]
                    if not distances or min(distances) > max_distance:
                        continue
                    best = Similar(
                        other, media.sha256, str(own.sha256), min(distances), "looks the same (PDQ)"
                    )
                if key not in found or best.distance < found[key].distance:
                    found[key] = best
    return sorted(found.values(), key=lambda s: (s.distance, -s.incident.created_at.timestamp()))


def account_key(incident: Incident) -> tuple[str, str] | None:
    """(platform, account without ``@``, lower case): who posted, or ``None`` when unknown."""
    account = (incident.item.account or "").lstrip("@").lower()
    return ((incident.item.platform or "").lower(), account) if account else None


def same_post(incident: Incident, others: Sequence[Incident]) -> list[Incident]:
    """The other incidents of the same post (other clauses it breaches)."""
    return [o for o in others if o.item.id == incident.item.id and o.id != incident.id]


def other_posts(incident: Incident, others: Sequence[Incident]) -> list[list[Incident]]:
    """Other posts of the same account on the same platform, newest first, each with its incidents."""
    key = account_key(incident)
    if key is None:
        return []
    posts: dict[str, list[Incident]] = {}
    for other in others:
        if other.item.id != incident.item.id and account_key(other) == key:
            posts.setdefault(other.item.id, []).append(other)
    return sorted(
        posts.values(),
        key=lambda group: -(group[0].item.published_at or group[0].created_at).timestamp(),
    )


def account_standing(
    registry: Registry | None, platform: str | None, handle: str | None
) -> tuple[str, str, str]:
    """(party short name or "", badge, sentence) saying who an account is: a signatory's channel, a
    non-signatory's, a candidate's, or not in the registry. A non-signatory party's official channel
    is not an unknown account: it speaks for a party, but no officer answers for it under the code.

    >>> from pantau.settings import DEFAULT_REGISTRY
    >>> from pantau.registry import load_registry
    >>> account_standing(load_registry(DEFAULT_REGISTRY), "telegram", "gpm_channel")[:2]
    ('GPM', 'non-signatory official channel')
    >>> account_standing(load_registry(DEFAULT_REGISTRY), "x", "@nobody")[1]
    'unknown account'
    """
    who = handle or "the account"
    account = registry.account(platform, handle) if registry is not None and handle else None
    if registry is None or account is None:
        return "", "unknown account", f"{who} is not in the registry (an unknown account)."
    party = registry.party(account.party) if account.party else None
    person = registry.person(account.person) if account.person else None
    kind = {
        "official": "official channel",
        "affiliated": "affiliated account",
        "personal": "personal account",
    }[account.kind]
    if party is None:
        owner = person.name if person is not None else "someone in the registry"
        return "", kind, f"{who} is the {kind} of {owner} (no party)."
    short = party.short_name or party.name
    of = f"{person.name} ({short})" if person is not None else party.name
    if party.signatory:
        return short, f"signatory {kind}", f"{who} is the {kind} of {of}, which signed the code."
    return (
        short,
        f"non-signatory {kind}",
        f"{who} is the {kind} of {of}, which has not signed the code: its posts are monitored and "
        "reported, but no party officer answers for them.",
    )


def standing_colour(standing: str) -> str:
    """Badge colour of a standing: grey unknown, amber non-signatory, green signatory, blue other."""
    if standing == "unknown account":
        return "#607d8b"
    if standing.startswith("non-signatory"):
        return "#b26a00"
    return "#2e7d32" if standing.startswith("signatory") else "#1565c0"
