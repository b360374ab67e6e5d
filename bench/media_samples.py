"""Test media made on the spot: rendered text in the eight languages in scope, tones, videos.

Shared by ``tests/unit/media`` and the ``bench/media_*.py`` scripts, so that no media file
with an unclear licence enters the repository. Fonts come from Debian packages that
``infra/apt-packages.txt`` installs (DejaVu, Noto, WenQuanYi Micro Hei).

Example Snippet::

    image = render_text_image("Undi pada hari Ahad", "msa")
    image.save(tmp_path / "poster.png")
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "FONTS",
    "SENTENCES",
    "find_font",
    "publish",
    "render_text_image",
    "write_tone_wav",
    "write_test_video",
]

FONTS: dict[str, list[str]] = {
    "latin": [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    ],
    "tha": [
        "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
        "/usr/share/fonts/truetype/tlwg/Loma.ttf",
    ],
    "tam": [
        "/usr/share/fonts/truetype/noto/NotoSansTamil-Regular.ttf",
        "/usr/share/fonts/truetype/lohit-tamil/Lohit-Tamil.ttf",
    ],
    "chi_sim": [
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    ],
}
"""Candidate font files per script, first found wins."""

SENTENCES: dict[str, list[str]] = {
    "eng": [
        "Vote on Sunday at your polling station",
        "Fake results are being shared online",
        "Count every ballot before midnight",
    ],
    "msa": [
        "Undi pada hari Ahad di pusat mengundi anda",
        "Keputusan palsu sedang disebarkan",
        "Calon wanita itu tidak layak bertanding",
    ],
    "ind": [
        "Pilih pada hari Minggu di tempat pemungutan suara",
        "Hasil hitung cepat ini tidak benar",
        "Jangan percaya berita bohong tentang pemilu",
    ],
    "tha": ["เลือกตั้งวันอาทิตย์นี้ที่หน่วยเลือกตั้ง", "ผลการเลือกตั้งปลอมถูกแชร์ออนไลน์", "นับคะแนนทุกใบก่อนเที่ยงคืน"],
    "vie": [
        "Hãy đi bầu cử vào ngày Chủ nhật",
        "Kết quả bầu cử giả đang được chia sẻ",
        "Đếm mọi lá phiếu trước nửa đêm",
    ],
    "chi_sim": ["请在星期日到投票站投票", "网上流传的选举结果是假的", "午夜前清点每一张选票"],
    "tam": ["ஞாயிற்றுக்கிழமை வாக்களியுங்கள்", "போலி முடிவுகள் பகிரப்படுகின்றன", "ஒவ்வொரு வாக்கையும் எண்ணுங்கள்"],
    "fil": [
        "Bumoto sa Linggo sa inyong presinto",
        "Huwag maniwala sa pekeng resulta ng halalan",
        "Bilangin ang bawat balota bago maghatinggabi",
    ],
}
"""Short campaign-style lines per Tesseract language (written for Pantau; no outside source)."""

_SCRIPT = {"tha": "tha", "tam": "tam", "chi_sim": "chi_sim"}


def find_font(lang: str) -> str | None:
    """Return a font file that can render ``lang`` (a Tesseract language code), or ``None``."""
    for path in FONTS[_SCRIPT.get(lang, "latin")]:
        if Path(path).is_file():
            return path
    return None


def render_text_image(
    text: str,
    lang: str = "eng",
    size: int = 40,
    width: int | None = None,
    background: tuple[int, int, int] = (255, 255, 255),
) -> Image.Image:
    """Render one line of text black on a plain background, with a margin.

    :raises FileNotFoundError: no font for the language's script is installed.
    """
    path = find_font(lang)
    if path is None:
        raise FileNotFoundError(f"no font installed for {lang}: install the fonts in infra/apt-packages.txt")
    font = ImageFont.truetype(path, size)
    left, top, right, bottom = font.getbbox(text)
    w = width or (right - left + 2 * size)
    image = Image.new("RGB", (w, bottom - top + 2 * size), background)
    ImageDraw.Draw(image).text((size - left, size - top), text, fill=(0, 0, 0), font=font)
    return image


def write_tone_wav(path: Path, seconds: float = 1.0, freq: float = 440.0, rate: int = 16000) -> Path:
    """Write a mono 16-bit WAV with a sine tone (no speech)."""
    import soundfile

    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(
        str(path), (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate, subtype="PCM_16"
    )
    return path


def write_test_video(
    path: Path,
    scenes: list[tuple[int, int, int]],
    seconds_per_scene: float = 1.0,
    fps: int = 10,
    size: tuple[int, int] = (160, 120),
    tone: bool = True,
) -> Path:
    """Write an MP4 of solid-colour scenes (with a tone track when ``tone``) using ffmpeg."""
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    for r, g, b in scenes:
        args += [
            "-f",
            "lavfi",
            "-i",
            f"color=c=0x{r:02x}{g:02x}{b:02x}:s={size[0]}x{size[1]}:r={fps}:d={seconds_per_scene}",
        ]
    n = len(scenes)
    chain = "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]"
    if tone:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={n * seconds_per_scene}"]
    args += ["-filter_complex", chain, "-map", "[v]"]
    if tone:
        args += ["-map", f"{n}:a", "-c:a", "aac"]
    args += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", str(path)]
    subprocess.run(args, check=True, capture_output=True, timeout=60)  # noqa: S603 - fixed argument vector
    return path


def publish(lines: list[str], out: Path | None) -> None:
    """Print a benchmark's Markdown report and write it to ``out`` (``--out``) when given."""
    table = "\n".join(lines)
    print(table)
    if out:
        out.write_text(table + "\n", encoding="utf-8")
