"""Word error rate of ``media.audio`` on a few minutes of synthesised Malay and Indonesian speech.

Issue 17, item 5: Whisper base cannot tell Malay from Indonesian by ear, so ``media.audio`` takes
the language from the post (the feed's language, the caption's, or the only configured election
language) before transcribing. This measures what that buys. Speech is made with espeak-ng's
``ms`` and ``id`` voices (a formant synthesiser: robotic and accented, so the figures are a floor
for people's speech, not an estimate) from:

- Indonesian: headlines of turnbackhoax.id fact-checks (``../shared/data/disinfo/turnbackhoax_id``,
  read in place; the rating prefix removed), 6-14 words, a seeded sample;
- Malay: the campaign sentences below (written for this benchmark).

Each clip is transcribed three ways: with the language of the post (``hint``: what the pipeline
does), with the language detected by Whisper (``detected``: no hint), and with the other of the two
languages forced (``crossed``: a Malay clip read as Indonesian and the reverse, the mistake a wrong
hint makes). Reported: clips, audio seconds, word error rate (substitutions + insertions +
deletions over reference words, after lower-casing and removing punctuation), character error
rate, the language Whisper reported, and CPU seconds per audio second.

    nice .venv/bin/python -m bench.media_asr_wer [--clips 24] [--out results.md]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import defaultdict
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.media_asr import normalise, speak, speech_enricher
from bench.media_ocr import edit_distance
from bench.media_samples import publish
from detectors.media.audio import SAMPLE_RATE

SEED = 17
TURNBACKHOAX = Path(__file__).resolve().parents[2] / "shared/data/disinfo/turnbackhoax_id/turnbackhoax_2021.csv"

MALAY = [
    "Pengundi diminta keluar awal pada hari mengundi",
    "Suruhanjaya Pilihan Raya mengumumkan tarikh penamaan calon",
    "Calon wanita itu berjanji membina lebih banyak sekolah",
    "Jangan percaya mesej palsu tentang pusat mengundi",
    "Keputusan rasmi akan diumumkan selepas semua undi dikira",
    "Parti itu menafikan video yang disunting dengan kecerdasan buatan",
    "Harga barang keperluan naik lagi bulan ini",
    "Kami akan menambah baik perkhidmatan kesihatan di luar bandar",
    "Pengundi muda perlu mendaftar sebelum tarikh tutup",
    "Ceramah politik malam ini dibatalkan kerana hujan lebat",
    "Semua peti undi dijaga oleh polis dan petugas",
    "Menteri itu berkata ekonomi negara semakin pulih",
    "Gambar itu bukan gambar sebenar kerana dibuat oleh komputer",
    "Rakyat berhak mengetahui siapa yang membiayai kempen ini",
    "Undi anda adalah rahsia dan tiada siapa boleh melihatnya",
    "Jalan raya di kampung kami masih belum dibaiki",
    "Ahli parlimen wanita itu diserang di media sosial",
    "Sila bawa kad pengenalan anda ke pusat mengundi",
    "Laporan polis telah dibuat mengenai ugutan tersebut",
    "Kerajaan negeri akan membina rumah mampu milik",
    "Pusat mengundi dibuka dari pukul lapan pagi hingga enam petang",
    "Berita itu palsu dan telah disahkan oleh pihak berkuasa",
    "Calon bebas itu mendapat sokongan ramai belia",
    "Pemerhati antarabangsa memantau perjalanan pilihan raya",
]

_PREFIX = re.compile(r"^\s*(\[[^\]]*\]\s*)+")


def indonesian(n: int) -> list[str]:
    """``n`` turnbackhoax.id headlines of 6-14 words, letters and digits only, seeded."""
    import csv
    import io

    raw = TURNBACKHOAX.read_bytes().decode("utf-8", "replace")
    rows = list(csv.reader(io.StringIO(raw, newline=""), delimiter=";"))[1:]
    pool = []
    for row in rows:
        if len(row) < 2:
            continue
        text = " ".join(_PREFIX.sub("", row[1]).replace("“", "").replace("”", "").split())
        text = text.capitalize() if text.isupper() else text  # capitals would be spelt out as letters
        if re.fullmatch(r"[A-Za-z0-9 ,.'-]+", text) and 6 <= len(text.split()) <= 14:
            pool.append(text)
    pool = sorted(set(pool))
    return random.Random(SEED).sample(pool, min(n, len(pool)))


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=24, help="clips per language")
    parser.add_argument("--out", type=Path, help="Also write the table to this file.")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    sets = {"ms": MALAY[: args.clips], "id": indonesian(args.clips)}
    other = {"ms": "id", "id": "ms"}
    rows: dict[tuple[str, str], list[tuple[float, int, int, int, int, str, float]]] = defaultdict(list)
    with TemporaryDirectory() as tmp:
        asr = speech_enricher(Path(tmp), args.threads, ["en", "ms", "id", "tl", "vi", "th", "zh", "ta"])
        _ = asr.model
        for lang, sentences in sets.items():
            for k, sentence in enumerate(sentences):
                audio = speak(sentence, lang, Path(tmp) / f"{lang}-{k}.wav")
                for mode, forced in (("hint", lang), ("detected", None), ("crossed", other[lang])):
                    c0 = time.process_time()
                    result = asr.transcribe(audio, forced)
                    cpu = time.process_time() - c0
                    got = normalise(" ".join(s["text"] for s in result["segments"]))
                    ref = normalise(sentence)
                    rows[(lang, mode)].append((
                        len(audio) / SAMPLE_RATE,
                        edit_distance(got.split(), ref.split()),  # type: ignore[arg-type]
                        len(ref.split()),
                        edit_distance(got, ref),
                        len(ref),
                        str(result["language"]),
                        cpu,
                    ))
    out = [
        "| speech, mode | clips | audio s | WER | CER | language reported | CPU s / audio s |",
        "|---|---|---|---|---|---|---|",
    ]
    for (lang, mode), rs in rows.items():
        audio_s = sum(r[0] for r in rs)
        langs = defaultdict(int)
        for r in rs:
            langs[r[5]] += 1
        said = ", ".join(f"{k} {v}" for k, v in sorted(langs.items(), key=lambda kv: -kv[1]))
        out.append(
            f"| {lang}, {mode} | {len(rs)} | {audio_s:.0f} | {sum(r[1] for r in rs) / sum(r[2] for r in rs):.3f} "
            f"| {sum(r[3] for r in rs) / sum(r[4] for r in rs):.3f} | {said} "
            f"| {sum(r[6] for r in rs) / audio_s:.2f} |"
        )
    out.append("")
    out.append(f"Voices: espeak-ng ms, id at 150 words/min; Whisper base (media.audio), threads {args.threads}.")
    publish(out, args.out)


if __name__ == "__main__":
    main()
