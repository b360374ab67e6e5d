"""Incidents with what the verification panel shows: media files, provenance, sub-scores, faces, keyframes.

``seed_verification(data_dir, store)`` writes pictures under ``<data_dir>/media`` and stores:

- ``fake``: a confirmed SIM-1 incident of ``pbn.official`` (facebook) with an image, a C2PA
  report signed by ``Demo Signer Sdn Bhd``, ``synthetic.image`` sub-scores and drivers, a face
  matched to Hafiz Rahim, and an original file name a journalist must not see;
- ``reshare``: a new incident of ``@gpm_channel`` (telegram) whose image is the same picture
  resized and re-encoded as JPEG (PDQ distance small, SHA-256 different);
- ``unrelated``: a new incident with a different picture (must not be listed as similar);
- ``video``: a new incident with a video whose keyframes ``media.video`` kept (manifest under
  ``media/derived``) and two transcript lines.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import numpy as np

from pantau.schemas import (
    Face,
    Family,
    Incident,
    IncidentStatus,
    MediaFile,
    Modality,
    Signal,
    TextPart,
    utcnow,
)
from pantau.stores.base import IncidentStore, ReviewAction
from tests.mocks.incidents import make_incident

__all__ = ["ORIGINAL_NAME", "SIGNER", "picture", "seed_verification"]

SIGNER = "Demo Signer Sdn Bhd"
ORIGINAL_NAME = "rina_private_upload.jpg"


def picture(seed: int, size: int = 320) -> np.ndarray:
    """A textured RGB picture (PDQ quality well over 50), different for each seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(1, 6, 3)
        channels.append(np.sin(2 * np.pi * (fx * x + phase)) * np.cos(2 * np.pi * fy * y))
    rgb = (np.stack(channels, axis=-1) + 1) * 127.5
    for _ in range(6):
        x0, y0 = rng.integers(0, size - 60, 2)
        rgb[y0 : y0 + 50, x0 : x0 + 50] = rng.uniform(0, 255, 3)
    return rgb.astype(np.uint8)


def _save(rgb: np.ndarray, folder: Path, fmt: str, scale: float = 1.0) -> MediaFile:
    from PIL import Image

    image = Image.fromarray(rgb)
    if scale != 1.0:
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"tmp.{fmt.lower()}"
    image.save(tmp, format=fmt, quality=70) if fmt == "JPEG" else image.save(tmp, format=fmt)
    data = tmp.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    path = folder / sha
    tmp.rename(path)
    mime = "image/jpeg" if fmt == "JPEG" else "image/png"
    return MediaFile(
        path=str(path),
        sha256=sha,
        mime=mime,
        size=len(data),
        modality=Modality.IMAGE,
        meta={"width": image.width, "height": image.height, "format": fmt, "original_name": ORIGINAL_NAME},
    )


def _video(media_dir: Path) -> MediaFile:
    """A video entry whose keyframes (two JPEGs) and manifest are where ``media.video`` writes them."""
    sha = hashlib.sha256(b"demo video").hexdigest()
    folder = media_dir / "derived" / sha[:2] / sha
    frames = []
    for n, at in enumerate((0.0, 4.0)):
        kept = _save(picture(40 + n, 160), folder, "JPEG")
        path = folder / f"keyframe-{at:09.3f}.jpg"
        Path(kept.path or "").rename(path)
        frames.append({"time": at, "path": str(path), "change": 1.0})
    manifest = {"options": {}, "keyframes": frames, "result": {"keyframes": frames}}
    (folder / "video-1.1.0.json").write_text(json.dumps(manifest), encoding="utf-8")
    return MediaFile(sha256=sha, mime="video/mp4", size=1000, modality=Modality.VIDEO, meta={"duration": 8.0})


def seed_verification(data_dir: Path, store: IncidentStore) -> dict[str, Incident]:
    """Write the pictures and store the four incidents (see the module's docstring)."""
    media_dir = data_dir / "media"
    now = utcnow()
    original = _save(picture(7), media_dir / "orig", "PNG")
    copy = _save(picture(7), media_dir / "copy", "JPEG", scale=0.9)
    other = _save(picture(99), media_dir / "other", "PNG")
    report = {
        "declared_ai": True,
        "c2pa_state": "trusted",
        "generator": "Demo Diffusion 2",
        "signer": SIGNER,
        "digital_source_types": ["trainedAlgorithmicMedia"],
        "actions": ["c2pa.created"],
        "validation_codes": [],
        "traces": [],
        "xmp_source_types": [],
        "error": None,
    }
    fused = Signal(
        item_id="x",
        detector="synthetic.image",
        version="3.0",
        family=Family.SYNTHETIC,
        score=1.0,
        label="ai-declared",
        evidence=f"C2PA manifest trusted signed by {SIGNER!r}",
        media_sha256=original.sha256,
        details={
            "signals": {
                "learned": 0.83,
                "spectral": 0.41,
                "watermark": 0.02,
                "forensic": 0.83,
                "provenance": 1.0,
            },
            "drivers": ["ai-declared", "forensic-synthetic"],
            "declared_ai": True,
            "c2pa_state": "trusted",
            "provenance": report,
        },
    )
    fake = make_incident(
        "verify-fake",
        family=Family.SYNTHETIC,
        status=IncidentStatus.CONFIRMED,
        account="pbn.official",
        text="Gambar calon bersama penyokong",
        created_at=now - timedelta(hours=8),
        media=[original],
        signals=[fused],
    )
    fake.faces = [
        Face(
            media_sha256=original.sha256,
            box=[40, 40, 120, 120],
            score=0.99,
            person_id="hafiz-rahim",
            person_name="Hafiz Rahim",
            match_score=0.71,
        ),
    ]
    reshare = make_incident(
        "verify-reshare",
        family=Family.SYNTHETIC,
        party=None,
        account="@gpm_channel",
        platform="telegram",
        text="Gambar eksklusif calon",
        created_at=now - timedelta(hours=1),
        media=[copy],
    )
    unrelated = make_incident(
        "verify-unrelated",
        family=Family.SYNTHETIC,
        party=None,
        account="@someone",
        platform="x",
        text="Poster lain sama sekali",
        created_at=now - timedelta(hours=1),
        media=[other],
    )
    video = _video(media_dir)
    clip = make_incident(
        "verify-video",
        family=Family.SYNTHETIC,
        party=None,
        account="@clipper",
        platform="x",
        text="Klip ucapan calon",
        created_at=now - timedelta(hours=2),
        media=[video],
        text_parts=[
            TextPart(
                origin="transcript",
                text="Saudara saudari, undi kami",
                media_sha256=video.sha256,
                start=0.5,
                end=3.0,
            ),
            TextPart(
                origin="transcript",
                text="Pusat mengundi ditutup esok",
                media_sha256=video.sha256,
                start=4.5,
                end=7.0,
            ),
        ],
    )
    incidents = {"fake": fake, "reshare": reshare, "unrelated": unrelated, "video": clip}
    store.upsert_incidents(list(incidents.values()))
    store.record_action(ReviewAction(incident_id=fake.id, action="confirm", actor="seed", role="commission"))
    return incidents
