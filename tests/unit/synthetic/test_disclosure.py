"""synthetic.disclosure: captions in the region's languages, platform labels and metadata declarations."""

from __future__ import annotations

import pytest

from detectors.synthetic.disclosure import DisclosureDetector, text_disclosures

from .conftest import DEMO, item_with


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("AI-generated image of the candidate", "en"),
        ("Poster made with AI for the rally", "en"),
        ("Vote for us! #AI #GE15", "en"),
        ("Video ini dijana AI", "ms"),
        ("Gambar ini dibuat dengan AI", "ms"),
        ("Konten AI untuk kampanye", "id"),
        ("Ang larawang ito ay gawa ng AI", "tl"),
        ("Ảnh này được tạo bởi AI", "vi"),
        ("ภาพนี้สร้างโดย AI", "th"),
        ("此图片由AI生成", "zh"),
    ],
)
def test_caption_disclosures_are_found(text: str, language: str) -> None:
    found = text_disclosures(text)
    assert found and found[0][0] == language


@pytest.mark.parametrize(
    "text",
    [
        "This photo is not AI-generated",
        "Gambar ini bukan dijana AI",
        "Thai food fair this Sunday",
        "Rally at the main square, 8pm",
        "We said it again",
    ],
)
def test_denials_and_ordinary_captions_are_not_disclosures(text: str) -> None:
    assert text_disclosures(text) == []


@pytest.mark.parametrize(
    ("kwargs", "score", "sources"),
    [
        ({"text": "Our new poster, dibuat dengan AI"}, 1.0, ["text"]),
        ({"labels": ["ai-generated"]}, 1.0, ["platform-label"]),
        ({"path": DEMO / "ai_disclosed.jpg"}, 1.0, ["metadata"]),
        ({"path": DEMO / "ai_c2pa_signed.jpg", "text": "AI-generated"}, 1.0, ["text", "metadata"]),
        ({"path": DEMO / "sd_parameters.png", "text": "A rally photo"}, 0.0, []),
        ({"text": "Rally tonight"}, 0.0, []),
    ],
)
def test_item_disclosure_score_and_sources(kwargs: dict, score: float, sources: list[str]) -> None:
    [[signal]] = DisclosureDetector().detect([item_with(**kwargs)])
    assert signal.detector == "synthetic.disclosure"
    assert (signal.score, signal.details["sources"]) == (score, sources)


def test_metadata_can_be_excluded_so_only_visible_disclosure_counts() -> None:
    detector = DisclosureDetector({"count_metadata": False})
    [[signal]] = detector.detect([item_with(DEMO / "ai_disclosed.jpg")])
    assert signal.label == "undisclosed"


def test_unreadable_media_does_not_stop_text_disclosure(tmp_path) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    [[signal]] = DisclosureDetector().detect([item_with(bad, text="made with AI")])
    assert signal.label == "disclosed"
