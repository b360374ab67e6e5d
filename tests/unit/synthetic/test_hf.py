"""synthetic.hf: any Hugging Face classifier by id or folder, tested on a tiny ViT built from a config."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.synthetic.hf import HuggingFaceDetector
from pantau.errors import ConfigError, DetectorUnavailable

from .conftest import DEMO, item_with


def test_without_a_model_the_plugin_refuses_to_load() -> None:
    with pytest.raises(ConfigError, match="options.model"):
        HuggingFaceDetector().ensure_loaded()


@pytest.fixture(scope="module")
def tiny_vit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer ViT classifier with labels real/fake, saved like a hub model."""
    torch = pytest.importorskip(
        "torch", reason="torch not installed: pip install 'pantau[hf]' to run this test"
    )
    transformers = pytest.importorskip(
        "transformers", reason="transformers not installed: pip install 'pantau[hf]'"
    )
    torch.manual_seed(0)
    config = transformers.ViTConfig(
        image_size=32,
        patch_size=8,
        num_channels=3,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=2,
        id2label={0: "real", 1: "fake"},
        label2id={"real": 0, "fake": 1},
    )
    folder = tmp_path_factory.mktemp("tiny-vit")
    transformers.ViTForImageClassification(config).save_pretrained(folder)
    transformers.ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def test_tiny_model_scores_images_with_its_fake_probability(tiny_vit: Path) -> None:
    detector = HuggingFaceDetector({"model": str(tiny_vit), "device": "cpu"})
    signals = detector.detect([item_with(DEMO / "photo_plain.jpg"), item_with(DEMO / "sd_parameters.png")])
    for [signal] in signals:
        top = {t["label"]: t["score"] for t in signal.details["top"]}
        assert set(top) == {"real", "fake"}
        assert signal.score == pytest.approx(top["fake"], abs=1e-3)
        assert signal.label == ("model-synthetic" if signal.score >= 0.5 else "model-real")


def test_label_mapping_decides_which_probabilities_count(tiny_vit: Path) -> None:
    as_fake = HuggingFaceDetector({"model": str(tiny_vit), "synthetic_labels": ["fake"], "device": "cpu"})
    as_real = HuggingFaceDetector({"model": str(tiny_vit), "synthetic_labels": ["real"], "device": "cpu"})
    [[a]] = as_fake.detect([item_with(DEMO / "photo_plain.jpg")])
    [[b]] = as_real.detect([item_with(DEMO / "photo_plain.jpg")])
    assert a.score + b.score == pytest.approx(1.0, abs=1e-3)


def test_unknown_local_model_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    pytest.importorskip("transformers", reason="transformers not installed: pip install 'pantau[hf]'")
    with pytest.raises(DetectorUnavailable):
        HuggingFaceDetector({"model": str(tmp_path), "device": "cpu"}).ensure_loaded()
