"""Safe access to an item's local media files, shared by the synthetic-media detectors.

The pipeline's media stage (``streams.stages.localise_media``, or the ``media.probe``
enricher) normally fills ``MediaFile.sha256``, ``mime`` and ``modality``. These helpers also
work on a ``MediaFile`` that carries only ``path``: they sniff and hash what is missing,
and enforce the size and pixel limits of :class:`~pantau.settings.MediaSettings` before any
decoder sees the bytes.

Example Snippet::

    for media in media_files(enriched, {Modality.IMAGE}):
        image = open_rgb_image(media.path, max_pixels=40_000_000)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pantau.content import checked_media_file
from pantau.errors import BadMedia, MediaTooLarge
from pantau.schemas import EnrichedItem, MediaFile, Modality, Signal

if TYPE_CHECKING:
    from PIL import Image

    from detectors.base import Detector
    from pantau.settings import Settings

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "file_sha256",
    "judge_media_files",
    "limits",
    "media_files",
    "modality_of",
    "open_rgb_image",
    "read_limited",
    "rgb_array",
    "signals_per_file",
    "sniff_mime",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000

_EXT_MODALITY = {
    **dict.fromkeys(
        ("jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "avif", "heic", "heif"), Modality.IMAGE
    ),
    **dict.fromkeys(("mp4", "mov", "webm", "mkv", "avi", "m4v"), Modality.VIDEO),
    **dict.fromkeys(("wav", "mp3", "ogg", "flac", "m4a", "aac", "opus"), Modality.AUDIO),
}


def limits(settings: Settings | None) -> tuple[int, int]:
    """Return (max bytes, max pixels) from settings, or the defaults when there are none."""
    if settings is None:
        return DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
    return settings.media.max_bytes, settings.media.max_pixels


def read_limited(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a local file, refusing missing, empty or oversized files with :class:`BadMedia`."""
    return checked_media_file(path, max_bytes)[0].read_bytes()


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sniff_mime(head: bytes) -> str | None:
    """Return the MIME type sniffed from the first bytes of a file, or None."""
    import filetype

    kind = filetype.guess(head[:8192])
    if kind is not None:
        return str(kind.mime)
    if head[4:8] == b"ftyp":  # ISO BMFF brands filetype does not know (DASH init segments, iso6)
        return "video/mp4"
    text = head[:512].lstrip().lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in head[:4096].lower()):
        return "image/svg+xml"
    return None


def modality_of(media: MediaFile) -> Modality | None:
    """Return the media's modality: declared, else from its MIME type, else from its file extension."""
    if media.modality is not None:
        return media.modality
    mime = media.mime
    if mime is None and media.path and Path(media.path).is_file():
        with Path(media.path).open("rb") as fh:
            mime = sniff_mime(fh.read(8192))
    if mime:
        major = mime.split("/", 1)[0]
        if major in ("image", "video", "audio"):
            return Modality(major)
    if media.path:
        return _EXT_MODALITY.get(Path(media.path).suffix.lower().lstrip("."))
    return None


def media_files(enriched: EnrichedItem, modalities: Iterable[Modality]) -> list[MediaFile]:
    """Return the item's media files that have a local path and one of ``modalities``.

    Missing ``sha256`` is computed so that signals can always name the file they judge.
    """
    wanted = set(modalities)
    found: list[MediaFile] = []
    for media in enriched.item.media:
        if not media.path:
            continue
        modality = modality_of(media)
        if modality not in wanted:
            continue
        update: dict[str, object] = {"modality": modality}
        if media.sha256 is None and Path(media.path).is_file():
            update["sha256"] = file_sha256(media.path)
        found.append(media.model_copy(update=update))
    return found


Verdict = tuple[float, str, str, dict[str, Any]]
"""What a detector says of one file: score, label, evidence and details."""


def signals_per_file(
    detector: Detector, batch: Sequence[EnrichedItem], verdict: Callable[[MediaFile], Verdict]
) -> list[list[Signal]]:
    """``detector.detect``: one signal per media file of the detector's modalities, from ``verdict(media)``.

    The detector is loaded first; ``verdict`` raises :class:`~pantau.errors.BadMedia` on a file it
    cannot read, as the stages expect.
    """
    detector.ensure_loaded()
    results: list[list[Signal]] = []
    for enriched in batch:
        signals = []
        for media in media_files(enriched, detector.modalities):
            score, label, evidence, details = verdict(media)
            signals.append(detector.signal(enriched, score, label, evidence, details, media.sha256))
        results.append(signals)
    return results


def judge_media_files(detector: Detector, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
    """``detector.detect`` of a detector that judges one file at a time (``judge_file``), as the fused
    and lip-sync ones do: ``judge_file(path)`` returns ``score``, ``label``, ``evidence`` and
    ``details``; a missing, empty or oversized file raises :class:`~pantau.errors.BadMedia` from it.
    """
    judge_file = detector.judge_file  # type: ignore[attr-defined]

    def verdict(media: MediaFile) -> Verdict:
        v = judge_file(str(media.path))
        return v["score"], v["label"], v["evidence"], v["details"]

    return signals_per_file(detector, batch, verdict)


def open_rgb_image(
    path: str | Path,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    shared: bool = False,
) -> Image.Image:
    """Decode an image into RGB, refusing oversized, corrupt or unsupported files with a named error.

    The pixel count is checked from the header before anything is decoded, so a
    decompression bomb costs nothing. ``shared``: take the pixels the media enrichers decoded
    already (:data:`detectors.media.decode.decoded_images`; the same Pillow decode, turned
    upright the same way), and leave them there for the next reader; the image must not be
    changed in place.
    """
    if not shared:
        return _decode_rgb(path, max_pixels, max_bytes)[0]
    from detectors.media.decode import decoded_images

    checked_media_file(path, max_bytes)
    found = decoded_images.get(path)
    if found is not None and found[0].width * found[0].height <= max_pixels:
        decoded_images.hits += 1
        return found[0]
    if found is not None:
        return _decode_rgb(path, max_pixels, max_bytes)[0]  # over this caller's limit: refused in words
    return decoded_images.get_or_decode(path, lambda: _decode_rgb(path, max_pixels, max_bytes))


def _decode_rgb(path: str | Path, max_pixels: int, max_bytes: int) -> tuple[Image.Image, bool]:
    """Decode to upright RGB; return the image and whether its EXIF orientation turned it."""
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    data = read_limited(path, max_bytes)
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise BadMedia(f"{Path(path).name}: not an image format Pillow can decode") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadMedia(f"{Path(path).name}: unreadable image header ({exc})") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise MediaTooLarge(f"{Path(path).name} is {width}x{height} pixels, over the limit of {max_pixels}")
    if width < 1 or height < 1:
        raise BadMedia(f"{Path(path).name}: image has no pixels")
    turned = False
    try:
        image.seek(0)
        turned = image.getexif().get(0x0112, 1) in range(2, 9)  # EXIF Orientation other than 1
        image = ImageOps.exif_transpose(image) or image
    except Exception:  # noqa: BLE001, S110 - a broken orientation tag must not stop the decode
        turned = False
    try:
        return image.convert("RGB"), turned
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise BadMedia(f"{Path(path).name}: corrupt image data ({exc})") from exc


def rgb_array(image: Image.Image) -> np.ndarray:
    """Return an RGB image as an ``uint8`` array of shape (height, width, 3)."""
    return np.asarray(image.convert("RGB"), dtype=np.uint8)
