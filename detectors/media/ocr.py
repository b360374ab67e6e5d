"""``media.ocr``: text in images and video keyframes, by Tesseract, in the languages in scope.

Tesseract's language models are per script, and running all eight at once is slow and
splits Thai and Chinese into single characters. So each image is read with few models:

1. the item's declared language (set per feed), when it maps to a Tesseract model, with ``eng``;
2. otherwise the Latin-script set ``options.latin_languages`` (``vie+ind`` by default: the
   Vietnamese model also reads unaccented Malay, Indonesian, Filipino and English, and with
   Indonesian second it read all 45 Latin test images exactly, against 40 for ``ind+vie``, 43
   for ``vie`` alone and 44 for ``vie+eng``; see ``docs/media.md``); a reading with mean word
   confidence of at least ``accept_confidence`` (80) is kept, and so is one of at least
   ``plain_latin_letters`` (12) letters all in ASCII at ``min_mean_confidence`` (70) or more: the
   script is then plainly Latin (the Latin set read the Thai, Chinese and Tamil test images as
   nothing or a few symbols), and the other scripts' models only risk garbage (they had replaced 2
   of the image benchmark's 52 small-font captions with Chinese and Thai readings);
3. else ``tha``, ``chi_sim`` and ``tam`` are tried too and the most confident reading wins, a
   Latin reading losing only to one ``script_margin`` (10) points more confident.
   (Tesseract's own script detection, OSD, was tried and dropped: it calls short Tamil and
   Chinese lines "Devanagari" and upscaled Thai "Latin".)

Cheaper reading (issue 20): a text-region finder (OpenCV: morphological gradient, Otsu, a
horizontal closing, connected components kept by size and fill, :func:`text_regions`) runs
first; an image where it finds no text is not given to Tesseract at all (``text_gate``), and
one whose text covers a small part of it is cropped to the text (with a margin) and, when the
text is small, enlarged 2x, which also reads small captions more confidently. The distinct
images of a batch go to one Tesseract process per model set and worker (a list file: the
language models are loaded once per call, not per image, ~0.2-0.3 s each). With ``in_process``
(default) Tesseract runs inside Pantau through its C API (:mod:`detectors.media.tesseract_api`):
each model set is loaded once per worker for the life of the process, not per batch, and the
same PNG bytes give the same words and confidences as the command line (checked word for word).

Each image (or keyframe with new text) gives one ``TextPart(origin="ocr")`` with the
``media_sha256`` of its file and, for keyframes, ``start`` = frame time. Words under
``min_confidence`` are dropped. The part's language is the item's declared one, or the
language a Thai, Tamil or Chinese model implies; Latin-script parts are left to ``text.language``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Enricher
from detectors.media.decode import open_image, require_tool, settings_of, visual_sources
from pantau.errors import DetectorUnavailable
from pantau.schemas import EnrichedItem, Modality, TextPart

__all__ = ["OcrEnricher", "TESSERACT_LANGUAGES", "join_words", "text_regions"]

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
    plain_latin_letters: int = Field(
        12, ge=0,
        description="A Latin-set reading of at least this many letters, all ASCII (unaccented Malay, "
        "Indonesian, English, Filipino), is kept without trying other scripts (0: off; only "
        "accept_confidence decides).",
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
    text_gate: bool = Field(
        True,
        description="Find text regions first (OpenCV): skip Tesseract where none is found, and read only "
        "the text's part of the image when it covers little of it.",
    )
    crop_below: float = Field(
        0.5, gt=0, le=1, description="Crop to the text regions when their box covers less than this share."
    )
    small_text_px: int = Field(
        16, ge=0, description="Cropped text whose line height is under this many pixels is enlarged 2x."
    )
    in_process: bool = Field(
        True,
        description="Run Tesseract in-process through libtesseract's C API (models loaded once per process); "
        "off, or when the library cannot be loaded single-threaded: one tesseract process per call.",
    )
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
_Reading = tuple[str, float, int]
_NO_TEXT: tuple[str, str | None, float] = ("", None, 0.0)


def text_regions(gray: Any) -> list[tuple[int, int, int, int]]:
    """Boxes ``(x, y, w, h)`` of likely text lines in a greyscale image (OpenCV, a few ms for 640x480).

    Letters are dense edges: the morphological gradient, thresholded by Otsu and closed with a
    horizontal kernel, joins a line's letters into one component; components that are too small,
    taller than half the image, or mostly empty inside (the outline of a plain shape) are dropped.
    """
    import cv2
    import numpy as np

    arr = np.asarray(gray, dtype=np.uint8)
    height = arr.shape[0]
    grad = cv2.morphologyEx(arr, cv2.MORPH_GRADIENT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    _, edges = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    joined = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    boxes = []
    for x, y, w, h, _area in stats[1:count]:
        if h < 5 or w < 8 or h > height * 0.5:
            continue
        if cv2.countNonZero(edges[y : y + h, x : x + w]) < 0.2 * w * h:
            continue
        boxes.append((int(x), int(y), int(w), int(h)))
    return boxes


def _tsv_pages(tsv: str, pages: int) -> list[dict[str, list[Any]]]:
    """Split Tesseract's TSV of a list of images into pytesseract-style dicts, one per page."""
    out: list[dict[str, list[Any]]] = [
        {k: [] for k in ("block_num", "par_num", "line_num", "conf", "text")} for _ in range(pages)
    ]
    for line in tsv.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        page = int(cols[1]) - 1
        if 0 <= page < pages:
            row = out[page]
            row["block_num"].append(int(cols[2]))
            row["par_num"].append(int(cols[3]))
            row["line_num"].append(int(cols[4]))
            row["conf"].append(int(float(cols[10])))  # whole numbers, as pytesseract gives them
            row["text"].append(cols[11])
    return out


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
        engine = self._engine()
        latin, _ = self._candidates(None)
        if engine is not None and latin:  # the Latin set, once per worker, loaded now rather than mid-batch
            engine.warm(latin, options.psm, int(getattr(self.settings, "threads", 1) or 1))

    def _prepare(self, path: str) -> Any:
        """The greyscale image Tesseract reads: bounded, cropped to its text, small text enlarged.

        ``None`` when the text-region finder sees no text (``text_gate``).
        """
        from PIL import Image

        options: OcrOptions = self.options  # type: ignore[assignment]
        settings = settings_of(self)
        image = open_image(path, settings.media.max_pixels, shared=settings.dedupe).convert("L")
        long_side = max(image.size)
        if long_side > options.max_long_side:
            scale = options.max_long_side / long_side
            image = image.resize(
                (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
            )
        elif long_side < options.upscale_below:
            return image.resize((image.width * 2, image.height * 2), Image.Resampling.LANCZOS)
        if not options.text_gate or _flat(image):
            return image
        boxes = text_regions(image)
        if not boxes:
            return None
        left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
        right, bottom = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
        if (right - left) * (bottom - top) >= options.crop_below * image.width * image.height:
            return image
        heights = sorted(b[3] for b in boxes)
        line = heights[len(heights) // 2]
        pad = max(10, line)
        width, height = image.size
        image = image.crop(
            (max(0, left - pad), max(0, top - pad), min(width, right + pad), min(height, bottom + pad))
        )
        if line < options.small_text_px:
            image = image.resize((image.width * 2, image.height * 2), Image.Resampling.LANCZOS)
        return image

    def read(self, image: Any, models: str) -> tuple[str, float, int]:
        """Return the text read with ``models``, its mean word confidence (0-100), and the raw word count."""
        options: OcrOptions = self.options  # type: ignore[assignment]
        engine = self._engine()
        if engine is not None:
            return self._read_in_process(engine, image, models)
        return self._read(image, models, options.psm)

    def _engine(self) -> Any:
        """The in-process Tesseract (``in_process``), or ``None`` for the command line."""
        options: OcrOptions = self.options  # type: ignore[assignment]
        if not options.in_process:
            return None
        engine = self.__dict__.get("_tess")
        if engine is None:
            from detectors.media.tesseract_api import load_engine

            try:
                engine = load_engine(options.single_threaded)
            except DetectorUnavailable as exc:
                import logging

                logging.getLogger(__name__).warning("media.ocr: Tesseract by command line: %s", exc)
                engine = False
            self.__dict__["_tess"] = engine
        return engine or None

    def _read_in_process(self, engine: Any, image: Any, models: str) -> _Reading:
        """:meth:`read` through the C API: the PNG bytes the command line would read, one page."""
        import io

        options: OcrOptions = self.options  # type: ignore[assignment]
        buf = io.BytesIO()
        image.save(buf, "PNG", compress_level=1)
        try:
            tsv = engine.tsv(buf.getvalue(), models, options.psm, options.timeout_s)
        except RuntimeError:
            return "", 0.0, 0
        return self._reading(_tsv_pages(tsv, 1)[0])

    def read_many(self, images: Sequence[Any], models: str) -> list[_Reading]:
        """:meth:`read` for several images in one Tesseract process (models loaded once).

        A failed or timed-out batch call is retried image by image.
        """
        if len(images) <= 1:
            return [self.read(image, models) for image in images]
        engine = self._engine()
        if engine is not None:
            return [self._read_in_process(engine, image, models) for image in images]
        import pytesseract

        options: OcrOptions = self.options  # type: ignore[assignment]
        with tempfile.TemporaryDirectory(prefix="pantau-ocr-") as tmp:
            names = []
            for i, image in enumerate(images):
                names.append(str(Path(tmp) / f"{i}.png"))
                image.save(names[-1], compress_level=1)
            listing = Path(tmp) / "images.txt"
            listing.write_text("\n".join(names) + "\n", encoding="utf-8")
            cmd = [pytesseract.pytesseract.tesseract_cmd, str(listing), "stdout", "-l", models,
                   "--psm", str(options.psm), "tsv"]
            try:
                done = subprocess.run(  # noqa: S603 - fixed argument vector, no shell
                    cmd, capture_output=True, timeout=options.timeout_s * len(images), check=False,
                    stdin=subprocess.DEVNULL,
                )
            except (subprocess.TimeoutExpired, OSError):
                done = None
        if done is None or done.returncode != 0:
            return [self.read(image, models) for image in images]
        pages = _tsv_pages(done.stdout.decode("utf-8", "replace"), len(images))
        return [self._reading(page) for page in pages]

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
        return self._reading(data)

    def _reading(self, data: dict[str, list[Any]]) -> _Reading:
        """Text (lines of kept words), mean word confidence and raw word count of Tesseract's words."""
        options: OcrOptions = self.options  # type: ignore[assignment]
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

    def _plainly_latin(self, text: str, conf: float) -> bool:
        """A kept reading of enough letters, all ASCII: the script is Latin, no other script is tried."""
        options: OcrOptions = self.options  # type: ignore[assignment]
        letters = sum(c.isalpha() for c in text)
        return (
            options.plain_latin_letters > 0
            and conf >= options.min_mean_confidence
            and letters >= options.plain_latin_letters
            and text.isascii()
        )

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
        return self.ocr_files([(path, declared_language)])[0]

    def ocr_files(self, jobs: Sequence[tuple[str, str | None]]) -> list[tuple[str, str | None, float]]:
        """:meth:`ocr_file` for several (path, declared language) at once, each model set run once.

        Per image: the declared language's models or the Latin set first; a reading with no word
        at all ends there, a Latin reading at ``accept_confidence`` is kept; the others are read
        with the other scripts' models (one Tesseract call per model set for all of them) and the
        most confident wins, a Latin reading losing only by ``script_margin``.
        """
        options: OcrOptions = self.options  # type: ignore[assignment]
        results: list[tuple[str, str | None, float]] = [_NO_TEXT] * len(jobs)
        images: dict[int, Any] = {}
        for i, (path, _) in enumerate(jobs):
            image = self._prepare(path)
            if image is not None and not _flat(image):
                images[i] = image
        plans = {i: self._candidates(jobs[i][1]) for i in images}
        open_: dict[int, list[str]] = {}
        by_first: dict[str, list[int]] = {}
        for i, (first, others) in plans.items():
            if first:
                by_first.setdefault(first, []).append(i)
            else:
                open_[i] = others
        for first, group in by_first.items():
            read = self.read_many([images[i] for i in group], first)
            for i, (text, conf, raw) in zip(group, read, strict=True):
                if raw == 0:
                    continue  # not even a low-confidence word: no text in any script worth a second pass
                if len(text.replace(" ", "")) >= options.min_chars:
                    results[i] = (text, first, conf)
                    if conf >= options.accept_confidence or self._plainly_latin(text, conf):
                        continue
                open_[i] = plans[i][1]
        for models in dict.fromkeys(m for others in open_.values() for m in others):
            group = [i for i, others in open_.items() if models in others]
            read = self.read_many([images[i] for i in group], models)
            for i, (text, conf, _) in zip(group, read, strict=True):
                best = results[i]
                margin = options.script_margin if best[1] == plans[i][0] else 0.0
                if len(text.replace(" ", "")) >= options.min_chars and conf > best[2] + margin:
                    results[i] = (text, models, conf)
        return results

    def _ocr_cached(
        self, sha: str | None, at: float | None, path: str, declared_language: str | None
    ) -> tuple[str, str | None, float]:
        """:meth:`ocr_file`, remembered by (file digest, frame time, language) for repeated media."""
        key = None if sha is None else ("ocr", sha, at, declared_language)
        return self.memo(key, lambda: self.ocr_file(path, declared_language))

    def _read_jobs(
        self, jobs: list[tuple[str | None, float | None, str, str | None]]
    ) -> dict[tuple[str | None, float | None, str, str | None], tuple[str, str | None, float]]:
        """Readings of (sha, frame time, path, declared language) jobs: the memo's, the rest read now."""
        from detectors.base import MEMO_ENTRIES
        from pantau.lru import LRU

        options: OcrOptions = self.options  # type: ignore[assignment]
        memo: LRU[Any, Any] | None = None
        if getattr(self.settings, "dedupe", True):
            memo = self.__dict__.setdefault("_memo", LRU(MEMO_ENTRIES))
        readings: dict[Any, tuple[str, str | None, float]] = {}
        todo = []
        for job in jobs:
            sha, at, _, language = job
            found = memo.get(("ocr", sha, at, language)) if memo is not None and sha is not None else None
            if found is None:
                todo.append(job)
            else:
                readings[job] = found
        workers = min(len(todo), getattr(self.settings, "threads", 1)) if options.single_threaded else 1
        shares = [todo[w::workers] for w in range(workers)] if workers > 1 else [todo]

        def read(share: list[Any]) -> list[tuple[str, str | None, float]]:
            return self.ocr_files([(path, language) for _, _, path, language in share])

        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pantau-ocr") as pool:
                done = list(pool.map(read, shares))
        else:
            done = [read(todo)] if todo else []
        for share, results in zip(shares, done, strict=True):
            for job, result in zip(share, results, strict=True):
                readings[job] = result
                if memo is not None and job[0] is not None:
                    memo.put(("ocr", job[0], job[1], job[3]), result)
        return readings

    def enrich(self, batch: Sequence[EnrichedItem]) -> None:
        """Add one OCR text part per image or keyframe with text.

        Repeats come from the memo; the distinct images and keyframes left are split among
        ``threads`` single-threaded Tesseract workers, each reading its share in one process
        per model set (:meth:`ocr_files`).
        """
        options: OcrOptions = self.options  # type: ignore[assignment]
        jobs = list(dict.fromkeys(
            (sha, at, path, enriched.item.language)
            for enriched in batch
            for sha, path, at in visual_sources(enriched)
        ))
        readings = self._read_jobs(jobs)
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
