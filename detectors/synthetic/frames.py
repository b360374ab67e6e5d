"""Video frames for the synthetic-media detectors (OpenCV), with the pixel limit checked first.

:func:`open_video` opens a video and refuses one OpenCV cannot read or whose frames exceed
the pixel limit of :class:`~pantau.settings.MediaSettings`; :func:`sample_frames` reads
evenly spaced frames through it (the fused video score, ``synthetic.hf``), and
``synthetic.lipsync`` walks the frames at its own rate with it.

Example Snippet::

    for seconds, rgb in sample_frames("clip.mp4", count=8, max_pixels=40_000_000):
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from pantau.errors import BadMedia

__all__ = ["open_video", "sample_frames"]

DEFAULT_FPS = 25.0
"""Frame rate assumed when the container does not state one."""


@contextmanager
def open_video(path: str | Path, max_pixels: int) -> Iterator[tuple[Any, float]]:
    """Yield ``(cv2.VideoCapture, frames per second)`` of a video, released on exit.

    :raises BadMedia: OpenCV cannot open the file, or a frame has more than ``max_pixels`` pixels.
    """
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise BadMedia(f"{Path(path).name}: OpenCV cannot open this video")
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0) or DEFAULT_FPS
        width, height = cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
        if width * height > max_pixels:
            raise BadMedia(f"{Path(path).name}: frames of {int(width)}x{int(height)} exceed the pixel limit")
        yield cap, fps
    finally:
        cap.release()


def sample_frames(path: str | Path, count: int, max_pixels: int) -> list[tuple[float, np.ndarray]]:
    """Return up to ``count`` evenly spaced (time in seconds, RGB frame) pairs of a video (OpenCV)."""
    import cv2

    with open_video(path, max_pixels) as (cap, fps):
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        indices = np.linspace(0, max(total - 1, 0), num=min(count, max(total, 1))).astype(int)
        frames: list[tuple[float, np.ndarray]] = []
        for index in dict.fromkeys(indices.tolist()):
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = cap.read()
            if ok and frame is not None:
                frames.append((index / fps, np.ascontiguousarray(frame[:, :, ::-1])))
        return frames
