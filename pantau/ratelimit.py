"""One sliding-window rate limit per key, kept in memory: alerts per recipient, tips per client or chat.

A hit counts when fewer than ``limit`` hits of the same key fall in the last ``window_s`` seconds.
The clock is injected, so tests move time by hand (why this is not the ``limits`` library: its
memory storage reads the wall clock and runs an expiry thread of its own).

>>> limiter = RateLimiter(limit=1, window_s=60, clock=lambda: 0.0)
>>> limiter.allow("officer-pbn"), limiter.allow("officer-pbn"), limiter.allow("commission")
(True, False, True)
>>> rl = RateLimiter(2, 60.0, clock=lambda: 0.0)
>>> rl.hit("a"), rl.hit("a"), rl.hit("a")
(None, None, 60.0)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """At most ``limit`` hits per key in any ``window_s`` seconds; at most ``max_keys`` keys remembered."""

    def __init__(
        self,
        limit: int,
        window_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one hit; return None when allowed, else the seconds until the next is."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._prune(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.0, hits[0] + self.window_s - now)
            hits.append(now)
            return None

    def allow(self, key: str) -> bool:
        """Count one hit and return ``True``, or ``False`` when over the limit (nothing counted)."""
        return self.hit(key) is None

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window_s]:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:  # still full: forget the oldest half rather than grow
            for key in list(self._hits)[: self.max_keys // 2]:
                del self._hits[key]
