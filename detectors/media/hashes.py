"""``media.hashes``: perceptual hashes (PDQ) of images and video keyframes, matched against known media.

**Hashes.** PDQ (Meta's 256-bit perceptual hash, via ``pdqhash``) of every image, and of every
keyframe ``media.video`` extracted: ``enrichment.hashes[sha256]`` is the image's PDQ as 64 hex
characters, or for a video the keyframe hashes in time order separated by spaces (the video
hash). Bits are packed most significant first from ``pdqhash.compute``'s vector; the
quality (0-100; under 50 means a flat image whose hash matches too easily) goes to
``media_meta[sha256]["pdq_quality"]``.

**Known-media lists.** Files named in ``options.lists`` (CSV with a header, or JSONL), one
known file per row::

    kind,hash,list,label
    pdq,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,known-fakes,"Doctored rally photo"
    sha256,9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,ncii,"Reported 2024-03-02"

``kind`` is ``pdq`` (a 64-hex PDQ of an image or of one video keyframe) or ``sha256`` (exact
content); ``list`` names the list (rules read it, e.g. ``known-fakes``, ``ncii``); ``label`` is
free text shown to reviewers. JSONL rows carry the same four keys. A media file matches a PDQ
row at Hamming distance <= ``max_distance`` (31 of 256 bits, PDQ's recommended threshold);
a video matches when any keyframe does. Reposts are often mirrored or framed: by default the
mirrored image and the image with plain borders trimmed are matched as well (only the plain
PDQ is stored; the others are computed only while some list has PDQ rows). Matches go to
``media_meta[sha256]["known_matches"]`` (``list``, ``label``, ``kind``, ``distance``,
``frame_time``), which the ``media.known_match`` detector turns into a signal.

**Pantau's own list.** ``<data_dir>/known_media.csv`` (filled by ``pantau known add``, see
:mod:`detectors.media.known_list`) is read too when it exists, with no configuration. Every
list file is checked for changes before each batch and read again when one changed, so a
running pipeline flags re-shares of media added while it runs (a list that became invalid is
reported and the previous rows stay in force).
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Enricher
from detectors.media.decode import item_media, keyframes_of, open_image, settings_of
from pantau.errors import ConfigError, DetectorUnavailable
from pantau.schemas import EnrichedItem, Modality

if TYPE_CHECKING:
    from pantau.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "FILE_NAME",
    "HashEnricher",
    "KnownMediaIndex",
    "default_list_file",
    "hamming",
    "hash_variants",
    "pdq_hex",
    "trim_borders",
]

FILE_NAME = "known_media.csv"
"""Pantau's own known-media list in the data folder (:mod:`detectors.media.known_list` writes it)."""

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def default_list_file(settings: Settings) -> Path:
    """Return the list file in the data folder (it need not exist)."""
    return settings.data_dir / FILE_NAME


def pdq_hex(rgb: np.ndarray) -> tuple[str, int]:
    """Return (PDQ hash as 64 hex characters, quality 0-100) of an RGB uint8 image."""
    import pdqhash

    vector, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    return np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex(), int(quality)


def trim_borders(rgb: np.ndarray, tolerance: float = 8.0, max_share: float = 0.3) -> np.ndarray:
    """Cut plain bands off the edges (screenshot bars, letterboxing), at most ``max_share`` per side.

    A row or column is plain when its pixels stay within ``tolerance`` of its mean.
    """
    grey = rgb.mean(axis=2) if rgb.ndim == 3 else rgb.astype(np.float64)
    h, w = grey.shape
    rows = grey.std(axis=1) < tolerance
    cols = grey.std(axis=0) < tolerance

    def run(flags: np.ndarray, limit: int) -> int:
        n = 0
        while n < limit and flags[n]:
            n += 1
        return n

    top, bottom = run(rows, int(h * max_share)), run(rows[::-1], int(h * max_share))
    left, right = run(cols, int(w * max_share)), run(cols[::-1], int(w * max_share))
    if h - top - bottom < 16 or w - left - right < 16:
        return rgb
    return rgb[top : h - bottom, left : w - right]


def hamming(a: str, b: str) -> int:
    """Return the Hamming distance of two hex hashes of equal length.

    >>> hamming("ff00", "0f00")
    4
    """
    return int((int(a, 16) ^ int(b, 16)).bit_count())


