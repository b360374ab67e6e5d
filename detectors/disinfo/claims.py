"""The fact-check database: claims already checked, with rating, publisher, URL, date and language.

Sources it reads (each importer returns :class:`FactCheck` records and a list of reasons for
what it skipped, so that one malformed record never sinks a feed):

- schema.org ``ClaimReview`` as JSON-LD: a single object, a list, an ``@graph``, a
  ``DataFeed`` (``dataFeedElement[].item[]``, the feed IFCN signatories publish), or the
  ``<script type="application/ld+json">`` blocks of a fact-check web page
  (:func:`parse_claimreview`, :func:`parse_claimreview_html`);
- Google Fact Check Tools API responses (``{"claims": [{"text", "claimReview": [...]}]}``);
- JSONL: CheckThat! verified claims (``vclaim_id``, ``vclaim``, ``title``, ``date``) or
  Pantau's own records (:func:`read_jsonl`);
- CSV with a header naming at least a claim column (:func:`read_csv`);
- the Indonesian turnbackhoax.id dump (``Label;Headline;Body``, mixed encodings)
  (:func:`read_turnbackhoax`).

:class:`ClaimsDB` keeps them in one JSONL file under ``settings.data_dir / "claims"``.

Example Snippet::

    db = ClaimsDB.open(settings.data_dir / "claims")
    report = db.import_path(Path("mafindo-feed.json"))
    print(report.added, report.skipped)
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detectors.disinfo.text import clean_text
from pantau.errors import BadFeed
from pantau.schemas import digest

__all__ = [
    "ClaimsDB",
    "FactCheck",
    "ImportReport",
    "Verdict",
    "dedupe_keys",
    "normalise_verdict",
    "parse_claimreview",
    "parse_claimreview_html",
    "read_claims_file",
    "read_csv",
    "read_jsonl",
    "read_turnbackhoax",
]

log = logging.getLogger(__name__)

Verdict = Literal["false", "misleading", "mixed", "true", "unrated"]
"""A publisher's rating folded onto five values; matching scores false and misleading claims."""

MAX_CLAIM_CHARS = 2_000
MAX_FILE_BYTES = 2 * 1024**3

_VERDICT_WORDS: list[tuple[Verdict, tuple[str, ...]]] = [
    # Order matters: "partly false" and "tidak benar" must win over "false" / "benar".
    (
        "misleading",
        (
            "misleading",
            "mislead",
            "missing context",
            "out of context",
            "lacks context",
            "partly false",
            "partially false",
            "half true",
            "half-true",
            "mostly false",
            "exaggerat",
            "distort",
            "manipulat",
            "satire",
            "mengelirukan",
            "menyesatkan",
            "konteks",
            "separuh benar",
            "sebahagian",
            "sebagian benar",
            "dimanipulasi",
            "manipulasi",
            "satir",
            "misleading content",
            "nakaliligaw",
        ),
    ),
    (
        "false",
        (
            "false",
            "fake",
            "hoax",
            "hoaks",
            "fabricat",
            "pants on fire",
            "incorrect",
            "not true",
            "untrue",
            "wrong",
            "bogus",
            "debunk",
            "scam",
            "salah",
            "palsu",
            "tidak benar",
            "tak benar",
            "tidak betul",
            "bohong",
            "disinformasi",
            "berita palsu",
            "penipuan",
            "fitnah",
            "mali",
            "hindi totoo",
            "sai",
            "ไม่จริง",
            "เท็จ",
            "giả",
        ),
    ),
    ("mixed", ("mixed", "mixture", "unproven", "unverified", "campuran", "belum terbukti", "tidak terbukti")),
    ("true", ("true", "correct", "accurate", "benar", "betul", "fakta", "totoo", "จริง", "đúng")),
]


