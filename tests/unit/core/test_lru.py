"""The bounded LRU behind the caches of repeats: least recently used first out, compute once."""

from __future__ import annotations

from pantau.lru import LRU


def test_least_recently_used_goes_first_and_a_read_counts_as_use() -> None:
    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_compute_runs_once_per_key_and_falsy_values_are_remembered() -> None:
    cache: LRU[str, list[int]] = LRU(4)
    calls = []
    for _ in range(3):
        assert cache.get_or_compute("k", lambda: calls.append(1) or []) == []
    assert calls == [1]


def test_bound_zero_remembers_nothing() -> None:
    cache: LRU[str, int] = LRU(3)
    cache.put("a", 1)
    cache.bound(0)
    assert len(cache) == 0
    cache.put("b", 2)
    assert cache.get("b") is None