def hash_variants(rgb: np.ndarray, trim: bool = True, mirrors: bool = True) -> tuple[str, int, list[str]]:
    """Return (PDQ, quality, extra hashes to match with: borders trimmed, mirrored)."""
    value, quality = pdq_hex(rgb)
    variants: list[str] = []
    images = [rgb]
    if trim:
        trimmed = trim_borders(rgb)
        if trimmed.shape != rgb.shape:
            images.append(trimmed)
            variants.append(pdq_hex(trimmed)[0])
    if mirrors:
        # Hash the flipped pixels: pdqhash's dihedral hashes of a mirror were 40 bits from the original.
        variants += [pdq_hex(np.ascontiguousarray(image[:, ::-1]))[0] for image in images]
    return value, quality, variants


def _field(row: dict[str, str], key: str) -> str:
    """A list row's field as stripped text ('' when the row has no such column)."""
    return str(row.get(key) or "").strip()


class KnownMediaIndex:
    """The rows of known-media lists, searchable by SHA-256 and by PDQ distance."""

    def __init__(self, rows: Sequence[dict[str, str]] = ()) -> None:
        self.exact: dict[str, list[dict[str, str]]] = {}
        pdq_rows: list[dict[str, str]] = []
        pdq_bits: list[bytes] = []
        for row in rows:
            kind, value = _field(row, "kind").lower(), _field(row, "hash").lower()
            entry = {"list": _field(row, "list"), "label": _field(row, "label"), "kind": kind}
            if kind not in ("sha256", "pdq") or not _HEX64.match(value):
                raise ValueError(
                    f"bad known-media row (kind {kind!r}, hash {value[:70]!r}): "
                    "kind is sha256 or pdq, hash 64 hex digits"
                )
            if not entry["list"]:
                raise ValueError(f"known-media row without a list name (hash {value})")
            if kind == "sha256":
                self.exact.setdefault(value, []).append(entry)
            else:
                pdq_rows.append(entry)
                pdq_bits.append(bytes.fromhex(value))
        self.pdq_rows = pdq_rows
        self.pdq = np.frombuffer(b"".join(pdq_bits), dtype=np.uint8).reshape(-1, 32)

    @classmethod
    def from_files(cls, paths: Sequence[str | Path]) -> KnownMediaIndex:
        """Read CSV (with a ``kind,hash,list,label`` header) and JSONL list files."""
        rows: list[dict[str, str]] = []
        for path in paths:
            p = Path(path)
            try:
                text = p.read_text(encoding="utf-8")
                if p.suffix.lower() in (".jsonl", ".ndjson"):
                    rows += [json.loads(line) for line in text.splitlines() if line.strip()]
                else:
                    rows += list(csv.DictReader(text.splitlines()))
                cls(rows)  # validate file by file, so the error names the file
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(f"{p}: invalid known-media list: {exc}") from exc
        return cls(rows)

    def __len__(self) -> int:
        return len(self.pdq_rows) + sum(len(v) for v in self.exact.values())

    def match_sha256(self, sha256: str) -> list[dict[str, Any]]:
        """Return the rows listing exactly this content."""
        return [{**e, "distance": 0} for e in self.exact.get(sha256.lower(), [])]

    def match_pdq(self, hex_hash: str, max_distance: int) -> list[dict[str, Any]]:
        """Return the PDQ rows within ``max_distance`` bits of ``hex_hash``, nearest first."""
        if not self.pdq_rows:
            return []
        query = np.frombuffer(bytes.fromhex(hex_hash), dtype=np.uint8)
        if hasattr(np, "bitwise_count"):  # numpy >= 2: popcount on 64-bit words
            xored = np.bitwise_xor(self.pdq.view(np.uint64), query.view(np.uint64))
            distances = np.bitwise_count(xored).sum(axis=1, dtype=np.int32)
        else:
            distances = _POPCOUNT[np.bitwise_xor(self.pdq, query)].sum(axis=1, dtype=np.int32)
        hits = np.flatnonzero(distances <= max_distance)
        hits = hits[np.argsort(distances[hits])]
        return [{**self.pdq_rows[i], "distance": int(distances[i])} for i in hits]


class HashOptions(BaseModel):
    """Options of ``media.hashes``."""

    model_config = ConfigDict(extra="forbid")

    lists: list[str] = Field(default_factory=list, description="Known-media list files (CSV or JSONL).")
    max_distance: int = Field(
        31, ge=0, le=128, description="PDQ Hamming distance that counts as the same picture."
    )
    min_quality: int = Field(50, ge=0, le=100, description="PDQ hashes of lower quality are not matched.")
    match_mirrors: bool = Field(
        True, description="Also match mirrored copies (the flipped image is hashed too)."
    )
    trim_borders: bool = Field(
        True, description="Also match with plain borders cut off (screenshots, padding)."
    )


