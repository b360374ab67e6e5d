"""``media.known_match``: the item carries media found on a known-media list (known fakes, NCII, ...).

Reads the matches ``media.hashes`` recorded in ``enrichment.media_meta[sha256]["known_matches"]``.
The signal's ``label`` is the list name of the closest match (``no-match`` when none), its
score 1.0 for an exact SHA-256 match and ``1 - 0.2 * distance / max_distance`` for a PDQ match
(so every match scores at least 0.8), and its details list every match (``matches``) and the
names of every list matched (``lists``), since one picture can be on several lists. Code-of-conduct
rules read, for example, ``"known-fakes" in signals["media.known_match"].details.lists`` (clause
DIS-3 of the model code).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from pantau.schemas import EnrichedItem, Family, Modality, Signal, digest

__all__ = ["KnownMediaDetector"]


class KnownMatchOptions(BaseModel):
    """Options of ``media.known_match``."""

    model_config = ConfigDict(extra="forbid")

    max_distance: int = Field(
        31, ge=1, le=128, description="Same as media.hashes' max_distance, for scoring."
    )


class KnownMediaDetector(Detector):
    """Signals media that match a known-media list, naming the list."""

    name = "media.known_match"
    version = "1.1.0"
    family = Family.META
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE, Modality.VIDEO, Modality.AUDIO})
    needs = ("media.probe", "media.video", "media.hashes")
    Options = KnownMatchOptions

    def cache_key(self, enriched: EnrichedItem) -> str | None:
        """Items with the same matches get the same signal (the lists can change while a pipeline runs)."""
        media_meta = enriched.enrichment.media_meta
        matches = {sha: meta.get("known_matches") or [] for sha, meta in media_meta.items()}
        return digest(self.name, self.version, json.dumps(matches, sort_keys=True, default=str))

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """Return one signal per item: its closest known-media match, or ``no-match``."""
        limit = self.options.max_distance  # type: ignore[attr-defined]
        out: list[list[Signal]] = []
        for enriched in batch:
            best: tuple[float, str, dict] | None = None
            found = []
            for sha, meta in enriched.enrichment.media_meta.items():
                for match in meta.get("known_matches") or []:
                    score = (
                        1.0
                        if match["kind"] == "sha256"
                        else 1.0 - 0.2 * min(match["distance"], limit) / limit
                    )
                    found.append({**match, "media_sha256": sha, "score": round(score, 3)})
                    if best is None or score > best[0]:
                        best = (score, sha, match)
            if best is None:
                none = self.signal(enriched, 0.0, "no-match", "no media on a known-media list", {"lists": []})
                out.append([none])
                continue
            score, sha, match = best
            lists = sorted({m["list"] for m in found})
            evidence = f"matches {match['list']}: {match.get('label') or 'listed media'}"
            if match["kind"] == "pdq":
                evidence += f" (PDQ distance {match['distance']})"
            others = [name for name in lists if name != match["list"]]
            if others:
                evidence += f"; also on {', '.join(others)}"
            details = {"matches": found[:20], "lists": lists}
            out.append([self.signal(enriched, score, match["list"], evidence, details, sha)])
        return out
