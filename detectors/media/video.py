"""``media.video``: keyframes at scene changes (OpenCV), the audio track (ffmpeg), the duration.

Frames are sampled at most every ``sample_every_s`` seconds (fewer for long videos, so at most
``max_samples`` are compared); a sampled frame is a scene change when its colour histogram
differs from the last kept frame by at least ``scene_threshold`` (Bhattacharyya distance). The
first frame is always kept; of the rest, the ``max_keyframes - 1`` largest changes are kept,
so memory holds at most ``max_keyframes`` frames whatever the video's length. Keyframes are
saved as JPEG beside the media (``media/derived/ab/<sha256>/``) and listed in
``enrichment.media_meta[sha256]["keyframes"]`` as ``{"time", "path", "change"}``; OCR, faces
and hashes read them from there. The audio track becomes 16 kHz mono WAV
(``media_meta[sha256]["audio_path"]``), which ``media.audio`` transcribes.

Results are cached per content hash in the derived folder: a video shared a thousand times is
decoded once.
"""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Enricher
from detectors.media.decode import derived_dir, extract_audio, item_media, require_tool, settings_of
from pantau.errors import BadMedia, DetectorUnavailable
from pantau.schemas import EnrichedItem, Modality

__all__ = ["VideoEnricher", "extract_keyframes"]


class VideoOptions(BaseModel):
    """Options of ``media.video``."""

    model_config = ConfigDict(extra="forbid")

    max_keyframes: int = Field(8, ge=1, le=64, description="Most keyframes kept per video.")
    sample_every_s: float = Field(0.5, gt=0, description="Shortest interval between sampled frames.")
    max_samples: int = Field(600, ge=1, description="Most frames compared per video.")
    scene_threshold: float = Field(0.3, ge=0, le=1, description="Histogram distance that counts as a new scene.")
    keyframe_long_side: int = Field(1280, ge=64, description="Keyframes are downscaled to this long side.")
    decode_timeout_s: float = Field(120.0, gt=0, description="Stop scanning a video after this long.")
    extract_audio: bool = True


def _histogram(frame: Any) -> Any:
    import cv2

    small = cv2.resize(frame, (96, 54), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256])
    return cv2.normalize(hist, hist).flatten()


def _downscale(frame: Any, long_side: int) -> Any:
    import cv2

    h, w = frame.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1:
        return frame
    return cv2.resize(frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def extract_keyframes(
    path: str | Path, out_dir: Path, options: VideoOptions, duration_s: float | None, max_duration_s: float
) -> tuple[list[dict[str, Any]], bool]:
    """Save the keyframes of one video into ``out_dir``; return them (by time) and whether scanning was cut short."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise BadMedia(f"{Path(path).name}: OpenCV cannot open the video")
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
        fps = fps if 0 < fps < 1000 else 25.0
        span = min(duration_s or max_duration_s, max_duration_s)
        step = max(1, round(fps * max(options.sample_every_s, span / options.max_samples)))
        last_frame = int(max_duration_s * fps) + 1
        deadline = time.monotonic() + options.decode_timeout_s
        first: tuple[float, float, Any] | None = None
        heap: list[tuple[float, float, int, Any]] = []  # (change, time, tie-breaker, frame): a min-heap
        last_hist = None
        index = 0
        truncated = False
        while index <= last_frame:
            if time.monotonic() > deadline:
                truncated = True
                break
            if not cap.grab():
                break
            if index % step == 0:
                ok, frame = cap.retrieve()
                if ok and frame is not None:
                    hist = _histogram(frame)
                    at = index / fps
                    if last_hist is None:
                        first = (1.0, at, _downscale(frame, options.keyframe_long_side))
                        last_hist = hist
                    else:
                        change = float(cv2.compareHist(last_hist, hist, cv2.HISTCMP_BHATTACHARYYA))
                        if change >= options.scene_threshold:
                            last_hist = hist
                            entry = (change, at, index, _downscale(frame, options.keyframe_long_side))
                            if len(heap) < options.max_keyframes - 1:
                                heapq.heappush(heap, entry)
                            elif heap and change > heap[0][0]:
                                heapq.heapreplace(heap, entry)
            index += 1
    finally:
        cap.release()
    if first is None:
        raise BadMedia(f"{Path(path).name}: no decodable video frame")
    chosen = [first] + [(c, t, f) for c, t, _, f in heap]
    frames: list[dict[str, Any]] = []
    for change, at, frame in sorted(chosen, key=lambda e: e[1]):
        target = out_dir / f"keyframe-{at:09.3f}.jpg"
        if not cv2.imwrite(str(target), frame, [cv2.IMWRITE_JPEG_QUALITY, 90]):
            raise BadMedia(f"cannot write keyframe {target}")
        frames.append({"time": round(at, 3), "path": str(target), "change": round(change, 3)})
    return frames, truncated


class VideoEnricher(Enricher):
    """Extracts keyframes and the audio track of every video of an item."""

    name = "media.video"
    version = "1.0.0"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.VIDEO})
    needs = ("media.probe",)
    Options = VideoOptions

    def load(self) -> None:
        """Check that OpenCV and ffmpeg are present."""
        try:
            import cv2  # noqa: F401
        except ImportError as exc:
            raise DetectorUnavailable("OpenCV missing: pip install 'opencv-python-headless<5'") from exc
        require_tool("ffmpeg")

    def _process(self, path: str, sha256: str, meta: dict[str, Any]) -> dict[str, Any]:
        settings = settings_of(self)
        options: VideoOptions = self.options  # type: ignore[assignment]
        folder = derived_dir(settings, sha256)
        manifest = folder / f"video-{self.version}.json"
        if manifest.is_file():
            cached = json.loads(manifest.read_text(encoding="utf-8"))
            if cached.get("options") == options.model_dump() and all(
                Path(k["path"]).is_file() for k in cached["keyframes"]
            ):
                return dict(cached["result"])
        duration = meta.get("duration")
        frames, truncated = extract_keyframes(
            path, folder, options, float(duration) if duration else None, settings.media.max_duration_s
        )
        result: dict[str, Any] = {"keyframes": frames, "keyframes_truncated": truncated}
        if options.extract_audio and meta.get("has_audio", True):
            audio = extract_audio(
                path, folder / "audio.wav", settings.media.max_duration_s, timeout=options.decode_timeout_s
            )
            result["audio_path"] = str(audio)
        manifest.write_text(
            json.dumps({"options": options.model_dump(), "keyframes": frames, "result": result}), encoding="utf-8"
        )
        return result

    def enrich(self, batch: Sequence[EnrichedItem]) -> None:
        """Add keyframes and audio track paths to ``enrichment.media_meta`` of each video."""
        for enriched in batch:
            for media in item_media(enriched, {Modality.VIDEO}):
                sha = str(media.sha256)
                meta = enriched.enrichment.media_meta.setdefault(sha, dict(media.meta))
                meta.update(self._process(str(media.path), sha, {**media.meta, **meta}))
            enriched.enrichment.done.append(self.name)
