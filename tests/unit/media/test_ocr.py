"""media.ocr: text rendered in the languages in scope is read back, with its origin kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bench.media_samples import find_font, render_text_image
from detectors.media.ocr import OcrEnricher, join_words
from detectors.media.probe import MediaProbeEnricher

from .conftest import item_with, needs_tesseract

pytestmark = needs_tesseract

CASES = [
    ("eng", None, "Vote on Sunday at your polling station"),
    ("msa", None, "Undi pada hari Ahad di pusat mengundi anda"),
    ("vie", None, "Hãy đi bầu cử vào ngày Chủ nhật"),
    ("tha", "th", "เลือกตั้งวันอาทิตย์นี้ที่หน่วยเลือกตั้ง"),
    ("chi_sim", None, "请在星期日到投票站投票"),
]


@pytest.fixture(scope="module")
def ocr() -> OcrEnricher:
    enricher = OcrEnricher()
    enricher.ensure_loaded()
    return enricher


def _enrich(ocr: OcrEnricher, settings, path: Path, language: str | None = None):
    enriched = item_with(path, language=language)
    probe = MediaProbeEnricher()
    probe.settings = ocr.settings = settings
    probe.enrich([enriched])
    ocr.enrich([enriched])
    return enriched


@pytest.mark.parametrize("lang, declared, text", CASES, ids=[c[0] for c in CASES])
def test_when_image_shows_text_then_ocr_part_reads_it(
    ocr: OcrEnricher, media_settings, tmp_path: Path, lang: str, declared: str | None, text: str
) -> None:
    if find_font(lang) is None:
        pytest.skip(f"no font for {lang} (infra/apt-packages.txt installs them)")
    path = tmp_path / "poster.png"
    render_text_image(text, lang).save(path)
    enriched = _enrich(ocr, media_settings, path, declared)
    [part] = enriched.enrichment.text_parts
    assert (part.origin, part.text, part.media_sha256) == ("ocr", text, enriched.item.media[0].sha256)
    assert part.language == {"tha": "th", "chi_sim": "zh"}.get(lang)  # script-implied, else left to CLD2
    assert text in enriched.text
    assert "media.ocr" in enriched.enrichment.done


def test_when_image_has_no_text_then_no_text_part(ocr: OcrEnricher, media_settings, tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    Image.new("RGB", (400, 300), (90, 140, 200)).save(path)
    assert _enrich(ocr, media_settings, path).enrichment.text_parts == []


def test_when_missing_language_model_then_unavailable_names_package() -> None:
    from pantau.errors import DetectorUnavailable

    with pytest.raises(DetectorUnavailable, match="tesseract-ocr-xyz"):
        OcrEnricher({"languages": ["eng", "xyz"]}).load()


@pytest.mark.parametrize(
    "words, joined",
    [(["请", "在", "星期", "日"], "请在星期日"), (["Undi", "pada"], "Undi pada"), (["ஞாயிறு\u200c"], "ஞாயிறு")],
)
def test_when_words_joined_then_no_spaces_inside_thai_or_chinese(words: list[str], joined: str) -> None:
    assert join_words(words) == joined


def test_a_batch_is_read_in_parallel_single_threaded_tesseracts_with_the_same_result(
    media_settings, tmp_path: Path
) -> None:
    texts = [CASES[0][2], CASES[1][2], "Polls open at 8am on Sunday"]
    paths = []
    for i, text in enumerate(texts):
        paths.append(tmp_path / f"poster{i}.png")
        render_text_image(text, "eng").save(paths[-1])

    def read(options: dict[str, object], threads: int) -> list[list[str]]:
        enricher = OcrEnricher(options)
        enricher.settings = media_settings.model_copy(update={"threads": threads})
        enricher.ensure_loaded()
        batch = [item_with(p) for p in paths]
        probe = MediaProbeEnricher()
        probe.settings = enricher.settings
        probe.enrich(batch)
        enricher.enrich(batch)
        return [[p.text for p in e.enrichment.text_parts] for e in batch]

    import pytesseract

    parallel = read({}, 2)
    wrapper = Path(pytesseract.pytesseract.tesseract_cmd)
    assert "OMP_THREAD_LIMIT=1 exec" in wrapper.read_text()
    assert parallel == [[t] for t in texts]
    assert parallel == read({"single_threaded": False}, 1)


@pytest.mark.parametrize(
    ("latin", "thai", "winner"),
    [
        (62.0, 71.0, "vie+ind"),  # a weak Latin caption read as Thai-looking garbage: the Latin reading stays
        (62.0, 80.0, "tha"),  # clearly more confident: the other script wins
        (82.0, 99.0, "vie+ind"),  # confident Latin reading: other scripts are not even tried
    ],
)
def test_another_script_must_beat_a_latin_reading_by_a_margin(
    monkeypatch: pytest.MonkeyPatch, latin: float, thai: float, winner: str
) -> None:
    enricher = OcrEnricher()
    tried = []

    def read(image: object, models: str) -> tuple[str, float, int]:
        tried.append(models)
        conf = {"vie+ind": latin, "tha": thai}.get(models, 0.0)
        return (f"reading by {models}", conf, 5) if conf else ("", 0.0, 0)

    noisy = Image.effect_noise((64, 64), 80)
    monkeypatch.setattr(enricher, "_prepare", lambda path: noisy)
    monkeypatch.setattr(enricher, "read", read)
    text, models, conf = enricher.ocr_file("poster.png")
    assert models == winner and text == f"reading by {winner}"
    assert (tried == ["vie+ind"]) == (latin >= 80)
