"""Corneal specular highlights: do the two eyes of a face reflect the same light?

Model card
----------
- **What.** A physical cue for GAN-generated face photographs (Hu, Li and Lyu, "Exposing
  GAN-generated faces using inconsistent corneal specular highlights", ICASSP 2021): in a
  real photograph both corneas mirror the same light sources, so their highlights have
  similar shapes and positions relative to the eye; GAN faces (StyleGAN family) often get
  highlights that differ between the eyes. The authors report AUC 0.94 on FFHQ vs StyleGAN2
  portraits (frontal, high resolution).
- **How.** YuNet (the media area's OpenCV-zoo model) finds the largest face and its eye
  centres; a square crop around each eye (0.2x the inter-ocular distance: about the iris);
  highlight pixels are the brightest 4% that are also at least 0.25 above the crop's
  median brightness. The two masks are compared by IoU (same orientation: a reflection is
  not mirrored between the eyes), after centring each crop on its darkest blob (the pupil).
- **Signal ``synthetic.eyes``.** Score ``sigmoid(8 * (0.2 - IoU))`` (IoU 0 -> 0.83,
  0.2 -> 0.5, 0.5 -> 0.08); label ``inconsistent-highlights`` / ``consistent-highlights``,
  or score 0.5 with ``no-face``, ``face-too-small`` (inter-ocular distance under
  ``min_eye_distance`` px, default 60) or ``no-highlights``. Details: ``iou``, ``eye_distance``.
- **Not validated here**: no face photographs, real or generated, are available offline.
  Inside ``synthetic.image`` it only counts when both eyes show a highlight on a large face,
  with the same weight as the other forensic logits. Fails with glasses, closed or
  averted eyes, several light sources close to the eyes, and low resolution.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.synthetic.images import ImageDetector
from detectors.synthetic.mediafiles import limits
from pantau.errors import DetectorUnavailable
from pantau.schemas import Family, Modality

__all__ = ["EyeHighlightDetector", "highlight_iou", "highlight_mask"]

NEUTRAL = 0.5


def highlight_mask(grey: np.ndarray) -> np.ndarray | None:
    """Return the boolean mask of specular highlight pixels in an eye crop, or None when there is none."""
    if grey.size < 16:
        return None
    g = grey.astype(np.float64) / 255.0
    cut = max(float(np.quantile(g, 0.96)), float(np.median(g)) + 0.25)
    mask = g >= cut
    return mask if 0 < mask.sum() < 0.2 * mask.size else None


def _pupil_centre(grey: np.ndarray) -> tuple[int, int]:
    import cv2

    blur = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), max(1.0, grey.shape[0] / 12))
    y, x = np.unravel_index(int(np.argmin(blur)), blur.shape)
    return int(y), int(x)


def highlight_iou(left: np.ndarray, right: np.ndarray) -> float | None:
    """IoU of the highlight masks of two equally sized grey eye crops, each centred on its pupil."""
    masks = []
    for crop in (left, right):
        mask = highlight_mask(crop)
        if mask is None:
            return None
        cy, cx = _pupil_centre(crop)
        shift = (crop.shape[0] // 2 - cy, crop.shape[1] // 2 - cx)
        masks.append(np.roll(mask, shift, axis=(0, 1)))
    union = np.logical_or(*masks).sum()
    return float(np.logical_and(*masks).sum() / union) if union else None


class EyeOptions(BaseModel):
    """Options of :class:`EyeHighlightDetector`."""

    model_config = ConfigDict(extra="forbid")

    min_eye_distance: float = Field(
        60.0, ge=10, description="Smaller faces (px between eyes) are not judged."
    )


class EyeHighlightDetector(ImageDetector):
    """Compares the corneal highlights of the two eyes of the largest face (a GAN-face cue)."""

    name = "synthetic.eyes"
    version = "0.1.0"
    family = Family.SYNTHETIC
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE})
    Options = EyeOptions

    def load(self) -> None:
        """Load YuNet from the media area's model files."""
        import cv2

        try:
            from detectors.media.models import face_model_files
        except ImportError as exc:
            raise DetectorUnavailable(
                "synthetic.eyes needs the media area's face models (detectors.media)"
            ) from exc
        yunet, _ = face_model_files()
        self._faces = cv2.FaceDetectorYN.create(str(yunet), "", (320, 320), 0.7, 0.3, 20)
        self._max_bytes, self._max_pixels = limits(self.settings)

    def judge(self, rgb: np.ndarray) -> tuple[float, str, str, dict[str, Any]]:
        """Return score, label, evidence and details for one RGB image."""
        import cv2

        self.ensure_loaded()
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        scale = min(1.0, 1280 / max(bgr.shape[:2]))
        small = cv2.resize(bgr, None, fx=scale, fy=scale) if scale < 1 else bgr
        self._faces.setInputSize((small.shape[1], small.shape[0]))
        _, rows = self._faces.detect(small)
        if rows is None or not len(rows):
            return NEUTRAL, "no-face", "no face found", {}
        row = max(rows, key=lambda r: float(r[2] * r[3]))
        eyes = np.asarray(row[4:8], dtype=np.float64).reshape(2, 2) / scale
        distance = float(np.linalg.norm(eyes[0] - eyes[1]))
        details: dict[str, Any] = {"eye_distance": round(distance, 1)}
        if distance < self.options.min_eye_distance:  # type: ignore[attr-defined]
            return NEUTRAL, "face-too-small", f"eyes {distance:.0f} px apart", details
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        half = max(4, int(round(0.1 * distance)))  # about the iris: keeps the white sclera out
        crops = []
        for x, y in eyes:
            xi, yi = int(round(x)), int(round(y))
            crop = grey[max(0, yi - half) : yi + half, max(0, xi - half) : xi + half]
            if crop.shape != (2 * half, 2 * half):
                return NEUTRAL, "no-highlights", "eye at the image border", details
            crops.append(crop)
        iou = highlight_iou(crops[0], crops[1])
        if iou is None:
            return NEUTRAL, "no-highlights", "no specular highlight in both eyes", details
        score = 1.0 / (1.0 + math.exp(-8.0 * (0.2 - iou)))
        details["iou"] = round(iou, 3)
        label = "inconsistent-highlights" if score >= 0.5 else "consistent-highlights"
        return score, label, f"corneal highlight IoU {iou:.2f}", details
