"""Frequency-domain artefacts of generated images (periodic spectral peaks of up-sampling).

Model card
----------
- **What.** A probability-like score that an image was produced by a generator whose
  up-sampling layers (transposed convolutions, nearest or bilinear up-sampling in GANs and
  diffusion decoders) left periodic traces: peaks in the spectrum of the noise residual at
  fractions 1/2, 1/4 and 1/8 of the sampling rate, and an unnatural high-frequency tail of
  the azimuthally averaged power spectrum (Zhang et al. 2019, "Detecting and simulating
  artifacts in GAN fake images"; Durall et al. 2020; Corvi et al. 2023).
- **How.** Grey levels at native resolution (never resized: resizing erases the traces),
  up to four 256x256 crops; residual = image minus its 3x3 mean; Hann-windowed FFT; features:
  the log ratio of each periodic frequency's magnitude to its neighbourhood median (max over
  the 1/2, 1/4 and 1/8 grids, reported separately), the high-frequency energy fraction and
  slope of the azimuthal spectrum. A logistic regression turns them into a score; its
  weights (``spectral_calibration.json``) were fitted by ``bench/eval_synthetic.py --fit``
  on the set described in ``docs/synthetic.md``.
- **Signal ``synthetic.spectral``.** Score in [0, 1]; label ``spectral-artefacts`` from
  ``threshold`` (default 0.5), else ``no-spectral-artefacts``; ``too-small`` (score 0) for
  images under 64 pixels a side. Details: each feature and the crop count.
- **Limits.** A weak forensic signal. JPEG's 8x8 blocks also put peaks on the 1/8 grid, so
  heavily compressed real photos can score; re-encoding, resizing and screenshots remove
  the traces of generated images. Modern diffusion models leave weaker peaks than GANs.
  Calibrated on a small set: read the measured AUC before setting a rule threshold on it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.synthetic.images import ImageDetector
from detectors.synthetic.mediafiles import limits
from pantau.errors import DetectorUnavailable
from pantau.schemas import Family, Modality

__all__ = ["FEATURES", "SpectralDetector", "spectral_features", "spectral_score"]

CROP = 256
MIN_SIDE = 64
FEATURES = ("peak_half", "peak_quarter", "peak_eighth", "hf_fraction", "hf_slope", "residual_energy")
CALIBRATION_FILE = Path(__file__).with_name("spectral_calibration.json")


def _grey(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _crops(grey: np.ndarray) -> list[np.ndarray]:
    h, w = grey.shape
    size = min(CROP, h, w)
    size -= size % 8
    if h == size and w == size:
        return [grey]
    ys = sorted({0, (h - size) // 2, h - size})
    xs = sorted({0, (w - size) // 2, w - size})
    picks = [((h - size) // 2, (w - size) // 2), (ys[0], xs[0]), (ys[-1], xs[-1]), (ys[0], xs[-1])]
    seen: list[np.ndarray] = []
    for y, x in dict.fromkeys(picks):
        seen.append(grey[y : y + size, x : x + size])
    return seen


def _residual(grey: np.ndarray) -> np.ndarray:
    padded = np.pad(grey, 1, mode="reflect")
    mean = (
        sum(padded[dy : dy + grey.shape[0], dx : dx + grey.shape[1]] for dy in range(3) for dx in range(3))
        / 9.0
    )
    return grey - mean


def _peak_ratio(logmag: np.ndarray, period: int) -> float:
    """Max over the grid of frequencies k/period of (log magnitude - median of a 5x5 neighbourhood)."""
    n = logmag.shape[0]
    step = n // period
    best = -np.inf
    for ky in range(period):
        for kx in range(period):
            if (ky, kx) == (0, 0) or (period > 2 and ky % 2 == 0 and kx % 2 == 0 and period // 2 >= 2):
                continue  # skip DC and points that belong to a coarser grid
            y, x = ky * step, kx * step
            ys = np.arange(y - 2, y + 3) % n
            xs = np.arange(x - 2, x + 3) % n
            patch = logmag[np.ix_(ys, xs)].ravel()
            around = np.delete(patch, 12)
            best = max(best, float(logmag[y, x] - np.median(around)))
    return best


def _azimuthal(power: np.ndarray) -> np.ndarray:
    n = power.shape[0]
    shifted = np.fft.fftshift(power)
    yy, xx = np.indices(shifted.shape)
    r = np.hypot(yy - n // 2, xx - n // 2).astype(int)
    sums = np.bincount(r.ravel(), weights=shifted.ravel())
    counts = np.bincount(r.ravel())
    return (sums / np.maximum(counts, 1))[: n // 2]


def spectral_features(rgb: np.ndarray) -> dict[str, float] | None:
    """Return the spectral features of an RGB image, or None when it is too small.

    Example Snippet::

        feats = spectral_features(np.asarray(Image.open("face.png").convert("RGB")))
        feats["peak_half"]   # log ratio of the 1/2-frequency peak to its neighbourhood
    """
    if rgb.ndim != 3 or min(rgb.shape[:2]) < MIN_SIDE:
        return None
    grey = _grey(rgb.astype(np.float64))
    rows: list[list[float]] = []
    for crop in _crops(grey):
        n = crop.shape[0]
        window = np.outer(np.hanning(n), np.hanning(n))
        res = _residual(crop)
        mag = np.abs(np.fft.fft2(res * window))
        logmag = np.log(mag + 1e-6)
        power = np.abs(np.fft.fft2((crop - crop.mean()) * window)) ** 2
        az = _azimuthal(power)
        az = np.log(az + 1e-9)
        tail = az[int(len(az) * 0.75) :]
        slope = float(np.polyfit(np.arange(len(tail)), tail, 1)[0]) if len(tail) > 2 else 0.0
        total = float(np.exp(az).sum())
        hf = float(np.exp(az[len(az) // 2 :]).sum() / total) if total > 0 else 0.0
        rows.append(
            [
                _peak_ratio(logmag, 2),
                _peak_ratio(logmag, 4),
                _peak_ratio(logmag, 8),
                float(np.log(hf + 1e-9)),
                slope * len(az),
                float(np.log(np.mean(res**2) + 1e-6)),
            ]
        )
    values = np.mean(np.array(rows), axis=0)
    return dict(zip(FEATURES, (float(v) for v in values), strict=True))


@lru_cache(maxsize=4)
def _calibration(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def spectral_score(features: dict[str, float], calibration: dict[str, Any]) -> float:
    """Apply the fitted logistic regression (standardised features) to a feature dict."""
    x = np.array([features[f] for f in calibration["features"]])
    z = (x - np.array(calibration["mean"])) / np.array(calibration["scale"])
    logit = float(np.dot(z, calibration["coef"]) + calibration["intercept"])
    return float(1.0 / (1.0 + np.exp(-logit)))


class SpectralOptions(BaseModel):
    """Options of :class:`SpectralDetector`."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(0.5, ge=0.0, le=1.0, description="Score from which the label says artefacts.")
    calibration: str | None = Field(None, description="Path of another calibration JSON (default: shipped).")


