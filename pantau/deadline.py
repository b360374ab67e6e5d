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

The same watchdog serves httpx (platform connectors, the signed webhook): pass
:meth:`Deadline.httpx_trace` as the request's ``trace`` extension and every socket the request
opens (TCP, then the TLS one) is watched. A library that keeps its sockets to itself (apprise,
smtplib inside it) runs under :func:`call_with_deadline` instead: the caller stops waiting at the
deadline and the call's outcome is ignored.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Deadline", "DeadlinePassed", "call_with_deadline"]

T = TypeVar("T")


class DeadlinePassed(TimeoutError):
    """A call did not finish within its deadline."""


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

    def httpx_trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx/httpcore ``trace`` extension: watch each socket the request connects or wraps in TLS.

        A connection taken from a keep-alive pool sends no such event, so clients using this
        turn keep-alive off (``httpx.Limits(max_keepalive_connections=0)``). The TLS handshake
        itself runs before its socket can be seen; it is bounded as a whole by the socket timeout
        (the caller sets it to :meth:`remaining`; CPython's ``do_handshake`` applies it to the
        whole handshake, not to each read).
        """
        if not event.endswith((".connect_tcp.complete", ".start_tls.complete")):
            return
        stream = info.get("return_value")
        get_extra = getattr(stream, "get_extra_info", None)
        sock = get_extra("socket") if get_extra is not None else None
        if isinstance(sock, socket.socket):
            self.watch(sock)

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


def call_with_deadline(fn: Callable[[], T], seconds: float, name: str = "call") -> T:
    """Run ``fn`` in a daemon thread and wait for it at most ``seconds``.

    For libraries whose sockets cannot be watched (apprise and the SMTP, chat and HTTP clients
    inside it). Raises :class:`DeadlinePassed` when the time is up: the thread is left to end on
    its own library timeouts and whatever it does then is ignored (for an alert: it stays pending
    and is sent again, so a receiver may see it twice, never zero times). Exceptions of ``fn``
    are raised in the caller.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"deadline-{name}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DeadlinePassed(f"{name} did not finish within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
