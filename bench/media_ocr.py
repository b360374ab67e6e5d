"""OCR accuracy and speed on rendered text in the eight languages in scope (``media.ocr``).

Each sentence of :data:`bench.media_samples.SENTENCES` is rendered three ways (clean 40 px,
small 22 px, and 30 px on a noisy coloured background saved as JPEG q70) and read twice: with
no language hint (the usual case) and with the item's language declared. Reported per
language: exact-line rate, character error rate (CER), and wall and CPU seconds per image
(CPU time includes the Tesseract processes; it is less sensitive to other jobs on the machine).

    nice .venv/bin/python -m bench.media_ocr [--out results.md]
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections import defaultdict
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from PIL import Image

from bench.media_samples import SENTENCES, find_font, publish, render_text_image
from detectors.media.ocr import OcrEnricher

ISO = {
    "eng": "en",
    "msa": "ms",
    "ind": "id",
    "tha": "th",
    "vie": "vi",
    "chi_sim": "zh",
    "tam": "ta",
    "fil": "tl",
}


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (Tesseract runs as a child)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance of two strings (characters)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def variants(text: str, lang: str, seed: int) -> dict[str, Image.Image]:
    """The three renderings of one sentence."""
    rng = np.random.default_rng(seed)
    clean = render_text_image(text, lang, size=40)
    small = render_text_image(text, lang, size=22)
    base = render_text_image(text, lang, size=30)
    noise = rng.normal(0, 18, (base.height, base.width, 3))
    tint = np.array([rng.integers(170, 255) for _ in range(3)], dtype=np.float64)
    arr = np.asarray(base, dtype=np.float64)
    mixed = np.where(arr < 128, arr, tint) + noise
    buf = io.BytesIO()
    Image.fromarray(np.clip(mixed, 0, 255).astype(np.uint8)).save(buf, format="JPEG", quality=70)
    noisy = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return {"clean-40px": clean, "small-22px": small, "noisy-jpeg": noisy}


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, help="Also write the table to this file.")
    args = parser.parse_args()
    ocr = OcrEnricher()
    ocr.ensure_loaded()
    stats: dict[tuple[str, str], list[tuple[bool, int, int, float, float]]] = defaultdict(list)
    by_variant: dict[tuple[str, str], list[tuple[bool, int, int, float, float]]] = defaultdict(list)
    with TemporaryDirectory() as tmp:
        for lang, sentences in SENTENCES.items():
            if find_font(lang) is None:
                print(f"skip {lang}: no font")
                continue
            for k, sentence in enumerate(sentences):
                for name, image in variants(sentence, lang, k).items():
                    path = Path(tmp) / f"{lang}-{k}-{name}.png"
                    image.save(path)
                    for mode, declared in (("auto", None), ("declared", ISO[lang])):
                        start, cpu0 = time.perf_counter(), _cpu()
                        text, _, _ = ocr.ocr_file(str(path), declared)
                        took = time.perf_counter() - start
                        cpu = _cpu() - cpu0
                        got = " ".join(text.split())
                        row = (got == sentence, edit_distance(got, sentence), len(sentence), took, cpu)
                        stats[(lang, mode)].append(row)
                        by_variant[(name, mode)].append(row)

    def line(label: str, rows: list[tuple[bool, int, int, float, float]]) -> str:
        exact = sum(r[0] for r in rows) / len(rows)
        cer = sum(r[1] for r in rows) / sum(r[2] for r in rows)
        secs = sum(r[3] for r in rows) / len(rows)
        cpu = sum(r[4] for r in rows) / len(rows)
        return f"| {label} | {len(rows)} | {exact:.0%} | {cer:.3f} | {secs:.2f} | {cpu:.2f} |"

    head = "| images | exact line | CER | s / image (wall) | CPU s / image |"
    out = [f"| language, mode {head}", "|---|---|---|---|---|---|"]
    for (lang, mode), rows in stats.items():
        out.append(line(f"{lang}, {mode}", rows))
    for mode in ("auto", "declared"):
        out.append(line(f"**all, {mode}**", [r for (_, m), rows in stats.items() if m == mode for r in rows]))
    out += ["", f"| rendering, mode {head}", "|---|---|---|---|---|---|"]
    for (name, mode), rows in by_variant.items():
        out.append(line(f"{name}, {mode}", rows))
    publish(out, args.out)


if __name__ == "__main__":
    main()