class HashEnricher(Enricher):
    """Hashes images and keyframes with PDQ and matches them against known-media lists."""

    name = "media.hashes"
    version = "1.0.0"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE, Modality.VIDEO, Modality.AUDIO})
    needs = ("media.probe", "media.video")
    Options = HashOptions

    def load(self) -> None:
        """Check pdqhash and read the known-media lists."""
        try:
            import pdqhash  # noqa: F401
        except ImportError as exc:
            raise DetectorUnavailable("pdqhash is not installed: pip install -e '.[media]'") from exc
        self._own_list = default_list_file(settings_of(self))
        self.index = KnownMediaIndex.from_files(self._list_files())
        self._stamp = self._list_stamp()

    def _list_files(self) -> list[Path]:
        """The configured lists, and Pantau's own list in the data folder when it exists."""
        options: HashOptions = self.options  # type: ignore[assignment]
        files = [Path(p) for p in options.lists]
        own: Path = self._own_list
        if own.is_file() and own.resolve() not in {f.resolve() for f in files}:
            files.append(own)
        return files

    def _list_stamp(self) -> tuple[tuple[str, int, int, int], ...]:
        """Which list files exist, with their modification time and size (to notice a change)."""
        stamp = []
        for path in self._list_files():
            try:
                st = path.stat()
            except OSError:
                continue
            stamp.append((str(path), st.st_ino, st.st_mtime_ns, st.st_size))
        return tuple(stamp)

    def _refresh(self) -> None:
        """Read the lists again when a file changed, appeared or went; keep the old rows if one is bad."""
        if not hasattr(self, "_stamp"):
            return
        stamp = self._list_stamp()
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            self.index = KnownMediaIndex.from_files([Path(entry[0]) for entry in stamp])
        except ConfigError as exc:
            log.warning("known-media lists not reloaded, previous rows stay in force: %s", exc)

    def _hash_file(self, path: str, variants: bool = True) -> tuple[str, int, list[str]]:
        """Return the PDQ of an image, its quality, and the extra hashes to match with (mirrors, trimmed).

        ``variants=False``: no list has PDQ rows to match, so only the stored hash is computed (1 PDQ
        instead of 2-4).
        """
        options: HashOptions = self.options  # type: ignore[assignment]
        settings = settings_of(self)
        rgb = np.asarray(open_image(path, settings.media.max_pixels, shared=settings.dedupe), dtype=np.uint8)
        if not variants:
            return (*pdq_hex(rgb), [])
        return hash_variants(rgb, options.trim_borders, options.match_mirrors)

    @staticmethod
    def _match(
        index: KnownMediaIndex, hashes: list[str], at: float | None, max_distance: int
    ) -> list[dict[str, Any]]:
        """Best match per list row over the image's hash and its variants."""
        best: dict[tuple[str, str], dict[str, Any]] = {}
        for value in hashes:
            for match in index.match_pdq(value, max_distance):
                key = (match["list"], match["label"])
                if key not in best or match["distance"] < best[key]["distance"]:
                    best[key] = {**match, "frame_time": at}
        return list(best.values())

    def enrich(self, batch: Sequence[EnrichedItem]) -> None:
        """Fill ``enrichment.hashes`` and the known-media matches of every media file."""
        options: HashOptions = self.options  # type: ignore[assignment]
        self._refresh()
        index = getattr(self, "index", None) or KnownMediaIndex()
        for enriched in batch:
            for media in item_media(enriched, {Modality.IMAGE, Modality.VIDEO, Modality.AUDIO}):
                sha = str(media.sha256)
                meta = enriched.enrichment.media_meta.setdefault(sha, {})
                matches = index.match_sha256(sha)
                frames: list[tuple[str, float | None]] = []
                if media.modality is Modality.IMAGE:
                    frames = [(str(media.path), None)]
                elif media.modality is Modality.VIDEO:
                    frames = [(str(k["path"]), float(k["time"])) for k in keyframes_of(enriched, sha)]
                hashes: list[str] = []
                qualities: list[int] = []
                # Mirrored and trimmed hashes only serve matching: computed while some list has PDQ rows.
                want = bool(index.pdq_rows)
                for path, at in frames:
                    value, quality, variants = self.memo(
                        ("pdq", sha, at, want), lambda p=path, w=want: self._hash_file(p, w)
                    )
                    hashes.append(value)
                    qualities.append(quality)
                    if quality >= options.min_quality and len(index):
                        matches += self._match(index, [value, *variants], at, options.max_distance)
                if hashes:
                    enriched.enrichment.hashes[sha] = " ".join(hashes)
                    meta["pdq_quality"] = qualities[0] if media.modality is Modality.IMAGE else qualities
                if matches:
                    meta["known_matches"] = sorted(matches, key=lambda m: m["distance"])
            enriched.enrichment.done.append(self.name)
