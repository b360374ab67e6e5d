"""Bounded decoding shared by the media enrichers: images, ffprobe, ffmpeg, derived files.

Every decoder here checks limits *before* it spends memory or time: image pixel counts come
from the header, durations from ``ffprobe`` (itself under a timeout), and ``ffmpeg`` runs
under a timeout with ``-t`` so that a file whose header lies still stops in bounded time.
Problems become :class:`~pantau.errors.BadMedia` or :class:`~pantau.errors.MediaTooLarge`
with a message that says what was wrong with which file.

Example Snippet::

    image = open_image(media.path, settings.media.max_pixels)   # PIL RGB image
    info = probe_av(media.path)                                  # duration, streams
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pantau.errors import BadMedia, DetectorUnavailable, MediaTooLarge
from pantau.schemas import EnrichedItem, MediaFile, Modality

if TYPE_CHECKING:
    from PIL import Image

    from pantau.settings import Settings

__all__ = [
    "AvInfo",
    "DecodedImages",
    "decoded_images",
    "derived_dir",
    "extract_audio",
    "image_size",
    "item_media",
    "keyframes_of",
    "open_image",
    "probe_av",
    "require_tool",
    "run_tool",
    "settings_of",
    "visual_sources",
]

FFPROBE_TIMEOUT_S = 20.0


def require_tool(name: str) -> str:
    """Return the path of a system program, or raise :class:`DetectorUnavailable` naming the fix."""
    path = shutil.which(name)
    if path is None:
        package = {"ffprobe": "ffmpeg", "tesseract": "tesseract-ocr"}.get(name, name)
        raise DetectorUnavailable(
            f"{name} not found: install the Debian package {package} "
            "(`make setup` installs infra/apt-packages.txt)"
        )
    return path


def run_tool(cmd: Sequence[str], timeout: float, what: str) -> bytes:
    """Run a program with a timeout; return its stdout or raise :class:`BadMedia` with its stderr."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument vector, no shell
            list(cmd), capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise BadMedia(f"{what}: gave up after {timeout:.0f} s") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BadMedia(f"{what}: {err[-1] if err else f'exit code {done.returncode}'}")
    return done.stdout


