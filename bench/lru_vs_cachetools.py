"""pantau.lru.LRU against cachetools.LRUCache with the lock that shared use needs (docs/architecture.md).

Both serve ``get_or_compute`` over the same keys: 300,000 calls over 20,000 keys, 10,000 entries,
best of 5. cachetools is not a Pantau dependency: install it into a throwaway venv to run this.

    .venv/bin/python -m bench.lru_vs_cachetools
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from pantau.lru import LRU

CALLS = 300_000
KEYS = 20_000
ENTRIES = 10_000


class LockedLRUCache:
    """cachetools.LRUCache made safe for threads, with LRU.get_or_compute's contract."""

    def __init__(self, entries: int) -> None:
        import cachetools

        self.cache: Any = cachetools.LRUCache(maxsize=entries)
        self.lock = threading.Lock()

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        with self.lock:
            try:
                return self.cache[key]
            except KeyError:
                pass
        value = compute()
        with self.lock:
            self.cache[key] = value
        return value


def best_us(make: Callable[[], Any], keys: list[str]) -> float:
    """Best of five: microseconds per get_or_compute call."""
    times = []
    for _ in range(5):
        cache = make()
        start = time.perf_counter()
        for key in keys:
            cache.get_or_compute(key, lambda: 1)
        times.append(time.perf_counter() - start)
    return min(times) / len(keys) * 1e6


def main() -> None:
    rng = random.Random(1)
    keys = [f"k{rng.randint(0, KEYS)}" for _ in range(CALLS)]
    print(f"pantau.lru.LRU: {best_us(lambda: LRU(ENTRIES), keys):.2f} us per call")
    try:
        print(f"cachetools.LRUCache + lock: {best_us(lambda: LockedLRUCache(ENTRIES), keys):.2f} us per call")
    except ImportError:
        print("cachetools is not installed: pip install cachetools into a throwaway venv to compare")


if __name__ == "__main__":
    main()