def normalise_verdict(
    rating: str | None, value: float | None = None, best: float | None = None, worst: float | None = None
) -> Verdict:
    """Fold a textual rating (any of en/ms/id and a few more) or a numeric scale onto a :data:`Verdict`.

    >>> normalise_verdict("Pants on Fire!"), normalise_verdict("Mengelirukan"), normalise_verdict("BENAR")
    ('false', 'misleading', 'true')
    >>> normalise_verdict("", value=1, best=5, worst=1)
    'false'
    """
    text = (rating or "").strip().lower()
    if text:
        text = re.sub(r"[\[\]()!.:]", " ", text)
        for verdict, words in _VERDICT_WORDS:
            if any(re.search(rf"(?<!\w){re.escape(w)}", text) for w in words):
                return verdict
    if value is not None and best is not None and worst is not None and best != worst:
        position = (value - worst) / (best - worst)
        if position < 0.2:
            return "false"
        if position < 0.45:
            return "misleading"
        if position < 0.7:
            return "mixed"
        return "true"
    return "unrated"


class FactCheck(BaseModel):
    """One checked claim, with what a journalist needs to follow the evidence."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(description="Stable id: the source's own, or a digest of URL and claim.")
    claim: str = Field(min_length=1, max_length=MAX_CLAIM_CHARS, description="The claim as checked.")
    title: str = Field("", description="Headline of the fact-check article.")
    summary: str = Field("", description="Sub-headline or short summary of the finding (read by BM25 only).")
    rating: str = Field("", description="The publisher's rating, verbatim ('Salah', 'Pants on Fire').")
    verdict: Verdict = "unrated"
    publisher: str = ""
    url: str = ""
    date: str = Field("", description="Review date as given (ISO 8601 when the source has it).")
    language: str = Field("", description="ISO 639-1 code when known.")
    claimant: str = ""
    origin: str = Field(
        "",
        description="How it reached Pantau: 'import:<file name>', 'queue' (a verdict given in the "
        "fact-check queue), or empty (read from a file directly).",
    )

    def passage(self) -> str:
        """The text the dense encoder and BM25 read: headline, then claim."""
        title = self.title.strip()
        if title and title.lower() != self.claim.strip().lower():
            return clean_text(f"{title}. {self.claim}")
        return clean_text(self.claim)

    def lexical_text(self) -> str:
        """The text BM25 indexes: headline, claim and summary."""
        return clean_text(" ".join(p for p in (self.title, self.claim, self.summary) if p))


@dataclass
class ImportReport:
    """What an import did: records read, new, updated or unchanged, and why others were skipped.

    ``already_imported`` is true when the same file (by SHA-256) was imported before: nothing was read.
    """

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    already_imported: bool = False


def _make(raw: dict[str, Any], where: str, skipped: list[str]) -> FactCheck | None:
    claim = clean_text(str(raw.get("claim") or ""), MAX_CLAIM_CHARS)
    if not claim:
        skipped.append(f"{where}: no claim text")
        return None
    raw = {**raw, "claim": claim}
    if not raw.get("id"):
        raw["id"] = "fc-" + digest(str(raw.get("url") or ""), claim, length=20)
    if not raw.get("verdict"):
        raw["verdict"] = normalise_verdict(str(raw.get("rating") or ""))
    for key in ("title", "summary", "rating", "publisher", "url", "date", "language", "claimant", "origin"):
        value = raw.get(key)
        if value is None:
            raw[key] = ""
        elif key == "url":  # clean_text drops URLs by design; keep this one verbatim
            raw[key] = str(value).strip()[:1000]
        else:
            raw[key] = clean_text(str(value), 1000 if key == "summary" else 500)
    try:
        return FactCheck.model_validate(raw)
    except ValidationError as exc:
        skipped.append(f"{where}: {exc.errors()[0]['msg']}")
        return None


# -- ClaimReview -------------------------------------------------------------------------------


def _name(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("url") or "")
    if isinstance(value, list):
        return ", ".join(_name(v) for v in value if v)
    return "" if value is None else str(value)


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _walk_claimreviews(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Yield every object typed ClaimReview anywhere in a JSON-LD document."""
    if depth > 12:
        return
    if isinstance(node, list):
        for child in node:
            yield from _walk_claimreviews(child, depth + 1)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "ClaimReview" in kinds:
        yield node
        return
    for key in ("@graph", "dataFeedElement", "item", "itemListElement", "mainEntity", "review"):
        if key in node:
            yield from _walk_claimreviews(node[key], depth + 1)


