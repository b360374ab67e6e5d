"""``media.probe``: sniff, limit-check and describe every media file before anything decodes it.

Runs first for every item with media. For each file it makes sure the content is in the
content-addressed media folder (copying a local path or fetching a URL with the safe
fetcher of :mod:`ingest.fetch` when the media stage has not already done so), then reads
only headers: image dimensions (Pillow), or duration, streams and frame size (``ffprobe``).
It fills ``MediaFile.modality``, ``mime`` and ``meta`` and ``enrichment.media_meta[sha256]``.

A file that breaks a limit or cannot be read raises :class:`~pantau.errors.MediaTooLarge` or
:class:`~pantau.errors.BadMedia` for its item, which the runner dead-letters with that reason;
the other items of the batch go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Enricher
from detectors.media.decode import image_size, open_image, probe_av, settings_of
from ingest.fetch import fetch_media, modality_of_mime, sniff_mime, store_local_file
from pantau.errors import BadMedia, MediaTooLarge
from pantau.schemas import EnrichedItem, MediaFile, Modality

__all__ = ["MediaProbeEnricher", "probe_file"]


class ProbeOptions(BaseModel):
    """Options of ``media.probe``."""

    model_config = ConfigDict(extra="forbid")

    fetch_remote: bool = Field(True, description="Fetch media given only by URL (with the safe fetcher).")
    verify_images: bool = Field(True, description="Decode images fully once, so corrupt ones fail here.")


def probe_file(
    media: MediaFile, max_pixels: int, max_duration_s: float, verify_images: bool = True, shared: bool = False
) -> dict[str, Any]:
    """Return the metadata of one local, sniffed media file, enforcing pixel and duration limits.

    ``shared``: the verifying decode goes to the shared decoded images, where the plug-ins after
    this one take the pixels (:func:`detectors.media.decode.open_image`).
    """
    assert media.path is not None  # noqa: S101 - callers localise first
    name = Path(media.path).name
    if media.modality is Modality.IMAGE:
        width, height, fmt = image_size(media.path)
        if width * height > max_pixels:
            raise MediaTooLarge(f"{name} is {width}x{height} pixels, over the limit of {max_pixels}")
        if verify_images:
            open_image(media.path, max_pixels, shared=shared)
        return {"width": width, "height": height, "format": fmt}
    info = probe_av(media.path)
    duration = info.duration
    if duration is not None and duration > max_duration_s:
        raise MediaTooLarge(f"{name} lasts {duration:.0f} s, over the limit of {max_duration_s:.0f} s")
    width, height = int(info.get("width") or 0), int(info.get("height") or 0)
    if width * height > max_pixels:
        raise MediaTooLarge(f"{name} has {width}x{height} frames, over the limit of {max_pixels} pixels")
    if media.modality is Modality.VIDEO and not info.get("has_video"):
        # An audio-only MP4/WebM: analyse it as audio.
        info["analysed_as"] = "audio"
    return dict(info)


class MediaProbeEnricher(Enricher):
    """Localises, sniffs and limit-checks media; records dimensions and durations."""

    name = "media.probe"
    version = "1.0.0"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE, Modality.AUDIO, Modality.VIDEO})
    Options = ProbeOptions

    def applies_to(self, enriched: EnrichedItem) -> bool:
        """Any item with media, even media whose modality is not known yet."""
        return bool(enriched.item.media)

    def _localise(self, media: MediaFile) -> MediaFile:
        settings = settings_of(self)
        if media.sha256 and media.path and Path(media.path).is_file():
            if media.mime is None or media.modality is None:
                with Path(media.path).open("rb") as fh:
                    mime = media.mime or sniff_mime(fh.read(8192))
                modality = modality_of_mime(mime)
                if modality is None:
                    raise BadMedia(
                        f"unsupported media type: {mime or 'unrecognised content'} ({Path(media.path).name})"
                    )
                media = media.model_copy(update={"mime": mime, "modality": modality})
            return media
        if media.path:
            stored = store_local_file(Path(media.path), settings)
            return stored.model_copy(update={"url": media.url, "meta": {**media.meta, **stored.meta}})
        if media.url:
            if not self.options.fetch_remote:  # type: ignore[attr-defined]
                raise BadMedia(f"media given only by URL and fetching is off: {media.url}")
            fetched = fetch_media(media.url, settings)
            return fetched.model_copy(update={"meta": {**media.meta, **fetched.meta}})
        raise BadMedia("media entry has neither path nor url")

    def enrich(self, batch: Sequence[EnrichedItem]) -> None:
        """Probe every media file of every item in place."""
        settings = settings_of(self)
        for enriched in batch:
            files = []
            for media in enriched.item.media:
                media = self._localise(media)
                verify = self.options.verify_images  # type: ignore[attr-defined]
                limits = (settings.media.max_pixels, settings.media.max_duration_s, verify)
                try:
                    # A repeated file (same digest, same limits) is probed once; a failure is not remembered.
                    meta = dict(self.memo(
                        ("probe", media.sha256, *limits) if media.sha256 else None,
                        lambda m=media, lim=limits: probe_file(m, *lim, shared=settings.dedupe),
                    ))
                except BadMedia as exc:
                    # Name the file as the feed did, not by its content hash.
                    label = media.meta.get("original_name") or media.url
                    if label and media.sha256:
                        raise type(exc)(str(exc).replace(media.sha256, str(label))) from exc
                    raise
                if meta.get("analysed_as") == "audio":
                    media = media.model_copy(update={"modality": Modality.AUDIO})
                media = media.model_copy(update={"meta": {**media.meta, **meta}})
                enriched.enrichment.media_meta[str(media.sha256)] = {
                    "mime": media.mime,
                    "modality": str(media.modality),
                    "size": media.size,
                    **meta,
                }
                files.append(media)
            enriched.item.media = files
            enriched.enrichment.done.append(self.name)
