"""synthetic.lipsync: the sync statistic, the blink counter, the mouth proxy and file-level robustness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors.synthetic.lipsync import LipSyncDetector, blink_rate, mouth_openness, sync_statistics


def _speechlike(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    bursts = np.repeat(rng.random(n // 3 + 1) > 0.4, 3)[:n].astype(float)
    return np.convolve(bursts * rng.random(n), np.ones(3) / 3, mode="same")


def test_mouth_that_follows_speech_is_consistent() -> None:
    speech = _speechlike(300, 1)
    mouth = speech + np.random.default_rng(2).normal(0, 0.05, 300)
    assert sync_statistics(mouth, speech, 10.0)["sync_z"] > 3


def test_mouth_unrelated_to_speech_is_not_consistent() -> None:
    stats = sync_statistics(_speechlike(300, 3), _speechlike(300, 4), 10.0)
    assert stats["sync_z"] < 2


def test_offset_within_the_searched_lag_is_found() -> None:
    speech = _speechlike(300, 5)
    stats = sync_statistics(np.roll(speech, 2), speech, 10.0, max_lag_s=0.3)
    assert stats["sync_lag_s"] == pytest.approx(0.2)


def test_blinks_are_counted_as_short_contrast_dips() -> None:
    contrast = np.full(600, 30.0) + np.random.default_rng(0).normal(0, 0.5, 600)
    for start in range(20, 600, 60):  # one 2-frame blink every 6 s at 10 fps
        contrast[start : start + 2] = 10.0
    assert blink_rate(contrast, 10.0) == pytest.approx(10.0)


def test_dark_open_mouth_scores_higher_than_closed() -> None:
    face = np.full((200, 200), 170.0)
    marks = np.array([[70, 80], [130, 80], [100, 110], [75, 140], [125, 140]], dtype=float)
    closed = mouth_openness(face, marks)[0]
    face[132:152, 82:118] = 30.0
    assert mouth_openness(face, marks)[0] > closed + 1.0


@pytest.fixture
def faceless_video(tmp_path: Path) -> Path:
    import cv2

    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 120))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write mp4v")
    for i in range(50):
        writer.write(np.full((120, 160, 3), (i * 5) % 255, np.uint8))
    writer.release()
    return path


def test_video_without_a_face_is_labelled_no_face(faceless_video: Path) -> None:
    result = LipSyncDetector().judge_file(faceless_video)
    assert (result["label"], result["score"]) == ("no-face", 0.0)


def test_faceless_video_stops_once_the_face_test_cannot_pass(faceless_video: Path) -> None:
    detector = LipSyncDetector()
    detector.ensure_loaded()
    calls = []
    real = detector._faces

    class Counting:
        def setInputSize(self, size: tuple[int, int]) -> None:  # noqa: N802 - OpenCV's name
            real.setInputSize(size)

        def detect(self, image: object) -> object:
            calls.append(1)
            return real.detect(image)

    detector._faces = Counting()
    result = detector.judge_file(faceless_video)
    assert result["label"] == "no-face" and result["details"]["frames"] == 50  # the whole clip's frames
    # 50 frames at 10 fps need a face in 30: after 21 misses the verdict cannot change.
    assert len(calls) == 21


def test_file_that_is_not_a_video_is_bad_media(tmp_path: Path) -> None:
    from pantau.errors import BadMedia

    path = tmp_path / "x.mp4"
    path.write_bytes(b"not a video at all")
    with pytest.raises(BadMedia):
        LipSyncDetector().judge_file(path)