def _from_claimreview(node: dict[str, Any], where: str, skipped: list[str]) -> FactCheck | None:
    reviewed = node.get("itemReviewed") if isinstance(node.get("itemReviewed"), dict) else {}
    rating = node.get("reviewRating") if isinstance(node.get("reviewRating"), dict) else {}
    textual = str(rating.get("alternateName") or rating.get("name") or "")
    verdict = normalise_verdict(
        textual,
        _num(rating.get("ratingValue")),
        _num(rating.get("bestRating")),
        _num(rating.get("worstRating")),
    )
    appearance = reviewed.get("appearance") or reviewed.get("firstAppearance")
    language = node.get("inLanguage") or reviewed.get("inLanguage") or ""
    raw = {
        "id": node.get("identifier") or node.get("@id") or "",
        "claim": node.get("claimReviewed") or reviewed.get("name") or reviewed.get("text") or "",
        "title": node.get("headline") or node.get("name") or "",
        "summary": node.get("description") or "",
        "rating": textual,
        "verdict": verdict,
        "publisher": _name(node.get("author") or node.get("publisher")),
        "url": node.get("url") or "",
        "date": node.get("datePublished") or node.get("dateCreated") or "",
        "language": _name(language) if isinstance(language, dict) else language,
        "claimant": _name(reviewed.get("author")),
    }
    if not raw["claimant"] and isinstance(appearance, dict):
        raw["claimant"] = _name(appearance.get("author"))
    if isinstance(raw["id"], (dict, list)):
        raw["id"] = ""
    return _make(raw, where, skipped)


def parse_claimreview(document: Any, where: str = "document") -> tuple[list[FactCheck], list[str]]:
    """Read every ClaimReview (JSON-LD) or Fact Check Tools API claim in a parsed JSON document."""
    skipped: list[str] = []
    found: list[FactCheck] = []
    if isinstance(document, dict) and isinstance(document.get("claims"), list):
        for i, claim in enumerate(document["claims"]):
            if not isinstance(claim, dict):
                skipped.append(f"{where}: claims[{i}] is not an object")
                continue
            reviews = claim.get("claimReview") or [{}]
            if isinstance(reviews, dict):
                reviews = [reviews]
            if not isinstance(reviews, list):
                skipped.append(f"{where}: claims[{i}].claimReview is not a list of objects")
                continue
            for j, review in enumerate(reviews):
                review = review if isinstance(review, dict) else {}
                fc = _make(
                    {
                        "claim": claim.get("text") or "",
                        "title": review.get("title") or "",
                        "rating": review.get("textualRating") or "",
                        "publisher": _name(review.get("publisher")),
                        "url": review.get("url") or "",
                        "date": review.get("reviewDate") or claim.get("claimDate") or "",
                        "language": review.get("languageCode") or "",
                        "claimant": claim.get("claimant") or "",
                    },
                    f"{where}: claims[{i}].claimReview[{j}]",
                    skipped,
                )
                if fc:
                    found.append(fc)
        return found, skipped
    nodes = list(_walk_claimreviews(document))
    if not nodes:
        skipped.append(f"{where}: no ClaimReview object found")
    for i, node in enumerate(nodes):
        fc = _from_claimreview(node, f"{where}: ClaimReview #{i + 1}", skipped)
        if fc:
            found.append(fc)
    return found, skipped


_LD_JSON = re.compile(
    r"<script[^>]+type=[\"']application/ld\+json[\"'][^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL
)


def parse_claimreview_html(page: str, where: str = "page") -> tuple[list[FactCheck], list[str]]:
    """Read the ClaimReview JSON-LD blocks embedded in a fact-check web page."""
    found: list[FactCheck] = []
    skipped: list[str] = []
    blocks = _LD_JSON.findall(page)
    if not blocks:
        return [], [f"{where}: no application/ld+json block"]
    for n, block in enumerate(blocks, 1):
        try:
            document = json.loads(html.unescape(block.strip()), strict=False)
        except json.JSONDecodeError as exc:
            skipped.append(f"{where}: JSON-LD block {n} is not valid JSON ({exc.msg} at line {exc.lineno})")
            continue
        more, why = parse_claimreview(document, f"{where}: block {n}")
        found += more
        skipped += [w for w in why if "no ClaimReview object" not in w]
    if not found and not skipped:
        skipped.append(f"{where}: JSON-LD present but no ClaimReview in it")
    return found, skipped


