"""synthetic.watermark: the torch-free dwtDct decoder against its own encoder and the reference outputs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detectors.synthetic.watermark import (
    KNOWN_PAYLOADS,
    WatermarkDetector,
    decode_dwtdct,
    embed_dwtdct,
    hard_bits,
    watermark_scores,
)

from .conftest import DEMO, item_with


def _noise(seed: int, size: int = 256) -> np.ndarray:
    return (np.random.default_rng(seed).random((size, size, 3)) * 200 + 20).astype(np.uint8)


@pytest.mark.parametrize("payload", ["StableDiffusionV1", "SDV2", "SDXL"])
def test_embedded_payload_decodes_exactly(payload: str) -> None:
    marked = embed_dwtdct(_noise(1), KNOWN_PAYLOADS[payload])
    found = watermark_scores(marked)
    assert found["payload"] == payload
    assert found["bit_accuracy"] >= 0.98  # uint8 rounding can flip a bit of noise images


def test_unmarked_image_is_not_called_watermarked() -> None:
    score, label, _, details = WatermarkDetector().judge(_noise(2))
    assert label == "no-watermark"
    assert details["bit_accuracy"] < 0.7
    assert score < 0.4


def test_strong_jpeg_erases_the_watermark() -> None:
    marked = embed_dwtdct(_noise(3), KNOWN_PAYLOADS["StableDiffusionV1"])
    buf = io.BytesIO()
    Image.fromarray(marked).save(buf, "JPEG", quality=50)
    recompressed = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    assert WatermarkDetector().judge(recompressed)[1] == "no-watermark"


def test_tiny_image_decodes_to_chance_without_error() -> None:
    assert np.allclose(decode_dwtdct(np.zeros((8, 8, 3), np.uint8), 136), 0.5)


def test_demo_watermarked_file_is_detected() -> None:
    [[signal]] = WatermarkDetector().detect([item_with(DEMO / "sd_watermarked.png")])
    assert (signal.label, signal.details["payload"]) == ("sd-watermark", "StableDiffusionV1")


def test_decoder_is_byte_exact_with_the_reference_on_real_sd_outputs(shared_data: Path) -> None:
    root = shared_data / "media" / "sd_invisible_watermark"
    if not root.is_dir():
        pytest.skip(f"SD watermark set not found at {root}")
    with (root / "labels.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    for row in rows[::4]:  # a quarter of the set keeps the test fast; bench/ checks all
        rgb = np.asarray(Image.open(root / row["file"]).convert("RGB"))
        decoded = np.packbits(hard_bits(decode_dwtdct(rgb, 136))).tobytes()
        assert repr(decoded) == row["decoded_136bit"], row["file"]
