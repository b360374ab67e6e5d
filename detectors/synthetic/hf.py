"""A plug-in that runs any Hugging Face image or audio classification model as a synthetic-media signal.

Model card
----------
- **What.** Whatever the configured model detects (deepfake faces, AI images, spoofed or
  cloned voices...), mapped to a probability-like "synthetic" score. No model is shipped:
  there is no offline deepfake model to ship (``models.md``). The operator names one.
- **How.** ``transformers.pipeline`` with the task from the options (``image-classification``
  or ``audio-classification``; for videos, the image model runs on ``frames`` evenly spaced
  frames and the median is kept). ``model`` is a hub id (downloaded by ``transformers`` on a
  machine with hub access, or read from its cache) or a local folder saved with
  ``save_pretrained``. The score is the sum of the probabilities of the labels listed in
  ``synthetic_labels`` (case-insensitive; default: fake, deepfake, ai, artificial, generated,
  synthetic, spoof, ai-generated, label_1).
- **Signal ``synthetic.hf``.** Score in [0, 1]; label ``model-synthetic`` from ``threshold``
  (0.5), else ``model-real``. Details: ``model``, ``top`` (the model's own top labels).
- **Install.** ``pip install 'pantau[hf]'`` (torch + transformers, ~3 GB, not in ``all``).
  Without them ``load()`` raises ``DetectorUnavailable`` naming that command.
- **Limits.** As good as the model named, on the data it was trained on; check its card and
  licence. Tested here only on a tiny randomly initialised ViT built from a config.
  To run two models at once, subclass with another ``name`` and register both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.synthetic.mediafiles import limits, media_files, open_rgb_image
from pantau.errors import BadMedia, ConfigError, DetectorUnavailable
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = ["HuggingFaceDetector", "HuggingFaceOptions"]

DEFAULT_SYNTHETIC_LABELS = (
    "fake",
    "deepfake",
    "ai",
    "artificial",
    "generated",
    "synthetic",
    "spoof",
    "ai-generated",
    "ai_generated",
    "label_1",
)


class HuggingFaceOptions(BaseModel):
    """Options of :class:`HuggingFaceDetector`."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(None, description="Hub model id or local folder (save_pretrained).")
    task: Literal["image-classification", "audio-classification"] = "image-classification"
    synthetic_labels: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SYNTHETIC_LABELS),
        description="Model labels whose probabilities sum to the score.",
    )
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    device: str | None = Field(None, description="'cpu', 'cuda', 'cuda:0'; default: the settings' device.")
    frames: int = Field(8, ge=1, le=64, description="Frames per video for image models.")
    local_files_only: bool = Field(False, description="Never contact the hub (offline machines).")


class HuggingFaceDetector(Detector):
    """Runs a Hugging Face classification pipeline and maps its labels to a synthetic score."""

    name = "synthetic.hf"
    version = "0.1.0"
    family = Family.SYNTHETIC
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE, Modality.AUDIO, Modality.VIDEO})
    Options = HuggingFaceOptions

    def load(self) -> None:
        """Build the pipeline once (imports torch and transformers here, never at module import)."""
        opts: HuggingFaceOptions = self.options  # type: ignore[assignment]
        if not opts.model:
            raise ConfigError("synthetic.hf needs options.model: a Hugging Face model id or a local folder")
        try:
            import torch
            from transformers import pipeline
        except ImportError as exc:
            raise DetectorUnavailable(
                "synthetic.hf needs torch and transformers: pip install 'pantau[hf]'"
            ) from exc
        device = opts.device
        if device is None:
            wanted = self.settings.device if self.settings is not None else "auto"
            device = "cuda" if wanted in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
        model = opts.model
        try:
            if opts.local_files_only and not Path(model).is_dir():
                from huggingface_hub import snapshot_download

                model = snapshot_download(model, local_files_only=True)  # the cached copy, or an error
            self.pipe = pipeline(opts.task, model=model, device=device)
        except Exception as exc:  # noqa: BLE001 - transformers raises OSError, ValueError, KeyError, TypeError...
            raise DetectorUnavailable(f"synthetic.hf cannot load model {opts.model!r}: {exc}") from exc
        self._synthetic = {label.lower() for label in opts.synthetic_labels}
        self._max_bytes, self._max_pixels = limits(self.settings)
        self.modalities_served = (
            {Modality.AUDIO} if opts.task == "audio-classification" else {Modality.IMAGE, Modality.VIDEO}
        )

    def score_outputs(self, outputs: list[dict[str, Any]]) -> tuple[float, list[dict[str, Any]]]:
        """Sum the probabilities of the synthetic labels; return it with the top labels."""
        score = sum(float(o["score"]) for o in outputs if str(o["label"]).lower() in self._synthetic)
        top = [{"label": str(o["label"]), "score": round(float(o["score"]), 4)} for o in outputs[:5]]
        return min(1.0, score), top

    def _classify(self, inputs: list[Any]) -> list[tuple[float, list[dict[str, Any]]]]:
        outputs = self.pipe(inputs, top_k=None)
        if inputs and isinstance(outputs, list) and outputs and isinstance(outputs[0], dict):
            outputs = [outputs]
        return [self.score_outputs(list(o)) for o in outputs]

    def judge_file(self, path: str | Path, modality: Modality) -> tuple[float, list[dict[str, Any]]]:
        """Return (score, top labels) for one file."""
        self.ensure_loaded()
        if modality == Modality.AUDIO:
            return self._classify([self._audio(path)])[0]
        if modality == Modality.VIDEO:
            from PIL import Image

            from detectors.synthetic.frames import sample_frames

            opts: HuggingFaceOptions = self.options  # type: ignore[assignment]
            frames = [Image.fromarray(rgb) for _, rgb in sample_frames(path, opts.frames, self._max_pixels)]
            if not frames:
                raise BadMedia(f"{Path(path).name}: no decodable frame")
            scored = self._classify(frames)
            return float(np.median([s for s, _ in scored])), scored[0][1]
        return self._classify([open_rgb_image(Path(path), self._max_pixels, self._max_bytes)])[0]

    def _audio(self, path: str | Path) -> dict[str, Any]:
        try:
            import librosa
        except ImportError as exc:
            raise DetectorUnavailable(
                "synthetic.hf audio needs librosa: pip install 'pantau[synthetic]'"
            ) from exc
        rate = int(getattr(self.pipe.feature_extractor, "sampling_rate", 16000))
        try:
            samples, _ = librosa.load(str(path), sr=rate, mono=True, duration=60.0)
        except Exception as exc:  # noqa: BLE001 - audioread/soundfile raise many types
            raise BadMedia(f"{Path(path).name}: cannot decode audio ({exc})") from exc
        return {"raw": samples, "sampling_rate": rate}

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per media file the configured task can read."""
        self.ensure_loaded()
        opts: HuggingFaceOptions = self.options  # type: ignore[assignment]
        results: list[list[Signal]] = []
        for enriched in batch:
            signals = []
            for media in media_files(enriched, self.modalities_served):
                assert media.modality is not None  # noqa: S101 - media_files sets it
                score, top = self.judge_file(str(media.path), media.modality)
                label = "model-synthetic" if score >= opts.threshold else "model-real"
                evidence = f"{opts.model}: " + ", ".join(f"{t['label']} {t['score']:.2f}" for t in top[:2])
                signals.append(
                    self.signal(
                        enriched, score, label, evidence, {"model": opts.model, "top": top}, media.sha256
                    )
                )
            results.append(signals)
        return results
