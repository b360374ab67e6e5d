"""synthetic.spectral: features, calibration and the periodic-artefact cue."""

from __future__ import annotations

import numpy as np
import pytest

from bench.make_media import photo_like
from detectors.synthetic.spectral import FEATURES, SpectralDetector, spectral_features


def test_image_too_small_for_a_spectrum_is_labelled_not_scored() -> None:
    assert spectral_features(np.zeros((32, 32, 3), np.uint8)) is None
    assert SpectralDetector().judge(np.zeros((32, 32, 3), np.uint8))[:2] == (0.0, "too-small")


def test_features_are_finite_and_complete() -> None:
    feats = spectral_features(photo_like((300, 400), seed=1))
    assert feats is not None and set(feats) == set(FEATURES)
    assert all(np.isfinite(v) for v in feats.values())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_period_two_checkerboard_raises_the_score(seed: int) -> None:
    image = photo_like((256, 256), seed=seed).astype(int)
    yy, xx = np.indices(image.shape[:2])
    checker = ((yy + xx) % 2 * 2 - 1)[..., None] * 4
    detector = SpectralDetector()
    clean = detector.judge(image.astype(np.uint8))[0]
    artefact = detector.judge(np.clip(image + checker, 0, 255).astype(np.uint8))[0]
    assert artefact > clean + 0.15
    assert artefact > 0.9
