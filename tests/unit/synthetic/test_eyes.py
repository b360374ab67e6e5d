"""synthetic.eyes: corneal highlight masks and their comparison between the two eyes."""

from __future__ import annotations

import numpy as np
import pytest

from bench.make_media import photo_like
from detectors.synthetic.eyes import EyeHighlightDetector, highlight_iou, highlight_mask


def _eye(highlights: list[tuple[int, int]], size: int = 24) -> np.ndarray:
    """A grey iris with a dark pupil in the centre and bright square highlights at the given offsets."""
    eye = np.full((size, size), 120.0)
    yy, xx = np.indices(eye.shape)
    eye[(yy - size // 2) ** 2 + (xx - size // 2) ** 2 < (size // 5) ** 2] = 20.0
    for dy, dx in highlights:
        y, x = size // 2 + dy, size // 2 + dx
        eye[y : y + 2, x : x + 2] = 250.0
    return eye


def test_same_reflection_in_both_eyes_is_consistent() -> None:
    assert highlight_iou(_eye([(-4, 3)]), _eye([(-4, 3)])) == pytest.approx(1.0)


def test_different_reflections_have_low_overlap() -> None:
    iou = highlight_iou(_eye([(-4, 3)]), _eye([(4, -5)]))
    assert iou is not None and iou < 0.2


def test_eye_without_highlight_gives_no_mask() -> None:
    assert highlight_mask(np.full((20, 20), 100.0)) is None
    assert highlight_iou(_eye([]), _eye([(-4, 3)])) is None


def test_image_without_a_face_is_neutral() -> None:
    score, label, _, _ = EyeHighlightDetector().judge(photo_like((240, 320), seed=2))
    assert (score, label) == (0.5, "no-face")
