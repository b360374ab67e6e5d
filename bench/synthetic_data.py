"""Training and evaluation images for the trained synthetic-image head, read in place from ``../shared``.

Nothing is copied into the repository. Each :class:`Image` carries its label (1 = AI), its
*origin* (the repository or set it came from: the unit of leave-one-source-out splits, so no
origin is ever on both sides of a split) and a *family* (``gan``, ``diffusion``, ``ai-unknown``
or ``real``) for the per-generator figures.

Sources:

- ``media/synthetic_faces`` (1,000): FFHQ and in-the-wild real faces; StyleGAN v1, StyleGAN2
  (thispersondoesnotexist) and Stable Diffusion 2.1 faces;
- ``media/synthetic_more`` (974): StyleGAN3 faces, web-collected AI faces, DALL-E 3,
  Stable Diffusion and Midjourney images; UTKFace, Unsplash and web-collected real photos;
- ``media/sd_invisible_watermark`` (24): Stable Diffusion txt2img outputs and the real photos
  beside them; the distinct photographs among ``media/c2pa_fixtures`` (9, real).

Every image is decoded to pixels (metadata dropped) and, for training, passed through
:func:`augment`: both classes get the same random crop, resize, blur, colour jitter,
screenshot-like border and JPEG re-compression, so that the container (size, format, JPEG
quality, metadata) cannot tell the classes apart.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageEnhance, ImageFilter, ImageOps

from bench.synthetic_sets import MEDIA, REAL_FIXTURE_PHOTOS

__all__ = ["MEDIA", "Image", "augment", "family_of", "load_images", "perturb"]


@dataclass(frozen=True)
class Image:
    """One labelled image of the shared folder."""

    path: Path
    label: int
    origin: str
    generator: str
    family: str
    key: str
    """A stable name: the path relative to the media folder."""


def family_of(label: int, generator: str) -> str:
    """``real``, ``gan``, ``diffusion`` or ``ai-unknown`` from a label and a generator description."""
    if not label:
        return "real"
    g = generator.lower()
    if "stylegan" in g or "thispersondoesnotexist" in g:
        return "gan"
    if any(k in g for k in ("stable diffusion", "midjourney", "dall-e", "sd_v")):
        return "diffusion"
    return "ai-unknown"


def _image(path: Path, label: int, origin: str, generator: str, media: Path) -> Image:
    return Image(path, label, origin, generator, family_of(label, generator), str(path.relative_to(media)))


def _labels_csv(folder: Path, media: Path) -> list[Image]:
    out = []
    with (folder / "labels.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            label = 1 if row["label"] == "ai" else 0
            gen = row["generator_or_source"]
            out.append(_image(folder / row["file"], label, row["origin_repo"], gen, media))
    return out


def load_images(media: Path = MEDIA) -> list[Image]:
    """Every labelled image, in a fixed order; raise ``FileNotFoundError`` when the folder is absent."""
    if not (media / "synthetic_faces" / "labels.csv").is_file():
        raise FileNotFoundError(f"{media}/synthetic_faces/labels.csv not found (../shared/data/media)")
    images = _labels_csv(media / "synthetic_faces", media) + _labels_csv(media / "synthetic_more", media)
    wm = media / "sd_invisible_watermark"
    if (wm / "labels.csv").is_file():
        with (wm / "labels.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                label = 1 if row["label"].startswith("sd_") else 0
                gen = "Stable Diffusion v1/v2 txt2img (sd_v)" if label else "photo (inpainting input)"
                images.append(_image(wm / row["file"], label, "CompVis/stable-diffusion", gen, media))
    for name in REAL_FIXTURE_PHOTOS:
        path = media / "c2pa_fixtures" / "files" / name
        if path.is_file():
            images.append(_image(path, 0, "contentauth/c2pa-fixtures", "photo", media))
    return images


def _jpeg(image: PILImage.Image, quality: int) -> PILImage.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=int(quality))
    return PILImage.open(io.BytesIO(buf.getvalue())).convert("RGB")


def augment(image: PILImage.Image, rng: np.random.Generator) -> PILImage.Image:
    """A random re-publication of an image: crop, resize, blur, colour, border, JPEG q60-95."""
    image = image.convert("RGB")
    w, h = image.size
    f = rng.uniform(0.6, 1.0)
    cw = max(32, round(w * f * rng.uniform(0.9, 1.1)))
    ch = max(32, round(h * f * rng.uniform(0.9, 1.1)))
    cw, ch = min(cw, w), min(ch, h)
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    image = image.crop((x0, y0, x0 + cw, y0 + ch))
    short = min(image.size)
    target = float(np.exp(rng.uniform(np.log(160), np.log(900))))
    scale = float(np.clip(target / short, 0.3, 1.25))
    if abs(scale - 1) > 0.02:
        size = (max(16, round(image.size[0] * scale)), max(16, round(image.size[1] * scale)))
        method = [PILImage.Resampling.BICUBIC, PILImage.Resampling.BILINEAR, PILImage.Resampling.LANCZOS][
            int(rng.integers(0, 3))
        ]
        image = image.resize(size, method)
    if rng.random() < 0.15:
        image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.2))))
    if rng.random() < 0.3:
        image = ImageEnhance.Brightness(image).enhance(float(rng.uniform(0.9, 1.1)))
        image = ImageEnhance.Contrast(image).enhance(float(rng.uniform(0.9, 1.1)))
        image = ImageEnhance.Color(image).enhance(float(rng.uniform(0.85, 1.15)))
    if rng.random() < 0.1:
        border = int(rng.integers(4, 33))
        colour = [(255, 255, 255), (0, 0, 0), (240, 242, 245)][int(rng.integers(0, 3))]
        image = ImageOps.expand(image, border=border, fill=colour)
    if rng.random() < 0.85:
        image = _jpeg(image, int(rng.integers(60, 96)))
    return image


def perturb(image: PILImage.Image, kind: str) -> PILImage.Image:
    """The robustness rows: ``jpeg75`` (re-encoded at q75), ``half`` (50% resize), ``crop`` (centre 70%)."""
    image = image.convert("RGB")
    if kind == "jpeg75":
        return _jpeg(image, 75)
    if kind == "half":
        w, h = image.size
        return image.resize((max(16, w // 2), max(16, h // 2)), PILImage.Resampling.BICUBIC)
    if kind == "crop":
        w, h = image.size
        cw, ch = round(w * 0.7), round(h * 0.7)
        return image.crop(((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch))
    raise ValueError(f"unknown perturbation {kind!r}")
