"""media.video: keyframes at scene changes, bounded in number; audio track; cached per content."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.media.probe import MediaProbeEnricher
from detectors.media.video import VideoEnricher

from .conftest import item_with, needs_ffmpeg

pytestmark = needs_ffmpeg

SCENES = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]


def _run(settings, path: Path, **options):
    enriched = item_with(path)
    for plugin in (MediaProbeEnricher(), VideoEnricher(options)):
        plugin.settings = settings
        plugin.ensure_loaded()
        plugin.enrich([enriched])
    return enriched, enriched.enrichment.media_meta[enriched.item.media[0].sha256]


@pytest.fixture
def video(tmp_path: Path) -> Path:
    from bench.media_samples import write_test_video

    return write_test_video(tmp_path / "scenes.mp4", SCENES)


def test_when_scenes_change_then_one_keyframe_per_scene(video: Path, media_settings) -> None:
    _, meta = _run(media_settings, video)
    times = [k["time"] for k in meta["keyframes"]]
    assert len(times) == len(SCENES)
    assert times == pytest.approx([0.0, 1.0, 2.0, 3.0], abs=0.51)
    assert all(Path(k["path"]).is_file() for k in meta["keyframes"])


def test_when_more_scenes_than_allowed_then_keyframes_capped(video: Path, media_settings) -> None:
    _, meta = _run(media_settings, video, max_keyframes=2)
    assert len(meta["keyframes"]) == 2
    assert meta["keyframes"][0]["time"] == 0.0


def test_when_video_has_sound_then_audio_track_extracted(video: Path, media_settings) -> None:
    import soundfile

    _, meta = _run(media_settings, video)
    info = soundfile.info(meta["audio_path"])
    assert (info.samplerate, info.channels) == (16000, 1)
    assert info.duration == pytest.approx(4.0, abs=0.2)


def test_when_same_video_seen_again_then_cached_result_reused(video: Path, media_settings) -> None:
    _, first = _run(media_settings, video)
    manifest = next(Path(first["keyframes"][0]["path"]).parent.glob("video-*.json"))
    stamp = manifest.stat().st_mtime_ns
    _, second = _run(media_settings, video)
    assert second["keyframes"] == first["keyframes"]
    assert manifest.stat().st_mtime_ns == stamp
