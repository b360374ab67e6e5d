"""Synthetic election-night workloads for benchmarks.

Real campaign traffic is duplicate-heavy: a meme or a false claim is shared thousands of
times by different accounts with the same text and media. The generator reproduces that with
a share-cascade model: each item copies an earlier "original" with probability
``duplicate_rate`` (originals drawn with a Zipf-like preference for popular ones), and is new
otherwise. Texts mix English, Malay and Indonesian campaign talk, with a share of abusive and
false posts so the detectors and rules have work to do.

Example Snippet::

    write_workload(Path("/tmp/w"), kind="text", n_items=10_000, duplicate_rate=0.6, seed=1)
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Literal

__all__ = ["WorkloadKind", "write_workload"]

WorkloadKind = Literal["text", "image", "video"]

_TEMPLATES = [
    "Terima kasih {place}! Ribuan hadir di ceramah malam tadi. Bersama kita bina Nusantara yang adil. #{tag}",
    "Program kami: harga beras turun, sekolah gratis, internet desa. Pilih nomor {n} tanggal 29 November!",
    "Debate tonight at 8pm on TV Nusantara: our plan for {topic}. Share with your friends!",
    "Undi {party} untuk masa depan anak-anak kita di {place}.",
    "Reminder: polling day is Sunday 29 November, polls open 8am to 6pm. Bring your identity card.",
    "Kami akan membina {n}0,000 rumah mampu milik dalam lima tahun di {place}.",
    "Harga minyak naik lagi, rakyat {place} menderita. Saatnya perubahan! #{tag}",
]
_ABUSE = [
    "{woman} is a stupid bitch who should go back to the kitchen.",
    "{woman} cuma perempuan murahan, pantas di dapur saja bukan di parlimen!",
    "No woman like {woman} belongs in parliament, shut up and make sandwiches.",
]
_FALSE = [
    "PENTING: hari mengundi ditangguhkan ke 6 Disember. Anda juga boleh mengundi melalui SMS ke 3388.",
    "Breaking: voting will also be possible online this year. Just send your IC number to our bot.",
    "Pemilu ditunda sampai Desember, jangan datang ke TPS tanggal 29!",
]
_PLACES = ["Kuala Seri", "Bukit Mawar", "Tanjung Kenari", "Kota Baru", "Sungai Emas", "Pulau Indah"]
_TOPICS = ["education", "healthcare", "rice prices", "rural internet", "housing"]
_WOMEN = ["Aminah Yusof", "Ratna Sari Wulandari", "Kak Aminah", "Bu Ratna"]
_ACCOUNTS = [("facebook", "pbn.official"), ("x", "@pkr2_rasmi"), ("telegram", "gpm_channel")]


def _original_text(rng: random.Random, n: int) -> str:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(_ABUSE).format(woman=rng.choice(_WOMEN)) + f" #{n}"
    if roll < 0.14:
        return rng.choice(_FALSE) + f" ({n})"
    template = rng.choice(_TEMPLATES)
    return template.format(
        place=rng.choice(_PLACES), tag=f"PRU{rng.randint(1, 99)}", n=rng.randint(1, 9),
        topic=rng.choice(_TOPICS), party=rng.choice(["PBN", "PKR2", "GPM"]),
    ) + f" [{n}]"


def _image(path: Path, rng: random.Random, text: str) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), tuple(rng.randint(0, 255) for _ in range(3)))  # type: ignore[arg-type]
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = rng.randint(0, 600), rng.randint(0, 440)
        draw.rectangle([x0, y0, x0 + rng.randint(10, 200), y0 + rng.randint(10, 200)],
                       fill=tuple(rng.randint(0, 255) for _ in range(3)))  # type: ignore[arg-type]
    draw.rectangle([20, 400, 620, 460], fill=(255, 255, 255))
    draw.text((30, 415), text[:70], fill=(0, 0, 0))
    img.save(path, "JPEG", quality=85)


def _video(path: Path, rng: random.Random, seconds: float = 4.0, fps: int = 10) -> None:
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (320, 240))
    base = np.full((240, 320, 3), [rng.randint(0, 255) for _ in range(3)], dtype=np.uint8)
    for frame_no in range(int(seconds * fps)):
        frame = base.copy()
        x = (frame_no * 7) % 300
        cv2.rectangle(frame, (x, 80), (x + 20, 160), (255, 255, 255), -1)
        if frame_no == int(seconds * fps) // 2:
            base = np.full((240, 320, 3), [rng.randint(0, 255) for _ in range(3)], dtype=np.uint8)
        writer.write(frame)
    writer.release()


def write_workload(
    folder: Path,
    kind: WorkloadKind = "text",
    n_items: int = 5000,
    duplicate_rate: float = 0.6,
    seed: int = 7,
    video_seconds: float = 4.0,
) -> Path:
    """Write ``folder/feed.jsonl`` (and media files) and return the feed's path."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    media_dir = folder / "media"
    media_dir.mkdir(exist_ok=True)
    originals: list[dict[str, Any]] = []
    lines = []
    for n in range(n_items):
        platform, account = rng.choice(_ACCOUNTS) if rng.random() < 0.3 else ("x", f"@user{rng.randint(1, 5000)}")
        if originals and rng.random() < duplicate_rate:
            # Popular originals are shared more: pick with a heavy bias towards the first ones.
            pick = originals[min(len(originals) - 1, int(rng.paretovariate(1.2)) - 1)]
            record = {**pick}
        else:
            record = {"text": _original_text(rng, n)}
            if kind == "image":
                path = media_dir / f"img{n}.jpg"
                _image(path, rng, record["text"])
                record["media"] = [f"media/{path.name}"]
            elif kind == "video":
                path = media_dir / f"vid{n}.mp4"
                _video(path, rng, seconds=video_seconds)
                record["media"] = [f"media/{path.name}"]
            originals.append(record)
        lines.append(json.dumps({**record, "id": f"w{n}", "platform": platform, "account": account}))
    feed = folder / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return feed
