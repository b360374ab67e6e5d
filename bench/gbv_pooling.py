"""Experiment (issue 17): does a second layer or max-pooling of the e5 encoder help ``gbv.text`` on unseen sources?

Not what the detector runs: it reads the mean-pooled last layer. This script embeds every corpus
row once with the same ONNX int8 engine and batches as ``bench/train_gbv.py`` (texts sorted by
digest, 256 at a time, one thread) and keeps three unit-length views per row: the mean of the
last layer (``mean12``, the shipped vector), its max over tokens (``max12``) and the mean of
layer 8's output (``mean8``). ``loso`` then refits every head as ``train_gbv.py loso`` does,
with the chosen views side by side (each unit length, divided by sqrt of their number), and
scores the left-out source; ``dev`` fits on every training row and scores the dev rows.

    OMP_NUM_THREADS=1 nice .venv/bin/python bench/gbv_pooling.py embed              # ~40 min on one loaded core
    OMP_NUM_THREADS=1 nice .venv/bin/python bench/gbv_pooling.py run mean12,mean8 netifier,idnews,fil2016,dev

Views: ``mean12``, ``max12``, ``mean8`` (comma list). Cache: ``/tmp/pantau-gbv-pooling``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

CACHE = Path("/tmp/pantau-gbv-pooling")  # noqa: S108 - rebuildable research cache
VIEWS = ("mean12", "max12", "mean8")
DIM = 384


def _pooling_encoder():  # noqa: ANN202 - an OnnxE5 subclass
    import onnx

    import detectors.e5_onnx as e5

    class PoolingE5(e5.OnnxE5):
        """The int8 engine with layer 8's output as a second graph output."""

        def __init__(self) -> None:
            build = e5.build_graph

            def with_layer8(model, precision="int8"):  # noqa: ANN001, ANN202
                graph = onnx.load_from_string(build(model, precision))
                for node in graph.graph.node:
                    if node.op_type == "LayerNormalization" and node.input[1] == "l7.oln.w":
                        graph.graph.output.append(
                            onnx.helper.make_tensor_value_info(node.output[0], onnx.TensorProto.FLOAT, ["b", "t", DIM]))
                return graph.SerializeToString()

            e5.build_graph = with_layer8
            try:
                super().__init__(threads=1)
            finally:
                e5.build_graph = build

        def views(self, texts: list[str]) -> np.ndarray:
            """``(n, 3 * 384)``: mean12, max12, mean8 of ``query: text`` (one window), each unit length."""
            seqs = [ids[: self.window] for ids in self.tokenizer.batch(["query: " + t for t in texts])]
            out = np.zeros((len(texts), 3 * DIM), dtype=np.float32)
            order = sorted(range(len(seqs)), key=lambda w: len(seqs[w]))
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                out[chunk] = self._pooled([seqs[w] for w in chunk])
            for k in range(3):
                block = out[:, k * DIM : (k + 1) * DIM]
                block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-6)
            return out

        def _pooled(self, sequences: list[list[int]]) -> np.ndarray:
            inputs = self.graph_inputs(sequences)
            mask = inputs["mask"]
            last, mid = self._session.run(None, inputs)
            m = mask[:, :, None].astype(np.float32)
            count = mask.sum(axis=1, keepdims=True)
            return np.concatenate(
                [(last * m).sum(1) / count, np.where(m > 0, last, -1e9).max(1), (mid * m).sum(1) / count], axis=1)

    return PoolingE5()


def embed() -> None:
    """Embed every source of the gbv corpus once (skips sources already cached)."""
    from gbv_data import EmbeddingCache, load_corpus

    corpus = load_corpus()
    model = _pooling_encoder()
    CACHE.mkdir(parents=True, exist_ok=True)
    for source in corpus.source.unique():
        path = CACHE / f"{source}.npz"
        if path.exists():
            continue
        cache = EmbeddingCache(corpus.text[corpus.source == source].tolist(), name=str(source))
        out = np.zeros((len(cache.keys), 3 * DIM), dtype=np.float32)
        start = time.monotonic()
        for i in range(0, len(cache.keys), EmbeddingCache.BATCH):
            chunk = cache.keys[i : i + EmbeddingCache.BATCH]
            out[i : i + len(chunk)] = model.views([cache.inputs[k] for k in chunk])
        np.savez(path, keys=np.array(cache.keys), vectors=out)
        print(source, len(cache.keys), f"{time.monotonic() - start:.0f}s", flush=True)


def run(views: list[str], sources: list[str]) -> None:
    """Fit with ``views`` side by side; print the figures of each left-out source (or ``dev``)."""
    import train_gbv
    from eval_gbv import evaluate_arrays
    from gbv_data import load_corpus, text_key

    import detectors.gbv.encoder as gbv_encoder

    corpus = load_corpus()
    every = np.zeros((len(corpus), 3 * DIM), dtype=np.float32)
    for source in corpus.source.unique():
        rows = np.flatnonzero((corpus.source == source).to_numpy())
        with np.load(CACHE / f"{source}.npz") as data:
            index = {k: i for i, k in enumerate(data["keys"])}
            every[rows] = data["vectors"][[index[text_key(t)] for t in corpus.text.iloc[rows]]]
    blocks = [every[:, VIEWS.index(v) * DIM : (VIEWS.index(v) + 1) * DIM] for v in views]
    vectors = np.concatenate(blocks, axis=1) / np.sqrt(len(blocks))
    gbv_encoder.ENCODER_DIM = vectors.shape[1]  # the lookup encoder hands these vectors to the model
    for source in sources:
        start = time.monotonic()
        if source == "dev":
            result = evaluate_arrays(train_gbv.fit_all(corpus, vectors, oof=False), corpus, vectors)
        else:
            arrays = train_gbv.fit_all(corpus, vectors, leave_out=source, oof=False)
            result = evaluate_arrays(arrays, corpus, vectors, only=source, whole_source=True)
        print("RESULT", ",".join(views), source, json.dumps(result), f"{time.monotonic() - start:.0f}s", flush=True)


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("embed")
    r = sub.add_parser("run")
    r.add_argument("views", help="comma list of " + ", ".join(VIEWS))
    r.add_argument("sources", help="comma list of sources to leave out, or dev")
    args = parser.parse_args()
    if args.command == "embed":
        embed()
    else:
        views = args.views.split(",")
        if not set(views) <= set(VIEWS):
            parser.error(f"views must be among {', '.join(VIEWS)}")
        run(views, args.sources.split(","))


if __name__ == "__main__":
    main()
