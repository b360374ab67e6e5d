"""Sign-in lockout per user name, counted by time in a table of its own.

The dashboard used to count a user's failed sign-ins among the newest 500 audit events; 490
attempts on a throwaway name (each one free: a locked name is refused before bcrypt) pushed the
real failures out of that window and the lock lifted. :class:`SignInLockout` keeps one row per
failed attempt, ``(user, time)``, in ``<data_dir>/signin_failures.sqlite`` (shared by every
dashboard process), and counts a user's rows within the last ``window_s`` seconds, whatever else
happens. A success clears the user's rows; rows older than the window are pruned as new ones come.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "f.sqlite"
>>> lockout = SignInLockout(path, max_failures=2, clock=lambda: 100.0)
>>> lockout.fail("ana"), lockout.locked("ana"), lockout.fail("ana"), lockout.locked("ana")
(1, False, 2, True)
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pantau.errors import StoreUnavailable

__all__ = ["SignInLockout"]


class SignInLockout:
    """Failed sign-ins per user name within a sliding time window.

    :param path: the SQLite file (made with mode 0600 on first use).
    :param max_failures: failures within the window that lock the name.
    :param window_s: how far back failures count (also how long a lock lasts after the last one).
    :param clock: wall clock in seconds (tests pass their own).
    """

    def __init__(
        self,
        path: Path,
        max_failures: int = 10,
        window_s: float = 15 * 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            new = not self.path.exists()
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            if new:
                self.path.chmod(0o600)
            conn.execute("CREATE TABLE IF NOT EXISTS failures (user TEXT NOT NULL, at REAL NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS failures_user_at ON failures(user, at)")
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the sign-in lockout file {self.path}: {exc}") from exc
        return conn

    def failures(self, user: str) -> int:
        """Failed sign-ins of ``user`` within the window."""
        with self._lock:
            conn = self._connect()
            try:
                since = self.clock() - self.window_s
                return int(conn.execute(
                    "SELECT count(*) FROM failures WHERE user = ? AND at > ?", (user, since)
                ).fetchone()[0])
            finally:
                conn.close()

    def locked(self, user: str) -> bool:
        """Whether ``user`` has reached ``max_failures`` within the window."""
        return self.failures(user) >= self.max_failures

    def fail(self, user: str) -> int:
        """Record one failed sign-in of ``user``; return its failures within the window."""
        now = self.clock()
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DELETE FROM failures WHERE at <= ?", (now - self.window_s,))
                conn.execute("INSERT INTO failures VALUES (?, ?)", (user, now))
                conn.execute("COMMIT")
            finally:
                conn.close()
        return self.failures(user)

    def clear(self, user: str) -> None:
        """Forget ``user``'s failures (after a successful sign-in)."""
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("DELETE FROM failures WHERE user = ?", (user,))
            finally:
                conn.close()
