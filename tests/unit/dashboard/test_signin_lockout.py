"""Sign-in lockout counted per user and time: events about other names cannot lift it (issue 19, row 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dashboard.context import SESSION_KEY
from dashboard.signin import MAX_FAILURES_PER_USER, USER_LOCKOUT_MIN
from pantau.lockout import SignInLockout
from pantau.stores.base import AuditEvent


def test_throwaway_attempts_do_not_lift_a_users_lock(sign_in: Any, seeded: Any) -> None:
    for _ in range(MAX_FAILURES_PER_USER):  # wrong passwords, each from a fresh browser session
        sign_in("ana", "wrong password")
    # 500 attempts on a throwaway name (free: a locked name is refused before bcrypt) flood the audit log
    for _ in range(500):
        seeded.store.audit(AuditEvent(actor="throwaway", role="-", event="sign_in_failed", detail="locked"))
    at = sign_in("ana")  # the right password: still locked
    assert SESSION_KEY not in at.session_state
    assert "Too many failed attempts for this user" in " ".join(str(e.value) for e in at.error)


def test_the_lock_counts_failures_by_user_within_the_window(tmp_path: Path) -> None:
    now = [1_000.0]
    lockout = SignInLockout(tmp_path / "f.sqlite", max_failures=10, window_s=USER_LOCKOUT_MIN * 60,
                            clock=lambda: now[0])
    for _ in range(10):
        lockout.fail("ana")
    for _ in range(490):
        lockout.fail("throwaway")
    assert lockout.locked("ana") and lockout.failures("ana") == 10
    now[0] += USER_LOCKOUT_MIN * 60 - 1
    assert lockout.locked("ana")
    now[0] += 2  # the window has passed since the last failure
    assert not lockout.locked("ana")
    lockout.fail("bo")
    lockout.clear("bo")
    assert lockout.failures("bo") == 0
    assert (tmp_path / "f.sqlite").stat().st_mode & 0o077 == 0
