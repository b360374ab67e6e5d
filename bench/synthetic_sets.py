"""Evaluation sets for the synthetic-media detectors, built from ``../shared/data/media``.

Nothing here is copied into the repository: every set is a list of (name, label, loader)
read from the shared folder at run time, or images derived from them in memory.

- ``c2pa_fixtures``: the C2PA SDK's test files with labels produced by the SDK itself.
- ``sd_watermark``: 16 real Stable Diffusion txt2img outputs (watermarked by the reference
  scripts) and 8 real photos (inpainting inputs from the same repository).
- ``realgen``: *real generator outputs vs real photos*: the 16 Stable Diffusion outputs
  against the 8 photos above plus 9 distinct photographs among the C2PA fixtures. Small,
  and confounded: most fixture photos are JPEG, every generated image is PNG.
- ``simulated``: 256x256 crops of the real photos (label 0) against the same crops passed
  through a 2x down-sampling and a GAN-like 2x up-sampling (transposed-convolution zero
  insertion with a fixed 4x4 kernel, nearest, or bilinear; label 1), half of each group
  re-encoded as JPEG q90. It tests the spectral cue, not generators: its figures say
  whether the detector sees up-sampling, nothing more.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["MEDIA", "Sample", "c2pa_fixtures", "realgen", "sd_watermark", "simulated"]

REPO = Path(__file__).resolve().parent.parent
MEDIA = REPO.parent / "shared" / "data" / "media"

REAL_FIXTURE_PHOTOS = (
    "CA.jpg",
    "P1000827.jpg",
    "IMG_0003.jpg",
    "earth_apollo17.jpg",
    "mars.webp",
    "no_manifest.jpg",
    "cli__verify.jpeg",
    "sample1.png",
    "ocsp_with_assertion.jpg",
)
"""Distinct photographs among the C2PA fixtures (other fixtures repeat these or are drawings)."""


@dataclass
class Sample:
    """One evaluation item: a name, a label, and how to get its RGB pixels or its path."""

    name: str
    label: int | str
    path: Path | None = None
    make: Callable[[], np.ndarray] | None = None

    def rgb(self) -> np.ndarray:
        """Return the sample's RGB pixels."""
        if self.make is not None:
            return self.make()
        assert self.path is not None  # noqa: S101 - bench helper
        return np.asarray(Image.open(self.path).convert("RGB"))


def c2pa_fixtures() -> list[Sample]:
    """The C2PA fixtures with the SDK's own labels."""
    root = MEDIA / "c2pa_fixtures"
    rows = json.loads((root / "labels.json").read_text())
    return [Sample(r["file"], r["label"], root / r["file"]) for r in rows]


def sd_watermark() -> list[Sample]:
    """Stable Diffusion outputs (label 'sd_v1_output ...' / 'sd_v2_output ...') and real photos."""
    root = MEDIA / "sd_invisible_watermark"
    with (root / "labels.csv").open() as fh:
        return [Sample(r["file"], r["label"], root / r["file"]) for r in csv.DictReader(fh)]


def _photos() -> list[Path]:
    neg = [s.path for s in sd_watermark() if str(s.label).startswith("no_watermark") and s.path]
    return neg + [MEDIA / "c2pa_fixtures" / "files" / f for f in REAL_FIXTURE_PHOTOS]


def realgen() -> list[Sample]:
    """Real Stable Diffusion outputs (1) against real photos (0)."""
    fakes = [Sample(s.name, 1, s.path) for s in sd_watermark() if str(s.label).startswith("sd_")]
    reals = [Sample(str(p.name), 0, p) for p in _photos()]
    return fakes + reals


def _jpeg(rgb: np.ndarray, quality: int = 90) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _upsample(rgb: np.ndarray, mode: str) -> np.ndarray:
    h, w = rgb.shape[:2]
    small = np.asarray(Image.fromarray(rgb).resize((w // 2, h // 2), Image.Resampling.BOX)).astype(np.float64)
    if mode == "nearest":
        out = small.repeat(2, axis=0).repeat(2, axis=1)
    elif mode == "bilinear":
        out = np.asarray(
            Image.fromarray(small.astype(np.uint8)).resize((w, h), Image.Resampling.BILINEAR), float
        )
    else:  # transposed convolution: zero insertion, then a fixed 4x4 kernel whose phases differ
        up = np.zeros((h, w, 3))
        up[::2, ::2] = small
        kernel = np.outer([0.5, 1.0, 0.75, 0.25], [0.5, 1.0, 0.75, 0.25])
        kernel = kernel / kernel.sum() * 4
        out = np.zeros_like(up)
        padded = np.pad(up, ((2, 1), (2, 1), (0, 0)), mode="reflect")
        for dy in range(4):
            for dx in range(4):
                out += kernel[dy, dx] * padded[dy : dy + h, dx : dx + w]
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def simulated(split: str = "all", crop: int = 256) -> list[Sample]:
    """Real photo crops (0) and GAN-like up-sampled versions of them (1); ``split`` 'a', 'b' or 'all'."""
    photos = _photos()
    if split == "a":
        photos = photos[::2]
    elif split == "b":
        photos = photos[1::2]
    samples: list[Sample] = []
    modes = ("transposed", "nearest", "bilinear")
    for i, path in enumerate(photos):

        def crop_of(p: Path = path, k: int = i) -> np.ndarray:
            rgb = np.asarray(Image.open(p).convert("RGB"))
            h, w = rgb.shape[:2]
            y, x = (h - crop) // 2, (w - crop) // 2 + (k % 3 - 1) * min(crop // 2, max(0, (w - crop) // 2))
            return rgb[max(0, y) : max(0, y) + crop, max(0, x) : max(0, x) + crop]

        for j, jpeg in enumerate((False, True)):
            mode = modes[(i + j) % 3]

            def real(c: Callable[[], np.ndarray] = crop_of, q: bool = jpeg) -> np.ndarray:
                return _jpeg(c()) if q else c()

            def fake(c: Callable[[], np.ndarray] = crop_of, q: bool = jpeg, m: str = mode) -> np.ndarray:
                out = _upsample(c(), m)
                return _jpeg(out) if q else out

            tag = "jpeg" if jpeg else "raw"
            samples.append(Sample(f"{path.name}:{tag}", 0, make=real))
            samples.append(Sample(f"{path.name}:{mode}:{tag}", 1, make=fake))
    return samples
