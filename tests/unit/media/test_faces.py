"""media.faces: faces found, matched to the registry's reference photos, strangers left unnamed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageOps

from detectors.media.faces import FaceEnricher
from detectors.media.probe import MediaProbeEnricher
from pantau.settings import Settings

from .conftest import item_with

PHOTOS = "media/sd_invisible_watermark/files"
ALICE = "neg_photo_6458524847_2f4c361183_k.png"  # one person on a bench (real photo, shared data)
BOB = "neg_photo_photo-1583445095369-9c651e7e5d34.png"  # another person


def _run(settings: Settings, *paths: Path, enricher: FaceEnricher | None = None):
    enricher = enricher or FaceEnricher()
    enriched = item_with(*paths)
    probe = MediaProbeEnricher()
    probe.settings = enricher.settings = settings
    enricher.ensure_loaded()
    probe.enrich([enriched])
    enricher.enrich([enriched])
    return enriched


def test_when_image_has_no_face_then_no_faces(tmp_path: Path, media_settings) -> None:
    path = tmp_path / "sky.png"
    Image.new("RGB", (320, 240), (120, 170, 230)).save(path)
    enriched = _run(media_settings, path)
    assert enriched.enrichment.faces == [] and "media.faces" in enriched.enrichment.done


@pytest.fixture
def registry_settings(tmp_path: Path, shared_data: Path) -> Settings:
    """A registry with one candidate whose reference photo is ALICE."""
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        "people:\n"
        "  - id: alice\n"
        "    name: Alice Candidate\n"
        f"    photos: [{shared_data / PHOTOS / ALICE}]\n"
        "  - id: nophoto\n"
        "    name: No Photo\n",
        encoding="utf-8",
    )
    return Settings.load(overrides={"data_dir": tmp_path / "data", "registry_file": registry})


def test_when_candidate_is_reposted_edited_then_named(
    tmp_path: Path, registry_settings: Settings, shared_data: Path
) -> None:
    repost = tmp_path / "repost.jpg"
    photo = Image.open(shared_data / PHOTOS / ALICE).convert("RGB")
    canvas = Image.new("RGB", (900, 600), (30, 30, 30))
    canvas.paste(ImageOps.mirror(photo).resize((400, 400)), (420, 120))
    canvas.save(repost, quality=70)
    enriched = _run(registry_settings, repost)
    [face] = enriched.enrichment.faces
    assert (face.person_id, face.person_name) == ("alice", "Alice Candidate")
    assert face.match_score > 0.6 and face.score > 0.8
    assert 420 < face.box[0] < 820
    [marks] = enriched.enrichment.media_meta[face.media_sha256]["face_landmarks"]
    x, y, w, h = face.box
    assert len(marks["points"]) == 5 and all(
        x <= px <= x + w and y <= py <= y + h for px, py in marks["points"]
    )


def test_when_stranger_depicted_then_face_unnamed(registry_settings: Settings, shared_data: Path) -> None:
    [face] = _run(registry_settings, shared_data / PHOTOS / BOB).enrichment.faces
    assert face.person_id is None and face.match_score < 0.363


def test_when_threshold_raised_above_similarity_then_no_match(
    tmp_path: Path, registry_settings: Settings, shared_data: Path
) -> None:
    mirrored = tmp_path / "mirrored.png"
    ImageOps.mirror(Image.open(shared_data / PHOTOS / ALICE).convert("RGB")).save(mirrored)
    strict = FaceEnricher({"match_threshold": 0.99})
    [face] = _run(registry_settings, mirrored, enricher=strict).enrichment.faces
    assert face.person_id is None and 0.6 < face.match_score < 0.99