def image_size(path: str | Path) -> tuple[int, int, str | None]:
    """Return (width, height, format) from the image header, without decoding pixels."""
    from PIL import Image, UnidentifiedImageError

    name = Path(path).name
    try:
        with Image.open(path) as image:
            return int(image.size[0]), int(image.size[1]), image.format
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge(f"{name}: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise BadMedia(f"{name}: not an image Pillow can decode") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadMedia(f"{name}: unreadable image header ({exc})") from exc


class DecodedImages:
    """Decoded images shared by the media plug-ins of a batch: each file decoded once, not once per plug-in.

    ``media.probe``, ``media.ocr``, ``media.faces``, ``media.hashes``, ``synthetic.image`` and
    ``gbv.intimate`` each read the same pixels; with ``dedupe`` on they take them from here. Keyed
    by the file's path, size and modification time (a file replaced in place is decoded again);
    bounded by pixels (``max_pixels``: 32 million, about 96 MB of RGB), least recently used first.
    The images are shared: callers must not change them in place (Pillow's operations return new
    images). ``turned`` says whether the file's EXIF orientation turned the pixels.
    """

    def __init__(self, max_pixels: int = 32_000_000) -> None:
        self.max_pixels = max_pixels
        self._images: OrderedDict[tuple[str, int, int], tuple[Image.Image, bool]] = OrderedDict()
        self._pixels = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(path: str | Path) -> tuple[str, int, int] | None:
        """The cache key of a file (path, size, mtime), or ``None`` when it cannot be read."""
        try:
            st = Path(path).stat()
        except OSError:
            return None
        return str(path), st.st_size, st.st_mtime_ns

    def get(self, path: str | Path) -> tuple[Image.Image, bool] | None:
        """The decoded image of a file and whether it was turned upright, if it is here."""
        key = self.key(path)
        with self._lock:
            found = self._images.get(key) if key is not None else None
            if found is not None:
                self._images.move_to_end(key)  # type: ignore[arg-type]
            return found

    def get_or_decode(self, path: str | Path, decode: Callable[[], tuple[Image.Image, bool]]) -> Image.Image:
        """The shared decoded image of ``path``, decoding it with ``decode()`` when it is not here."""
        key = self.key(path)
        if key is not None:
            with self._lock:
                found = self._images.get(key)
                if found is not None:
                    self._images.move_to_end(key)
                    self.hits += 1
                    return found[0]
        image, turned = decode()
        self.misses += 1
        size = image.width * image.height
        if key is not None and size <= self.max_pixels:
            with self._lock:
                if key not in self._images:
                    self._images[key] = (image, turned)
                    self._pixels += size
                while self._pixels > self.max_pixels:
                    _, (old, _) = self._images.popitem(last=False)
                    self._pixels -= old.width * old.height
        return image

    def clear(self) -> None:
        """Forget every image."""
        with self._lock:
            self._images.clear()
            self._pixels = 0


decoded_images = DecodedImages()
"""The process's shared decoded images (:func:`open_image` with ``shared=True``)."""


def open_image(path: str | Path, max_pixels: int, shared: bool = False) -> Image.Image:
    """Decode an image to RGB after checking its header size against ``max_pixels``.

    A decompression bomb (a tiny file that declares 20,000 x 20,000 pixels) is refused from
    its header and costs nothing; a truncated or corrupt file raises :class:`BadMedia`.
    ``shared``: take the pixels from :data:`decoded_images` when another plug-in decoded the
    file already (the caller must not change the image in place); the plug-ins pass their
    ``dedupe`` setting, so the naive benchmark decodes once per plug-in, as before.
    """
    if shared:
        found = decoded_images.get(path)
        if found is None:
            return decoded_images.get_or_decode(path, lambda: _decode(path, max_pixels))
        if found[0].width * found[0].height <= max_pixels:
            decoded_images.hits += 1
            return found[0]
        # Decoded under a larger limit: this caller's limit refuses it, in its own words.
    return _decode(path, max_pixels)[0]


def _decode(path: str | Path, max_pixels: int) -> tuple[Image.Image, bool]:
    """Decode to upright RGB; return the image and whether its EXIF orientation turned it."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    name = Path(path).name
    try:
        image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge(f"{name}: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise BadMedia(f"{name}: not an image Pillow can decode") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadMedia(f"{name}: unreadable image header ({exc})") from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise BadMedia(f"{name}: image has no pixels")
    if width * height > max_pixels:
        raise MediaTooLarge(f"{name} is {width}x{height} pixels, over the limit of {max_pixels}")
    try:
        image.load()
        turned = image.getexif().get(0x0112, 1) in range(2, 9)  # EXIF Orientation other than 1
        image = ImageOps.exif_transpose(image) or image
        return image.convert("RGB"), turned
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise BadMedia(f"{name}: corrupt or truncated image data ({exc})") from exc


class AvInfo(dict[str, Any]):
    """What ``ffprobe`` says of an audio or video file: duration, codecs, size, frame rate."""

    @property
    def duration(self) -> float | None:
        """Duration in seconds, or ``None`` when the container does not say."""
        value = self.get("duration")
        return float(value) if value is not None else None


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def probe_av(path: str | Path, timeout: float = FFPROBE_TIMEOUT_S) -> AvInfo:
    """Read an audio or video file's header with ``ffprobe`` (no decoding of the streams)."""
    ffprobe = require_tool("ffprobe")
    name = Path(path).name
    raw = run_tool(
        [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        timeout,
        f"{name}: ffprobe",
    )
    try:
        data = json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        raise BadMedia(f"{name}: ffprobe gave unreadable output") from exc
    streams = data.get("streams") or []
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise BadMedia(f"{name}: no audio or video stream found")
    durations = [_float((data.get("format") or {}).get("duration"))]
    durations += [_float(s.get("duration")) for s in streams]
    known = [d for d in durations if d is not None and d > 0]
    info = AvInfo(
        duration=max(known) if known else None,
        format=(data.get("format") or {}).get("format_name"),
        has_video=video is not None,
        has_audio=audio is not None,
    )
    if video is not None:
        info["width"] = int(video.get("width") or 0)
        info["height"] = int(video.get("height") or 0)
        info["video_codec"] = video.get("codec_name")
        num, _, den = str(video.get("avg_frame_rate") or "0/1").partition("/")
        fps = _float(num)
        fps_den = _float(den) or 1.0
        info["fps"] = round(fps / fps_den, 3) if fps else None
    if audio is not None:
        info["audio_codec"] = audio.get("codec_name")
        info["sample_rate"] = int(audio.get("sample_rate") or 0)
    return info


def derived_dir(settings: Settings, sha256: str) -> Path:
    """Folder for files derived from one media file (keyframes, audio track); created on demand."""
    folder = settings.media_dir / "derived" / sha256[:2] / sha256
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def extract_audio(src: str | Path, dst: Path, max_duration_s: float, timeout: float) -> Path:
    """Decode the audio of ``src`` into 16 kHz mono WAV at ``dst``, at most ``max_duration_s`` seconds."""
    ffmpeg = require_tool("ffmpeg")
    tmp = dst.with_suffix(".part.wav")
    run_tool(
        [
            ffmpeg,
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(src),
            "-vn",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-t",
            f"{max_duration_s:.3f}",
            "-f",
            "wav",
            str(tmp),
        ],
        timeout,
        f"{Path(src).name}: audio extraction",
    )
    tmp.replace(dst)
    return dst


def item_media(enriched: EnrichedItem, modalities: set[Modality]) -> Iterator[MediaFile]:
    """Yield the item's local media files of the given modalities (probed, with a sha256)."""
    for media in enriched.item.media:
        if media.path and media.sha256 and media.modality in modalities:
            yield media


def keyframes_of(enriched: EnrichedItem, sha256: str) -> list[dict[str, Any]]:
    """Return the keyframes ``media.video`` recorded for a video: ``[{"time": s, "path": p}, ...]``."""
    return list((enriched.enrichment.media_meta.get(sha256) or {}).get("keyframes") or [])


def visual_sources(enriched: EnrichedItem) -> Iterator[tuple[str, str, float | None]]:
    """Yield (media sha256, image path, frame time) for every image and every video keyframe."""
    for media in item_media(enriched, {Modality.IMAGE, Modality.VIDEO}):
        assert media.sha256 is not None and media.path is not None  # noqa: S101 - filtered above
        if media.modality is Modality.IMAGE:
            yield media.sha256, media.path, None
        else:
            for frame in keyframes_of(enriched, media.sha256):
                yield media.sha256, str(frame["path"]), float(frame["time"])


def settings_of(plugin: Any) -> Settings:
    """Return the settings the registry gave a plug-in, or the defaults when used on its own."""
    if getattr(plugin, "settings", None) is not None:
        return plugin.settings  # type: ignore[no-any-return]
    from pantau.settings import Settings

    return Settings()