class SpectralDetector(ImageDetector):
    """Scores periodic up-sampling artefacts in the spectrum of an image's noise residual."""

    name = "synthetic.spectral"
    version = "0.1.0"
    family = Family.SYNTHETIC
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE})
    Options = SpectralOptions

    def load(self) -> None:
        """Read the calibration weights."""
        path = Path(self.options.calibration or CALIBRATION_FILE)  # type: ignore[attr-defined]
        if not path.is_file():
            raise DetectorUnavailable(f"synthetic.spectral calibration not found: {path}")
        self._calibration = _calibration(str(path))
        self._max_bytes, self._max_pixels = limits(self.settings)

    def judge(self, rgb: np.ndarray) -> tuple[float, str, str, dict[str, Any]]:
        """Return score, label, evidence and details for one RGB image."""
        self.ensure_loaded()
        features = spectral_features(rgb)
        if features is None:
            return 0.0, "too-small", f"image under {MIN_SIDE} pixels a side", {}
        score = spectral_score(features, self._calibration)
        details = {k: round(v, 4) for k, v in features.items()}
        if score >= self.options.threshold:  # type: ignore[attr-defined]
            strongest = max(("peak_half", "peak_quarter", "peak_eighth"), key=lambda k: features[k])
            return (
                score,
                "spectral-artefacts",
                f"periodic spectral peaks ({strongest} {features[strongest]:.2f})",
                details,
            )
        return score, "no-spectral-artefacts", f"spectral score {score:.2f}", details
