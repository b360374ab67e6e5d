"""Sessions that survive a reload (pantau.sessions): signed cookies, server-side records, revocation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pantau.auth import Session, UserDirectory
from pantau.sessions import SessionBook


def _open(book: SessionBook, users: UserDirectory, name: str, minutes: int = 60) -> tuple[Session, str]:
    user = users.get(name)
    assert user is not None
    session = Session.start(user, minutes)
    return session, book.cookie_for(session)


def test_a_cookie_resumes_its_session_until_it_is_revoked(tmp_path: Path, users: UserDirectory) -> None:
    book = SessionBook(tmp_path)
    session, cookie = _open(book, users, "ana")
    resumed = book.resume(cookie, users, 3600)
    assert resumed is not None and resumed.token == session.token and resumed.user.username == "ana"
    assert resumed.expires_at == session.expires_at  # a reload does not extend the session
    book.revoke(session.token)
    assert book.resume(cookie, users, 3600) is None
    assert stat.S_IMODE(book.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(book.key_path.stat().st_mode) == 0o600


@pytest.mark.parametrize("cookie", ["", "garbage", "ana.forged.signature"])
def test_forged_cookies_open_nothing(tmp_path: Path, users: UserDirectory, cookie: str) -> None:
    book = SessionBook(tmp_path)
    _open(book, users, "ana")
    assert book.resume(cookie, users, 3600) is None


def test_an_altered_or_foreign_cookie_opens_nothing(tmp_path: Path, users: UserDirectory) -> None:
    book = SessionBook(tmp_path / "a")
    _, cookie = _open(book, users, "ana")
    assert book.resume(cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"), users, 3600) is None
    other = SessionBook(tmp_path / "b")  # another server's key
    assert other.resume(cookie, users, 3600) is None


def test_expired_sessions_and_changed_users_open_nothing(tmp_path: Path, users: UserDirectory) -> None:
    book = SessionBook(tmp_path)
    _, expired = _open(book, users, "ana", minutes=0)
    assert book.resume(expired, users, 3600) is None
    _, cookie = _open(book, users, "siti")
    users.set_disabled("siti", True)
    assert book.resume(cookie, users, 3600) is None


def test_sign_out_everywhere_ends_only_that_users_sessions(tmp_path: Path, users: UserDirectory) -> None:
    book = SessionBook(tmp_path)
    first, c1 = _open(book, users, "siti")
    second, c2 = _open(book, users, "siti")
    _, other = _open(book, users, "ana")
    assert book.revoke_user("siti") == 2
    assert not book.active(first.token) and not book.active(second.token)
    assert book.resume(c1, users, 3600) is None and book.resume(c2, users, 3600) is None
    assert book.resume(other, users, 3600) is not None


def test_an_unreadable_record_file_means_no_session(tmp_path: Path, users: UserDirectory) -> None:
    book = SessionBook(tmp_path)
    _, cookie = _open(book, users, "ana")
    book.path.write_text("{not json")
    assert book.resume(cookie, users, 3600) is None
