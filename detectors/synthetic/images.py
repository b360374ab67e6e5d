"""The base of the synthetic detectors that judge one still image at a time.

An :class:`ImageDetector` reads each image of an item within the media limits (read at load
into ``_max_bytes`` and ``_max_pixels`` with :func:`~detectors.synthetic.mediafiles.limits`),
decodes it upright to RGB and gives it to ``judge`` (an ``uint8`` array, or the Pillow image
when ``wants_array`` is false), which returns score, label, evidence and details: one signal per
image. The eye-highlight, spectral, watermark and CLIP-probe detectors are such detectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from detectors.base import Detector
from detectors.synthetic.mediafiles import Verdict, open_rgb_image, rgb_array, signals_per_file
from pantau.schemas import EnrichedItem, MediaFile, Signal

__all__ = ["ImageDetector"]


class ImageDetector(Detector):
    """One signal per still image, from ``judge(pixels)``; subclasses set the limits in ``load``
    and name their modalities (images).
    """

    wants_array: ClassVar[bool] = True
    """``judge`` takes an RGB ``uint8`` array (else the Pillow image)."""

    _max_bytes: int
    _max_pixels: int

    def judge(self, pixels: Any) -> Verdict:
        """Return score, label, evidence and details for one decoded image."""
        raise NotImplementedError

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per image."""
        return signals_per_file(self, batch, self._judge_file)

    def _judge_file(self, media: MediaFile) -> Verdict:
        image = open_rgb_image(str(media.path), self._max_pixels, self._max_bytes)
        return self.judge(rgb_array(image) if self.wants_array else image)
