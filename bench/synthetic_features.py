"""CLIP features of every training image's views, cached under the data folder (not the repository).

Usage::

    .venv/bin/python bench/synthetic_features.py                  # all variants, whole-image view
    .venv/bin/python bench/synthetic_features.py --variants aug1 --views all --threads 2

A *variant* is one version of every image: ``clean`` (the file as it is), ``aug1`` and ``aug2``
(two random re-publications from :func:`bench.synthetic_data.augment`, seeded by the image's
name, the copy and a fixed seed), and the robustness rows ``jpeg75``, ``half`` and ``crop``
(:func:`bench.synthetic_data.perturb`, on every tenth image). Each variant is written to
``<cache>/<variant>.npz``: per view (``global``, ``face``, ``patch``) a float16 matrix of the 12
class tokens and the projected embedding (``12 * 768 + 512`` columns), ``has_face``, and the
image keys (``--views global``, the default, encodes the whole-image view only: the face and
patch views did not add out of origin, see ``docs/synthetic.md``). The int8 encoder's integer
matrix products make the features the same from run to run on one machine (the same images in
the same encoder batches), so the cache is a speed-up, never a source of difference.
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.synthetic_data import Image, augment, load_images, perturb  # noqa: E402

__all__ = ["DEFAULT_CACHE", "FEATURES", "VARIANTS", "compute", "load_variant", "main"]

VARIANTS = ("aug1", "clean", "aug2", "jpeg75", "half", "crop")
ROBUSTNESS = ("jpeg75", "half", "crop")
FEATURES = 12 * 768 + 512
DEFAULT_CACHE = REPO / "pantau-data" / "cache" / "synthetic"
SEED = 20261207


def _open(path: Path):  # noqa: ANN202 - PIL image
    from PIL import Image as PILImage
    from PIL import ImageOps

    image = PILImage.open(path)
    image.draft("RGB", (2048, 2048))  # JPEG: decode at most at about 2k (a 6k photo costs 9x less)
    image = ImageOps.exif_transpose(image) or image
    return image.convert("RGB")


def variant_image(image: Image, variant: str, seed: int = SEED):  # noqa: ANN201 - PIL image
    """Return the pixels of one image in one variant."""
    pixels = _open(image.path)
    if variant == "clean":
        return pixels
    if variant in ROBUSTNESS:
        return perturb(pixels, variant)
    copy = int(variant.removeprefix("aug"))
    rng = np.random.default_rng([seed, copy, zlib.crc32(image.key.encode())])
    return augment(pixels, rng)


def subset(images: list[Image], variant: str) -> list[Image]:
    """The images a variant covers (every tenth for the robustness rows)."""
    return images[::10] if variant in ROBUSTNESS else images


def compute(
    images: list[Image], variant: str, threads: int = 2, seed: int = SEED, log: bool = True, views: str = "all"
) -> dict:
    """Encode the views of every image of a variant; return the arrays written to the cache.

    With ``views="global"`` only the whole-image view is encoded (3x faster; the others stay zero).
    """
    from detectors.synthetic.clip_features import VIEWS, ClipLayers, FaceFinder, image_views

    clip, faces = ClipLayers(threads=threads), (FaceFinder() if views == "all" else None)
    chosen = subset(images, variant)
    feats = {view: np.zeros((len(chosen), FEATURES), np.float16) for view in VIEWS}
    has_face = np.zeros(len(chosen), bool)
    start, step = time.time(), 8
    for first in range(0, len(chosen), step):
        block = chosen[first : first + step]
        flat, where = [], []
        for i, image in enumerate(block, start=first):
            found = image_views(variant_image(image, variant, seed), faces)
            has_face[i] = "face" in found
            for view, arr in found.items():
                if views != "all" and view != views:
                    continue
                flat.append(arr)
                where.append((i, view))
        out = clip.encode(flat, batch=16)
        row = np.concatenate([out[f"cls_{k}"] for k in range(12)] + [out["embed"]], axis=1)
        for (i, view), vec in zip(where, row, strict=True):
            feats[view][i] = vec.astype(np.float16)
        if log and (first // step) % 25 == 0:
            done = first + len(block)
            print(f"{variant}: {done}/{len(chosen)} images, {done / (time.time() - start):.2f}/s", flush=True)
    return {"keys": np.array([im.key for im in chosen]), "has_face": has_face, "views": np.array(views), **feats}


def load_variant(
    variant: str, images: list[Image], cache: Path = DEFAULT_CACHE, threads: int = 2, views: str = "all"
) -> dict:
    """Return a variant's features from the cache, computing and writing them when absent or stale."""
    path = cache / f"{variant}.npz"
    want = [im.key for im in subset(images, variant)]
    if path.is_file():
        data = dict(np.load(path))
        have = str(data.get("views", "all"))
        if list(data["keys"]) == want and (have == "all" or have == views):
            return data
    data = compute(images, variant, threads, views=views)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **data)
    tmp.replace(path)
    return data


def main(argv: list[str] | None = None) -> int:
    """Compute and cache the features of the chosen variants."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--views", choices=("all", "global"), default="global", help="views to encode")
    args = parser.parse_args(argv)
    images = load_images()
    for variant in args.variants.split(","):
        t0 = time.time()
        load_variant(variant, images, args.cache, args.threads, args.views)
        print(f"{variant}: ready in {time.time() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
