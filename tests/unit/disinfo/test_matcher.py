from __future__ import annotations

import numpy as np
import pytest

from detectors.disinfo.embedding import EmbeddingCache
from detectors.disinfo.factcheck import FactCheck
from detectors.disinfo.matcher import FEATURES, ClaimMatcher, Reranker
from pantau.errors import DetectorUnavailable
from tests.unit.disinfo.fakes import HashingEncoder

CLAIMS = [
    FactCheck(id="sms", claim="Voters can cast their ballot by SMS to 3388", verdict="false"),
    FactCheck(id="postpone", claim="Polling day has been postponed to 6 December", verdict="false"),
    FactCheck(id="pension", claim="Hafiz Rahim will abolish civil servant pensions", verdict="misleading"),
    FactCheck(id="vaccine", claim="The vaccine contains a microchip", verdict="false"),
]


@pytest.fixture
def matcher() -> ClaimMatcher:
    encoder = HashingEncoder()
    m = ClaimMatcher(encoder, EmbeddingCache(None, encoder.key), candidates=10)
    m.index(CLAIMS)
    return m


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("BREAKING: polling day postponed to 6 December!!", "postpone"),
        ("you can now cast your ballot by SMS to 3388", "sms"),
        ("Hafiz Rahim says he will abolish pensions https://t.co/x", "pension"),
    ],
)
def test_a_post_repeating_a_claim_ranks_it_first(matcher: ClaimMatcher, post: str, expected: str) -> None:
    [matches] = matcher.search([post], top=3)
    assert matches[0].claim.id == expected
    assert [m.rank for m in matches] == list(range(1, len(matches) + 1))
    assert all(matches[i].score >= matches[i + 1].score for i in range(len(matches) - 1))


@pytest.mark.parametrize("post", ["", "   ", "!!! ??? ...", "https://t.co/only-a-link"])
def test_posts_without_words_get_no_match(matcher: ClaimMatcher, post: str) -> None:
    assert matcher.search([post]) == [[]]


def test_a_100kb_post_and_mixed_scripts_do_not_crash(matcher: ClaimMatcher) -> None:
    huge = "polling day postponed " * 5000
    mixed = "Hari mengundi 投票日 ditangguhkan வாக்கு 6 December \ud800 SMS"
    results = matcher.search([huge, mixed], top=2)
    assert results[0][0].claim.id == "postpone"
    assert len(results[1]) == 2


def test_an_empty_database_matches_nothing() -> None:
    encoder = HashingEncoder()
    m = ClaimMatcher(encoder, EmbeddingCache(None, encoder.key))
    m.index([])
    assert m.search(["anything at all"]) == [[]]


def test_lexical_only_mode_needs_no_encoder() -> None:
    encoder = HashingEncoder()
    m = ClaimMatcher(encoder, EmbeddingCache(None, encoder.key), use_dense=False)
    m.index(CLAIMS)
    assert m.search(["microchip in the vaccine"])[0][0].claim.id == "vaccine"
    assert encoder.encoded == []


def test_embeddings_are_cached_on_disk_by_content(tmp_path) -> None:  # noqa: ANN001
    encoder = HashingEncoder()
    first = EmbeddingCache(tmp_path, encoder.key)
    vectors = first.encode(encoder, ["a claim", "another claim", "a claim"], "passage")
    assert encoder.encoded == ["a claim", "another claim"]
    encoder.encoded.clear()
    second = EmbeddingCache(tmp_path, encoder.key)
    again = second.encode(encoder, ["another claim", "a claim"], "passage")
    assert encoder.encoded == []
    np.testing.assert_allclose(again, vectors[[1, 0]], atol=1e-3)
    second.encode(encoder, ["a claim"], "query")  # the role is part of the key
    assert encoder.encoded == ["a claim"]


def test_reranker_rejects_weights_for_other_features() -> None:
    with pytest.raises(DetectorUnavailable, match="expected"):
        Reranker({"features": ["cosine"], "mean": [0], "scale": [1], "coef": [1], "intercept": 0})


def test_shipped_reranker_weights_load_and_score_in_unit_range() -> None:
    reranker = Reranker.load()
    rows = np.zeros((3, len(FEATURES)))
    rows[:, 0] = [0.7, 0.85, 0.97]
    scores = reranker(rows)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores[0] <= scores[2]


def test_an_exceeded_encoding_budget_falls_back_to_bm25() -> None:
    encoder = HashingEncoder()
    m = ClaimMatcher(encoder, EmbeddingCache(None, encoder.key))
    many = [FactCheck(id=f"c{i}", claim=f"claim number {i} about polling") for i in range(600)] + CLAIMS
    m.index(many, encode_budget_s=0.0)
    assert m.use_dense is False
    assert m.search(["microchip in the vaccine"])[0][0].claim.id == "vaccine"
