"""The ``device`` setting resolves to a torch device the same way for every torch detector."""

from __future__ import annotations

import sys
import types

import pytest

from detectors.devices import torch_device
from pantau.errors import DetectorUnavailable


def fake_torch(has_gpu: bool) -> types.ModuleType:
    module = types.ModuleType("torch")
    module.cuda = types.SimpleNamespace(is_available=lambda: has_gpu)  # type: ignore[attr-defined]
    return module


@pytest.mark.parametrize(
    ("wanted", "has_gpu", "expected"),
    [
        ("auto", True, "cuda"),
        ("auto", False, "cpu"),
        (None, True, "cuda"),
        ("cpu", True, "cpu"),
        ("cuda", True, "cuda"),
        ("CUDA", True, "cuda"),
    ],
)
def test_device_setting_resolves(
    monkeypatch: pytest.MonkeyPatch, wanted: str | None, has_gpu: bool, expected: str
) -> None:
    monkeypatch.setitem(sys.modules, "torch", fake_torch(has_gpu))
    assert torch_device(wanted) == expected


def test_cuda_without_a_gpu_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", fake_torch(False))
    with pytest.raises(DetectorUnavailable, match="no GPU"):
        torch_device("cuda")


def test_auto_without_torch_falls_back_to_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    assert torch_device("auto") == "cpu"
    with pytest.raises(DetectorUnavailable, match="needs torch"):
        torch_device("cuda")
