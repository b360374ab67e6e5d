"""Users, roles, password sign-in and expiring sessions.

Four roles, each with its own :class:`~pantau.stores.base.Scope` (see :mod:`pantau.access`):

- ``commission``: sees and decides everything;
- ``party_officer``: a party's compliance officer, sees only that party's incidents and alerts;
- ``journalist``: sees confirmed incidents only, with victims' personal data redacted.
- ``fact_checker``: sees the fact-check queue only (no incident) and gives verdicts there.

Users live in one JSON file (``settings.dashboard.users_file``, default ``<data_dir>/users.json``)
with bcrypt password hashes; the file is written atomically and readable by its owner only.
A user with no password hash can only sign in through the identity provider (OIDC), which
proves who they are (:mod:`pantau.oidc`); the users file still says what role they have.

Example Snippet::

    users = UserDirectory(users_path(settings))
    users.add("siti", "a long passphrase", role="party_officer", party="pbn")
    user = users.authenticate("siti", "a long passphrase")
    session = Session.start(user, minutes=settings.dashboard.session_minutes)

The ``pantau users`` commands are in :mod:`cli.users`.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pantau.errors import ConfigError, PantauError
from pantau.schemas import utcnow

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = [
    "ROLES",
    "AuthError",
    "Role",
    "Session",
    "User",
    "UserDirectory",
    "hash_password",
    "users_path",
    "verify_password",
]

Role = Literal["commission", "party_officer", "journalist", "fact_checker"]
ROLES: tuple[Role, ...] = ("commission", "party_officer", "journalist", "fact_checker")

MIN_PASSWORD_LENGTH = 10
# bcrypt reads at most 72 bytes; refusing longer passwords beats silently ignoring their tail.
MAX_PASSWORD_BYTES = 72
# A valid hash to check against when the user is unknown, so that a failed sign-in takes the
# same time whether or not the user exists (no user enumeration by timing).
_DUMMY_HASH = "$2b$12$QtMlhsyhgW7u3IDq1yzvD.F5QlQ42O1dd9TPaOoXgSirfgkKzEPSS"


class AuthError(PantauError):
    """A user, password, session or identity-provider answer was refused."""


def hash_password(password: str, rounds: int = 12) -> str:
    """Return the bcrypt hash of a password.

    :param password: at least :data:`MIN_PASSWORD_LENGTH` characters, at most 72 bytes.
    :param rounds: bcrypt cost (tests use 4 to stay fast).
    :raises AuthError: when the password is too short or too long.
    """
    import bcrypt

    raw = password.encode("utf-8")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if len(raw) > MAX_PASSWORD_BYTES:
        raise AuthError(f"password too long: bcrypt reads at most {MAX_PASSWORD_BYTES} bytes")
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str | None) -> bool:
    """Return whether a password matches a bcrypt hash (``False`` for no hash or a broken one)."""
    import bcrypt

    raw = password.encode("utf-8")
    if not password_hash or len(raw) > MAX_PASSWORD_BYTES:
        bcrypt.checkpw(b"x", _DUMMY_HASH.encode("ascii"))
        return False
    try:
        return bcrypt.checkpw(raw, password_hash.encode("ascii"))
    except ValueError:
        return False


class User(BaseModel):
    """A dashboard user and what they may see."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(
        min_length=1, max_length=200, description="Sign-in name, or the e-mail the IdP asserts."
    )
    role: Role
    party: str | None = Field(None, description="Party id (party officers only).")
    name: str = ""
    password_hash: str | None = Field(None, description="bcrypt hash; none for identity-provider users.")
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _party_matches_role(self) -> User:
        if self.role == "party_officer" and not self.party:
            raise ValueError("a party officer needs a party")
        if self.role != "party_officer" and self.party:
            raise ValueError(f"only party officers have a party, not {self.role}")
        return self

    @property
    def display(self) -> str:
        """Name to show, with the party for officers."""
        who = self.name or self.username
        return f"{who} ({self.party})" if self.party else who


def users_path(settings: Settings) -> Path:
    """The users file the settings name (default ``<data_dir>/users.json``)."""
    configured = settings.dashboard.users_file
    return Path(configured) if configured else settings.data_dir / "users.json"


class UserDirectory:
    """The users file: read on every look-up (so ``pantau users add`` takes effect at once)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, User]:
        """Return users by username; an absent file is an empty directory.

        :raises ConfigError: when the file is not valid JSON or holds invalid users.
        """
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.path}: cannot read users file: {exc}") from exc
        try:
            users = [User.model_validate(u) for u in raw.get("users", [])]
        except (ValidationError, AttributeError) as exc:
            raise ConfigError(f"{self.path}: invalid users file: {exc}") from exc
        return {u.username: u for u in users}

    def save(self, users: dict[str, User]) -> None:
        """Write the file atomically, readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"users": [u.model_dump(mode="json") for u in sorted(users.values(), key=lambda u: u.username)]}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".users-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, username: str) -> User | None:
        """Return a user by name."""
        return self.load().get(username)

    def add(
        self,
        username: str,
        password: str | None,
        role: Role,
        party: str | None = None,
        name: str = "",
        replace: bool = False,
        rounds: int = 12,
    ) -> User:
        """Add a user (``password=None``: identity-provider sign-in only).

        :raises AuthError: when the user exists (and ``replace`` is false) or the password is refused.
        """
        users = self.load()
        if username in users and not replace:
            raise AuthError(f"user {username!r} exists; use --replace to change it")
        try:
            user = User(
                username=username,
                role=role,
                party=party,
                name=name,
                password_hash=hash_password(password, rounds) if password is not None else None,
            )
        except ValidationError as exc:
            raise AuthError(f"invalid user {username!r}: {exc.errors()[0]['msg']}") from exc
        users[username] = user
        self.save(users)
        return user

    def set_password(self, username: str, password: str, rounds: int = 12) -> User:
        """Replace a user's password."""
        users = self.load()
        if username not in users:
            raise AuthError(f"no user {username!r}")
        users[username] = users[username].model_copy(
            update={"password_hash": hash_password(password, rounds)}
        )
        self.save(users)
        return users[username]

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (or enable again) a user; disabled users cannot sign in."""
        users = self.load()
        if username not in users:
            raise AuthError(f"no user {username!r}")
        users[username] = users[username].model_copy(update={"disabled": disabled})
        self.save(users)
        return users[username]

    def remove(self, username: str) -> None:
        """Delete a user."""
        users = self.load()
        if users.pop(username, None) is None:
            raise AuthError(f"no user {username!r}")
        self.save(users)

    def authenticate(self, username: str, password: str) -> User | None:
        """Return the user when the password matches and the user is enabled, else ``None``."""
        user = self.load().get(username.strip())
        ok = verify_password(password, user.password_hash if user else None)
        if user is None or not ok or user.disabled:
            return None
        return user


class Session(BaseModel):
    """A signed-in user until ``expires_at``; kept server-side in the dashboard's session state."""

    model_config = ConfigDict(frozen=True)

    token: str
    user: User
    method: Literal["password", "oidc"] = "password"
    issued_at: datetime
    expires_at: datetime

    @classmethod
    def start(
        cls,
        user: User,
        minutes: int,
        method: Literal["password", "oidc"] = "password",
        now: datetime | None = None,
    ) -> Session:
        """Open a session that expires ``minutes`` from now."""
        now = now or utcnow()
        return cls(
            token=secrets.token_urlsafe(24),
            user=user,
            method=method,
            issued_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )

    def expired(self, now: datetime | None = None) -> bool:
        """Return whether the session has run out."""
        return (now or utcnow()) >= self.expires_at