# -- JSONL, CSV, turnbackhoax ------------------------------------------------------------------

_FIELD_ALIASES = {
    "id": ("id", "vclaim_id", "claim_id", "identifier"),
    "claim": ("claim", "vclaim", "claimReviewed", "claim_reviewed", "text", "headline_claim"),
    "title": ("title", "headline"),
    "summary": ("summary", "subtitle", "description"),
    "rating": ("rating", "textualRating", "textual_rating", "verdict_text", "label"),
    "verdict": ("verdict",),
    "publisher": ("publisher", "author", "source", "site"),
    "url": ("url", "link", "review_url"),
    "date": ("date", "datePublished", "review_date", "reviewDate"),
    "language": ("language", "lang", "inLanguage", "languageCode"),
    "claimant": ("claimant",),
    "origin": ("origin",),
}


def _from_flat(record: dict[str, Any], where: str, skipped: list[str]) -> FactCheck | None:
    raw: dict[str, Any] = {}
    for target, names in _FIELD_ALIASES.items():
        for name in names:
            if record.get(name) not in (None, ""):
                raw[target] = record[name]
                break
    if raw.get("verdict") not in (None, "false", "misleading", "mixed", "true", "unrated"):
        raw["verdict"] = normalise_verdict(str(raw["verdict"]))
    return _make(raw, where, skipped)


def read_jsonl(path: Path) -> tuple[list[FactCheck], list[str]]:
    """Read JSON lines: CheckThat! verified claims, Pantau records or ClaimReview objects."""
    found: list[FactCheck] = []
    skipped: list[str] = []
    with _open_text(path) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                skipped.append(f"{where}: not JSON ({exc.msg})")
                continue
            if not isinstance(record, dict):
                skipped.append(f"{where}: not a JSON object")
                continue
            if record.get("@type") or "@context" in record:
                more, why = parse_claimreview(record, where)
                found += more
                skipped += why
                continue
            fc = _from_flat(record, where, skipped)
            if fc:
                found.append(fc)
    return found, skipped


