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


def _poster(path: Path, caption: str | None) -> Path:
    """A 640x480 picture of coloured blocks, with a small-font caption strip when ``caption`` is given."""
    from PIL import ImageDraw

    image = Image.new("RGB", (640, 480), (30, 110, 20))
    draw = ImageDraw.Draw(image)
    for box, colour in (((50, 110, 72, 266), (70, 150, 220)), ((88, 222, 206, 250), (120, 50, 220)),
                        ((577, 30, 640, 93), (250, 220, 160))):
        draw.rectangle(box, fill=colour)
    if caption:
        draw.rectangle([20, 400, 620, 460], fill=(255, 255, 255))
        draw.text((30, 415), caption, fill=(0, 0, 0))
    image.save(path, "JPEG", quality=85)
    return path


def test_text_regions_find_the_caption_line_and_not_the_plain_shapes(tmp_path: Path) -> None:
    from detectors.media.ocr import text_regions

    blocks = Image.open(_poster(tmp_path / "blocks.jpg", None)).convert("L")
    captioned = Image.open(_poster(tmp_path / "caption.jpg", "Polls open at 8am on Sunday")).convert("L")
    assert text_regions(blocks) == []
    [(x, y, w, h)] = text_regions(captioned)
    assert 400 <= y and y + h <= 460 and 30 <= x and w > 100


def test_an_image_without_text_regions_is_not_given_to_tesseract(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    enricher = OcrEnricher()
    enricher.ensure_loaded()
    calls: list[str] = []
    monkeypatch.setattr(enricher, "read", lambda image, models: calls.append(models) or ("", 0.0, 0))
    assert enricher.ocr_file(str(_poster(tmp_path / "blocks.jpg", None))) == ("", None, 0.0)
    assert calls == []
    gate_off = OcrEnricher({"text_gate": False})
    monkeypatch.setattr(gate_off, "read", lambda image, models: calls.append(models) or ("", 0.0, 0))
    gate_off.ocr_file(str(tmp_path / "blocks.jpg"))
    assert calls == ["vie+ind"]


def test_a_small_caption_is_read_from_its_enlarged_strip(ocr: OcrEnricher, tmp_path: Path) -> None:
    caption = "Polls open at 8am on Sunday"
    path = _poster(tmp_path / "caption.jpg", caption)
    strip = ocr._prepare(str(path))
    assert strip.height < 120 and strip.width < 1300  # the caption's strip, enlarged 2x, not the picture
    text, models, conf = ocr.ocr_file(str(path))
    # Pillow's default bitmap font sets words 2-3 pixels apart: some spaces are lost, no letter is
    assert (text.replace(" ", ""), models) == (caption.replace(" ", ""), "vie+ind") and conf >= 80


def test_many_images_read_in_one_tesseract_call_give_the_single_readings(
    monkeypatch: pytest.MonkeyPatch, ocr: OcrEnricher, tmp_path: Path
) -> None:
    texts = ["Vote on Sunday at your polling station", "", "Polls open at 8am on Sunday"]
    images = [render_text_image(t, "eng") if t else Image.new("L", (300, 80), 255) for t in texts]
    alone = [ocr.read(image, "eng") for image in images]
    calls: list[int] = []
    single = ocr.read
    monkeypatch.setattr(ocr, "read", lambda image, models: calls.append(1) or single(image, models))
    together = ocr.read_many(images, "eng")
    assert calls == []  # one process for the three, no per-image fallback
    assert [t for t, _, _ in together] == [t for t, _, _ in alone] == [texts[0], "", texts[2]]
    assert [round(c, 3) for _, c, _ in together] == [round(c, 3) for _, c, _ in alone]


@pytest.mark.parametrize(
    ("latin_text", "latin", "tried_others"),
    [
        ("Reminder polling day is Sunday", 72.0, False),  # plainly Latin: 12+ ASCII letters at 70+
        ("Nhắc nhở ngày bầu cử", 72.0, True),  # diacritics: Vietnamese or not, other scripts still tried
        ("- 4 ~ UU", 76.0, True),  # a few symbols (how the Latin set read a Thai caption)
    ],
)
def test_a_plainly_latin_reading_is_kept_without_other_scripts(
    monkeypatch: pytest.MonkeyPatch, latin_text: str, latin: float, tried_others: bool
) -> None:
    enricher = OcrEnricher()
    tried = []

    def read(image: object, models: str) -> tuple[str, float, int]:
        tried.append(models)
        return (latin_text, latin, 5) if models == "vie+ind" else ("", 0.0, 0)

    noisy = Image.effect_noise((64, 64), 80)
    monkeypatch.setattr(enricher, "_prepare", lambda path: noisy)
    monkeypatch.setattr(enricher, "read", read)
    text, models, _ = enricher.ocr_file("poster.png")
    assert (text, models) == (latin_text, "vie+ind")
    assert (len(tried) > 1) == tried_others
