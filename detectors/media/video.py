"""``media.video``: keyframes at scene changes (OpenCV), the audio track (ffmpeg), the duration.

Frames are sampled at most every ``sample_every_s`` seconds (fewer for long videos, so at most
``max_samples`` are compared); a sampled frame is a scene change when it differs from the last
kept frame by at least ``scene_threshold``: colour histogram distance (Bhattacharyya) or
layout difference (grey thumbnails), whichever is larger. The
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
    scene_threshold: float = Field(
        0.3, ge=0, le=1, description="Frame difference (0-1) that counts as a new scene."
    )
    keyframe_long_side: int = Field(1280, ge=64, description="Keyframes are downscaled to this long side.")
    decode_timeout_s: float = Field(120.0, gt=0, description="Stop scanning a video after this long.")
    extract_audio: bool = True


def _signature(frame: Any) -> tuple[Any, Any]:
    """A frame's colour histogram and a tiny greyscale thumbnail, compared to find scene changes."""
    import cv2

    small = cv2.resize(frame, (96, 54), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256])
    thumb = cv2.resize(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (32, 18), interpolation=cv2.INTER_AREA)
    return cv2.normalize(hist, hist).flatten(), thumb.astype("float32")


def _change(a: tuple[Any, Any], b: tuple[Any, Any]) -> float:
    """How different two frames are, 0 to 1: colour histogram or layout difference, whichever is larger.

    Histograms alone miss a cut between two shots of the same palette; the thumbnail
    difference (mean absolute grey difference, scaled so that ~40/255 counts as 0.4) catches it.
    """
    import cv2

    hist = float(cv2.compareHist(a[0], b[0], cv2.HISTCMP_BHATTACHARYYA))
    layout = float(abs(a[1] - b[1]).mean()) / 100.0
    return min(1.0, max(hist, layout))


def _downscale(frame: Any, long_side: int) -> Any:
    import cv2

    h, w = frame.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1:
        return frame
    return cv2.resize(
        frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )


def extract_keyframes(
    path: str | Path, out_dir: Path, options: VideoOptions, duration_s: float | None, max_duration_s: float
) -> tuple[list[dict[str, Any]], bool]:
    """Save the keyframes of a video into ``out_dir``; return them (by time) and whether scanning was cut."""
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
        last_sig: tuple[Any, Any] | None = None
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
                    sig = _signature(frame)
                    at = index / fps
                    if last_sig is None:
                        first = (1.0, at, _downscale(frame, options.keyframe_long_side))
                        last_sig = sig
                    else:
                        change = _change(last_sig, sig)
                        if change >= options.scene_threshold:
                            last_sig = sig
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
    version = "1.1.0"
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
            json.dumps({"options": options.model_dump(), "keyframes": frames, "result": result}),
            encoding="utf-8",
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
