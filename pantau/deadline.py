"""One wall-clock deadline for a whole network exchange: connect, TLS, headers and body.

A socket timeout bounds each read, not their sum: a server that sends one byte every two
seconds never trips a 15-second timeout, and so holds a fetch (and the runner behind it) for as
long as it likes. :class:`Deadline` arms a watchdog timer that shuts down the sockets it watches
when the time is up; that wakes any read blocked on them, and :attr:`Deadline.expired` then tells
the caller that the read ended because of the deadline, not because the body was complete.

Example Snippet::

    with Deadline(15.0) as deadline:
        conn = http.client.HTTPConnection(host, port, timeout=deadline.remaining())
        deadline.watch(conn)          # conn.sock is shut down at the deadline, whenever it exists
        conn.request("GET", "/")
        body = conn.getresponse().read()
    if deadline.expired: ...          # the read was cut short
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

__all__ = ["Deadline"]


class Deadline:
    """A point in time after which the watched connections are shut down.

    :param seconds: time allowed from now.
    :param clock: monotonic clock (tests).
    """

    def __init__(self, seconds: float, clock: Any = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.at = clock() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._watched: list[Any] = []
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        """Seconds left (0 when past)."""
        return max(0.0, self.at - self._clock())

    def passed(self) -> bool:
        """Whether the deadline has passed (whether or not the watchdog has fired yet)."""
        return self.expired or self._clock() >= self.at

    def watch(self, conn: Any) -> None:
        """Shut down ``conn.sock`` (an ``http.client`` connection, or a socket) at the deadline."""
        with self._lock:
            self._watched.append(conn)
            if self.expired:
                self._shut(conn)
                return
            if self._timer is None:
                self._timer = threading.Timer(self.remaining(), self._expire)
                self._timer.daemon = True
                self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for conn in self._watched:
                self._shut(conn)

    @staticmethod
    def _shut(conn: Any) -> None:
        sock = conn if isinstance(conn, socket.socket) else getattr(conn, "sock", None)
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed

    def close(self) -> None:
        """Disarm the watchdog (the exchange is over)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._watched.clear()

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
