"""bench/train_synthetic.py and its data: labels read right, augmentation hides the container, LOSO never leaks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from bench import synthetic_data, train_synthetic
from bench.synthetic_data import augment, family_of, load_images, perturb


def _write_media(root: Path) -> None:
    faces = root / "synthetic_faces"
    (faces / "images").mkdir(parents=True)
    more = root / "synthetic_more"
    (more / "images").mkdir(parents=True)
    rows = "file,label,generator_or_source,origin_repo,licence\n"
    PILImage.new("RGB", (300, 280), (120, 80, 60)).save(faces / "images" / "a.jpg")
    PILImage.new("RGB", (256, 256), (20, 80, 160)).save(faces / "images" / "b.png")
    (faces / "labels.csv").write_text(
        rows + "images/a.jpg,real,FFHQ,o/one,x\nimages/b.png,ai,StyleGAN2 (TPDNE),o/one,x\n", encoding="utf-8"
    )
    PILImage.new("RGB", (512, 512), (200, 200, 10)).save(more / "images" / "c.png")
    (more / "labels.csv").write_text(rows + "images/c.png,ai,Midjourney v5,o/two,x\n", encoding="utf-8")


def test_images_are_read_with_label_origin_and_family(tmp_path: Path) -> None:
    _write_media(tmp_path)
    images = load_images(tmp_path)
    assert [(im.label, im.origin, im.family) for im in images] == [
        (0, "o/one", "real"),
        (1, "o/one", "gan"),
        (1, "o/two", "diffusion"),
    ]
    assert images[0].key == "synthetic_faces/images/a.jpg"


def test_missing_shared_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="synthetic_faces"):
        load_images(tmp_path)


@pytest.mark.parametrize(
    ("label", "generator", "family"),
    [
        (1, "StyleGAN3-R FFHQ", "gan"),
        (1, "DALL-E 3", "diffusion"),
        (1, "AI face, generator not stated", "ai-unknown"),
        (0, "StyleGAN", "real"),
    ],
)
def test_family_of(label: int, generator: str, family: str) -> None:
    assert family_of(label, generator) == family


def test_augmentation_is_seeded_and_gives_both_classes_the_same_container() -> None:
    png_ai = PILImage.fromarray(np.random.default_rng(1).integers(0, 255, (256, 256, 3), dtype=np.uint8))
    out_a = augment(png_ai, np.random.default_rng([7, 1, 3]))
    out_b = augment(png_ai, np.random.default_rng([7, 1, 3]))
    assert np.array_equal(np.asarray(out_a), np.asarray(out_b))
    sizes = {augment(png_ai, np.random.default_rng([7, 1, k])).size for k in range(20)}
    assert len(sizes) > 5  # sizes vary, so size cannot tell the classes apart
    assert all(out.mode == "RGB" for out in (out_a, out_b))


def test_robustness_perturbations() -> None:
    image = PILImage.new("RGB", (200, 100), (10, 20, 30))
    assert perturb(image, "half").size == (100, 50)
    assert perturb(image, "crop").size == (140, 70)
    assert perturb(image, "jpeg75").size == (200, 100)
    with pytest.raises(ValueError, match="unknown"):
        perturb(image, "rotate")


def _fake_variant(images: list[synthetic_data.Image], rng: np.random.Generator) -> dict:
    n = len(images)
    y = np.array([im.label for im in images], float)
    feats = {v: rng.normal(size=(n, 12 * 768 + 512)).astype(np.float16) for v in ("global", "face", "patch")}
    for v in feats:
        feats[v][:, 11 * 768 : 11 * 768 + 50] += 2 * (2 * y[:, None] - 1).astype(
            np.float16
        )  # signal in block 11
    return {"keys": np.array([im.key for im in images]), "has_face": rng.random(n) > 0.5, **feats}


def test_leave_one_source_out_never_trains_on_the_origin_it_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    images = [
        synthetic_data.Image(
            Path(f"x/{o}{i}.png"), i % 2, o, "g", "gan" if i % 2 else "real", f"x/{o}{i}.png"
        )
        for o in ("a", "b", "c")
        for i in range(10)
    ]
    rng = np.random.default_rng(0)
    variants = {name: _fake_variant(images, rng) for name in (*train_synthetic.TRAIN, "clean")}
    seen: list[set[str]] = []
    real_fit = train_synthetic.fit

    def spy(cfg: train_synthetic.Config, train: list[dict], ims: list[synthetic_data.Image]) -> dict:
        seen.append({im.origin for im in ims})
        return real_fit(cfg, train, ims)

    monkeypatch.setattr(train_synthetic, "fit", spy)
    cfg = train_synthetic.Config((11,), ("global",), 1.0)
    z = train_synthetic.loso(cfg, images, variants)
    assert seen == [{"b", "c"}, {"a", "c"}, {"a", "b"}]
    assert not np.isnan(z["clean"]).any()
    y = np.array([im.label for im in images])
    assert train_synthetic.auc(y, z["clean"]) > 0.8  # the planted signal is found out of origin


def test_weights_file_has_the_same_bytes_each_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    learned = tmp_path / "learned.py"
    learned.write_text('HEAD_SHA256 = ""\n', encoding="utf-8")
    monkeypatch.setattr(train_synthetic, "WEIGHTS", tmp_path / "w" / "clip_head.npz")
    monkeypatch.setattr(train_synthetic, "LEARNED", learned)
    cfg = train_synthetic.Config((11,), ("global",), 1.0)
    heads = {"global": (np.ones(768), 0.5)}
    first = train_synthetic.write(cfg, heads, 2.0, -1.0, {})
    again = train_synthetic.write(cfg, heads, 2.0, -1.0, {})
    assert first == again
    assert f'HEAD_SHA256 = "{first}"' in learned.read_text(encoding="utf-8")
    from detectors.synthetic.learned import ClipHead

    head = ClipHead(tmp_path / "w" / "clip_head.npz", sha256=first)
    x = np.zeros(768, np.float32)
    assert head.logits({"global": x}) == {"global": pytest.approx(2.0 * 0.5 - 1.0)}


def test_an_ensemble_folds_into_one_linear_head_equal_to_its_members_average() -> None:
    images = [
        synthetic_data.Image(Path(f"x/{o}{i}.png"), i % 2, o, "g", "gan" if i % 2 else "real", f"x/{o}{i}.png")
        for o in ("a", "b")
        for i in range(12)
    ]
    rng = np.random.default_rng(3)
    variants = {name: _fake_variant(images, rng) for name in (*train_synthetic.TRAIN, "clean")}
    members = (train_synthetic.Config((5, 11), ("global",), 0.5), train_synthetic.Config((11,), ("global",), 1.0))
    ensemble = train_synthetic.Ensemble(members)
    with pytest.raises(ValueError, match="loso"):
        train_synthetic.fit(ensemble, [variants["aug1"]], images)
    train_synthetic.loso(ensemble, images, variants)
    assert ensemble.layers == (5, 11) and ensemble.scales is not None
    train = [variants[v] for v in train_synthetic.TRAIN]
    folded = train_synthetic.logits(train_synthetic.fit(ensemble, train, images), ensemble, variants["clean"])
    parts = [
        train_synthetic.logits(train_synthetic.fit(m, train, images), m, variants["clean"]) for m in members
    ]
    expected = sum(s * p for s, p in zip(ensemble.scales, parts, strict=True))
    assert np.allclose(folded, expected, atol=1e-3)
