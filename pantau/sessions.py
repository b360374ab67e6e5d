"""Dashboard sessions that survive a reload: a signed, expiring cookie and a server-side record.

The browser keeps a cookie holding the session's random token signed with the server's key
(:mod:`itsdangerous`, salted, with a timestamp): a forged or altered cookie fails the signature,
an old one fails the age check. The server keeps the record of every open session
(``sessions.json`` next to the users file, mode 0600): signing out removes it, "sign out
everywhere" removes all of a user's, and a cookie whose record is gone opens nothing. A record
also ends when it expires, and the session is refused when the user was disabled or changed
role or party since.

The key is ``session.key`` next to the users file (32 random bytes, created on first use, mode
0600); deleting it signs everyone out.

>>> import tempfile; from pathlib import Path
>>> from pantau.auth import Session, User
>>> book = SessionBook(Path(tempfile.mkdtemp()))
>>> session = Session.start(User(username="ana", role="commission"), 60)
>>> book.token_of(book.cookie_for(session)) == session.token
True
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from pantau.auth import Session, UserDirectory
from pantau.schemas import utcnow

__all__ = ["COOKIE_NAME", "SessionBook"]

COOKIE_NAME = "pantau_session"
_SALT = "pantau-dashboard-session"
_LOCK = threading.Lock()


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class SessionBook:
    """The server-side record of open sessions, and the signer of their cookies.

    :param folder: where ``sessions.json`` and ``session.key`` live (the users file's folder).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "sessions.json"
        self.key_path = self.folder / "session.key"

    # -- signing -------------------------------------------------------------------------------
    def _key(self) -> bytes:
        with _LOCK:
            if not self.key_path.exists():
                _write_private(self.key_path, secrets.token_bytes(32))
            return self.key_path.read_bytes()

    def _signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._key(), salt=_SALT)

    def cookie_for(self, session: Session) -> str:
        """Record the session and return the signed cookie value that names it."""
        self._update(lambda records: records.__setitem__(session.token, _record(session)))
        return str(self._signer().dumps(session.token))

    def token_of(self, cookie: str, max_age_s: int | None = None) -> str | None:
        """The token a cookie carries; ``None`` when forged, altered or older than ``max_age_s``."""
        try:
            token = self._signer().loads(cookie, max_age=max_age_s)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        return token if isinstance(token, str) else None

    # -- records -------------------------------------------------------------------------------
    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return raw if isinstance(raw, dict) else {}

    def _update(self, change: Any) -> None:
        with _LOCK:
            records = self._load()
            now = utcnow()
            records = {t: r for t, r in records.items() if datetime.fromisoformat(r["expires_at"]) > now}
            change(records)
            _write_private(self.path, json.dumps(records, indent=1).encode("utf-8"))

    def active(self, token: str) -> bool:
        """Whether the session is recorded and not expired (signing out removes the record)."""
        record = self._load().get(token)
        return record is not None and datetime.fromisoformat(record["expires_at"]) > utcnow()

    def resume(self, cookie: str, users: UserDirectory, max_age_s: int) -> Session | None:
        """The session a cookie names, if its signature, age, record and user all still hold."""
        token = self.token_of(cookie, max_age_s)
        record = self._load().get(token or "")
        if token is None or record is None:
            return None
        user = users.get(record["username"])
        if user is None or user.disabled or user.role != record["role"] or user.party != record.get("party"):
            return None
        session = Session(
            token=token,
            user=user,
            method=record.get("method", "password"),
            issued_at=datetime.fromisoformat(record["issued_at"]),
            expires_at=datetime.fromisoformat(record["expires_at"]),
        )
        return None if session.expired() else session

    def revoke(self, token: str) -> None:
        """End one session (sign out)."""
        self._update(lambda records: records.pop(token, None))

    def revoke_user(self, username: str) -> int:
        """End every session of a user (sign out everywhere); return how many there were."""
        ended: list[str] = []

        def drop(records: dict[str, dict[str, Any]]) -> None:
            ended.extend(t for t, r in records.items() if r.get("username") == username)
            for token in ended:
                records.pop(token, None)

        self._update(drop)
        return len(ended)


def _record(session: Session) -> dict[str, Any]:
    return {
        "username": session.user.username,
        "role": session.user.role,
        "party": session.user.party,
        "method": session.method,
        "issued_at": session.issued_at.isoformat(),
        "expires_at": session.expires_at.isoformat(),
    }
