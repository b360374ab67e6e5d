"""Speech-to-text speed (real-time factor) and accuracy of ``media.audio`` on synthetic speech.

Speech is made with espeak-ng (a formant synthesiser: robotic, accented, far harder for
Whisper than people are, so accuracy here is a floor, not an estimate) from the sentences of
:data:`bench.media_samples.SENTENCES`, in the voices espeak-ng has (no Filipino). Each clip is
transcribed with the language detected (restricted to the eight in scope) and with it forced.
Reported: real-time factor (wall seconds / audio seconds, after the model is loaded), CPU
seconds per audio second (less sensitive to other jobs on the machine),
character error rate after lower-casing and removing punctuation, and language detection.

    nice .venv/bin/python -m bench.media_asr [--out results.md]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import time
import unicodedata
from collections import defaultdict
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np

from bench.media_ocr import edit_distance
from bench.media_samples import SENTENCES, publish
from detectors.media.audio import SAMPLE_RATE, AudioEnricher, decode_audio
from pantau.settings import Settings

VOICES = {
    "eng": ("en-us", "en"),
    "msa": ("ms", "ms"),
    "ind": ("id", "id"),
    "vie": ("vi", "vi"),
    "tha": ("th", "th"),
    "chi_sim": ("cmn", "zh"),
    "tam": ("ta", "ta"),
}


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces (and none between Chinese or Thai characters)."""
    text = "".join(
        c for c in unicodedata.normalize("NFC", text.lower()) if not unicodedata.category(c).startswith("P")
    )
    text = " ".join(text.split())
    return re.sub(r"(?<=[\u0e00-\u0e7f\u4e00-\u9fff]) (?=[\u0e00-\u0e7f\u4e00-\u9fff])", "", text)


def speak(text: str, voice: str, path: Path) -> np.ndarray:
    """Synthesise ``text`` with espeak-ng and return 16 kHz samples."""
    espeak = shutil.which("espeak-ng") or "espeak-ng"
    subprocess.run([espeak, "-v", voice, "-s", "150", "-w", str(path), text], check=True, timeout=60)  # noqa: S603
    return decode_audio(path, 900)


def speech_enricher(tmp: Path, threads: int, languages: list[str]) -> AudioEnricher:
    """``media.audio`` with its data folder under ``tmp``, restricted to ``languages`` (model not loaded yet)."""
    asr = AudioEnricher({"languages": languages})
    asr.settings = Settings.load(overrides={"data_dir": tmp / "data", "threads": threads})
    asr.ensure_loaded()
    return asr


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, help="Also write the table to this file.")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        asr = speech_enricher(Path(tmp), args.threads, list(dict.fromkeys(v[1] for v in VOICES.values())) + ["tl"])
        start = time.perf_counter()
        _ = asr.model
        load_s = time.perf_counter() - start
        rows: dict[tuple[str, str], list[tuple[float, float, int, int, bool, float]]] = defaultdict(list)
        for lang, sentences in SENTENCES.items():
            if lang not in VOICES:
                continue
            voice, iso = VOICES[lang]
            for k, sentence in enumerate(sentences):
                audio = speak(sentence, voice, Path(tmp) / f"{lang}-{k}.wav")
                for mode, forced in (("detected", None), ("forced", iso)):
                    t0, c0 = time.perf_counter(), time.process_time()
                    result = asr.transcribe(audio, forced)
                    took = time.perf_counter() - t0
                    cpu = time.process_time() - c0
                    got = normalise(" ".join(s["text"] for s in result["segments"]))
                    ref = normalise(sentence)
                    rows[(lang, mode)].append(
                        (
                            took,
                            len(audio) / SAMPLE_RATE,
                            edit_distance(got, ref),
                            len(ref),
                            result["language"] == iso,
                            cpu,
                        )
                    )
        # A longer clip: three English sentences with pauses, about 10 s.
        parts = [speak(s, "en-us", Path(tmp) / f"long-{i}.wav") for i, s in enumerate(SENTENCES["eng"])]
        gap = np.zeros(SAMPLE_RATE, dtype=np.float32)
        long_audio = np.concatenate([x for p in parts for x in (p, gap)])
        t0 = time.perf_counter()
        asr.transcribe(long_audio, None)
        long_rtf = (time.perf_counter() - t0) / (len(long_audio) / SAMPLE_RATE)

    def line(label: str, rs: list[tuple[float, float, int, int, bool, float]]) -> str:
        rtf = sum(r[0] for r in rs) / sum(r[1] for r in rs)
        cpu_rtf = sum(r[5] for r in rs) / sum(r[1] for r in rs)
        cer = sum(r[2] for r in rs) / sum(r[3] for r in rs)
        lang_ok = sum(r[4] for r in rs) / len(rs)
        audio_s = sum(r[1] for r in rs)
        cells = [label, str(len(rs)), f"{audio_s:.1f}", f"{rtf:.2f}", f"{cpu_rtf:.2f}"]
        cells += [f"{cer:.3f}", f"{lang_ok:.0%}"]
        return "| " + " | ".join(cells) + " |"

    out = [
        "| language, mode | clips | audio s | RTF (wall) | CPU s / audio s | CER | language right |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, rs in rows.items():
        out.append(line(f"{key[0]}, {key[1]}", rs))
    for mode in ("detected", "forced"):
        out.append(line(f"**all, {mode}**", [r for (_, m), rs in rows.items() if m == mode for r in rs]))
    out.append("")
    out.append(
        f"Model load: {load_s:.1f} s. English clip of {len(long_audio) / SAMPLE_RATE:.1f} s with pauses: "
        f"RTF {long_rtf:.2f} (language detected). Threads: {args.threads}."
    )
    publish(out, args.out)


if __name__ == "__main__":
    main()
