"""media.hashes and media.known_match: PDQ robust to re-encoding, known-media lists, the signal."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from detectors.media.hashes import HashEnricher, KnownMediaIndex, hamming, pdq_hex
from detectors.media.known_match import KnownMediaDetector
from detectors.media.probe import MediaProbeEnricher
from pantau.errors import ConfigError

from .conftest import item_with, run_plugins, textured_picture


def _jpeg(image: Image.Image, quality: int = 60) -> Image.Image:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def _hex(image: Image.Image) -> str:
    return pdq_hex(np.asarray(image.convert("RGB")))[0]


@pytest.mark.parametrize(
    "edit",
    [
        lambda im: im.resize((180, 180)),
        lambda im: _jpeg(im, 50),
        lambda im: im.filter(ImageFilter.GaussianBlur(1)),
        lambda im: Image.eval(im, lambda v: min(255, int(v * 1.1))),
    ],
    ids=["resized", "jpeg-q50", "blurred", "brighter"],
)
def test_when_picture_is_reencoded_then_pdq_stays_close(edit) -> None:
    original = textured_picture(1)
    assert hamming(_hex(original), _hex(edit(original))) <= 31


def test_when_pictures_differ_then_pdq_far_apart() -> None:
    assert hamming(_hex(textured_picture(1)), _hex(textured_picture(2))) > 64


def _write_list(path: Path, rows: list[dict[str, str]]) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        lines = ["kind,hash,list,label"] + [
            f'{r["kind"]},{r["hash"]},{r["list"]},"{r["label"]}"' for r in rows
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_when_reposted_picture_is_on_a_list_then_matched_and_signalled(
    tmp_path: Path, media_settings, suffix: str
) -> None:
    known = textured_picture(7)
    listed = _write_list(
        tmp_path / f"known{suffix}",
        [
            {"kind": "pdq", "hash": _hex(known), "list": "known-fakes", "label": "doctored rally photo"},
            {"kind": "pdq", "hash": _hex(textured_picture(8)), "list": "ncii", "label": "reported"},
        ],
    )
    repost = tmp_path / "repost.jpg"
    _jpeg(known.resize((200, 200)), 70).save(repost)
    enriched = item_with(repost)
    run_plugins(enriched, media_settings, MediaProbeEnricher(), HashEnricher({"lists": [str(listed)]}))
    sha = enriched.item.media[0].sha256
    assert len(enriched.enrichment.hashes[sha]) == 64
    matches = enriched.enrichment.media_meta[sha]["known_matches"]
    assert [m["list"] for m in matches] == ["known-fakes"]
    [signal] = KnownMediaDetector().detect([enriched])[0]
    assert signal.detector == "media.known_match" and signal.label == "known-fakes"
    assert 0.8 <= signal.score <= 1.0 and signal.media_sha256 == sha


def test_when_exact_file_is_listed_then_matched_by_sha256(tmp_path: Path, media_settings) -> None:
    path = tmp_path / "a.png"
    textured_picture(3).save(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    listed = _write_list(tmp_path / "l.csv", [{"kind": "sha256", "hash": sha, "list": "ncii", "label": "x"}])
    enriched = item_with(path)
    run_plugins(enriched, media_settings, MediaProbeEnricher(), HashEnricher({"lists": [str(listed)]}))
    [signal] = KnownMediaDetector().detect([enriched])[0]
    assert (signal.label, signal.score) == ("ncii", 1.0)


def test_when_nothing_matches_then_no_match_signal(tmp_path: Path, media_settings) -> None:
    path = tmp_path / "a.png"
    textured_picture(4).save(path)
    enriched = item_with(path)
    run_plugins(enriched, media_settings, MediaProbeEnricher(), HashEnricher())
    [signal] = KnownMediaDetector().detect([enriched])[0]
    assert (signal.label, signal.score) == ("no-match", 0.0)


@pytest.mark.parametrize(
    "content",
    ["kind,hash,list,label\npdq,abc,x,y\n", "kind,hash,list,label\nmd5,00,x,y\n", '{"kind": "pdq"}\n'],
)
def test_when_list_file_is_invalid_then_config_error_names_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / ("bad.jsonl" if content.startswith("{") else "bad.csv")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="bad"):
        KnownMediaIndex.from_files([path])


def test_when_index_searched_then_nearest_first() -> None:
    base = "0" * 64
    near = "1" + "0" * 63  # 1 bit away
    far = "f" * 8 + "0" * 56  # 32 bits away
    index = KnownMediaIndex(
        [
            {"kind": "pdq", "hash": far, "list": "a", "label": ""},
            {"kind": "pdq", "hash": near, "list": "b", "label": ""},
        ]
    )
    assert [(m["list"], m["distance"]) for m in index.match_pdq(base, 31)] == [("b", 1)]
    assert [m["list"] for m in index.match_pdq(base, 32)] == ["b", "a"]


def test_when_video_reencoded_then_keyframe_hashes_match_listed_keyframe(
    tmp_path: Path, media_settings
) -> None:
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    from detectors.media.video import VideoEnricher

    frames = tmp_path / "frames"
    frames.mkdir()
    for k in range(3):
        textured_picture(20 + k, 320).resize((320, 240)).save(frames / f"f{k}.png")
    original = tmp_path / "original.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-framerate",
            "1",
            "-i",
            str(frames / "f%d.png"),
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-r",
            "10",
            str(original),
        ],
        check=True,
        timeout=60,
    )
    reencoded = tmp_path / "repost.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(original),
            "-vf",
            "scale=240:180",
            "-crf",
            "35",
            str(reencoded),
        ],
        check=True,
        timeout=60,
    )

    def hashes_of(path: Path, lists: list[str]):
        enriched = item_with(path)
        for plugin in (MediaProbeEnricher(), VideoEnricher(), HashEnricher({"lists": lists})):
            plugin.settings = media_settings
            plugin.ensure_loaded()
            plugin.enrich([enriched])
        return enriched

    first = hashes_of(original, [])
    video_hash = first.enrichment.hashes[first.item.media[0].sha256].split()
    assert len(video_hash) == 3
    listed = _write_list(
        tmp_path / "fakes.csv", [{"kind": "pdq", "hash": video_hash[1], "list": "known-fakes", "label": "v"}]
    )
    repost = hashes_of(reencoded, [str(listed)])
    [signal] = KnownMediaDetector().detect([repost])[0]
    assert signal.label == "known-fakes"
    assert signal.details["matches"][0]["frame_time"] == pytest.approx(1.0, abs=0.2)


@pytest.mark.parametrize(
    "edit",
    [
        lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        lambda im: ImageOps_expand(im),
    ],
    ids=["mirrored", "screenshot-border"],
)
def test_when_repost_mirrored_or_framed_then_still_matched(tmp_path: Path, media_settings, edit) -> None:
    known = textured_picture(11)
    listed = _write_list(
        tmp_path / "l.csv", [{"kind": "pdq", "hash": _hex(known), "list": "known-fakes", "label": "x"}]
    )
    path = tmp_path / "repost.png"
    edit(known).save(path)
    enriched = item_with(path)
    run_plugins(enriched, media_settings, MediaProbeEnricher(), HashEnricher({"lists": [str(listed)]}))
    [signal] = KnownMediaDetector().detect([enriched])[0]
    assert signal.label == "known-fakes"
    plain = HashEnricher({"lists": [str(listed)], "match_mirrors": False, "trim_borders": False})
    plain.settings = media_settings
    plain.ensure_loaded()
    again = item_with(path)
    for plugin in (MediaProbeEnricher(), plain):
        plugin.settings = media_settings
        plugin.enrich([again])
    assert "known_matches" not in again.enrichment.media_meta[again.item.media[0].sha256]


def ImageOps_expand(im: Image.Image) -> Image.Image:  # noqa: N802 - reads as the PIL call it wraps
    from PIL import ImageOps

    return ImageOps.expand(im, border=(0, 40, 0, 60), fill=(255, 255, 255))
