"""media.probe: hostile and broken media give a named reason, quickly; good media get described."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from detectors.media.probe import MediaProbeEnricher
from pantau.errors import BadMedia, MediaTooLarge
from pantau.schemas import Modality

from .conftest import item_with, make_settings, needs_ffmpeg, png_bomb, png_bytes


def _probe(settings, *paths: Path):
    enricher = MediaProbeEnricher()
    enricher.settings = settings
    enricher.ensure_loaded()
    enriched = item_with(*paths)
    enricher.enrich([enriched])
    return enriched


def _jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


def test_when_image_has_wrong_extension_then_sniffed_and_described(tmp_path: Path, media_settings) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(png_bytes((64, 48)))
    enriched = _probe(media_settings, path)
    media = enriched.item.media[0]
    assert (media.modality, media.mime, media.meta["width"], media.meta["height"]) == (
        Modality.IMAGE,
        "image/png",
        64,
        48,
    )
    assert enriched.enrichment.media_meta[media.sha256]["width"] == 64
    assert enriched.enrichment.done == ["media.probe"]


@pytest.mark.parametrize(
    "name, make, error, message",
    [
        ("bomb.png", lambda: png_bomb(20_000, 20_000), MediaTooLarge, "20000x20000|400000000 pixels"),
        ("big.png", lambda: png_bomb(8_000, 8_000), MediaTooLarge, "8000x8000"),
        ("truncated.jpg", lambda: _jpeg()[:3000], BadMedia, "truncated|corrupt"),
        (
            "garbage.png",
            lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
            BadMedia,
            "unreadable|not an image|corrupt",
        ),
        ("empty.jpg", lambda: b"", BadMedia, "empty"),
        (
            "notes.jpg",
            lambda: b"hello, this is text pretending to be a picture\n" * 20,
            BadMedia,
            "unsupported",
        ),
    ],
)
def test_when_image_is_hostile_or_broken_then_named_error_fast(
    tmp_path: Path, media_settings, name: str, make, error: type, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(make())
    start = time.monotonic()
    with pytest.raises(error, match=message):
        _probe(media_settings, path)
    assert time.monotonic() - start < 5.0


def test_when_media_has_neither_path_nor_url_then_bad_media(media_settings) -> None:
    from pantau.schemas import EnrichedItem, MediaFile, MediaItem

    enricher = MediaProbeEnricher()
    enricher.settings = media_settings
    enriched = EnrichedItem(item=MediaItem(id="i", source="s", native_id="1", media=[MediaFile()]))
    with pytest.raises(BadMedia, match="neither path nor url"):
        enricher.enrich([enriched])


@needs_ffmpeg
def test_when_video_lasts_ten_hours_then_too_large_from_header(tmp_path: Path, media_settings) -> None:
    path = tmp_path / "ten-hours.mp4"
    # Ten one-hour frames: a 2 kB file that really is a 10-hour video.
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=black:s=16x16:r=1/3600",
            "-t",
            "36000",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
        timeout=60,
    )
    start = time.monotonic()
    with pytest.raises(MediaTooLarge, match="ten-hours.mp4 lasts 36000 s"):
        _probe(media_settings, path)
    assert time.monotonic() - start < 10.0


@needs_ffmpeg
def test_when_video_is_corrupt_then_bad_media(tmp_path: Path, media_settings) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 8)
    with pytest.raises(BadMedia):
        _probe(media_settings, path)


@needs_ffmpeg
def test_when_video_frames_exceed_pixel_limit_then_too_large(tmp_path: Path) -> None:
    from bench.media_samples import write_test_video

    path = write_test_video(tmp_path / "v.mp4", [(10, 10, 10)], size=(320, 240), tone=False)
    with pytest.raises(MediaTooLarge, match="320x240"):
        _probe(make_settings(tmp_path, max_pixels=50_000), path)


@needs_ffmpeg
def test_when_audio_and_video_probed_then_duration_and_streams_recorded(
    tmp_path: Path, media_settings
) -> None:
    from bench.media_samples import write_test_video, write_tone_wav

    video = write_test_video(tmp_path / "v.mp4", [(255, 0, 0), (0, 0, 255)])
    audio = write_tone_wav(tmp_path / "t.wav", seconds=1.5)
    enriched = _probe(media_settings, video, audio)
    v, a = enriched.item.media
    assert v.modality is Modality.VIDEO and v.meta["has_audio"] and v.meta["width"] == 160
    assert v.meta["duration"] == pytest.approx(2.0, abs=0.2)
    assert a.modality is Modality.AUDIO and a.meta["duration"] == pytest.approx(1.5, abs=0.05)
