"""A bounded, thread-safe least-recently-used map: the one shape of Pantau's caches of repeats.

Share cascades repeat the same post, image or clip thousands of times; the plug-ins' memo
(:meth:`detectors.base.Plugin.memo`), the judge's verdicts and the registry's people mentioned
per text each keep the last ``max_entries`` results in one of these.

Example Snippet::

    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.get_or_compute("b", lambda: 2)   # computed once, then remembered
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LRU"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


class LRU(Generic[K, V]):
    """At most ``max_entries`` values; the least recently used goes first (``0``: remember nothing)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value of ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            value = self._data.get(key, _MISSING)  # type: ignore[arg-type]
            if value is _MISSING:
                return default
            self._data.move_to_end(key)
            return value  # type: ignore[return-value]

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` under ``key``, dropping the least recently used beyond the bound."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            self._trim()

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The remembered value, or ``compute()`` (outside the lock) remembered."""
        with self._lock:
            value = self._data.get(key, _MISSING)  # type: ignore[arg-type]
            if value is not _MISSING:
                self._data.move_to_end(key)
                return value  # type: ignore[return-value]
        value = compute()
        self.put(key, value)
        return value

    def bound(self, max_entries: int) -> None:
        """Keep at most ``max_entries`` values from now on."""
        with self._lock:
            self.max_entries = max_entries
            self._trim()

    def _trim(self) -> None:
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)