def read_csv(path: Path, delimiter: str | None = None) -> tuple[list[FactCheck], list[str]]:
    """Read a CSV/TSV with a header; needs a claim column (``claim``, ``vclaim``, ``text``...)."""
    text = _read_text(path)
    if delimiter is None:
        head = text[:4096]
        delimiter = max(",;\t|", key=head.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = set(reader.fieldnames or [])
    if not columns & set(_FIELD_ALIASES["claim"]):
        raise BadFeed(f"{path}: no claim column; expected one of {', '.join(_FIELD_ALIASES['claim'])}")
    found: list[FactCheck] = []
    skipped: list[str] = []
    for number, row in enumerate(reader, 2):
        fc = _from_flat({k: v for k, v in row.items() if k}, f"{path.name}:{number}", skipped)
        if fc:
            found.append(fc)
    return found, skipped


_TBH_PREFIX = re.compile(r"^\s*\[\s*([^\]]{2,30})\s*\]\s*")


def read_turnbackhoax(path: Path) -> tuple[list[FactCheck], list[str]]:
    """Read the turnbackhoax.id (Mafindo) dump: ``Label;Headline;Body``.

    Label 0 rows name a hoax in their headline (rated ``hoaks``, verdict false); label 1 rows are
    clarifications whose headline states the correction (verdict unrated: the headline is the
    denial, not the hoax). The body's ``NARASI`` section, when present, is the claim as it
    circulated and is kept as the claim text of hoax rows.
    """
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = next(reader, None)
    if not header or [h.strip().lower() for h in header[:3]] != ["label", "headline", "body"]:
        raise BadFeed(f"{path}: not a turnbackhoax dump (expected header Label;Headline;Body)")
    found: list[FactCheck] = []
    skipped: list[str] = []
    for number, row in enumerate(reader, 2):
        where = f"{path.name}:{number}"
        if len(row) < 3:
            skipped.append(f"{where}: fewer than 3 columns")
            continue
        label, headline, body = row[0].strip(), clean_text(row[1].strip(' "“”')), clean_text(row[2])
        if label not in ("0", "1"):
            skipped.append(f"{where}: label {label!r} is not 0 or 1")
            continue
        match = _TBH_PREFIX.match(headline)
        rating = match.group(1) if match else ("hoaks" if label == "0" else "klarifikasi")
        headline = _TBH_PREFIX.sub("", headline)
        narrative = re.search(r"NARASI\s*:\s*(.{20,400}?)(?:PENJELASAN|=====|$)", body, re.IGNORECASE)
        claim = headline
        if label == "0" and narrative:
            claim = f"{headline}. {narrative.group(1).strip()}"
        fc = _make(
            {
                "id": f"turnbackhoax-{number}",
                "claim": claim,
                "title": headline,
                "rating": rating,
                "verdict": "false" if label == "0" else "unrated",
                "publisher": "turnbackhoax.id (Mafindo)",
                "language": "id",
            },
            where,
            skipped,
        )
        if fc:
            found.append(fc)
    return found, skipped


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BadFeed(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if size > MAX_FILE_BYTES:
        raise BadFeed(f"{path}: {size} bytes is over the {MAX_FILE_BYTES} byte limit")
    data = path.read_bytes()
    lines = []
    for line in data.split(b"\n"):  # mixed encodings, line by line (turnbackhoax mixes UTF-8 and cp1252)
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", "replace"))
    return "\n".join(lines).lstrip("\ufeff")


def _open_text(path: Path) -> io.StringIO:
    return io.StringIO(_read_text(path))


def read_claims_file(path: Path, kind: str = "auto") -> tuple[list[FactCheck], list[str]]:
    """Read a claims file of any supported kind (``auto`` picks by name and content).

    Raises :class:`~pantau.errors.BadFeed` when the file cannot be read at all; malformed
    records inside a readable file are skipped with a reason instead.
    """
    path = Path(path)
    if not path.is_file():
        raise BadFeed(f"{path}: no such file")
    suffix = path.suffix.lower()
    if kind == "auto":
        head = _read_text(path)[:2048]
        if head.lower().startswith("label;headline;body"):
            kind = "turnbackhoax"
        elif suffix in (".html", ".htm") or head.lstrip().lower().startswith(("<!doctype", "<html")):
            kind = "html"
        elif suffix == ".jsonl":
            kind = "jsonl"
        elif suffix in (".json", ".jsonld"):
            kind = "claimreview"
        elif suffix in (".csv", ".tsv"):
            kind = "csv"
        else:
            raise BadFeed(
                f"{path}: cannot tell the format; pass kind=claimreview|html|jsonl|csv|turnbackhoax"
            )
    try:
        if kind == "turnbackhoax":
            return read_turnbackhoax(path)
        if kind == "csv":
            return read_csv(path, "\t" if suffix == ".tsv" else None)
    except csv.Error as exc:  # a field over the csv module's size limit, a stray quote...
        raise BadFeed(f"{path}: not readable as CSV: {exc}") from exc
    if kind == "html":
        return parse_claimreview_html(_read_text(path), path.name)
    if kind == "jsonl":
        return read_jsonl(path)
    if kind == "claimreview":
        try:
            document = json.loads(_read_text(path))
        except json.JSONDecodeError as exc:
            raise BadFeed(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
        return parse_claimreview(document, path.name)
    raise BadFeed(f"unknown claims format {kind!r}")


_URL_NOISE = re.compile(r"^(?:https?://)?(?:www\.|m\.|amp\.)?", re.IGNORECASE)
_TRACKING = re.compile(r"[?#].*$")


def dedupe_keys(claim: FactCheck) -> list[str]:
    """The keys under which two records are the same fact-check, whatever feed they came from.

    The review's URL with the claim (one article may review several claims; scheme, ``www.``,
    query, fragment and a trailing slash do not count), and the claim with its publisher. A
    DataCommons feed, the Fact Check Tools API and the article page give one review three ways,
    with or without an ``identifier``; these keys make them one record.

    >>> a = FactCheck(id="1", claim="Voters can vote by SMS", url="https://www.x.org/c/1/?utm=z")
    >>> b = FactCheck(id="2", claim="voters can vote by  SMS.", url="http://x.org/c/1")
    >>> dedupe_keys(a)[0] == dedupe_keys(b)[0]
    True
    """
    text = " ".join(re.findall(r"\w+", claim.claim.casefold()))
    keys = []
    if claim.url:
        url = _TRACKING.sub("", _URL_NOISE.sub("", claim.url.strip())).rstrip("/").casefold()
        keys.append(f"url\x1f{url}\x1f{text}")
    if claim.publisher:
        keys.append(f"pub\x1f{claim.publisher.strip().casefold()}\x1f{text}")
    return keys


def _merge(old: FactCheck, new: FactCheck) -> FactCheck:
    """``new`` under ``old``'s id, keeping what ``old`` knew and ``new`` lacks (a language...)."""
    update = {k: v for k, v in new.model_dump().items() if v not in ("", None) and k not in ("id", "origin")}
    if not new.rating and new.verdict == "unrated":
        update.pop("verdict", None)
    return old.model_copy(update=update)


_THREAD_LOCK = threading.Lock()


class ClaimsDB:
    """Fact-checks kept as one JSONL file (``claims.jsonl``) in a folder, keyed by id.

    Small and dependency-free on purpose: a million claims is ~300 MB of JSONL, read once at
    load; the vector index (built by :class:`~detectors.disinfo.matcher.ClaimMatcher`) is what
    has to be fast. Writers (imports, verdicts of the fact-check queue) go through
    :meth:`editing`, which holds a lock across threads and processes. Imports are incremental:
    a file imported before (same SHA-256, ``imported.json``) is not read again, and a record that
    is a fact-check already kept (:func:`dedupe_keys`) updates it instead of adding a copy.
    """

    FILE = "claims.jsonl"
    LOG = "imported.json"

    def __init__(self, folder: Path | None, claims: Iterable[FactCheck] = ()) -> None:
        self.folder = folder
        self._claims: dict[str, FactCheck] = {c.id: c for c in claims}
        self._keys: dict[str, str] | None = None

    @classmethod
    def open(cls, folder: Path) -> ClaimsDB:
        """Open (or start) the database in ``folder``."""
        db = cls(folder)
        main = folder / cls.FILE
        if main.is_file():
            claims, skipped = read_jsonl(main)
            db._claims.update((c.id, c) for c in claims)
            for reason in skipped[:5]:
                log.warning("claims DB: %s", reason)
        return db

    @classmethod
    @contextmanager
    def editing(cls, folder: Path) -> Iterator[ClaimsDB]:
        """The database of ``folder``, opened under an exclusive lock and saved when the block ends.

        An exception inside the block leaves the file as it was.

        Example Snippet::

            with ClaimsDB.editing(settings.data_dir / "claims") as db:
                db.add([fact_check])
        """
        folder.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCK, open(folder / (cls.FILE + ".lock"), "a") as lock:
            try:
                import fcntl

                fcntl.flock(lock, fcntl.LOCK_EX)
            except ImportError:  # pragma: no cover - not POSIX: the thread lock only
                pass
            db = cls.open(folder)
            yield db
            db.save()

    @classmethod
    def from_file(cls, path: Path, kind: str = "auto") -> ClaimsDB:
        """An in-memory database of one claims file (for ``pantau claims match``)."""
        claims, skipped = read_claims_file(path, kind)
        for reason in skipped[:5]:
            log.warning("claims: %s", reason)
        if not claims:
            raise BadFeed(f"{path}: no usable claim ({len(skipped)} skipped; first: {skipped[:1]})")
        return cls(None, claims)

    def __len__(self) -> int:
        return len(self._claims)

    def __iter__(self) -> Iterator[FactCheck]:
        return iter(self._claims.values())

    def get(self, claim_id: str) -> FactCheck | None:
        """The claim with this id, if present."""
        return self._claims.get(claim_id)

    def _key_index(self) -> dict[str, str]:
        if self._keys is None:
            self._keys = {}
            for claim in self._claims.values():
                for key in dedupe_keys(claim):
                    self._keys.setdefault(key, claim.id)
        return self._keys

    def add(self, claims: Iterable[FactCheck], report: ImportReport | None = None) -> int:
        """Add claims, or update the record they duplicate (same id, or :func:`dedupe_keys`).

        Returns how many were new or changed; ``report`` gets new, updated and unchanged counts.
        """
        changed = 0
        keys = self._key_index()
        for claim in claims:
            known = claim.id if claim.id in self._claims else None
            if known is None:
                known = next((keys[k] for k in dedupe_keys(claim) if k in keys), None)
            if known is not None:
                old = self._claims[known]
                claim = _merge(old, claim)
                if claim == old:
                    if report is not None:
                        report.unchanged += 1
                    continue
                if report is not None:
                    report.updated += 1
            elif report is not None:
                report.added += 1
            self._claims[claim.id] = claim
            for key in dedupe_keys(claim):
                keys.setdefault(key, claim.id)
            changed += 1
        return changed

    def remove(self, claim_id: str) -> bool:
        """Drop a claim by id; return whether it was there."""
        if self._claims.pop(claim_id, None) is None:
            return False
        self._keys = None
        return True

    def imported(self) -> dict[str, dict[str, Any]]:
        """Files imported so far, by SHA-256: name, when, records read and new."""
        if self.folder is None or not (self.folder / self.LOG).is_file():
            return {}
        try:
            data = json.loads((self.folder / self.LOG).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("claims DB: %s is unreadable; files will be imported again", self.folder / self.LOG)
            return {}
        return data if isinstance(data, dict) else {}

    def import_path(self, path: Path, kind: str = "auto", again: bool = False) -> ImportReport:
        """Import a file into the database and save it; a file imported before is skipped unless ``again``.

        Records keep their publisher, rating and language; ``origin`` says which file they came from.
        """
        path = Path(path)
        if not path.is_file():
            raise BadFeed(f"{path}: no such file")
        try:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise BadFeed(f"{path}: cannot read ({exc.strerror or exc})") from exc
        done = self.imported()
        if sha in done and not again:
            return ImportReport(already_imported=True)
        claims, skipped = read_claims_file(path, kind)
        origin = f"import:{path.name}"[:500]
        claims = [c if c.origin else c.model_copy(update={"origin": origin}) for c in claims]
        report = ImportReport(read=len(claims) + len(skipped), skipped=skipped)
        self.add(claims, report)
        self.save()
        if self.folder is not None:
            done[sha] = {
                "name": path.name,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "records": report.read,
                "added": report.added,
                "updated": report.updated,
            }
            tmp = self.folder / (self.LOG + ".tmp")
            tmp.write_text(json.dumps(done, indent=1, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.folder / self.LOG)
        return report

    def save(self) -> None:
        """Write the database atomically (no-op for an in-memory one)."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / (self.FILE + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for claim in self._claims.values():
                fh.write(claim.model_dump_json() + "\n")
        tmp.replace(self.folder / self.FILE)

    def stats(self) -> dict[str, Any]:
        """Counts by verdict, language, publisher and origin (``import:<file>``, ``queue``...)."""
        by: dict[str, dict[str, int]] = {"verdict": {}, "language": {}, "publisher": {}, "origin": {}}
        for claim in self._claims.values():
            for key, value in (
                ("verdict", claim.verdict),
                ("language", claim.language or "?"),
                ("publisher", claim.publisher or "?"),
                ("origin", claim.origin or "?"),
            ):
                by[key][value] = by[key].get(value, 0) + 1
        return {"claims": len(self._claims), **by}
