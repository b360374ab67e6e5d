"""A sliding-window rate limit per recipient, so a burst of incidents cannot flood one officer."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """At most ``limit`` sends per recipient in any ``window_s`` seconds (kept in memory).

    >>> limiter = RateLimiter(limit=1, window_s=60, clock=lambda: 0.0)
    >>> limiter.allow("officer-pbn"), limiter.allow("officer-pbn"), limiter.allow("commission")
    (True, False, True)
    """

    def __init__(
        self, limit: int, window_s: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._sent: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, recipient: str) -> bool:
        """Count one send to ``recipient`` and return ``True``, or ``False`` when over the limit."""
        now = self.clock()
        with self._lock:
            sent = self._sent[recipient]
            while sent and now - sent[0] >= self.window_s:
                sent.popleft()
            if len(sent) >= self.limit:
                return False
            sent.append(now)
            return True
