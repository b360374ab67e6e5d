"""synthetic.provenance: C2PA states, declarations, traces, trust list and hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detectors.synthetic.provenance import ProvenanceDetector, ProvenanceOptions, read_provenance
from pantau.errors import BadMedia, ConfigError, MediaTooLarge

from .conftest import DEMO, item_with


@pytest.mark.parametrize(
    ("name", "label", "declared_ai", "state"),
    [
        ("ai_c2pa_signed.jpg", "ai-declared", True, "valid-untrusted"),
        ("ai_c2pa_tampered.jpg", "tampered", True, "invalid"),
        ("ai_disclosed.jpg", "ai-declared", True, "none"),
        ("sd_parameters.png", "ai-metadata", False, "none"),
        ("photo_plain.jpg", "no-provenance", False, "none"),
    ],
)
def test_demo_media_provenance_is_reported(name: str, label: str, declared_ai: bool, state: str) -> None:
    report = read_provenance(DEMO / name)
    assert report.score_label()[1] == label
    assert report.declared_ai is declared_ai
    assert report.c2pa_state == state


def test_when_signer_chains_to_trust_anchor_then_state_is_trusted() -> None:
    options = ProvenanceOptions(trust_anchors_pem=str(DEMO / "demo_signing" / "demo-root-ca.pem"))
    assert read_provenance(DEMO / "ai_c2pa_signed.jpg", options).c2pa_state == "trusted"


def test_when_trust_list_file_is_missing_then_load_fails_loudly(tmp_path: Path) -> None:
    detector = ProvenanceDetector({"trust_anchors_pem": str(tmp_path / "none.pem")})
    with pytest.raises(ConfigError, match="trust_anchors"):
        detector.ensure_loaded()


def test_detector_signal_carries_declared_ai_state_and_generator() -> None:
    [[signal]] = ProvenanceDetector().detect([item_with(DEMO / "ai_c2pa_signed.jpg")])
    assert signal.detector == "synthetic.provenance"
    assert signal.score == 1.0
    assert signal.details["declared_ai"] is True
    assert signal.details["c2pa_state"] == "valid-untrusted"
    assert signal.details["generator"] == "Pantau demo text-to-image"
    assert signal.media_sha256 and len(signal.media_sha256) == 64


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00garbage" + b"\x00" * 64,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        b"<x:xmpmeta>" * 1000,
        b"<x:xmpmeta" * 300_000 + b"</x:xmpmeta>",
        b"\xff\xd8"
        + b"<x:xmpmeta DigitalSourceType='trainedAlgorithmicMedia'"
        + b"x" * 2_100_000
        + b"</x:xmpmeta>",
    ],
    ids=["broken-exif-jpeg", "truncated-png", "unterminated-xmp", "xmp-opener-flood", "oversized-xmp-packet"],
)
def test_broken_metadata_is_reported_without_crashing(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(content)
    report = read_provenance(path)
    assert report.declared_ai is False
    assert report.c2pa_state in ("none", "unreadable")


def test_oversized_file_is_refused_with_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(b"\xff\xd8" + b"\x00" * 2048)
    with pytest.raises(MediaTooLarge):
        read_provenance(path, max_bytes=1024)


def test_missing_file_is_bad_media(tmp_path: Path) -> None:
    with pytest.raises(BadMedia, match="not found"):
        read_provenance(tmp_path / "nope.jpg")


def test_c2pa_sdk_fixtures_match_their_labels(shared_data: Path) -> None:
    root = shared_data / "media" / "c2pa_fixtures"
    if not root.is_dir():
        pytest.skip(f"C2PA fixtures not found at {root}")
    expected = {
        "manifest_ai": "ai-declared",
        "manifest_no_ai_assertion": "c2pa-no-ai",
        "manifest_no_ai_assertion_INVALID": "tampered",
        "no_manifest": "no-provenance",
        "unreadable_or_remote": "unreadable-manifest",
    }
    rows = json.loads((root / "labels.json").read_text())
    got = {r["file"]: read_provenance(root / r["file"]).score_label()[1] for r in rows}
    wrong = {
        f: g
        for f, g in got.items()
        if g != expected[next(r["label"] for r in rows if r["file"] == f).split(":", 1)[0]]
    }
    assert wrong == {}
