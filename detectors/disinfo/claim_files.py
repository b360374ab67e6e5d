"""Claims files: JSONL, CSV/TSV, the turnbackhoax.id dump, and any supported kind by name and content.

- JSONL: CheckThat! verified claims (``vclaim_id``, ``vclaim``, ``title``, ``date``), Pantau's
  own records or ClaimReview objects (:func:`read_jsonl`);
- CSV with a header naming at least a claim column (:func:`read_csv`);
- the Indonesian turnbackhoax.id dump (``Label;Headline;Body``, mixed encodings)
  (:func:`read_turnbackhoax`);
- JSON-LD ClaimReview documents and fact-check pages (:mod:`detectors.disinfo.claimreview`).

:func:`read_claims_file` picks the reader. Each returns
:class:`~detectors.disinfo.factcheck.FactCheck` records and the reasons for what it skipped;
a file that cannot be read at all raises :class:`~pantau.errors.BadFeed`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from detectors.disinfo.claimreview import parse_claimreview, parse_claimreview_html
from detectors.disinfo.factcheck import FactCheck, make_fact_check, normalise_verdict
from detectors.disinfo.text import clean_text
from pantau.errors import BadFeed

__all__ = ["MAX_FILE_BYTES", "read_claims_file", "read_csv", "read_jsonl", "read_text", "read_turnbackhoax"]

MAX_FILE_BYTES = 2 * 1024**3


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
    return make_fact_check(raw, where, skipped)


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
    text = read_text(path)
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
    text = read_text(path)
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
        fc = make_fact_check(
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


def read_text(path: Path) -> str:
    """A file's text, each line UTF-8 or else cp1252 (turnbackhoax mixes them); BadFeed over the limit."""
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
    return io.StringIO(read_text(path))


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
        head = read_text(path)[:2048]
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
        return parse_claimreview_html(read_text(path), path.name)
    if kind == "jsonl":
        return read_jsonl(path)
    if kind == "claimreview":
        try:
            document = json.loads(read_text(path))
        except json.JSONDecodeError as exc:
            raise BadFeed(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
        return parse_claimreview(document, path.name)
    raise BadFeed(f"unknown claims format {kind!r}")

