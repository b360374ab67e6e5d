"""media.ocr reads a repeated file once per (digest, frame time, language) unless de-duplication is off."""

from __future__ import annotations

import types

import pytest

from detectors.media.ocr import OcrEnricher


@pytest.mark.parametrize(
    ("dedupe", "calls", "expected_reads"),
    [
        (True, [("s1", None, "ms"), ("s1", None, "ms"), ("s1", None, "ms")], 1),
        (True, [("s1", None, "ms"), ("s1", 2.0, "ms"), ("s1", None, "th")], 3),
        (True, [(None, None, "ms"), (None, None, "ms")], 2),
        (False, [("s1", None, "ms"), ("s1", None, "ms")], 2),
    ],
)
def test_repeated_media_is_read_once(
    monkeypatch: pytest.MonkeyPatch, dedupe: bool, calls: list[tuple], expected_reads: int
) -> None:
    enricher = OcrEnricher.__new__(OcrEnricher)
    enricher.settings = types.SimpleNamespace(dedupe=dedupe)  # type: ignore[assignment]
    reads: list[str] = []

    def fake_ocr(path: str, declared_language: str | None = None) -> tuple[str, str | None, float]:
        reads.append(path)
        return f"text of {path}", "eng", 90.0

    monkeypatch.setattr(enricher, "ocr_file", fake_ocr)
    results = [enricher._ocr_cached(sha, at, "/tmp/x.png", lang) for sha, at, lang in calls]
    assert len(reads) == expected_reads
    assert all(r == ("text of /tmp/x.png", "eng", 90.0) for r in results)
