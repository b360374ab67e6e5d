"""Issue 20, images: pixels decoded once for every plug-in, work a gate says is not needed skipped, same results."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from detectors.media.decode import decoded_images, open_image
from detectors.synthetic.mediafiles import open_rgb_image
from pantau.errors import MediaTooLarge


def _photo(path: Path, size: tuple[int, int] = (64, 48), orientation: int | None = None) -> Path:
    rng = np.random.default_rng(3)
    image = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    if orientation is None:
        image.save(path, "JPEG", quality=90)
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(path, "JPEG", quality=90, exif=exif)
    return path


def test_a_file_is_decoded_once_for_every_plugin_when_shared(tmp_path: Path) -> None:
    path = _photo(tmp_path / "a.jpg")
    decoded_images.clear()
    first = open_image(path, 1_000_000, shared=True)
    assert open_image(path, 1_000_000, shared=True) is first
    assert open_rgb_image(path, 1_000_000, shared=True) is first  # the synthetic detectors' reader too
    alone = open_image(path, 1_000_000)  # dedupe off (the naive benchmark): decoded again
    assert alone is not first and np.array_equal(np.asarray(alone), np.asarray(first))
    assert np.array_equal(np.asarray(open_rgb_image(path, 1_000_000)), np.asarray(first))


def test_a_shared_image_still_obeys_each_callers_pixel_limit(tmp_path: Path) -> None:
    path = _photo(tmp_path / "b.jpg")
    decoded_images.clear()
    open_image(path, 1_000_000, shared=True)
    with pytest.raises(MediaTooLarge):
        open_image(path, 100, shared=True)
    with pytest.raises(MediaTooLarge):
        open_rgb_image(path, 100, shared=True)


def test_a_replaced_file_is_decoded_again_and_turned_images_are_marked(tmp_path: Path) -> None:
    path = _photo(tmp_path / "c.jpg")
    decoded_images.clear()
    first = open_image(path, 1_000_000, shared=True)
    _photo(path, size=(40, 30), orientation=6)  # replaced in place, EXIF says turn it
    second = open_image(path, 1_000_000, shared=True)
    assert second is not first and second.size == (30, 40)
    found = decoded_images.get(path)
    assert found is not None and found[1] is True


def test_the_cache_is_bounded_by_pixels(tmp_path: Path) -> None:
    from detectors.media.decode import DecodedImages

    cache = DecodedImages(max_pixels=64 * 48 * 2)
    paths = [_photo(tmp_path / f"{i}.jpg") for i in range(3)]
    for p in paths:
        cache.get_or_decode(p, lambda p=p: (Image.open(p).convert("RGB"), False))
    assert cache.get(paths[0]) is None and cache.get(paths[2]) is not None


def test_nudenet_postprocessing_in_numpy_matches_the_package() -> None:
    pytest.importorskip("nudenet")
    pytest.importorskip("cv2")
    from nudenet import nudenet as impl

    from detectors.gbv.intimate import nudenet_detections

    rng = np.random.default_rng(0)
    scale = np.array([400, 400, 300, 300] + [0.3] * 18, np.float32)[None, :, None]
    for _ in range(40):
        out = rng.random((1, 22, 2100), dtype=np.float32) * scale
        width, height = int(rng.integers(50, 900)), int(rng.integers(50, 900))
        side = max(width, height)
        expected = impl._postprocess([out], side - width, side - height, side / width, side / height,
                                     width, height, 320, 320)
        got = nudenet_detections(out, side - width, side - height, width, height, 320, getattr(impl, "__labels"))  # noqa: B009
        assert got == expected


class _Nsfw:
    def __init__(self, score: float) -> None:
        self.score = score

    def classify(self, image: Any) -> Any:
        return type("P", (), {"nsfw": self.score})()


class _Parts:
    def __init__(self) -> None:
        self.calls = 0

    def detect(self, image: Any) -> list[dict[str, Any]]:
        self.calls += 1
        return [{"class": "FEMALE_BREAST_EXPOSED", "score": 0.99, "box": [0, 0, 1, 1]}]


@pytest.mark.parametrize(("nsfw", "gate", "runs", "label_intimate"), [
    (0.1, True, 0, False),   # NudeNet could not lift 0.1 to 0.7: not run
    (0.1, False, 1, False),  # gate off: run, and the label is the same
    (0.45, True, 1, True),   # 0.45 and 0.99 average 0.72: NudeNet matters, so it runs
])
def test_nudenet_runs_only_where_it_could_change_the_label(
    tmp_path: Path, nsfw: float, gate: bool, runs: int, label_intimate: bool
) -> None:
    from detectors.gbv.intimate import GbvIntimateDetector
    from pantau.settings import Settings

    detector = GbvIntimateDetector({"nudenet_gate": gate})
    detector.settings = Settings(data_dir=tmp_path)
    detector.nsfw, detector.nudenet = _Nsfw(nsfw), _Parts()
    detector._loaded = True
    path = _photo(tmp_path / "p.jpg")
    result = detector.score_image(str(path))
    assert detector.nudenet.calls == runs
    assert (result["nudity"] >= 0.7) == label_intimate
    assert result["exposed"] is (None if runs == 0 else result["exposed"])


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_tesseract_in_process_reads_the_same_words_as_the_command_line(tmp_path: Path) -> None:
    from bench.media_samples import render_text_image
    from detectors.media.ocr import OcrEnricher
    from pantau.settings import Settings

    settings = Settings(data_dir=tmp_path)
    images = [render_text_image(t, "eng", size=s) for t, s in (("Polls open at 8am on Sunday", 40),
                                                                ("Undi pada hari Ahad", 22))]
    images.append(Image.new("L", (200, 60), 255))
    readings = {}
    for in_process in (True, False):
        ocr = OcrEnricher({"in_process": in_process})
        ocr.settings = settings
        ocr.ensure_loaded()
        assert (ocr._engine() is not None) == in_process
        readings[in_process] = ocr.read_many(images, "vie+ind")
    assert readings[True] == readings[False]
    assert readings[True][0][0] == "Polls open at 8am on Sunday"


def test_pdq_variants_are_computed_only_while_a_list_has_pdq_rows(tmp_path: Path) -> None:
    pytest.importorskip("pdqhash")
    from detectors.media.hashes import HashEnricher
    from pantau.settings import Settings

    enricher = HashEnricher()
    enricher.settings = Settings(data_dir=tmp_path)
    enricher.ensure_loaded()
    path = _photo(tmp_path / "h.jpg", size=(128, 96))
    value, quality, variants = enricher._hash_file(str(path), variants=False)
    assert variants == []
    full = enricher._hash_file(str(path))
    assert full[0] == value and full[1] == quality and len(full[2]) >= 1
