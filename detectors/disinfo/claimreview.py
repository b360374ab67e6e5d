"""schema.org ClaimReview, as fact-checkers publish it: JSON-LD documents, feeds and web pages.

:func:`parse_claimreview` reads a single object, a list, an ``@graph``, a ``DataFeed``
(``dataFeedElement[].item[]``, the feed IFCN signatories publish) or a Google Fact Check Tools
API response (``{"claims": [{"text", "claimReview": [...]}]}``); :func:`parse_claimreview_html`
reads the ``<script type="application/ld+json">`` blocks of a fact-check web page. Each returns
:class:`~detectors.disinfo.factcheck.FactCheck` records and the reasons for what it skipped, so
that one malformed record never sinks a feed.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

from detectors.disinfo.factcheck import FactCheck, make_fact_check, normalise_verdict

__all__ = ["parse_claimreview", "parse_claimreview_html"]



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
    return make_fact_check(raw, where, skipped)


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
                fc = make_fact_check(
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

