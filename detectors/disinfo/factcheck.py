"""A fact-check record: the claim checked, with rating, verdict, publisher, URL, date and language.

:class:`FactCheck` is what every reader of fact-check sources returns
(:mod:`detectors.disinfo.claimreview`, :mod:`detectors.disinfo.claim_files`), what the claims
database keeps (:mod:`detectors.disinfo.claims`) and what the matcher ranks. A publisher's
rating, in any of the languages Pantau serves or on a numeric scale, is folded onto five
verdicts by :func:`normalise_verdict`; :func:`make_fact_check` builds a record from loose fields,
or says in ``skipped`` why it could not.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detectors.disinfo.text import clean_text
from pantau.schemas import digest

__all__ = ["MAX_CLAIM_CHARS", "FactCheck", "Verdict", "make_fact_check", "normalise_verdict"]

Verdict = Literal["false", "misleading", "mixed", "true", "unrated"]
"""A publisher's rating folded onto five values; matching scores false and misleading claims."""

MAX_CLAIM_CHARS = 2_000

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


def make_fact_check(raw: dict[str, Any], where: str, skipped: list[str]) -> FactCheck | None:
    """A record from loose fields (id, verdict and text cleaned or made up); ``None`` with a reason in
    ``skipped`` (prefixed by ``where``) when the fields make no valid record."""
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

