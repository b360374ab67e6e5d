"""Issue 20, video: the clips of a batch are judged together, and a silent clip skips the lip-sync test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pantau.schemas import EnrichedItem, MediaFile, MediaItem, Modality


def _clip(path: Path, colour: tuple[int, int, int]) -> Path:
    cv2 = pytest.importorskip("cv2")
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (160, 120))
    for k in range(30):
        frame = np.full((120, 160, 3), colour, dtype=np.uint8)
        frame[40:80, 5 * k : 5 * k + 20] = 255
        writer.write(frame)
    writer.release()
    return path


def _item(path: Path, n: int, has_audio: bool | None) -> EnrichedItem:
    meta: dict[str, Any] = {} if has_audio is None else {"has_audio": has_audio}
    media = MediaFile(path=str(path), sha256=f"{n:064x}", mime="video/mp4", size=1, modality=Modality.VIDEO,
                      meta=meta)
    return EnrichedItem(item=MediaItem(id=f"v{n}", native_id=f"v{n}", source="t", text="clip", media=[media]))


def test_clips_judged_together_score_as_alone_and_silent_ones_skip_lipsync(tmp_path: Path) -> None:
    from detectors.synthetic.fused import SyntheticVideoDetector
    from pantau.settings import Settings

    detector = SyntheticVideoDetector()
    detector.settings = Settings(data_dir=tmp_path, threads=2)
    detector.ensure_loaded()
    if detector.lipsync is None:
        pytest.skip("lip-sync detector unavailable")
    clips = [_clip(tmp_path / f"c{i}.mp4", c) for i, c in enumerate([(20, 90, 200), (200, 40, 40), (90, 90, 90)])]
    calls: list[str] = []
    judge = detector.lipsync.judge_file
    detector.lipsync.judge_file = lambda p: calls.append(str(p)) or judge(p)  # type: ignore[method-assign]
    items = [_item(p, i, audio) for i, (p, audio) in enumerate(zip(clips, [False, None, True], strict=True))]
    together = [s.model_dump(exclude={"id", "created_at"}) for [s] in detector.detect(items)]
    assert calls == [str(clips[1]), str(clips[2])]  # the clip probed without audio is not read for lip-sync
    alone = [detector.judge_file(p) for p in clips]
    assert [s["score"] for s in together] == [v["score"] for v in alone]
    assert [s["details"]["signals"] for s in together] == [v["details"]["signals"] for v in alone]
