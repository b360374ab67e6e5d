"""``media.ocr``: text in images and video keyframes, by Tesseract, in the languages in scope.

Tesseract's language models are per script, and running all eight at once is slow and
splits Thai and Chinese into single characters. So each image is read with few models:

1. the item's declared language (set per feed), when it maps to a Tesseract model, with ``eng``;
2. otherwise the Latin-script set ``options.latin_languages`` (``vie+ind`` by default: the
   Vietnamese model also reads unaccented Malay, Indonesian, Filipino and English, and with
   Indonesian second it read all 45 Latin test images exactly, against 40 for ``ind+vie``, 43
   for ``vie`` alone and 44 for ``vie+eng``; see ``docs/media.md``); a reading with mean word
   confidence of at least ``accept_confidence`` (80) is kept;
3. else ``tha``, ``chi_sim`` and ``tam`` are tried too and the most confident reading wins, a
   Latin reading losing only to one ``script_margin`` (10) points more confident.
   (Tesseract's own script detection, OSD, was tried and dropped: it calls short Tamil and
   Chinese lines "Devanagari" and upscaled Thai "Latin".)

Each image (or keyframe with new text) gives one ``TextPart(origin="ocr")`` with the
``media_sha256`` of its file and, for keyframes, ``start`` = frame time. Words under
``min_confidence`` are dropped. The part's language is the item's declared one, or the
language a Thai, Tamil or Chinese model implies; Latin-script parts are left to ``text.language``.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Enricher
from detectors.media.decode import open_image, require_tool, settings_of, visual_sources
from pantau.errors import DetectorUnavailable
from pantau.schemas import EnrichedItem, Modality, TextPart

__all__ = ["OcrEnricher", "TESSERACT_LANGUAGES", "join_words"]

TESSERACT_LANGUAGES = {
    "en": "eng",
    "ms": "msa",
    "id": "ind",
    "th": "tha",
    "vi": "vie",
    "zh": "chi_sim",
    "ta": "tam",
    "tl": "fil",
    "fil": "fil",
}
"""ISO 639-1 item languages -> Tesseract models."""

_SCRIPT_MODELS = {
    "Thai": "tha",
    "Han": "chi_sim",
    "Tamil": "tam",
    "Japanese": "chi_sim",
    "Katakana": "chi_sim",
}
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
_UNSPACED = r"\u0e00-\u0e7f\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_GAP = re.compile(f"(?<=[{_UNSPACED}]) (?=[{_UNSPACED}])")


class OcrOptions(BaseModel):
    """Options of ``media.ocr``."""

    model_config = ConfigDict(extra="forbid")

    languages: list[str] = Field(
        default_factory=lambda: ["eng", "msa", "ind", "tha", "vie", "chi_sim", "tam", "fil"],
        description="Tesseract models that may be used.",
    )
    latin_languages: str = Field("vie+ind", description="Models for Latin-script text of unknown language.")
    psm: int = Field(
        4,
        ge=0,
        le=13,
        description="Tesseract page segmentation mode. 4 (one column of lines) reads single Chinese "
        "lines that 3 (automatic) misses, at the same speed; 6 and 11 take 10-20x longer on photos.",
    )
    min_confidence: float = Field(40.0, ge=0, le=100, description="Words below this confidence are dropped.")
    min_mean_confidence: float = Field(
        70.0,
        ge=0,
        le=100,
        description="Readings whose mean word confidence is lower are dropped (photo noise).",
    )
    accept_confidence: float = Field(
        80.0, ge=0, le=100,
        description="A Latin reading this confident is kept without trying other scripts (bench/media_ocr: "
        "Latin images read at 90-96, other scripts' images at 0-77).",
    )
    script_margin: float = Field(
        10.0, ge=0, le=100,
        description="Another script's reading replaces a Latin one only when this much more confident "
        "(the Thai model read a weak Latin caption as Thai-looking garbage at 71 against 62).",
    )
    min_chars: int = Field(3, ge=1, description="Readings shorter than this (without spaces) are dropped.")
    max_long_side: int = Field(2500, ge=200, description="Larger images are downscaled first.")
    upscale_below: int = Field(300, ge=0, description="Images whose long side is below this are upscaled 2x.")
    timeout_s: float = Field(30.0, gt=0, description="Time limit of one Tesseract call.")
    single_threaded: bool = Field(
        True,
        description="Run each Tesseract single-threaded (OMP_THREAD_LIMIT=1) and read up to `threads` images "
        "at once: Tesseract's own OpenMP threads made a 640x480 image slower (0.29 s against 0.17 s).",
    )


def _flat(image: Any) -> bool:
    """Whether a greyscale image is (nearly) one colour: nothing to read, skip Tesseract."""
    import numpy as np

    return float(np.asarray(image.reduce(4) if min(image.size) >= 8 else image, dtype=np.float32).std()) < 4.0


_SCRIPT_LANGUAGE = {"tha": "th", "chi_sim": "zh", "tam": "ta"}


def _part_language(models: str | None, declared: str | None) -> str | None:
    """The language an OCR reading is known to be in: the declared one it was read as, or the script's.

    Thai, Tamil and Chinese script each mean one language in scope, and short lines of them are
    often too short for CLD2; Latin-script readings are left to ``text.language``.
    """
    if not models:
        return None
    if declared and "+" in models:
        return declared
    return _SCRIPT_LANGUAGE.get(models)


def join_words(words: list[str]) -> str:
    """Join OCR words with spaces, except between Thai or CJK characters, which take none.

    >>> join_words(["请", "在", "星期", "日"]), join_words(["Undi", "pada"])
    ('请在星期日', 'Undi pada')
    """
    text = _ZERO_WIDTH.sub("", " ".join(w for w in words if w))
    return _GAP.sub("", text).strip()


def _single_threaded(tesseract: str, data_dir: Path) -> str:
    """A wrapper that runs ``tesseract`` with ``OMP_THREAD_LIMIT=1`` (pytesseract passes no environment)."""
    folder = Path(data_dir) / "tools"
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / "tesseract-single-thread"
    body = f"#!/bin/sh\nOMP_THREAD_LIMIT=1 exec {shlex.quote(tesseract)} \"$@\"\n"
    if not wrapper.is_file() or wrapper.read_text() != body:
        tmp = wrapper.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(body)
        tmp.chmod(0o755)
        tmp.replace(wrapper)
    return str(wrapper)


class OcrEnricher(Enricher):
    """Reads the text in images and keyframes with Tesseract."""

    name = "media.ocr"
    version = "1.0.0"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE, Modality.VIDEO})
    needs = ("media.probe", "media.video")
    Options = OcrOptions

    def load(self) -> None:
        """Check that Tesseract and the language models asked for are installed."""
        try:
            import pytesseract
        except ImportError as exc:
            raise DetectorUnavailable("pytesseract is not installed: pip install -e '.[media]'") from exc
        tesseract = require_tool("tesseract")
        if self.options.single_threaded:  # type: ignore[attr-defined]
            tesseract = _single_threaded(tesseract, settings_of(self).data_dir)
        pytesseract.pytesseract.tesseract_cmd = tesseract
        installed = set(pytesseract.get_languages(config=""))
        options: OcrOptions = self.options  # type: ignore[assignment]
        missing = [lang for lang in options.languages if lang not in installed]
        if missing:
            packages = " ".join(f"tesseract-ocr-{m.replace('_', '-')}" for m in missing)
            raise DetectorUnavailable(f"Tesseract models missing: {missing}: apt-get install {packages}")

    def _prepare(self, path: str) -> Any:
        from PIL import Image

        options: OcrOptions = self.options  # type: ignore[assignment]
        image = open_image(path, settings_of(self).media.max_pixels).convert("L")
        long_side = max(image.size)
        if long_side > options.max_long_side:
            scale = options.max_long_side / long_side
            image = image.resize(
                (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
            )
        elif long_side < options.upscale_below:
            image = image.resize((image.width * 2, image.height * 2), Image.Resampling.LANCZOS)
        return image

    def read(self, image: Any, models: str) -> tuple[str, float, int]:
        """Return the text read with ``models``, its mean word confidence (0-100), and the raw word count."""
        options: OcrOptions = self.options  # type: ignore[assignment]
        return self._read(image, models, options.psm)

    def _read(self, image: Any, models: str, psm: int) -> tuple[str, float, int]:
        import pytesseract

        options: OcrOptions = self.options  # type: ignore[assignment]
        try:
            data = pytesseract.image_to_data(
                image,
                lang=models,
                config=f"--psm {psm}",
                output_type=pytesseract.Output.DICT,
                timeout=options.timeout_s,
            )
        except (pytesseract.TesseractError, RuntimeError):
            return "", 0.0, 0
        raw = sum(1 for w in data["text"] if w.strip())
        lines: dict[tuple[int, int, int], list[str]] = {}
        confs: list[tuple[float, int]] = []
        for i, word in enumerate(data["text"]):
            conf = float(data["conf"][i])
            word = word.strip()
            if not word or conf < options.min_confidence:
                continue
            lines.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(word)
            confs.append((conf, len(word)))
        text = "\n".join(join_words(words) for words in lines.values())
        chars = sum(n for _, n in confs)
        mean = sum(c * n for c, n in confs) / chars if chars else 0.0
        if mean < options.min_mean_confidence:
            return "", mean, raw
        return text, mean, raw

    def _candidates(self, declared: str | None) -> tuple[str | None, list[str]]:
        """Return the model set to force (declared language) or the Latin set, and the other scripts."""
        options: OcrOptions = self.options  # type: ignore[assignment]
        allowed = set(options.languages)
        forced = TESSERACT_LANGUAGES.get((declared or "").lower())
        if forced in allowed:
            return (forced if forced == "eng" or "eng" not in allowed else f"{forced}+eng"), []
        latin = "+".join(m for m in options.latin_languages.split("+") if m in allowed) or None
        return latin, [m for m in ("tha", "chi_sim", "tam") if m in allowed]

    def ocr_file(self, path: str, declared_language: str | None = None) -> tuple[str, str | None, float]:
        """Return (text, models used, mean word confidence) for one image file."""
        options: OcrOptions = self.options  # type: ignore[assignment]
        image = self._prepare(path)
        if _flat(image):
            return "", None, 0.0
        first, others = self._candidates(declared_language)
        best: tuple[str, str | None, float] = ("", None, 0.0)
        if first:
            text, conf, raw = self.read(image, first)
            if raw == 0:
                return best  # not even a low-confidence word: no text in any script worth a second pass
            if len(text.replace(" ", "")) >= options.min_chars:
                best = (text, first, conf)
                if conf >= options.accept_confidence:
                    return best
        for models in others:
            text, conf, _ = self.read(image, models)
            margin = options.script_margin if best[1] == first else 0.0
            if len(text.replace(" ", "")) >= options.min_chars and conf > best[2] + margin:
                best = (text, models, conf)
        return best

    def _ocr_cached(
        self, sha: str | None, at: float | None, path: str, declared_language: str | None
    ) -> tuple[str, str | None, float]:
        """:meth:`ocr_file`, remembered by (file digest, frame time, language) for repeated media."""
        key = None if sha is None else ("ocr", sha, at, declared_language)
        return self.memo(key, lambda: self.ocr_file(path, declared_language))

    def enrich(self, batch: Sequence[EnrichedItem]) -> None:
        """Add one OCR text part per image or keyframe with text.

        The distinct images and keyframes of the batch are read ``threads`` at a time (one
        Tesseract process each); repeats come from the memo.
        """
        options: OcrOptions = self.options  # type: ignore[assignment]
        jobs = list(dict.fromkeys(
            (sha, at, path, enriched.item.language)
            for enriched in batch
            for sha, path, at in visual_sources(enriched)
        ))
        workers = min(len(jobs), getattr(self.settings, "threads", 1)) if options.single_threaded else 1
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pantau-ocr") as pool:
                readings = dict(zip(jobs, pool.map(lambda job: self._ocr_cached(*job), jobs), strict=True))
        else:
            readings = {job: self._ocr_cached(*job) for job in jobs}
        for enriched in batch:
            seen: set[tuple[str, str]] = set()
            for sha, path, at in visual_sources(enriched):
                text, models, conf = readings[(sha, at, path, enriched.item.language)]
                if len(text.replace(" ", "")) < options.min_chars or (sha, text) in seen:
                    continue
                seen.add((sha, text))
                enriched.enrichment.text_parts.append(
                    TextPart(
                        origin="ocr",
                        text=text,
                        media_sha256=sha,
                        start=at,
                        language=_part_language(models, enriched.item.language),
                    )
                )
                meta = enriched.enrichment.media_meta.setdefault(sha, {})
                meta.setdefault("ocr", []).append(
                    {"models": models, "confidence": round(conf, 1), "time": at}
                )
            enriched.enrichment.done.append(self.name)
